/**
 * A roster load under the request timeout (issue 8's promise: a 503 means nothing was written). The load
 * writes batch after batch; before, the timeout answered 503 "nothing committed" while every batch went on
 * being written after the answer. Now no batch is written after the answer, and once one was, the answer
 * is 504 OUTCOME_UNKNOWN saying that part may be written and that uploading the same again is safe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asProblem, call, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';

describe('a roster load past the request timeout', () => {
  let redis: TestRedis;
  let hurried: TestGateway;
  let patient: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' };
    [hurried, patient] = await Promise.all([startTestGateway({ ...env, REQUEST_TIMEOUT_MS: '100' }), startTestGateway(env)]);
  }, 60_000);
  afterAll(async () => { await hurried?.stop().catch(() => undefined); await patient?.stop().catch(() => undefined); await redis?.stop(); });

  it('says the outcome is unknown once a batch was written, writes nothing after its answer, and the same upload again completes it', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ personId: `P${String(i).padStart(10, '0')}`, from: '2024-01-01', to: '2024-12-31' }));
    const answer = await call(hurried.url, '/v1/rosters/sanming-2024-puhui', { method: 'PUT', body: { rows }, token: TOKENS.admin });
    expect(answer.status).toBe(504);
    expect(asProblem(answer.json).code).toBe('OUTCOME_UNKNOWN');
    expect(asProblem(answer.json).detail).toContain('重新上传');
    const sizeAtAnswer = await hurried.gateway.ledger.rosterSize!('sanming-2024-puhui');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const size = await hurried.gateway.ledger.rosterSize!('sanming-2024-puhui');
    expect(size).toBe(sizeAtAnswer); // nothing written after the answer
    expect(size).toBeLessThan(20_000);
    const again = await call(patient.url, '/v1/rosters/sanming-2024-puhui', { method: 'PUT', body: { rows }, token: TOKENS.admin });
    expect(again.status).toBe(200);
    expect(await patient.gateway.ledger.rosterSize!('sanming-2024-puhui')).toBe(20_000);
  }, 60_000);

  it('never empties a roster by a replacement in which no row is valid', async () => {
    const rows = [{ personId: 'P1', from: '2024-13-01', to: '2024-12-31' }];
    const before = await patient.gateway.ledger.rosterSize!('sanming-2024-puhui');
    expect(before).toBeGreaterThan(0);
    const answer = await call(patient.url, '/v1/rosters/sanming-2024-puhui?mode=replace', { method: 'PUT', body: { rows }, token: TOKENS.admin });
    expect(answer.status).toBe(422);
    expect(asProblem(answer.json).detail).toContain('名单未替换');
    expect(await patient.gateway.ledger.rosterSize!('sanming-2024-puhui')).toBe(before);
  }, 60_000);
});
