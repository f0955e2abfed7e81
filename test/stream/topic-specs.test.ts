/**
 * Issue 23: topics are created as specified (partitions, replication, min.insync.replicas, retention,
 * cleanup) and checked at start-up. On the run's broker: what the broker reports back equals the
 * specification; a topic changed behind the gateway's back is reported (log, metric, /readyz), and refused
 * in production where the change loses data. The three-replica rule is checked on the pure comparison.
 */
import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ConfigError, loadConfig } from '../../gateway/config.js';
import { createMetrics } from '../../gateway/http/metrics.js';
import { createLogger } from '../../gateway/log.js';
import { topicDrift, topicSpec, type TopicPolicy } from '../../gateway/stream/topic-specs.js';
import { ensureTopicSpecs, topicSpecsOf, topicsReadiness } from '../../gateway/stream/wiring.js';
import { kafkaUnderTest, testAudiences, testBus, testKafka, uniquePrefix, waitFor, type KafkaUnderTest } from './support.js';

const { ConfigResourceTypes } = kafkajs;

let kafka: KafkaUnderTest;
beforeAll(async () => { kafka = await kafkaUnderTest(); });
afterAll(async () => { await kafka.stop(); });

const logLine = z.record(z.string(), z.unknown());

function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(logLine.parse(JSON.parse(chunk.toString('utf8')))); done(); } });
  return { log: createLogger('info', sink), lines };
}

const configFor = (prefix: string, extra: Record<string, string> = {}) => loadConfig({
  KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, KAFKA_TOPIC_PARTITIONS: '2', KAFKA_REPLICATION_FACTOR: '1', KAFKA_DLQ_RETENTION_MS: String(45 * 24 * 3_600_000), ...extra,
});

async function withAdmin<T>(work: (admin: kafkajs.Admin) => Promise<T>): Promise<T> {
  const admin = testKafka(kafka.brokers).admin();
  await admin.connect();
  try { return await work(admin); } finally { await admin.disconnect(); }
}

describe('topic specifications on Apache Kafka', () => {
  it('creates every topic as specified: partitions, replication and each setting read back from the broker', async () => {
    const config = configFor(uniquePrefix());
    const specs = topicSpecsOf(config, testAudiences());
    const bus = testBus(kafka.brokers);
    const { log } = capturedLog();
    try {
      expect(await ensureTopicSpecs(config, bus, testAudiences(), log, createMetrics())).toEqual([]);
    } finally { await bus.close(); }
    const log_ = specs.find((s) => s.name === `${config.KAFKA_TOPIC_PREFIX}settlement.events`)!;
    expect(log_.configs).toMatchObject({ 'retention.ms': '-1', 'retention.bytes': '-1', 'cleanup.policy': 'delete', 'min.insync.replicas': '1' });
    expect(specs.find((s) => s.name.endsWith('his.discharges.dlq'))!.configs['retention.ms']).toBe(String(45 * 24 * 3_600_000));
    const { topics } = await withAdmin((a) => a.fetchTopicMetadata({ topics: specs.map((s) => s.name) }));
    const described = await withAdmin((a) => a.describeConfigs({ includeSynonyms: false, resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name })) }));
    for (const spec of specs) {
      const metadata = topics.find((t) => t.name === spec.name)!;
      expect(metadata.partitions).toHaveLength(2);
      for (const p of metadata.partitions) expect(p.replicas).toHaveLength(1);
      const entries = described.resources.find((r) => r.resourceName === spec.name)!.configEntries;
      const actual = Object.fromEntries(Object.keys(spec.configs).map((name) => [name, entries.find((e) => e.configName === name)?.configValue]));
      expect(actual, spec.name).toEqual(spec.configs);
    }
  });

  it('a drifted topic is reported (log, metric, /readyz detail) and refused in production where it loses data', async () => {
    const prefix = uniquePrefix();
    const config = configFor(prefix);
    const bus = testBus(kafka.brokers);
    try {
      expect(await ensureTopicSpecs(config, bus, testAudiences(), capturedLog().log, createMetrics())).toEqual([]);
      // An operator's change behind the gateway's back: the log back to a stock 7 days, a DLQ to one day.
      await withAdmin((a) => a.alterConfigs({
        validateOnly: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: `${prefix}settlement.events`, configEntries: [{ name: 'retention.ms', value: '604800000' }] },
          { type: ConfigResourceTypes.TOPIC, name: `${prefix}nhsa.settlements.dlq`, configEntries: [{ name: 'retention.ms', value: '86400000' }] },
        ],
      }));
      // The broker applies a configuration change through its metadata log: read it back before checking.
      await waitFor(async () => {
        const { resources } = await withAdmin((a) => a.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: `${prefix}settlement.events`, configNames: ['retention.ms'] }] }));
        return resources[0]?.configEntries[0]?.configValue === '604800000';
      }, 10_000, 'the altered retention visible');

      const { log, lines } = capturedLog();
      const metrics = createMetrics();
      const drift = await ensureTopicSpecs(config, bus, testAudiences(), log, metrics);
      expect(drift).toEqual(expect.arrayContaining([
        { topic: `${prefix}settlement.events`, setting: 'retention.ms', expected: '-1', actual: '604800000', losesData: true },
        { topic: `${prefix}nhsa.settlements.dlq`, setting: 'retention.ms', expected: String(45 * 24 * 3_600_000), actual: '86400000', losesData: false },
      ]));
      expect(drift).toHaveLength(2);
      expect(lines.filter((l) => l.msg === 'kafka: topic differs from its specification')).toHaveLength(2);
      expect(await metrics.registry.getSingleMetricAsString('gateway_kafka_topic_drift')).toContain(`gateway_kafka_topic_drift{topic="${prefix}settlement.events",setting="retention.ms",loses_data="true"} 1`);
      await expect(topicsReadiness(drift).check()).rejects.toThrow(`${prefix}settlement.events: retention.ms is 604800000, specified -1 (loses data)`);
      expect(topicsReadiness(drift).critical).toBe(false);

      const refused = await ensureTopicSpecs(configFor(prefix, { NODE_ENV: 'production' }), bus, testAudiences(), capturedLog().log, createMetrics()).then(() => null, (e: unknown) => e);
      if (!(refused instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(refused)}`);
      expect(refused.problems).toEqual([expect.stringContaining(`KAFKA_REQUIRE_SAFE_TOPICS: ${prefix}settlement.events: retention.ms is 604800000`)]);
      // The operator's way out, said in the refusal: the switch turns it back into a warning.
      await expect(ensureTopicSpecs(configFor(prefix, { NODE_ENV: 'production', KAFKA_REQUIRE_SAFE_TOPICS: 'false' }), bus, testAudiences(), capturedLog().log, createMetrics())).resolves.toHaveLength(2);
    } finally { await bus.close(); }
  });
});

describe('topic drift (the comparison alone)', () => {
  const policy: TopicPolicy = { partitions: 12, replicationFactor: 3, retentionMs: 2_592_000_000, dlqRetentionMs: 2_592_000_000 };
  const asSpecified = (spec: ReturnType<typeof topicSpec>) => ({ partitions: spec.partitions, replicationFactor: spec.replicationFactor, configs: { ...spec.configs } });

  it('three replicas and min.insync.replicas 1: one surviving replica would acknowledge alone — loses data', () => {
    const spec = topicSpec('his.settlements', 'working', policy);
    expect(spec.configs['min.insync.replicas']).toBe('2');
    expect(topicDrift(spec, asSpecified(spec))).toEqual([]);
    expect(topicDrift(spec, { ...asSpecified(spec), configs: { ...spec.configs, 'min.insync.replicas': '1' } })).toEqual([
      { topic: 'his.settlements', setting: 'min.insync.replicas', expected: '2', actual: '1', losesData: true },
    ]);
  });

  it('the log compacted or bounded by size loses data; fewer partitions than specified is drift that does not', () => {
    const spec = topicSpec('settlement.events', 'log', policy);
    const drift = topicDrift(spec, { ...asSpecified(spec), partitions: 6, configs: { ...spec.configs, 'cleanup.policy': 'compact', 'retention.bytes': '1073741824' } });
    expect(drift.map((d) => [d.setting, d.losesData])).toEqual([['partitions', false], ['cleanup.policy', true], ['retention.bytes', true]]);
  });
});
