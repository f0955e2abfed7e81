/**
 * The unauthenticated /readyz reports an insurer delivery in fixed words: it answered the raw error text,
 * the insurer's internal address and claim ids to anyone who could reach the port.
 *
 * Rule (brief: "errors never leak internals"; README Security: only /v1 with a bearer token reaches
 * data). /readyz is public (gateway/http/probe-routes.ts:259, access 'public', same listener as /v1 and
 * /desk). adapters/insurer/index.ts:56-59 makes each insurer's check throw
 * `breaker …; last error: ${lastError}` and, when closed, answer the whole snapshot; probe-routes.ts:265
 * puts error.message into the body. lastError is the fetch failure text with the insurer's internal
 * endpoint address (adapters/insurer/insurer-client.ts:91-92: "fetch failed: connect ECONNREFUSED
 * host:port") or `${claimId}: ${insurer's refusal excerpt}` (adapters/insurer/delivery.ts:195).
 * Anyone who can reach the port reads them without a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestGateway } from '../../support/gateway.js';
import { MockInsurer } from '../../support/mock-insurer.js';
import { enrolWeihai, settleWeihai, startInsurerGateway, waitFor, WEIHAI } from './support.js';

interface Check { name: string; ok: boolean; error?: string; detail?: Record<string, unknown> }

describe('/readyz without internals', () => {
  let mock: MockInsurer;
  let gw: TestGateway;
  beforeAll(async () => {
    mock = await MockInsurer.start();
    gw = await startInsurerGateway(mock);
  });
  afterAll(async () => { await gw?.stop(); await mock?.stop(); });

  it('an insurer that cannot be reached is reported without its address, library text or claim ids', async () => {
    await mock.down();
    await enrolWeihai(gw.url, ['371002195001019999']);
    await settleWeihai(gw.url, { settlementId: 'RZ-1', personId: '371002195001019999' });
    const check = await waitFor('the insurer check to say something', async () => {
      const ready = await call(gw.url, '/readyz', { token: null });
      const found = (ready.json as { checks: Check[] }).checks.find((c) => c.name === `insurer:${WEIHAI}`);
      return found && (!found.ok || found.detail?.failing === true) ? found : undefined;
    });
    const text = JSON.stringify(check);
    expect(text).not.toContain(`127.0.0.1:${mock.port}`);
    expect(text).not.toMatch(/ECONNREFUSED|fetch failed/);
    expect(text).not.toMatch(/clm_/);
  });
});
