/**
 * The gateway killed with SIGKILL while it settles discharges from Kafka, then started again: every
 * message is settled once (one ledger commit) and answered once (read_committed sees only the answers
 * of committed transactions).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';
import { collect, createTopics, kafkaUnderTest, testKafka, uniquePrefix, waitFor, type KafkaUnderTest } from './support.js';

const MESSAGES = 120;
const PERSONS = 12;
/**
 * A directory to keep each gateway's log (at debug level: the bus's consumer and transactions) and the
 * answers seen, to follow a failure after the fact; unset, the gateways log nothing.
 */
const LOG_DIR = process.env.INTAKE_KILL_LOG_DIR;

/** Messages in the topic (high watermark less log start, summed over its partitions): written without transactions, each offset is one. */
async function messagesIn(brokers: string[], topic: string): Promise<number> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('intake process killed mid-stream', () => {
  let redis: TestRedis;
  let kafka: KafkaUnderTest;
  beforeAll(async () => { [redis, kafka] = await Promise.all([startRedis(), kafkaUnderTest()]); });
  afterAll(async () => { await kafka?.stop(); await redis?.stop(); });

  it('settles each discharge once and answers it once', async () => {
    const prefix = uniquePrefix();
    const discharges = `${prefix}his.discharges`;
    const reader = await collect(kafka.brokers, [`${prefix}his.settlements`]);
    // The HIS's discharges, each written once: the topic made first and the producer idempotent. A produce to a
    // topic just created can be refused for a partition not yet led while the broker wrote the others, and a plain
    // producer's retry of the whole request writes those again; the gateway rightly answers each copy (the second
    // a replay), which counted as answers sent twice (this test's one failure: 140 answers for 120 discharges).
    await createTopics(kafka.brokers, [discharges]);
    const producer = testKafka(kafka.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: discharges,
      acks: -1,
      messages: Array.from({ length: MESSAGES }, (_, i) => {
        const personId = `99010019950101${String(i % PERSONS).padStart(4, '0')}`;
        return { key: personId, value: JSON.stringify(requestBody({ settlementId: `IN${i}`, patient: { id: personId } })), headers: { 'correlation-id': `c-${i}` } };
      }),
    });
    await producer.disconnect();
    // Answers are counted against this: more of them than discharges then means an answer sent twice.
    expect(await messagesIn(kafka.brokers, discharges)).toBe(MESSAGES);
    const port = await freePort();
    const group = `intake-${randomUUID().slice(0, 8)}`;
    if (LOG_DIR) mkdirSync(LOG_DIR, { recursive: true });
    let started = 0;
    const startGatewayProcess = (): ChildProcess => {
      started++;
      const log = LOG_DIR ? openSync(join(LOG_DIR, `gateway-${started}.log`), 'w') : undefined;
      const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
        env: {
          ...process.env, NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: log === undefined ? 'silent' : 'debug', REDIS_URL: redis.url,
          KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, KAFKA_REPLICATION_FACTOR: '1', KAFKA_TOPIC_PARTITIONS: '3',
          KAFKA_INTAKE_GROUP: group, KAFKA_SESSION_TIMEOUT_MS: '6000', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'true',
        },
        stdio: ['ignore', log ?? 'ignore', 'ignore'],
      });
      if (log !== undefined) closeSync(log);
      return child;
    };
    const answered = () => new Set(reader.seen.map((m) => m.headers['correlation-id'])).size;
    try {
      const first = startGatewayProcess();
      await waitFor(() => answered() >= 20, 60_000, 'the first gateway to answer');
      first.kill('SIGKILL');
      if (LOG_DIR) writeFileSync(join(LOG_DIR, 'killed.json'), JSON.stringify({ at: Date.now(), answered: reader.seen.length }));
      await new Promise((resolve) => first.once('exit', resolve));
      expect(answered()).toBeLessThan(MESSAGES);
      const second = startGatewayProcess();
      try {
        await waitFor(() => answered() >= MESSAGES, 90_000, 'every discharge answered after the restart');
        await new Promise((r) => setTimeout(r, 500)); // a duplicate answer would have arrived by now
      } finally {
        second.kill('SIGTERM');
      }
      const answers = reader.seen.map((m) => m.headers['correlation-id']);
      if (LOG_DIR) writeFileSync(join(LOG_DIR, 'answers.json'), JSON.stringify(reader.seen.map((m) => ({ partition: m.partition, offset: m.offset, correlationId: m.headers['correlation-id'], replay: m.value.includes('"replay":true') }))));
      expect(answers).toHaveLength(MESSAGES); // exactly once each
      expect(new Set(answers).size).toBe(MESSAGES);
      const client = new Redis(redis.url);
      try {
        const ledger = new RedisLedger(client);
        expect(await ledger.outboxLag()).toBe(MESSAGES); // one commit per discharge, none twice
        for (let i = 0; i < MESSAGES; i += 17) expect((await ledger.getSettlement('H99000000001', `IN${i}`))?.status).toBe('settled');
      } finally {
        client.disconnect();
      }
    } finally {
      await reader.stop();
    }
  }, 180_000);
});
