/**
 * The relay process killed with SIGKILL mid-stream (a real crash, not a simulated one), then started
 * again: every committed settlement reaches settlement.events, per-person order holds, and any copy
 * published twice carries the same ce_id. The gateway runs as its own process on a real Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../support/ports.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';
import { collect, kafkaUnderTest, programmes, uniquePrefix, waitFor, type KafkaUnderTest } from './support.js';

const SETTLEMENTS = 240;
const PERSONS = 12;


describe('relay process killed mid-stream', () => {
  let redis: TestRedis;
  let kafka: KafkaUnderTest;
  beforeAll(async () => { [redis, kafka] = await Promise.all([startRedis(), kafkaUnderTest()]); });
  afterAll(async () => { await kafka?.stop(); await redis?.stop(); });

  it('loses nothing, keeps per-person order, and duplicates only by the same ce_id', async () => {
    const prefix = uniquePrefix();
    const client = new Redis(redis.url);
    const service = new SettlementService({ ledger: new RedisLedger(client), programmes });
    const committed: string[] = [];
    for (let i = 0; i < SETTLEMENTS; i++) {
      const outcome = await service.settle(requestBody({ settlementId: `KILL${i}`, patient: { id: `99010019900101${String(i % PERSONS).padStart(4, '0')}` } }), undefined);
      committed.push(outcome.record.settlementId);
    }
    const reader = await collect(kafka.brokers, [`${prefix}settlement.events`]);
    const port = await freePort();
    const startRelay = (): ChildProcess => spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      env: {
        ...process.env, NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', REDIS_URL: redis.url,
        KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, KAFKA_REPLICATION_FACTOR: '1', KAFKA_TOPIC_PARTITIONS: '3',
        RELAY_ENABLED: 'true', INTAKE_ENABLED: 'false', RELAY_BATCH_SIZE: '5',
      },
      stdio: 'ignore',
    });
    try {
      const first = startRelay();
      await waitFor(() => reader.seen.length >= 40, 30_000, 'the first relay to publish');
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      const publishedBeforeKill = reader.seen.length;
      expect(publishedBeforeKill).toBeLessThan(SETTLEMENTS); // killed mid-stream, not after
      const second = startRelay();
      try {
        await waitFor(() => new Set(reader.seen.map((m) => m.headers.ce_id)).size >= SETTLEMENTS, 60_000, 'every settlement after the restart');
      } finally {
        second.kill('SIGTERM');
      }
      const byCeId = new Map<string, string>();
      for (const m of reader.seen) {
        const previous = byCeId.get(m.headers.ce_id!);
        if (previous !== undefined) expect(m.value).toBe(previous); // a duplicate is the same event
        byCeId.set(m.headers.ce_id!, m.value);
      }
      const published = new Set(reader.seen.map((m) => m.headers.ce_subject!.split('/')[1]));
      expect([...published].sort()).toEqual([...committed].sort());
      // Per person, first copies arrive in commit order.
      const firstSeen: string[] = [];
      const ids = new Set<string>();
      for (const m of reader.seen) if (!ids.has(m.headers.ce_id!)) { ids.add(m.headers.ce_id!); firstSeen.push(`${m.key}|${m.headers.ce_subject}`); }
      for (let p = 0; p < PERSONS; p++) {
        const person = `99010019900101${String(p).padStart(4, '0')}`;
        const order = firstSeen.filter((s) => s.startsWith(`${person}|`)).map((s) => Number(s.split('/KILL')[1]));
        expect(order).toEqual([...order].sort((a, b) => a - b));
        expect(order).toHaveLength(SETTLEMENTS / PERSONS);
      }
      expect(await new RedisLedger(client).outboxLag()).toBe(0);
    } finally {
      await reader.stop();
      client.disconnect();
    }
  }, 120_000);
});
