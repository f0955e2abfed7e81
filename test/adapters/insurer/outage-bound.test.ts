/**
 * Retries are bounded: an insurer that answers nothing for longer than retry.deadLetterAfterMs has
 * its waiting claims dead-lettered (reason: unreachable) rather than holding them forever; once it is
 * back, one replay delivers them, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, TOKENS, type TestGateway } from '../../support/gateway.js';
import { MockInsurer } from '../../support/mock-insurer.js';
import { claimsOf, enrolWeihai, settleWeihai, startInsurerGateway, waitFor, WEIHAI } from './support.js';

const PERSONS = ['371002195001016666', '371002195001017777'];

describe('an insurer unreachable past the bound', () => {
  let mock: MockInsurer;
  let gw: TestGateway;
  beforeAll(async () => {
    mock = await MockInsurer.start();
    gw = await startInsurerGateway(mock, {}, { [WEIHAI]: { retry: { initialMs: 10, maxMs: 50, maxAttempts: 3, deadLetterAfterMs: 300 } } });
    await enrolWeihai(gw.url, PERSONS);
  });
  afterAll(async () => { await gw?.stop(); await mock?.stop(); });

  it('dead-letters the waiting claims with the reason, and a replay delivers them once the insurer is back', async () => {
    await mock.down();
    const settled = [
      await settleWeihai(gw.url, { settlementId: 'UB-1', personId: PERSONS[0]! }),
      await settleWeihai(gw.url, { settlementId: 'UB-2', personId: PERSONS[1]! }),
      await settleWeihai(gw.url, { settlementId: 'UB-3', personId: PERSONS[0]! }),
    ];
    const ids = settled.map((s) => `clm_${s.gatewayId}_weihai-2020-medical`);
    const letters = await waitFor('three dead letters', async () => {
      const res = await call(gw.url, `/v1/claims/${WEIHAI}/dead-letters`, { token: TOKENS.admin });
      const l = (res.json as { deadLetters: Array<{ claimId: string; reason: string }> }).deadLetters;
      return l.length === 3 && l;
    });
    expect(letters.map((l) => l.claimId)).toEqual(ids);
    expect(letters[0]!.reason).toContain('无应答');
    await mock.up();
    const replay = await call(gw.url, `/v1/claims/${WEIHAI}/dead-letters/replay`, { method: 'POST', token: TOKENS.admin });
    expect(replay.json).toMatchObject({ replayed: ids });
    await waitFor('all delivered', async () => {
      for (const s of settled) if ((await claimsOf(gw.url, WEIHAI, s.gatewayId))[0]?.state !== 'delivered') return false;
      return true;
    });
    expect(mock.delivered(WEIHAI).map((c) => c.claimId)).toEqual(ids);
  });
});
