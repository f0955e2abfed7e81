/** CLUSTER_WORKERS: several worker processes on one port share state through Redis. */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../support/ports.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSplit } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';
import { Kafka, logLevel } from 'kafkajs';
import { topics } from '../../gateway/stream/topics.js';
import { collect, createTopics, kafkaUnderTest, uniquePrefix, waitFor, type KafkaUnderTest } from '../stream/support.js';


describe('cluster mode', () => {
  let redis: TestRedis;
  let primary: ChildProcess;
  let url: string;
  beforeAll(async () => {
    redis = await startRedis();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    primary = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url, CLUSTER_WORKERS: '2', LOG_LEVEL: 'warn', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false', NODE_ENV: 'development' },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try { if ((await fetch(`${url}/readyz`)).status === 200) return; } catch { /* workers still starting */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('cluster did not become ready');
  });
  afterAll(async () => {
    primary?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await redis?.stop();
  });

  it('settles through whichever worker answers, exactly once per settlement id', async () => {
    const body = requestBody({ settlementId: 'CLUSTER1', items: [{ code: 'a', name: 'a', amount: '20000.00', class: 'A' }] });
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/v1/settlements`, {
      method: 'POST', headers: { authorization: 'Bearer dev-token', 'content-type': 'application/json' }, body: JSON.stringify(body),
    })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const split = asSplit(await (await fetch(`${url}/v1/settlements/${body.hospital.id}/CLUSTER1`, { headers: { authorization: 'Bearer dev-token' } })).json());
    expect(split.lines[0]?.amount).toBe('12350.00'); // (20000 − 1000) × 0.65
  });
});

describe('cluster mode with Kafka: one relay, and workers that do not fence each other', () => {
  let redis: TestRedis;
  let kafka: KafkaUnderTest;
  let primary: ChildProcess;
  let url: string;
  const prefix = uniquePrefix();
  const t = topics(prefix);
  beforeAll(async () => {
    [redis, kafka] = await Promise.all([startRedis(), kafkaUnderTest()]);
    await createTopics(kafka.brokers, [t.settlementEvents, t.hisDischarges, t.hisSettlements, t.dlq(t.hisDischarges)]);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    primary = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      env: {
        ...process.env, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url, KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_TOPIC_PARTITIONS: '1', KAFKA_REPLICATION_FACTOR: '1', CLUSTER_WORKERS: '2', LOG_LEVEL: 'warn', NODE_ENV: 'development', INSURER_DELIVERY_ENABLED: 'false',
      },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try { if ((await fetch(`${url}/healthz`)).status === 200) return; } catch { /* workers still starting */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('cluster did not start');
  }, 90_000);
  afterAll(async () => {
    primary?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await redis?.stop();
    await kafka?.stop();
  });

  it('publishes each settlement once and answers each discharge once', async () => {
    const reader = await collect(kafka.brokers, [t.settlementEvents, t.hisSettlements]);
    try {
      for (let n = 0; n < 12; n++) {
        const body = requestBody({ settlementId: `CLK${n}`, patient: { id: `99010019800101${String(n).padStart(4, '0')}` } });
        const answer = await fetch(`${url}/v1/settlements`, { method: 'POST', headers: { authorization: 'Bearer dev-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect(answer.status).toBe(201);
      }
      // Idempotent, as an HIS should send: a plain producer's retry after a partial refusal (a partition of the topic
      // the gateway just created not led yet) writes the accepted partitions again, and each copy is answered.
      const producer = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({ topic: t.hisDischarges, acks: -1, messages: Array.from({ length: 6 }, (_, n) => ({ key: `p${n}`, value: JSON.stringify(requestBody({ settlementId: `CLD${n}`, patient: { id: `99010019800102${String(n).padStart(4, '0')}` } })), headers: { 'correlation-id': `d${n}` } })) });
      await producer.disconnect();
      const events = () => reader.seen.filter((m) => m.topic === t.settlementEvents);
      const answers = () => reader.seen.filter((m) => m.topic === t.hisSettlements);
      await waitFor(() => events().length >= 18 && answers().length >= 6, 45_000, '18 events and 6 answers');
      await new Promise((r) => setTimeout(r, 3_000)); // a second relay would publish them again by now
      expect(events()).toHaveLength(18);
      expect(new Set(events().map((m) => m.headers.ce_id)).size).toBe(18);
      expect(answers().map((m) => m.headers['correlation-id']).sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
    } finally {
      await reader.stop();
    }
  }, 90_000);
});
