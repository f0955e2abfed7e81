/**
 * Reversing a preview made on another gateway answers the contract's 422, not 404 (issue 8, item 9):
 * the memory of previews lives in the shared ledger (Redis, with a TTL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asProblem, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';

describe('previews on two gateways sharing one Redis', () => {
  let redis: TestRedis;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([0, 1].map(() => startTestGateway({ REDIS_URL: redis.url, RELAY_ENABLED: 'false' }))) as [TestGateway, TestGateway];
  });
  afterAll(async () => { await a?.stop(); await b?.stop(); await redis?.stop(); });

  it('answers 422 to reversing on gateway B a preview made on gateway A, and 404 to an id never seen', async () => {
    const body = requestBody({ settlementId: 'SHAREDPRE1', hospital: { id: HOSPITAL_A } });
    expect((await call(a.url, '/v1/settlements/preview', { body, token: TOKENS.deskA })).status).toBe(200);
    const reversal = await call(b.url, `/v1/settlements/${HOSPITAL_A}/SHAREDPRE1/reversal`, { method: 'POST', token: TOKENS.deskA });
    expect(reversal.status).toBe(422);
    expect(asProblem(reversal.json)).toMatchObject({ code: 'UNPROCESSABLE', errors: [{ path: 'settlementId' }] });
    expect((await call(b.url, `/v1/settlements/${HOSPITAL_A}/NEVERSEEN1/reversal`, { method: 'POST', token: TOKENS.deskA })).status).toBe(404);
  });

  it('keeps the marker bounded in time (a TTL on the key)', async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('gw:pre:*');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(await client.ttl(key)).toBeGreaterThan(0);
    } finally { client.disconnect(); }
  });
});
