/**
 * The 医保 对账 detail file in and out through the one CSV module (gateway/csv.ts): a file Excel saved as GBK is
 * read as GBK, and no CSV formula injection in the comparison file served.
 *
 * Rule (brief: "a CSV/HTML injection in a served page or file"; the project's own rule in
 * adapters/insurer/csv-out.ts:94 and gateway/operations/csv.ts:5 — a cell starting with = + - @ is
 * prefixed with ' so that Excel does not run it). adapters/nhsa/reconcile.ts:140 (csvField, used by toCsv
 * and comparisonCsv) only quotes; POST /v1/nhsa/statements/compare?format=csv (adapters/nhsa/index.ts:252)
 * echoes the uploaded file's setl_id / psn_no / mdtrt_id (missing_in_gateway rows) into the CSV it serves,
 * so a detail file row `=HYPERLINK(...)` becomes a live formula in the clerk's spreadsheet.
 */
import iconv from 'iconv-lite';
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

  it('reads a detail file Excel saved as GBK (no charset said) as GBK, not garbled', async () => {
    const detail = iconv.encode('setl_id,medfee_sumamt,fund_pay_sumamt,psn_no,mdtrt_id\r\nS-GBK-1,1.00,1.00,P1,住院甲号\r\n', 'gbk');
    const res = await fetch(`${gw.url}/v1/nhsa/statements/compare?fixmedins_code=${HOSPITAL_A}&begndate=2024-01-01&enddate=2024-01-31`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKENS.deskA}`, 'content-type': 'text/csv' }, body: new Uint8Array(detail),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const comparison = JSON.parse(text) as { missing_in_gateway: Array<{ setl_id: string; mdtrt_id: string }> };
    expect(comparison.missing_in_gateway).toEqual([expect.objectContaining({ setl_id: 'S-GBK-1', mdtrt_id: '住院甲号' })]);
  });

  it('serves the comparison as Excel opens it: UTF-8 with a BOM, or GBK on request', async () => {
    const detail = 'setl_id,medfee_sumamt,fund_pay_sumamt,psn_no,mdtrt_id\r\nS-2,1.00,1.00,P1,住院乙号\r\n';
    const path = `/v1/nhsa/statements/compare?fixmedins_code=${HOSPITAL_A}&begndate=2024-01-01&enddate=2024-01-31&format=csv`;
    const utf8 = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.deskA}`, 'content-type': 'text/csv' }, body: detail });
    const bytes = Buffer.from(await utf8.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const gbk = await fetch(`${gw.url}${path}&charset=gbk`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.deskA}`, 'content-type': 'text/csv' }, body: detail });
    expect(gbk.headers.get('content-type')).toContain('charset=gbk');
    expect(iconv.decode(Buffer.from(await gbk.arrayBuffer()), 'gbk')).toContain('住院乙号');
  });
});
