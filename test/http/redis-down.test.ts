/** With Redis unreachable or full the gateway says so: readiness fails and calls answer 503 with Retry-After. */
import { Redis } from 'ioredis';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { dischargeHandler } from '../../gateway/stream/intake.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { topics } from '../../gateway/stream/topics.js';
import { dischargeAnswer } from '../../schemas/messages.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asProblem, call, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';

describe('Redis unreachable', () => {
  let redis: TestRedis;
  let gw: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    gw = await startTestGateway({ REDIS_URL: redis.url, RELAY_ENABLED: 'false' });
  });
  afterAll(async () => { await gw?.stop().catch(() => undefined); });

  it('is ready with Redis, then not ready and answering 503 without it', async () => {
    expect((await call(gw.url, '/readyz', { token: null })).status).toBe(200);
    await redis.stop();
    const ready = await call(gw.url, '/readyz', { token: null });
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.json)).toContain('redis');
    const settle = await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'DOWN1', hospital: { id: 'H99000000001' } }), token: TOKENS.deskA });
    expect(settle.status).toBe(503);
    expect(settle.headers.get('retry-after')).toBeTruthy();
    expect(asProblem(settle.json).status).toBe(503);
    expect((await call(gw.url, '/healthz', { token: null })).status).toBe(200);
    // The scrape still answers: the ledger's memory gauge is left empty while Redis cannot be asked.
    const metrics = await call(gw.url, '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.text).not.toMatch(/^gateway_ledger_memory_bytes\{/m);
  });
});

/**
 * A full Redis (maxmemory reached under noeviction, as production requires) refuses the commit script's first write:
 * the desk is told 503, nothing committed, call the operator; once memory is freed the same settlement id settles.
 */
describe('Redis full', () => {
  let redis: TestRedis;
  let gw: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    gw = await startTestGateway({ REDIS_URL: redis.url, RELAY_ENABLED: 'false' });
  });
  afterAll(async () => { await gw?.stop().catch(() => undefined); await redis?.stop(); });

  it('answers 503 with nothing committed, and settles the same id once there is room', async () => {
    const admin = new Redis(redis.url);
    try {
      const body = requestBody({ settlementId: 'FULL1', hospital: { id: 'H99000000001' } });
      expect((await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'FULL0', hospital: { id: 'H99000000001' } }), token: TOKENS.deskA })).status).toBe(201);
      // Data in small pieces (no big client buffer that Redis would trim later), then a limit well below what is used:
      // past it, under noeviction, every write is refused from now on (reads still answer), whatever buffers come and go.
      const ballast = Array.from({ length: 400 }, (_, i) => `ballast:${i}`);
      await Promise.all(ballast.map((key) => admin.set(key, 'x'.repeat(1024))));
      const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
      const limit = used - 128 * 1024;
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', String(limit));
      await expect(admin.set('probe', '1')).rejects.toThrow(/^OOM /);
      // What the operator's alert reads (deploy/prometheus/alerts.yaml): the master's memory and its limit.
      const node = `127.0.0.1:${redis.port}`;
      const gauge = (text: string, kind: string) => Number(new RegExp(`^gateway_ledger_memory_bytes\\{node="${node}",kind="${kind}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      const scraped = (await call(gw.url, '/metrics', { token: null })).text;
      expect(gauge(scraped, 'limit')).toBe(limit);
      expect(gauge(scraped, 'used')).toBeGreaterThan(limit);

      const full = await call(gw.url, '/v1/settlements', { body, token: TOKENS.deskA });
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('60');
      expect(asProblem(full.json)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
      expect(asProblem(full.json).detail).toContain('内存已满');
      expect((await call(gw.url, '/v1/settlements/H99000000001/FULL1', { token: TOKENS.deskA })).status).toBe(404);

      // A roster load is many commands: refused partway, it may have written some rows, so it says so (504) and asks for the same load again.
      const roster = await call(gw.url, '/v1/rosters/sanming-2024-puhui?mode=replace', { method: 'PUT', body: { rows: [{ personId: '350402198001010011', from: '2024-01-01', to: '2024-12-31' }] }, token: TOKENS.admin });
      expect(roster.status).toBe(504);
      expect(asProblem(roster.json)).toMatchObject({ code: 'OUTCOME_UNKNOWN', detail: expect.stringContaining('不在新名单中的人员尚未移除') });
      expect(roster.headers.get('retry-after')).toBe('60');

      // The Kafka intake, once its attempts are spent (one here), answers the HIS the same: 503, nothing committed.
      const ledger = new RedisLedger(new Redis(redis.url));
      try {
        const t = topics('');
        const handle = dischargeHandler({ bus: new MemoryBus(), service: new SettlementService({ ledger, programmes: loadProgrammes() }), topics: t, groupId: 'g', maxMessageBytes: 1 << 20, maxAttemptsPerMessage: 1 });
        const [answer, letter] = await handle([{ topic: t.hisDischarges, partition: 0, offset: '0', key: null, value: Buffer.from(JSON.stringify(body)), headers: {} }]);
        expect(dischargeAnswer.parse(JSON.parse(answer!.value))).toMatchObject({ outcome: 'rejected', problem: { status: 503, code: 'UNAVAILABLE', detail: expect.stringContaining('内存已满') } });
        expect(letter!.topic).toBe(t.dlq(t.hisDischarges));
      } finally {
        await ledger.close();
      }

      await admin.config('SET', 'maxmemory', '0');
      await admin.del(...ballast);
      const settled = await call(gw.url, '/v1/settlements', { body, token: TOKENS.deskA });
      expect(settled.status).toBe(201);
    } finally {
      admin.disconnect();
    }
  });
});
