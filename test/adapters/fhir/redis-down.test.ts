/** With Redis unreachable a Claim answers 503 as an OperationOutcome (transient, Retry-After), not a 500 or a hang. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { startRedis, type TestRedis } from '../../support/redis.js';
import { requestBody } from '../../support/requests.js';
import { claimOf, claimText } from './claims.js';

describe('FHIR adapter with Redis unreachable', () => {
  let redis: TestRedis;
  let gw: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    gw = await startTestGateway({ REDIS_URL: redis.url, RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' });
  });
  afterAll(async () => { await gw?.stop().catch(() => undefined); });

  it('answers a transient OperationOutcome', async () => {
    await redis.stop();
    const claim = claimOf(requestBody({ settlementId: 'FHIRDOWN1', hospital: { id: HOSPITAL_A } }));
    const res = await call(gw.url, '/fhir/Claim/$submit', { raw: claimText(claim), token: TOKENS.deskA, contentType: 'application/fhir+json' });
    expect(res.status, res.text).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    const outcome = JSON.parse(res.text) as { resourceType: string; issue: Array<{ code: string }> };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]!.code).toBe('transient');
  });
});
