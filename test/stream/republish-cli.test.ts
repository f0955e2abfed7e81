/**
 * `npm run republish` against a real Redis ledger and the run's Apache Kafka: the relay dead-letters the
 * insurer claims of a settlement and of its reversal (their pack named no insurerCode then); once the pack
 * names one, the command rebuilds both events from the ledger's record and publishes them with the ids the
 * relay used, so consumers (deduping by ce_id) take the claims once and ignore the copies of what arrived.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.js';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { topics as topicsOf } from '../../gateway/stream/topics.js';
import { eventMapping } from '../../gateway/stream/wiring.js';
import { nhsaPart } from '../../adapters/nhsa/index.js';
import { insurerAudience, insurerClaimsTopic } from '../../adapters/insurer/audience.js';
import { rosterRow } from '../../schemas/roster.js';
import { insurerClaim } from '../../schemas/messages.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { collect, createTopics, kafkaUnderTest, PERSONS, programmes, testBus, uniquePrefix, waitFor, weihaiBody, type KafkaUnderTest } from './support.js';
import { nhsaSettlementsTopic } from '../../adapters/nhsa/audience.js';

const run = promisify(execFile);
let redis: TestRedis;
let ledger: RedisLedger;
let kafka: KafkaUnderTest;
let service: SettlementService;

const cli = (args: string[], env: Record<string, string>) => run(process.execPath, ['--import', 'tsx', 'gateway/stream/republish-cli.ts', ...args], {
  env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent', KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env }, timeout: 60_000,
});

beforeAll(async () => {
  [redis, kafka] = await Promise.all([startRedis(), kafkaUnderTest()]);
  ledger = new RedisLedger(new Redis(redis.url), { prefix: 'gw' });
  await ledger.putRoster('weihai-2020-poverty', PERSONS.map((personId) => rosterRow.parse({ personId, from: '2020-01-01', to: '2020-12-31', categories: ['poverty-alleviated'] })), false);
  service = new SettlementService({ ledger, programmes });
}, 60_000);
afterAll(async () => { await ledger?.close(); await redis?.stop(); await kafka?.stop(); });

describe('npm run republish', () => {
  it('publishes a settlement\'s dead-lettered events again, rebuilt from the ledger with the ids the relay used', async () => {
    const prefix = uniquePrefix();
    const topics = topicsOf(prefix);
    const claims = insurerClaimsTopic(topics, 'chinalife-weihai');
    const dlq = topics.dlq(topics.settlementEvents);
    const { split } = await service.settle(weihaiBody(PERSONS[0], 'RP1'), undefined);
    await service.reverse('H37100200001', 'RP1', { reason: '费用录入有误', operator: '李四' }, undefined);

    const reader = await collect(kafka.brokers, [topics.settlementEvents, nhsaSettlementsTopic(topics), dlq, claims]);
    const on = (topic: string) => reader.seen.filter((m) => m.topic === topic);
    const bus = testBus(kafka.brokers);
    const env = { KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, EVENT_SOURCE: 'urn:settlement-gateway:test' };
    // The relay as it ran while the pack named no insurerCode: the claims are dead-lettered, the rest goes out.
    const config = loadConfig(env);
    const mapping = eventMapping(config, [...(nhsaPart.audiences?.({ config, programmes }) ?? []), insurerAudience(() => undefined)]);
    const relay = new OutboxRelay({ ledger, bus, mapping, readBlockMs: 50, backoffInitialMs: 50, publishTimeoutMs: 5_000 });
    relay.start();
    try {
      await waitFor(async () => (await ledger.outboxLag()) === 0 && on(dlq).length >= 2 && on(topics.settlementEvents).length >= 2 && on(nhsaSettlementsTopic(topics)).length >= 2, 20_000, 'the relay done');
    } finally {
      await relay.stop();
      await bus.close();
    }
    const relayed = { events: on(topics.settlementEvents), nhsa: on(nhsaSettlementsTopic(topics)) };
    const [settledId, reversedId] = relayed.events.map((m) => m.headers.ce_id!);
    expect(relayed.events.map((m) => m.headers.ce_type)).toEqual(['settlement.settled', 'settlement.reversed']);
    expect(on(claims)).toEqual([]);

    try {
      // The pack names its insurer again (the built-in packs, as the command loads them).
      const out = JSON.parse((await cli(['--hospital', 'H37100200001', '--settlement', 'RP1'], env)).stdout) as { events: Array<{ id: string; type: string }>; published: Array<{ topic: string; ce_id: string }> };
      expect(out.events).toEqual([{ id: settledId, type: 'settlement.settled' }, { id: reversedId, type: 'settlement.reversed' }]);
      await waitFor(() => on(claims).length >= 2 && on(topics.settlementEvents).length >= 4 && on(nhsaSettlementsTopic(topics)).length >= 4, 15_000, 'the republished records');

      const programme = 'weihai-2020-medical';
      expect(on(claims).map((m) => m.headers.ce_id)).toEqual([`${settledId}.${programme}`, `${reversedId}.${programme}`]);
      const filed = on(claims).map((m) => insurerClaim.parse(JSON.parse(m.value)));
      expect(filed.map((c) => [c.kind, c.claimId, c.eventId])).toEqual([
        ['claim', `clm_${split.gatewayId}_${programme}`, settledId],
        ['reversal', `rev_${split.gatewayId}_${programme}`, reversedId],
      ]);
      // What already arrived comes again byte for byte, under the same ids: consumers drop the copies.
      const same = (m: { key: string | null; value: string; headers: Record<string, string> }) => ({ key: m.key, value: m.value, headers: m.headers });
      expect(on(topics.settlementEvents).slice(2).map(same)).toEqual(relayed.events.map(same));
      expect(on(nhsaSettlementsTopic(topics)).slice(2).map(same)).toEqual(relayed.nhsa.map(same));
    } finally {
      await reader.stop();
    }
  }, 90_000);

  it('says so when there is nothing to republish (exit 1), and cannot run without the settlement, Kafka or its arguments (exit 2)', async () => {
    const prefix = uniquePrefix();
    const env = { KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix };
    // As the gateway creates it at start-up; a missing one also means nothing to republish, but kafkajs takes seconds to say so.
    await createTopics(kafka.brokers, [topicsOf(prefix).dlq(topicsOf(prefix).settlementEvents)]);
    await service.settle(weihaiBody(PERSONS[1], 'RP2'), undefined);
    await expect(cli(['--hospital', 'H37100200001', '--settlement', 'RP2'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('nothing to republish') });
    await expect(cli(['--hospital', 'H37100200001', '--settlement', 'NONE'], env)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('is not in the ledger') });
    await expect(cli(['--hospital', 'H37100200001', '--settlement', 'RP2'], { KAFKA_BROKERS: '' })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('KAFKA_BROKERS is not set') });
    await expect(cli(['--hospital', 'H37100200001'], env)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage: npm run republish') });
  }, 60_000);
});
