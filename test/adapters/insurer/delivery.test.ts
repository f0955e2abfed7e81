/**
 * Claim delivery over real sockets: the gateway (memory ledger and bus) settles stays that pay
 * insurers; the mock insurer is slow, down, answers 503, refuses or rejects.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, TOKENS, type TestGateway } from '../../support/gateway.js';
import { MockInsurer } from '../../support/mock-insurer.js';
import { maskId } from '../../../gateway/log.js';
import {
  claimsOf, enrolWeihai, INSURER_TOKEN, metric, NANTONG, reverse, settleNantong, settleWeihai, startInsurerGateway, waitFor, WEIHAI, WEIHAI_HOSPITAL,
} from './support.js';

const PERSONS = ['371002195001011234', '371002196002022345', '371002197003033456'];

describe('insurer claim delivery', () => {
  let mock: MockInsurer;
  let gw: TestGateway;

  beforeAll(async () => {
    mock = await MockInsurer.start();
    gw = await startInsurerGateway(mock);
    await enrolWeihai(gw.url, PERSONS);
  });
  afterAll(async () => { await gw?.stop(); await mock?.stop(); });
  afterEach(() => { for (const code of [WEIHAI, NANTONG]) mock.set(code, { latencyMs: 0, unavailable: false, decide: () => ({ status: 'received' }) }); });

  it('publishes its endpoints and the insurer-facing documents in a valid OpenAPI 3.1 document', async () => {
    const doc = (await call(gw.url, '/openapi.json', { token: null })).json as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/claims/{insurerCode}', '/v1/claims/{insurerCode}/{gatewayId}', '/v1/claims/{insurerCode}/{claimId}/status',
      '/v1/claims/{insurerCode}/batches', '/v1/claims/{insurerCode}/dead-letters/replay', '/v1/reconciliation/{insurerCode}/statements', '/v1/reconciliation/{insurerCode}']));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['InsurerOutboundClaim', 'InsurerAnswer', 'Split']));
    const validation = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
  });

  it('delivers each claim with a receipt, records its state, and sends a reversal as its own message after it', async () => {
    const s = await settleWeihai(gw.url, { settlementId: 'D-1', personId: PERSONS[0]! });
    const amount = s.lines.find((l) => l.programme === 'weihai-2020-medical')!.amount;
    expect(amount).toBe('4000.00');
    const [claim] = await waitFor('the claim delivered', async () => { const c = await claimsOf(gw.url, WEIHAI, s.gatewayId); return c[0]?.state === 'delivered' && c; });
    expect(claim).toMatchObject({ claimId: `clm_${s.gatewayId}_weihai-2020-medical`, kind: 'claim', amount, hospitalId: WEIHAI_HOSPITAL, receiptNo: expect.stringMatching(/^R\d+$/) });
    expect(claim!.history.map((h) => h.state)).toEqual(['pending', 'delivered']);
    const sent = mock.received.find((r) => r.json.claimId === claim!.claimId)!;
    expect(sent.headers.authorization).toBe('Bearer chinalife-secret-token');
    expect(sent.headers['idempotency-key']).toBe(claim!.claimId);
    expect(sent.json).toMatchObject({
      kind: 'claim', programme: 'weihai-2020-medical', policyVersion: '2020.1', gatewayId: s.gatewayId, settlementId: 'D-1', hospitalId: WEIHAI_HOSPITAL, amount,
      stay: { admittedOn: '2020-03-01', dischargedOn: '2020-03-10' },
      bill: { total: '10000.00', compliant: '10000.00', outOfScope: '0.00', overLimit: '0.00', preSelfPay: '0.00' },
      settledAt: s.settledAt,
    });

    await reverse(gw.url, WEIHAI_HOSPITAL, 'D-1');
    const claims = await waitFor('the reversal delivered', async () => { const c = await claimsOf(gw.url, WEIHAI, s.gatewayId); return c.find((x) => x.kind === 'reversal')?.state === 'delivered' && c; });
    expect(claims.map((c) => c.kind).sort()).toEqual(['claim', 'reversal']);
    const order = mock.delivered(WEIHAI).map((c) => c.claimId);
    expect(order.indexOf(`rev_${s.gatewayId}_weihai-2020-medical`)).toBeGreaterThan(order.indexOf(claim!.claimId));
    const reversal = mock.delivered(WEIHAI).find((c) => c.kind === 'reversal')!;
    expect(reversal).toMatchObject({ originalClaimId: claim!.claimId, amount });
  });

  it('records the insurer\'s decision: rejected with its reason, then the insurer\'s callback; states never go back', async () => {
    // An insurer's reason may echo the person's ID number: it is stored and shown masked.
    mock.set(WEIHAI, { decide: () => ({ status: 'rejected', reason: `不属于保险责任：既往症（${PERSONS[1]}）` }) });
    const rejected = await settleWeihai(gw.url, { settlementId: 'D-2', personId: PERSONS[1]! });
    const [r] = await waitFor('rejected', async () => { const c = await claimsOf(gw.url, WEIHAI, rejected.gatewayId); return c[0]?.state === 'rejected' && c; });
    expect(r!.reason).toBe(`不属于保险责任：既往症（${maskId(PERSONS[1]!)}）`);
    expect(r!.reason).not.toContain(PERSONS[1]!);

    mock.set(WEIHAI, { decide: () => ({ status: 'accepted' }) });
    const accepted = await settleWeihai(gw.url, { settlementId: 'D-3', personId: PERSONS[2]! });
    const [a] = await waitFor('accepted', async () => { const c = await claimsOf(gw.url, WEIHAI, accepted.gatewayId); return c[0]?.state === 'accepted' && c; });
    // The insurer reports payment (callback); the same report again changes nothing; an older state is ignored.
    const paid = { status: 'paid', paidOn: '2020-04-01', paymentRef: 'P-77' };
    const first = await call(gw.url, `/v1/claims/${WEIHAI}/${a!.claimId}/status`, { body: paid, token: TOKENS.admin });
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ state: 'paid', transition: 'new', paidAmount: a!.amount });
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/${a!.claimId}/status`, { body: paid, token: TOKENS.admin })).json).toMatchObject({ state: 'paid', transition: 'same' });
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/${a!.claimId}/status`, { body: { status: 'accepted' }, token: TOKENS.admin })).json).toMatchObject({ state: 'paid', transition: 'same' });
    // Contradicting a decision already made is refused; a rejection needs its reason.
    const contradiction = await call(gw.url, `/v1/claims/${WEIHAI}/${r!.claimId}/status`, { body: { status: 'accepted' }, token: TOKENS.admin });
    expect(contradiction.status).toBe(400);
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/${a!.claimId}/status`, { body: { status: 'rejected' }, token: TOKENS.admin })).status).toBe(400);
    // The insurer's own client reports for its claims only, reads them, uploads its own statements only (issue 23), and cannot settle.
    const viaInsurer = await call(gw.url, `/v1/claims/${WEIHAI}/${r!.claimId}/status`, { body: { status: 'rejected', reason: `不属于保险责任：既往症（${PERSONS[1]}）` }, token: INSURER_TOKEN });
    expect(viaInsurer.json).toMatchObject({ state: 'rejected', transition: 'same' });
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/${accepted.gatewayId}`, { token: INSURER_TOKEN })).status).toBe(200);
    expect((await call(gw.url, `/v1/claims/${NANTONG}/${r!.claimId}/status`, { body: paid, token: INSURER_TOKEN })).status).toBe(403);
    expect((await call(gw.url, `/v1/claims/${NANTONG}?date=${a!.settledOn}`, { token: INSURER_TOKEN })).status).toBe(403);
    expect((await call(gw.url, `/v1/reconciliation/${NANTONG}/statements`, { body: {}, token: INSURER_TOKEN })).status).toBe(403);
    expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements`, { body: {}, token: INSURER_TOKEN })).status).toBe(400);
    expect((await call(gw.url, '/v1/settlements/preview', { body: {}, token: INSURER_TOKEN })).status).toBe(403);
    // Desks cannot report for an insurer; desks of other hospitals cannot read the claim.
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/${a!.claimId}/status`, { body: paid, token: TOKENS.deskA })).status).toBe(403);
    const foreign = await call(gw.url, `/v1/claims/${WEIHAI}/${accepted.gatewayId}`, { token: TOKENS.deskA });
    expect(foreign.status).toBe(403);
    expect(foreign.json).toMatchObject({ code: 'FORBIDDEN', detail: `客户端 desk-a 无权代表医疗机构 ${WEIHAI_HOSPITAL} 办理` });
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/${accepted.gatewayId}`, { token: TOKENS.auditor })).status).toBe(200);
    // Ids that cannot name a claim are 404 and bad filters 400, never a store error; unknown insurers 404.
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/bad:id{x}`, { token: TOKENS.auditor })).status).toBe(404);
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/bad:id/status`, { body: paid, token: TOKENS.admin })).status).toBe(404);
    expect((await call(gw.url, `/v1/claims/${WEIHAI}?date=2024-01-01&hospitalId=bad:h`, { token: TOKENS.auditor })).status).toBe(400);
    expect((await call(gw.url, `/v1/claims/${WEIHAI}?from=2024-01-02&to=2024-01-01`, { token: TOKENS.auditor })).status).toBe(400);
    expect((await call(gw.url, '/v1/claims/no-such-insurer?date=2024-01-01', { token: TOKENS.auditor })).status).toBe(404);
    // The list filters by state and hospital.
    const day = a!.settledOn;
    const list = await call(gw.url, `/v1/claims/${WEIHAI}?date=${day}&hospitalId=${WEIHAI_HOSPITAL}&state=paid`, { token: TOKENS.auditor });
    expect((list.json as { claims: Array<{ claimId: string }> }).claims.map((c) => c.claimId)).toEqual([a!.claimId]);
  });

  it('opens the breaker while an insurer is down, keeps settling and delivering to another insurer, then delivers everything once, in order per person', async () => {
    await mock.down();
    const weihai: Array<{ gatewayId: string; personId: string; settlementId: string }> = [];
    const nantong: string[] = [];
    for (let i = 0; i < 6; i++) {
      const personId = PERSONS[i % 3]!;
      const s = await settleWeihai(gw.url, { settlementId: `OUT-${i}`, personId });
      weihai.push({ gatewayId: s.gatewayId, personId, settlementId: `OUT-${i}` });
      if (i === 1) await reverse(gw.url, WEIHAI_HOSPITAL, 'OUT-1');
    }
    await waitFor('the breaker open', async () => (await metric(gw.url, 'gateway_insurer_breaker_state', `insurer="${WEIHAI}"`)) === 2);
    // While the breaker refuses calls, the on-call still reads the insurer's last real failure, not the breaker's own words.
    // Sampled through several open windows (resetMs 250): before, most samples read "breaker open (Breaker is open)".
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      const insurers = (await call(gw.url, '/v1/insurers', { token: TOKENS.auditor })).json as { insurers: Array<{ code: string; delivery: { lastError?: string } }> };
      seen.push(insurers.insurers.find((i) => i.code === WEIHAI)?.delivery.lastError ?? '(none)');
    }
    expect(seen.filter((e) => /breaker open|Breaker is open|\(none\)/.test(e))).toEqual([]);
    // Ready (an insurer down never takes the gateway out of service), with the insurer's check failing as a detail.
    const ready = await call(gw.url, '/readyz', { token: null });
    expect(ready.status).toBe(200);
    expect((ready.json as { checks: Array<{ name: string; ok: boolean }> }).checks).toContainEqual(expect.objectContaining({ name: `insurer:${WEIHAI}`, ok: false, critical: false }));

    // The mock is down for every insurer; bring 南通 up on its own: its port is the same server, so instead
    // bring the server up with 威海 answering 503 — still down for 威海, open for 南通.
    mock.set(WEIHAI, { unavailable: true });
    await mock.up();
    for (let i = 0; i < 3; i++) {
      const s = await settleNantong(gw.url, { settlementId: `NT-${i}`, personId: `32060219600101${1000 + i}` });
      nantong.push(s.gatewayId);
    }
    await waitFor('南通 claims delivered while 威海 is down', async () => {
      for (const id of nantong) if ((await claimsOf(gw.url, NANTONG, id))[0]?.state !== 'delivered') return false;
      return true;
    });
    for (const w of weihai) expect((await claimsOf(gw.url, WEIHAI, w.gatewayId)).every((c) => c.state === 'pending')).toBe(true);

    mock.set(WEIHAI, { unavailable: false });
    await waitFor('every 威海 claim delivered', async () => {
      for (const w of weihai) {
        const claims = await claimsOf(gw.url, WEIHAI, w.gatewayId);
        if (claims.length === 0 || claims.some((c) => c.state !== 'delivered')) return false;
      }
      return true;
    }, 20_000);
    await waitFor('the breaker closed', async () => (await metric(gw.url, 'gateway_insurer_breaker_state', `insurer="${WEIHAI}"`)) === 0);

    const delivered = mock.delivered(WEIHAI);
    const expected = [...weihai.map((w) => `clm_${w.gatewayId}_weihai-2020-medical`), `rev_${weihai[1]!.gatewayId}_weihai-2020-medical`];
    for (const id of expected) expect(delivered.filter((c) => c.claimId === id)).toHaveLength(1);
    // Per person, the insurer saw that person's claims in settlement order, the reversal after its claim.
    for (const person of PERSONS) {
      const mine = weihai.filter((w) => w.personId === person).map((w) => `clm_${w.gatewayId}_weihai-2020-medical`);
      const seen = delivered.map((c) => String(c.claimId)).filter((id) => mine.includes(id));
      expect(seen).toEqual(mine);
    }
    const order = delivered.map((c) => c.claimId);
    expect(order.indexOf(`rev_${weihai[1]!.gatewayId}_weihai-2020-medical`)).toBeGreaterThan(order.indexOf(`clm_${weihai[1]!.gatewayId}_weihai-2020-medical`));
    expect(await metric(gw.url, 'gateway_insurer_deliveries_total', `insurer="${WEIHAI}",outcome="retried"`)).toBeGreaterThan(0);
  });

  it('treats a slow insurer as down: the claim waits and is delivered once the insurer answers in time', async () => {
    mock.set(WEIHAI, { latencyMs: 1_000 });
    const s = await settleWeihai(gw.url, { settlementId: 'SLOW-1', personId: PERSONS[0]! });
    await waitFor('a timed-out attempt', () => mock.received.some((r) => r.json.claimId === `clm_${s.gatewayId}_weihai-2020-medical`));
    expect((await claimsOf(gw.url, WEIHAI, s.gatewayId))[0]?.state).toBe('pending');
    mock.set(WEIHAI, { latencyMs: 0 });
    await waitFor('delivered', async () => (await claimsOf(gw.url, WEIHAI, s.gatewayId))[0]?.state === 'delivered');
  });

  it('dead-letters a claim the insurer refuses, with the reason; the person\'s later messages follow it; a replay delivers them in order, once', async () => {
    const refusedSettlement = 'DLQ-1';
    mock.set(WEIHAI, { decide: (c) => (String(c.settlementId) === refusedSettlement ? { http: 400, body: '{"error":"保单号不存在"}' } : { status: 'received' }) });
    const s = await settleWeihai(gw.url, { settlementId: refusedSettlement, personId: PERSONS[1]! });
    await reverse(gw.url, WEIHAI_HOSPITAL, refusedSettlement);
    const later = await settleWeihai(gw.url, { settlementId: 'DLQ-2', personId: PERSONS[1]! });
    const other = await settleWeihai(gw.url, { settlementId: 'DLQ-3', personId: PERSONS[2]! });
    await waitFor('another person\'s claim delivered past the dead letters', async () => (await claimsOf(gw.url, WEIHAI, other.gatewayId))[0]?.state === 'delivered');

    const ids = [`clm_${s.gatewayId}_weihai-2020-medical`, `rev_${s.gatewayId}_weihai-2020-medical`, `clm_${later.gatewayId}_weihai-2020-medical`];
    const listed = await waitFor('three dead letters', async () => {
      const letters = await call(gw.url, `/v1/claims/${WEIHAI}/dead-letters`, { token: TOKENS.admin });
      expect(letters.text).not.toContain(PERSONS[1]);
      const l = (letters.json as { deadLetters: Array<{ claimId: string; reason: string; replayed: boolean }> }).deadLetters.filter((x) => !x.replayed);
      return l.length === 3 && l;
    });
    expect(listed.map((l) => l.claimId)).toEqual(ids);
    expect(listed[0]!.reason).toContain('保单号不存在');
    expect(listed[1]!.reason).toContain('死信');
    expect(mock.received.filter((r) => r.json.claimId === ids[0])).toHaveLength(3); // retry.maxAttempts
    expect(mock.received.filter((r) => r.json.claimId === ids[2])).toHaveLength(0); // held, never sent ahead of the refused one
    const [dead] = await claimsOf(gw.url, WEIHAI, s.gatewayId);
    expect(dead).toMatchObject({ state: 'pending', deadLetter: { reason: expect.stringContaining('保单号不存在') } });
    expect(await metric(gw.url, 'gateway_insurer_dead_letters_total', `insurer="${WEIHAI}"`)).toBeGreaterThanOrEqual(3);
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/dead-letters/replay`, { method: 'POST', token: TOKENS.auditor })).status).toBe(403);

    mock.set(WEIHAI, { decide: () => ({ status: 'received' }) });
    const replay = await call(gw.url, `/v1/claims/${WEIHAI}/dead-letters/replay`, { method: 'POST', token: TOKENS.admin });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.json).toMatchObject({ replayed: ids });
    expect(await metric(gw.url, 'gateway_insurer_dead_letters_replayed_total', `insurer="${WEIHAI}"`)).toBe(3);
    await waitFor('all three delivered', async () => {
      const c = [...await claimsOf(gw.url, WEIHAI, s.gatewayId), ...await claimsOf(gw.url, WEIHAI, later.gatewayId)];
      return c.length === 3 && c.every((x) => x.state === 'delivered' && !x.deadLetter);
    });
    const order = mock.delivered(WEIHAI).map((c) => String(c.claimId)).filter((id) => ids.includes(id));
    expect(order).toEqual(ids);
    // Replaying again replays nothing; the person's next claim flows as usual.
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/dead-letters/replay`, { method: 'POST', token: TOKENS.admin })).json).toMatchObject({ replayed: [] });
    const next = await settleWeihai(gw.url, { settlementId: 'DLQ-4', personId: PERSONS[1]! });
    await waitFor('the next claim delivered', async () => (await claimsOf(gw.url, WEIHAI, next.gatewayId))[0]?.state === 'delivered');
  });
});
