/**
 * No CSV formula injection in the 医保 对账 comparison file (gateway/csv-cell.ts, shared by every CSV served).
 *
 * Rule (brief: "a CSV/HTML injection in a served page or file"; the project's own rule in
 * adapters/insurer/csv-out.ts:94 and gateway/operations/csv.ts:5 — a cell starting with = + - @ is
 * prefixed with ' so that Excel does not run it). adapters/nhsa/reconcile.ts:140 (csvField, used by toCsv
 * and comparisonCsv) only quotes; POST /v1/nhsa/statements/compare?format=csv (adapters/nhsa/index.ts:252)
 * echoes the uploaded file's setl_id / psn_no / mdtrt_id (missing_in_gateway rows) into the CSV it serves,
 * so a detail file row `=HYPERLINK(...)` becomes a live formula in the clerk's spreadsheet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';

describe('NHSA comparison CSV neutralises formulas', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway(); });
  afterAll(async () => { await gw?.stop(); });

  it('no served cell starts with = + - @', async () => {
    const detail = 'setl_id,medfee_sumamt,fund_pay_sumamt,psn_no,mdtrt_id\r\n=1+2,1.00,1.00,@SUM(9),+cmd\r\n';
    const res = await call(gw.url, `/v1/nhsa/statements/compare?fixmedins_code=${HOSPITAL_A}&begndate=2024-01-01&enddate=2024-01-31&format=csv`, { raw: detail, contentType: 'text/csv', token: TOKENS.deskA });
    expect(res.status, res.text).toBe(200);
    const cells = res.text.split(/\r\n/).flatMap((line) => line.split(','));
    expect(res.text).toContain('missing_in_gateway');
    expect(cells.filter((c) => /^[=+@]/.test(c) || /^-[^\d]/.test(c))).toEqual([]);
  });
});
