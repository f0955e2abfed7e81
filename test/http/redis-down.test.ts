/** With Redis unreachable the gateway says so: readiness fails and calls answer 503 with Retry-After. */
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
  });
});
