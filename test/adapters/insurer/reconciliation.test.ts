/**
 * Reconciliation over HTTP: the gateway's claims against uploaded statements with every kind of
 * difference; totals that add up to the claims and to the statements; idempotent re-upload; CSV in
 * UTF-8 with BOM and in GBK. Then daily batches. Then the ledger's claims and reversals not yet taken
 * in. Then the classification, by example and as a property over random claims and payments.
 */
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, OUTCOMES, type FiledClaim, type PaidLine } from '../../../adapters/insurer/reconciliation.js';
import { parseFen } from '../../../gateway/engine/money.js';
import { call, TOKENS, type TestGateway } from '../../support/gateway.js';
import { MockInsurer } from '../../support/mock-insurer.js';
import { claimsOf, DESK_WEIHAI_TOKEN, enrolWeihai, INSURER_TOKEN, reverse, settleWeihai, startInsurerGateway, waitFor, WEIHAI, WEIHAI_HOSPITAL, WEIHAI_HOSPITAL_2, type ClaimViewJson } from './support.js';

const P = ['371002195001011111', '371002195001012222', '371002195001013333', '371002195001014444', '371002195001015555'];
const fen = (text: string) => parseFen(text.replace(/^-/, ''))! * (text.startsWith('-') ? -1 : 1);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

interface Report {
  completeness: { ledgerClaims: number; ledgerAmount: string; ledgerReversals: number; takenClaims: number; takenReversals: number; notYetTaken: Array<{ kind: string; claimId: string }> };
  totals: Record<string, { count: number; gatewayAmount: string; expectedAmount: string; insurerAmount: string; difference: string }>;
  rows: Array<{ outcome: string; claimId: string; reversed: boolean; expectedAmount: string; insurerAmount: string; payments: Array<{ paymentRef?: string }> }>;
  statements: string[];
}

describe('reconciliation with an insurer\'s statements', () => {
  let mock: MockInsurer;
  let gw: TestGateway;
  const claim: Record<string, ClaimViewJson> = {};
  let from = '';
  let to = '';

  beforeAll(async () => {
    mock = await MockInsurer.start();
    gw = await startInsurerGateway(mock);
    await enrolWeihai(gw.url, P);
    const stays: Array<[string, string, string]> = [['A', P[0]!, WEIHAI_HOSPITAL], ['B', P[1]!, WEIHAI_HOSPITAL], ['C', P[2]!, WEIHAI_HOSPITAL], ['D', P[3]!, WEIHAI_HOSPITAL], ['E', P[0]!, WEIHAI_HOSPITAL], ['F', P[1]!, WEIHAI_HOSPITAL], ['G', P[2]!, WEIHAI_HOSPITAL_2], ['H', P[4]!, WEIHAI_HOSPITAL]];
    const gatewayIds: Record<string, string> = {};
    for (const [name, personId, hospitalId] of stays) gatewayIds[name] = (await settleWeihai(gw.url, { settlementId: `R-${name}`, personId, hospitalId })).gatewayId;
    await reverse(gw.url, WEIHAI_HOSPITAL, 'R-D');
    await reverse(gw.url, WEIHAI_HOSPITAL, 'R-F');
    await waitFor('every claim and reversal delivered', async () => {
      for (const [name, id] of Object.entries(gatewayIds)) {
        const views = await claimsOf(gw.url, WEIHAI, id);
        if (views.length !== (name === 'D' || name === 'F' ? 2 : 1) || views.some((v) => v.state !== 'delivered')) return false;
        claim[name] = views.find((v) => v.kind === 'claim')!;
      }
      return true;
    });
    // The insurer rejects H (its callback): a rejected claim owes nothing.
    const rejected = await call(gw.url, `/v1/claims/${WEIHAI}/${claim.H!.claimId}/status`, { body: { status: 'rejected', reason: '不属于保险责任' }, token: INSURER_TOKEN });
    expect(rejected.status, rejected.text).toBe(200);
    const days = Object.values(claim).map((c) => c.settledOn).sort();
    from = days[0]!;
    to = days[days.length - 1]!;
  });
  afterAll(async () => { await gw?.stop(); await mock?.stop(); });

  const line = (name: string, amount?: string, paymentRef?: string) => ({
    claimId: claim[name]!.claimId, hospitalId: claim[name]!.hospitalId, settledOn: claim[name]!.settledOn, amount: amount ?? claim[name]!.amount, paidOn: to, ...(paymentRef ? { paymentRef } : {}),
  });
  const s1 = () => ({
    statementNo: 'CL-WH-001', from, to,
    lines: [line('A'), line('B', '3999.99'), line('C'), line('D'), line('G'), { claimId: 'clm_stl_NOTOURS_weihai-2020-medical', hospitalId: WEIHAI_HOSPITAL, settledOn: from, amount: '123.45', paidOn: to }, line('H')],
  });
  const report = async (query = '') => {
    const res = await call(gw.url, `/v1/reconciliation/${WEIHAI}?from=${from}&to=${to}${query}`, { token: TOKENS.auditor });
    expect(res.status, res.text).toBe(200);
    return res.json as Report;
  };

  it('stores a statement once: the same one again changes nothing, another content under its number is a conflict', async () => {
    expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements`, { body: s1(), token: TOKENS.deskA })).status).toBe(403);
    const first = await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements`, { body: s1(), token: TOKENS.auditor });
    expect(first.status, first.text).toBe(201);
    // H's line is not marked paid: paid after rejected contradicts the insurer's own decision (left to the report).
    expect(first.json).toMatchObject({ statementNo: 'CL-WH-001', lines: 7, knownClaims: 6, unknownClaims: 1, markedPaid: 5, notMarked: 1 });
    const before = await report();
    const again = await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements`, { body: s1(), token: TOKENS.admin });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replay')).toBe('true');
    expect(await report()).toEqual(before);
    const listedBefore = await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements?from=${from}&to=${to}`, { token: TOKENS.auditor });
    const altered = { ...s1(), lines: [line('A', '1.00'), ...s1().lines.slice(1)] };
    const refused = await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements`, { body: altered, token: TOKENS.auditor });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ detail: expect.stringContaining('CL-WH-001') });
    // The stored statement and its payments stand as they were: the report, the list, the claim's payment.
    expect(await report()).toEqual(before);
    expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements?from=${from}&to=${to}`, { token: TOKENS.auditor })).json).toEqual(listedBefore.json);
    const bad = await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements`, { body: { ...s1(), lines: [{ ...line('A'), amount: '-1.00' }] }, token: TOKENS.auditor });
    expect(bad.status).toBe(400);
    expect((await claimsOf(gw.url, WEIHAI, claim.A!.gatewayId))[0]).toMatchObject({ state: 'paid', paidAmount: claim.A!.amount });
  });

  it('takes a second statement as GBK CSV, and reports every kind of difference with totals that add up', async () => {
    const csv = `claimId,hospitalId,settledOn,amount,paidOn,paymentRef\r\n${claim.C!.claimId},${claim.C!.hospitalId},${claim.C!.settledOn},${claim.C!.amount},${to},工行转账001\r\n`;
    const upload = await fetch(`${gw.url}/v1/reconciliation/${WEIHAI}/statements?statementNo=CL-WH-002&from=${from}&to=${to}&charset=gbk`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKENS.auditor}`, 'content-type': 'text/csv' }, body: new Uint8Array(iconv.encode(csv, 'gbk')),
    });
    expect(upload.status, await upload.clone().text()).toBe(201);

    const r = await report();
    const outcomeOf = (name: string) => r.rows.find((row) => row.claimId === claim[name]!.claimId)?.outcome;
    expect({ A: outcomeOf('A'), B: outcomeOf('B'), C: outcomeOf('C'), D: outcomeOf('D'), E: outcomeOf('E'), F: outcomeOf('F'), G: outcomeOf('G'), H: outcomeOf('H') }).toEqual({
      A: 'matched', B: 'amountMismatch', C: 'paidTwice', D: 'reversedButPaid', E: 'missingAtInsurer', F: 'matched', G: 'matched', H: 'rejectedButPaid',
    });
    expect(r.rows.find((row) => row.claimId === 'clm_stl_NOTOURS_weihai-2020-medical')?.outcome).toBe('unknownToGateway');
    expect(r.rows.find((row) => row.claimId === claim.C!.claimId)!.payments.map((p) => p.paymentRef)).toContain('工行转账001');
    expect(r.statements).toEqual(['CL-WH-001', 'CL-WH-002']);
    const uploaded = await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements?from=${from}&to=${to}`, { token: TOKENS.auditor });
    expect((uploaded.json as { statements: Array<{ statementNo: string; lines: number; uploadedBy: string }> }).statements.map((x) => [x.statementNo, x.lines, x.uploadedBy])).toEqual([['CL-WH-001', 7, 'auditor'], ['CL-WH-002', 1, 'auditor']]);
    for (const o of OUTCOMES) expect(r.totals[o]!.count, o).toBeGreaterThan(0);

    // Totals add up: over the outcomes to "all", and "all" to the gateway's claims and the statements' lines.
    const sum = (k: 'gatewayAmount' | 'insurerAmount' | 'expectedAmount') => OUTCOMES.reduce((s, o) => s + fen(r.totals[o]![k]), 0);
    expect(sum('gatewayAmount')).toBe(fen(r.totals.all!.gatewayAmount));
    expect(sum('insurerAmount')).toBe(fen(r.totals.all!.insurerAmount));
    expect(OUTCOMES.reduce((s, o) => s + r.totals[o]!.count, 0)).toBe(r.totals.all!.count);
    const listed = await call(gw.url, `/v1/claims/${WEIHAI}?from=${from}&to=${to}`, { token: TOKENS.auditor });
    const filed = (listed.json as { claims: ClaimViewJson[] }).claims.filter((c) => c.kind === 'claim');
    expect(filed).toHaveLength(8);
    expect(fen(r.totals.all!.gatewayAmount)).toBe(filed.reduce((s, c) => s + fen(c.amount), 0));
    const s1Total = s1().lines.reduce((s, l) => s + fen(l.amount), 0);
    expect(fen(r.totals.all!.insurerAmount)).toBe(s1Total + fen(claim.C!.amount));
    expect(fen(r.totals.paidTwice!.difference)).toBe(fen(claim.C!.amount));
    expect(fen(r.totals.amountMismatch!.difference)).toBe(-1);
    expect(fen(r.totals.missingAtInsurer!.difference)).toBe(-fen(claim.E!.amount));
    // Paid what is not owed is a difference, never 一致: matched carries no money paid beyond what is owed.
    expect(fen(r.totals.rejectedButPaid!.difference)).toBe(fen(claim.H!.amount));
    expect(fen(r.totals.matched!.difference)).toBe(0);

    // The gateway's own side is complete: every claim the ledger's settlements owe, and every reversal, was taken in.
    expect(r.completeness).toEqual({ ledgerClaims: 8, ledgerAmount: r.totals.all!.gatewayAmount, ledgerReversals: 2, takenClaims: 8, takenReversals: 2, notYetTaken: [] });

    // A hospital's desk reconciles its own hospital only; the insurer its own code.
    expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}?from=${from}&to=${to}`, { token: TOKENS.deskA })).status).toBe(403);
    expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}?from=${from}&to=${to}&hospitalId=${WEIHAI_HOSPITAL}`, { token: TOKENS.deskA })).status).toBe(403);
    expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}?from=${from}&to=${to}`, { token: INSURER_TOKEN })).status).toBe(200);
    const own = await call(gw.url, `/v1/reconciliation/${WEIHAI}?from=${from}&to=${to}&hospitalId=${WEIHAI_HOSPITAL}`, { token: DESK_WEIHAI_TOKEN });
    expect(own.status).toBe(200);
    expect(new Set((own.json as Report).rows.map((row) => row.claimId))).not.toContain(claim.G!.claimId);
    expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}?from=${from}&to=${to}&hospitalId=${WEIHAI_HOSPITAL_2}`, { token: DESK_WEIHAI_TOKEN })).status).toBe(403);

    // One hospital only.
    const h2 = await report(`&hospitalId=${WEIHAI_HOSPITAL_2}`);
    expect(h2.rows.map((row) => [row.claimId, row.outcome])).toEqual([[claim.G!.claimId, 'matched']]);
  });

  it('takes the dates of a CSV statement as Excel writes them, and refuses a day that does not exist naming its row and column', async () => {
    // Excel's 2026/3/5 9:05 for 2026-03-05: the second statement's own content, so a replay of it.
    const excel = (day: string, time = '') => `${day.slice(0, 4)}/${Number(day.slice(5, 7))}/${Number(day.slice(8, 10))}${time}`;
    const upload = (csv: string) => fetch(`${gw.url}/v1/reconciliation/${WEIHAI}/statements?statementNo=CL-WH-002&from=${from}&to=${to}`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKENS.auditor}`, 'content-type': 'text/csv' }, body: csv,
    });
    const header = 'claimId,hospitalId,settledOn,amount,paidOn,paymentRef\r\n';
    const again = await upload(`${header}${claim.C!.claimId},${claim.C!.hospitalId},${excel(claim.C!.settledOn, ' 9:05')},${claim.C!.amount},${excel(to)},工行转账001\r\n`);
    expect(again.status, await again.clone().text()).toBe(200);
    expect(again.headers.get('idempotent-replay')).toBe('true');
    const impossible = await upload(`${header}${claim.C!.claimId},${claim.C!.hospitalId},${claim.C!.settledOn.slice(0, 4)}/2/30,${claim.C!.amount},${excel(to)},工行转账001\r\n`);
    expect(impossible.status).toBe(400);
    const problem = await impossible.json() as { code: string; errors: Array<{ path: string; message: string }> };
    expect(problem.errors).toEqual([{ path: 'lines.0.settledOn', message: expect.stringMatching(/^第 2 行 settledOn 列：“\d{4}\/2\/30”不是存在的日期：\d{4} 年 2 月只有 2[89] 天$/) }]);
    expect(problem.code).toBe('INVALID_REQUEST');
  });

  it('answers the report as CSV for Excel: UTF-8 with BOM, or GBK on request', async () => {
    const utf8 = await fetch(`${gw.url}/v1/reconciliation/${WEIHAI}?from=${from}&to=${to}&format=csv`, { headers: { authorization: `Bearer ${TOKENS.auditor}` } });
    expect(utf8.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await utf8.arrayBuffer());
    expect(bytes.subarray(0, 3)).toEqual(BOM);
    const text = bytes.subarray(3).toString('utf8');
    for (const label of ['一致', '保险公司未支付', '网关无此理赔', '金额不符', '已撤销仍支付', '已拒付仍支付', '重复支付', '总计']) expect(text).toContain(label);
    const gbk = await fetch(`${gw.url}/v1/reconciliation/${WEIHAI}?from=${from}&to=${to}&format=csv&charset=gbk`, { headers: { authorization: `Bearer ${TOKENS.auditor}` } });
    expect(gbk.headers.get('content-type')).toBe('text/csv; charset=gbk');
    expect(iconv.decode(Buffer.from(await gbk.arrayBuffer()), 'gbk')).toBe(text);
  });

  it('hands in daily batches per hospital: claims, reversals and totals of the day, as JSON and CSV', async () => {
    const day = claim.A!.batchDay;
    const res = await call(gw.url, `/v1/claims/${WEIHAI}/batches?date=${day}`, { token: TOKENS.auditor });
    expect(res.status, res.text).toBe(200);
    const { batches } = res.json as { batches: Array<{ batchNo: string; hospitalId: string; claimCount: number; claimTotal: string; reversalCount: number; reversalTotal: string; total: string; currency: string; status: string; claims: Array<{ kind: string; amount: string; claimId: string }> }> };
    const all = (await call(gw.url, `/v1/claims/${WEIHAI}?from=${from}&to=${to}`, { token: TOKENS.auditor })).json as { claims: ClaimViewJson[] };
    for (const b of batches) {
      const mine = all.claims.filter((c) => c.batchDay === day && c.hospitalId === b.hospitalId);
      expect(b.batchNo).toBe(`${WEIHAI}-${b.hospitalId}-${day.replaceAll('-', '')}`);
      expect(b.currency).toBe('CNY');
      expect(b.claims.map((c) => c.claimId).sort()).toEqual(mine.map((c) => c.claimId).sort());
      expect(b.claimCount).toBe(mine.filter((c) => c.kind === 'claim').length);
      expect(fen(b.claimTotal)).toBe(b.claims.filter((c) => c.kind === 'claim').reduce((s, c) => s + fen(c.amount), 0));
      expect(fen(b.reversalTotal)).toBe(b.claims.filter((c) => c.kind === 'reversal').reduce((s, c) => s + fen(c.amount), 0));
      expect(fen(b.total)).toBe(fen(b.claimTotal) - fen(b.reversalTotal));
    }
    expect(batches.reduce((s, b) => s + b.claims.length, 0)).toBe(all.claims.filter((c) => c.batchDay === day).length);
    // A desk sees its own hospital's batch only, and must name it.
    expect((await call(gw.url, `/v1/claims/${WEIHAI}/batches?date=${day}`, { token: TOKENS.deskA })).status).toBe(403);
    const csv = await fetch(`${gw.url}/v1/claims/${WEIHAI}/batches?date=${day}&format=csv`, { headers: { authorization: `Bearer ${TOKENS.auditor}` } });
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect(bytes.subarray(0, 3)).toEqual(BOM);
    expect(bytes.subarray(3).toString('utf8')).toContain('批次号');
    const gbk = await fetch(`${gw.url}/v1/claims/${WEIHAI}/batches?date=${day}&format=csv&charset=gbk`, { headers: { authorization: `Bearer ${TOKENS.auditor}` } });
    expect(iconv.decode(Buffer.from(await gbk.arrayBuffer()), 'gbk')).toBe(bytes.subarray(3).toString('utf8'));
  });
});

describe('reconciliation when claims have not reached the adapter', () => {
  it('lists the ledger\'s claims not taken in, rather than leaving them out of the report', async () => {
    const mock = await MockInsurer.start();
    const gw = await startInsurerGateway(mock, { INSURER_DELIVERY_ENABLED: 'false' });
    try {
      await enrolWeihai(gw.url, [P[0]!]);
      const s = await settleWeihai(gw.url, { settlementId: 'NT-1', personId: P[0]! });
      const day = s.settledAt.slice(0, 10);
      const res = await call(gw.url, `/v1/reconciliation/${WEIHAI}?from=${day}&to=${day}`, { token: TOKENS.auditor });
      expect((res.json as Report).completeness).toMatchObject({ ledgerClaims: 1, takenClaims: 0, notYetTaken: [{ kind: 'claim', claimId: `clm_${s.gatewayId}_weihai-2020-medical` }] });
      expect(mock.received).toHaveLength(0);
    } finally {
      await gw.stop();
      await mock.stop();
    }
  });

  it('holds a claim reversed in the ledger as reversed, and lists its reversal as not taken, while the reversal waits on Kafka', async () => {
    // The ledger's status is the truth about reversals. A reversal still waiting on Kafka (the insurer is
    // down: the consumer holds the partition) must neither leave the paid claim 一致 nor be missing from
    // the completeness proof: a month end that looks clean would be wrong.
    const mock = await MockInsurer.start();
    const gw = await startInsurerGateway(mock);
    try {
      await enrolWeihai(gw.url, [P[0]!, P[1]!]);
      const s1 = await settleWeihai(gw.url, { settlementId: 'RV-1', personId: P[0]!, hospitalId: WEIHAI_HOSPITAL });
      const [claim] = await waitFor('the claim delivered', async () => { const v = await claimsOf(gw.url, WEIHAI, s1.gatewayId); return v.length === 1 && v[0]!.state === 'delivered' ? v : false; });
      // The insurer goes down (503): the next claim (another hospital's) holds the partition, retried.
      mock.set(WEIHAI, { unavailable: true });
      await settleWeihai(gw.url, { settlementId: 'RV-2', personId: P[1]!, hospitalId: WEIHAI_HOSPITAL_2 });
      // The hospital reverses RV-1 in the ledger (committed; the reversal claim waits on Kafka).
      await reverse(gw.url, WEIHAI_HOSPITAL, 'RV-1');
      expect(((await call(gw.url, `/v1/settlements/${WEIHAI_HOSPITAL}/RV-1`, { token: TOKENS.admin })).json as { status: string }).status).toBe('reversed');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await claimsOf(gw.url, WEIHAI, s1.gatewayId)).map((c) => c.kind)).toEqual(['claim']);

      // The insurer's statement says it paid RV-1's claim in full.
      const day = claim!.settledOn;
      const statement = { statementNo: 'CL-WH-RV', from: day, to: day, lines: [{ claimId: claim!.claimId, hospitalId: WEIHAI_HOSPITAL, settledOn: day, amount: claim!.amount, paidOn: day }] };
      expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements`, { body: statement, token: TOKENS.auditor })).status).toBe(201);

      // The hospital's month-end report.
      const monthEnd = async () => {
        const res = await call(gw.url, `/v1/reconciliation/${WEIHAI}?from=${day}&to=${day}&hospitalId=${WEIHAI_HOSPITAL}`, { token: TOKENS.auditor });
        expect(res.status, res.text).toBe(200);
        return res.json as Report;
      };
      const report = await monthEnd();
      const row = report.rows.find((r) => r.claimId === claim!.claimId)!;
      expect(row).toMatchObject({ outcome: 'reversedButPaid', reversed: true, expectedAmount: '0.00', insurerAmount: claim!.amount });
      expect(report.completeness).toMatchObject({ ledgerClaims: 1, ledgerReversals: 1, takenClaims: 1, takenReversals: 0, notYetTaken: [{ kind: 'reversal', claimId: `rev_${s1.gatewayId}_weihai-2020-medical` }] });
      const cleanClose = report.rows.every((r) => r.outcome === 'matched') && report.completeness.notYetTaken.length === 0;
      expect(cleanClose, `row ${row.outcome}, reversed ${row.reversed}, notYetTaken ${report.completeness.notYetTaken.length}: a reversed settlement paid by the insurer closes clean`).toBe(false);

      // The insurer is back: the reversal is taken in; the report says the same of the claim, and nothing is missing.
      mock.set(WEIHAI, { unavailable: false });
      await waitFor('the reversal taken in', async () => (await claimsOf(gw.url, WEIHAI, s1.gatewayId)).length === 2);
      const after = await monthEnd();
      expect(after.rows.find((r) => r.claimId === claim!.claimId)).toMatchObject({ outcome: 'reversedButPaid', reversed: true });
      expect(after.completeness).toMatchObject({ ledgerReversals: 1, takenReversals: 1, notYetTaken: [] });
    } finally {
      await gw.stop();
      await mock.stop();
    }
  }, 30_000);
});

describe('classification', () => {
  const filedClaim = (o: Partial<FiledClaim>): FiledClaim => ({ claimId: 'clm_X', gatewayId: 'stl_X', settlementId: 'S1', hospitalId: 'H1', programme: 'p', settledOn: '2026-03-10', amountFen: 400_000, state: 'delivered', reversed: false, ...o });
  const paidLine = (o: Partial<PaidLine>): PaidLine => ({ claimId: 'clm_X', statementNo: 'ST1', lineNo: 1, hospitalId: 'H1', settledOn: '2026-03-10', amountFen: 400_000, paidOn: '2026-04-05', ...o });

  it('reports a rejected claim that the insurer paid anyway as a difference, never "matched"', () => {
    // A rejected claim owes 0; a payment of the amount filed is money paid that is not owed (+4000.00),
    // and "paid after rejected" is a contradiction claim-states.ts leaves to reconciliation.
    const { rows, totals } = classify([filedClaim({ state: 'rejected' })], [paidLine({})]);
    expect(rows[0]).toMatchObject({ outcome: 'rejectedButPaid', expectedFen: 0, insurerFen: 400_000 });
    expect(rows[0]!.insurerFen - rows[0]!.expectedFen).toBe(400_000);
    // Whatever "matched" holds, it never carries money paid that was not owed.
    expect(totals.matched.insurerFen - totals.matched.expectedFen).toBe(0);
    expect(totals.rejectedButPaid).toEqual({ count: 1, gatewayFen: 400_000, expectedFen: 0, insurerFen: 400_000 });
  });

  it('keeps a rejected claim nothing was paid for "matched", and a paid claim of another amount a mismatch', () => {
    expect(classify([filedClaim({ state: 'rejected' })], []).rows[0]!.outcome).toBe('matched');
    expect(classify([filedClaim({ state: 'paid' })], [paidLine({ amountFen: 399_900 })]).rows[0]!.outcome).toBe('amountMismatch');
    expect(classify([filedClaim({ state: 'rejected', reversed: true })], [paidLine({})]).rows[0]!.outcome).toBe('reversedButPaid');
  });
});

describe('classification (property)', () => {
  const claimIds = fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5', 'x1', 'x2');
  // Amounts drawn often from a few values, so that payments equal to the amount filed (or to nothing) are common.
  const amountFen = fc.oneof(fc.constantFrom(0, 1, 400_000), fc.integer({ min: 0, max: 10_000_000 }));
  const filedArb = fc.uniqueArray(fc.record({
    claimId: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5'), amountFen,
    state: fc.constantFrom('pending' as const, 'delivered' as const, 'accepted' as const, 'rejected' as const, 'paid' as const), reversed: fc.boolean(),
  }), { selector: (c) => c.claimId }).map((cs) => cs.map((c): FiledClaim => ({ ...c, gatewayId: `stl_${c.claimId}`, settlementId: c.claimId, hospitalId: 'H1', programme: 'p', settledOn: '2024-03-10' })));
  const paidArb = fc.array(fc.record({ claimId: claimIds, amountFen }), { maxLength: 12 })
    .map((ps) => ps.map((p, i): PaidLine => ({ ...p, statementNo: 'S', lineNo: i + 1, hospitalId: 'H1', settledOn: '2024-03-10', paidOn: '2024-04-01' })));

  it('puts every claim in exactly one row and every payment in exactly one row; totals add up', () => {
    fc.assert(fc.property(filedArb, paidArb, (filed, paid) => {
      const { rows, totals } = classify(filed, paid);
      expect(rows.filter((r) => r.outcome !== 'unknownToGateway').map((r) => r.claimId).sort()).toEqual(filed.map((c) => c.claimId).sort());
      expect(rows.flatMap((r) => r.payments)).toHaveLength(paid.length);
      expect(totals.all.gatewayFen).toBe(filed.reduce((s, c) => s + c.amountFen, 0));
      expect(totals.all.insurerFen).toBe(paid.reduce((s, p) => s + p.amountFen, 0));
      expect(OUTCOMES.reduce((s, o) => s + totals[o].count, 0)).toBe(rows.length);
      for (const r of rows) {
        if (r.outcome === 'paidTwice') expect(r.payments.length).toBeGreaterThanOrEqual(2);
        if (r.outcome === 'missingAtInsurer') expect(r.payments).toHaveLength(0);
        if (r.outcome === 'reversedButPaid') expect(r.reversed && r.insurerFen > 0).toBe(true);
        if (r.outcome === 'rejectedButPaid') expect(!r.reversed && r.claimState === 'rejected' && r.insurerFen > 0).toBe(true);
        // Matched means paid what is owed: nothing paid that is not owed, whatever the amount filed.
        if (r.outcome === 'matched') expect(r.insurerFen).toBe(r.expectedFen);
        if (r.outcome === 'unknownToGateway') expect(filed.some((c) => c.claimId === r.claimId)).toBe(false);
      }
    }), { numRuns: 500 });
  });
});
