/** 对账 over sockets: 3201 平 / 不平 with what differs; 3202 detail and comparison (JSON, CSV), reversals counted as the platform counts them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { startRedis, startRedisCluster, type TestRedis, type TestRedisCluster } from '../../support/redis.js';
import { compareDetail, compareTotals, hospitalRows } from '../../../adapters/nhsa/reconcile.js';
import { nhsa, type Answer } from './support.js';

type Row = Record<string, string>;
const fen = (text: string) => { const neg = text.startsWith('-'); const [w, f = ''] = text.replace('-', '').split('.'); const v = Number(w) * 100 + Number((f + '00').slice(0, 2)); return neg ? -v : v; };
const yuan = (f: number) => `${f < 0 ? '-' : ''}${Math.floor(Math.abs(f) / 100)}.${String(Math.abs(f) % 100).padStart(2, '0')}`;
const day = (offsetDays: number) => new Date(Date.now() + 8 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);
const PERIOD = { stmt_begndate: day(-1), stmt_enddate: day(1) };

async function settleStay(url: string, n: number, amount: string): Promise<Row> {
  const psn = `9900000000000000${String(n).padStart(4, '0')}`;
  const admitted = await nhsa(url, '2401', {
    mdtrtinfo: { psn_no: psn, insutype: '390', begntime: '2024-03-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: `99010019800101${String(n).padStart(4, '0')}`, med_type: '21', ipt_no: `ZY${n}`, dscg_maindiag_code: 'J18.900' },
    diseinfo: [], ext: { psn_name: '王五', hosp_lv: 2 },
  });
  const mdtrtId = (admitted.answer.output.result as Row).mdtrt_id!;
  await nhsa(url, '2301', { feedetail: [{ feedetl_sn: 'F1', mdtrt_id: mdtrtId, psn_no: psn, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: 'X1', medins_list_codg: 'Y1', det_item_fee_sumamt: amount, cnt: 1, pric: amount, chrgitm_lv: '01' }] });
  await nhsa(url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: psn, endtime: '2024-03-09 10:00:00', dscg_way: '1' } });
  const settled = await nhsa(url, '2304', { data: { psn_no: psn, mdtrt_cert_type: '02', medfee_sumamt: amount, psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' } });
  expect(settled.answer.infcode).toBe('0');
  return settled.answer.output.setlinfo as Row;
}

const stmt = (a: Answer) => a.output.stmtinfo as Row;

function describeReconciliation(name: string, env: () => Record<string, string>) {
  describe(`对账 (${name})`, () => {
    let gw: TestGateway;
    let settled: Row[];
    let reversedRow: Row;
    beforeAll(async () => {
      gw = await startTestGateway(env());
      settled = [await settleStay(gw.url, 1, '1000.00'), await settleStay(gw.url, 2, '2500.50'), await settleStay(gw.url, 3, '800.00')];
      const third = settled[2]!;
      const reversal = await nhsa(gw.url, '2305', { data: { mdtrt_id: third.mdtrt_id, setl_id: third.setl_id, psn_no: third.psn_no } });
      reversedRow = reversal.answer.output.setlinfo as Row;
    });
    afterAll(async () => { await gw.stop(); });

    /** The hospital's own records: each settlement (flag 0) and the reversal (flag 1, negative). */
    const hospitalDetail = () => [
      ...settled.map((s) => ({ psn_no: s.psn_no, mdtrt_id: s.mdtrt_id, setl_id: s.setl_id, msgid: s.medins_setl_id, refd_setl_flag: '0', medfee_sumamt: s.medfee_sumamt, fund_pay_sumamt: s.fund_pay_sumamt, acct_pay: s.acct_pay })),
      { psn_no: reversedRow.psn_no, mdtrt_id: reversedRow.mdtrt_id, setl_id: reversedRow.setl_id, msgid: '', refd_setl_flag: '1', medfee_sumamt: reversedRow.medfee_sumamt, fund_pay_sumamt: reversedRow.fund_pay_sumamt, acct_pay: reversedRow.acct_pay },
    ];
    const totals = (rows: ReturnType<typeof hospitalDetail>) => ({
      medfee_sumamt: yuan(rows.reduce((s, r) => s + fen(r.medfee_sumamt!), 0)),
      fund_pay_sumamt: yuan(rows.reduce((s, r) => s + fen(r.fund_pay_sumamt!), 0)),
      acct_pay: yuan(rows.reduce((s, r) => s + fen(r.acct_pay!), 0)),
      fixmedins_setl_cnt: rows.length,
    });

    it('3201 answers 平 when the hospital\'s totals match (a reversal counts as its own negative record)', async () => {
      const rows = hospitalDetail();
      expect(totals(rows).medfee_sumamt).toBe('3500.50');
      const answer = await nhsa(gw.url, '3201', { data: { insutype: '390', clr_type: '21', setl_optins: '990100', ...PERIOD, ...totals(rows) } });
      expect(answer.answer.infcode).toBe('0');
      expect(stmt(answer.answer)).toMatchObject({ setl_optins: '990100', stmt_rslt: '0' });
      expect(stmt(answer.answer).stmt_rslt_dscr).toContain('对账平：4 笔');
    });

    it('3201 answers 不平 saying what differs when one settlement is left out', async () => {
      const rows = hospitalDetail().filter((r) => r.setl_id !== settled[1]!.setl_id);
      const answer = await nhsa(gw.url, '3201', { data: { insutype: '390', ...PERIOD, ...totals(rows) } });
      expect(stmt(answer.answer).stmt_rslt).toBe('1');
      const dscr = stmt(answer.answer).stmt_rslt_dscr!;
      expect(dscr).toContain('结算笔数不符：医院 3 笔，中心 4 笔');
      expect(dscr).toContain('医疗费总额（medfee_sumamt）不符：医院 1000.00，中心 3500.50，差额 -2500.50');
      expect(dscr).toContain('基金支付总额（fund_pay_sumamt）不符');
      expect(dscr).not.toContain('个人账户支出');
      // Another insutype has nothing in the period.
      const employee = await nhsa(gw.url, '3201', { data: { insutype: '310', ...PERIOD, medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, fixmedins_setl_cnt: 0 } });
      expect(stmt(employee.answer).stmt_rslt).toBe('0');
    });

    it('3202 lists the gateway\'s rows and compares a detail file: matched, missing either side, amount mismatches', async () => {
      const plain = await nhsa(gw.url, '3202', { data: { ...PERIOD } });
      const detail = plain.answer.output.detail as Row[];
      expect(detail.map((d) => [d.setl_id, d.refd_setl_flag]).sort()).toEqual(hospitalDetail().map((r) => [r.setl_id, r.refd_setl_flag]).sort());
      expect(detail.find((d) => d.refd_setl_flag === '1')?.medfee_sumamt).toBe('-800.00');

      const rows = hospitalDetail();
      const file = [
        rows[0]!,                                                        // matched
        { ...rows[1]!, fund_pay_sumamt: yuan(fen(rows[1]!.fund_pay_sumamt!) + 1) }, // amount mismatch by one fen
        rows[3]!,                                                        // the reversal, matched
        { ...rows[0]!, setl_id: 'stl_NOTINGATEWAY', medfee_sumamt: '12.00' }, // missing in the gateway
      ];                                                                  // rows[2] (settlement 3) missing in the hospital's file
      const compared = await nhsa(gw.url, '3202', { data: { ...PERIOD }, detail: file });
      const c = compared.answer.output.comparison as { matched: string; missing_in_hospital: Row[]; missing_in_gateway: Row[]; mismatches: Row[] };
      expect(c.matched).toBe('2');
      expect(c.missing_in_hospital.map((r) => r.setl_id)).toEqual([settled[2]!.setl_id]);
      expect(c.missing_in_gateway.map((r) => r.setl_id)).toEqual(['stl_NOTINGATEWAY']);
      expect(c.mismatches).toEqual([{ setl_id: settled[1]!.setl_id, refd_setl_flag: '0', field: 'fund_pay_sumamt', hospital: yuan(fen(rows[1]!.fund_pay_sumamt!) + 1), gateway: rows[1]!.fund_pay_sumamt }]);
      expect(stmt(compared.answer).stmt_rslt).toBe('1');
      const flagged = (compared.answer.output.detail as Row[]).filter((d) => d.stmt_rslt === '1').map((d) => d.setl_id).sort();
      expect(flagged).toEqual([settled[1]!.setl_id, settled[2]!.setl_id].sort());

      // The same file as CSV, through the envelope and through the clerk's endpoint (CSV out).
      const csv = ['setl_id,refd_setl_flag,medfee_sumamt,fund_pay_sumamt,acct_pay,psn_no,mdtrt_id,msgid,stmt_rslt', ...file.map((r) => [r.setl_id, r.refd_setl_flag, r.medfee_sumamt, r.fund_pay_sumamt, r.acct_pay, r.psn_no, r.mdtrt_id, r.msgid, ''].join(','))].join('\n');
      const viaCsv = await nhsa(gw.url, '3202', { data: { ...PERIOD }, detail_csv: csv });
      expect(viaCsv.answer.output.comparison).toEqual(compared.answer.output.comparison);
      const query = `fixmedins_code=${HOSPITAL_A}&begndate=${PERIOD.stmt_begndate}&enddate=${PERIOD.stmt_enddate}`;
      const clerk = await call(gw.url, `/v1/nhsa/statements/compare?${query}&format=csv`, { raw: csv, contentType: 'text/csv', token: TOKENS.deskA });
      expect(clerk.status).toBe(200);
      const lines = clerk.text.trim().split('\r\n');
      expect(lines[0]).toBe('result,setl_id,refd_setl_flag,field,hospital,gateway,psn_no,mdtrt_id');
      expect(lines.filter((l) => l.startsWith('mismatch,'))).toHaveLength(1);
      expect(lines.filter((l) => l.startsWith('missing_in_hospital,'))).toHaveLength(1);
      expect(lines.filter((l) => l.startsWith('missing_in_gateway,stl_NOTINGATEWAY'))).toHaveLength(1);
      expect(lines.at(-1)).toBe('matched,2,,,,,,');
      const clerkJson = await call(gw.url, `/v1/nhsa/statements/compare?${query}`, { body: { detail: file }, token: TOKENS.deskA });
      expect(clerkJson.status).toBe(200);
      expect(clerkJson.json).toMatchObject({ matched: 2, mismatches: [{ field: 'fund_pay_sumamt' }], missing_in_gateway: [{ setl_id: 'stl_NOTINGATEWAY' }] });
      const badFile = await call(gw.url, `/v1/nhsa/statements/compare?${query}`, { raw: 'setl_id,medfee_sumamt\nS1,1.00\n', contentType: 'text/csv', token: TOKENS.deskA });
      expect(badFile.status).toBe(400);
      expect((badFile.json as { detail: string }).detail).toBe('csv：明细文件表头缺少列 fund_pay_sumamt');
      const rowsCsv = await call(gw.url, `/v1/nhsa/statements/detail?${query}&format=csv`, { token: TOKENS.deskA });
      expect(rowsCsv.text.split('\r\n')[0]).toBe('psn_no,mdtrt_id,setl_id,msgid,stmt_rslt,refd_setl_flag,medfee_sumamt,fund_pay_sumamt,acct_pay');
      expect(rowsCsv.text.trim().split('\r\n')).toHaveLength(5);
      expect((await call(gw.url, `/v1/nhsa/statements/detail?${query}`, { token: TOKENS.deskB })).status).toBe(403);
    });
  });
}

describe('对账 functions', () => {
  it('describe every difference and read amounts without floats', () => {
    const rows = hospitalRows([{ setl_id: 'S1', medfee_sumamt: '0.30', fund_pay_sumamt: '0.10', acct_pay: '0' }], undefined, 'input.detail');
    expect(rows[0]).toMatchObject({ medfee_sumamt: 30, fund_pay_sumamt: 10, refd_setl_flag: '0' });
    expect(() => hospitalRows([{ setl_id: 'S1', medfee_sumamt: '0.301', fund_pay_sumamt: '0' }], undefined, 'input.detail')).toThrow('input.detail[0].medfee_sumamt：金额格式不正确');
    expect(compareTotals({ count: 1, medfee_sumamt: 30, fund_pay_sumamt: 10, acct_pay: 0 }, { count: 1, medfee_sumamt: 30, fund_pay_sumamt: 10, acct_pay: 5 }).stmt_rslt_dscr).toBe('对账不平：个人账户支出（acct_pay）不符：医院 0.00，中心 0.05，差额 -0.05');
    expect(compareDetail(rows, rows)).toEqual({ matched: 1, missing_in_hospital: [], missing_in_gateway: [], mismatches: [] });
  });
});

describeReconciliation('memory', () => ({}));
let redis: TestRedis;
beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis?.stop(); });
describeReconciliation('redis', () => ({ REDIS_URL: redis.url }));

// The whole national flow on a 3-master Redis Cluster: every collection is one slot, every ledger key carries the person's tag.
let cluster: TestRedisCluster;
beforeAll(async () => { cluster = await startRedisCluster(3); }, 60_000);
afterAll(async () => { await cluster?.stop(); });
describeReconciliation('redis cluster', () => ({ REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',') }));
