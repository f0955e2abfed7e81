/**
 * A HIS's 医保 module written to the national field tables, unchanged (issue 22): no gateway `ext` node at 2401, optional
 * fields sent as "", dates checked against the calendar, text without control or bidi characters refused at 2301 naming
 * the field. And two readings pinned: 2305 answers the original setl_id; hosp_part_amt stands outside both the fund and
 * the patient totals.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, HOSPITAL_A, HOSPITAL_B, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { nhsa, type Answer } from './support.js';

type Row = Record<string, string>;
const fen = (text: unknown) => { const s = String(text); const neg = s.startsWith('-'); const [w, f = ''] = s.replace('-', '').split('.'); const v = Number(w) * 100 + Number((f + '00').slice(0, 2)); return neg ? -v : v; };
const setl = (a: Answer) => a.output.setlinfo as Row;

let seq = 0;
function person() {
  seq += 1;
  const n = String(seq).padStart(4, '0');
  return { psn_no: `9900000000000022${n}`, certno: `99010019800222${n}` };
}

let gw: TestGateway;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nhsa-hospitals-'));
  const hospitalsFile = join(dir, 'hospitals.json');
  // Hospital A's level and ownership are configured; hospital B is named without a level.
  writeFileSync(hospitalsFile, JSON.stringify([
    { id: HOSPITAL_A, name: '示例市第一人民医院', region: '990100', level: 3, drgPublic: true },
    { id: HOSPITAL_B, name: '示例市第二医院', region: '990100' },
  ]));
  gw = await startTestGateway({ HOSPITALS_FILE: hospitalsFile });
});
afterAll(async () => { await gw.stop(); });

/** 2401's mdtrtinfo as national code sends it: every optional field present, "" where the HIS has no value. */
const mdtrtinfo = (p: { psn_no: string; certno: string }) => ({
  psn_no: p.psn_no, insutype: '390', coner_name: '', tel: '', begntime: '2024-03-01 08:30:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.certno,
  med_type: '21', ipt_no: `ZY${p.psn_no.slice(-6)}`, medrcdno: '', atddr_no: '', chfpdr_name: '', adm_diag_dscr: '', adm_dept_codg: '', adm_dept_name: '',
  adm_bed: '', dscg_maindiag_code: 'C34.900', dscg_maindiag_name: '', main_cond_dscr: '', dise_codg: '', dise_name: '', oprn_oprt_code: '', oprn_oprt_name: '',
  dise_type_code: '',
});
const diseinfo = (p: { psn_no: string }) => [{ psn_no: p.psn_no, diag_type: '1', maindiag_flag: '1', diag_srt_no: '', diag_code: 'C34.900', diag_name: '肺恶性肿瘤', diag_dept: '', dise_dor_no: '', dise_dor_name: '', diag_time: '' }];
/** A 2301 row with the optional fields of the national table as "" (init_feedetl_sn on an ordinary row above all). */
const feeRow = (sn: string, p: { psn_no: string }, mdtrtId: string, amount: string, extra: Record<string, unknown> = {}) => ({
  feedetl_sn: sn, init_feedetl_sn: '', mdtrt_id: mdtrtId, drord_no: '', psn_no: p.psn_no, med_type: '', fee_ocur_time: '2024-03-02 10:00:00',
  med_list_codg: `XM${sn}`, medins_list_codg: `YN${sn}`, det_item_fee_sumamt: amount, cnt: 1, pric: amount, bilg_dept_codg: '', bilg_dept_name: '',
  bilg_dr_codg: '', bilg_dr_name: '', hosp_appr_flag: '', memo: '', chrgitm_lv: '01', selfpay_prop: '', overlmt_amt: '', medins_list_name: '', ...extra,
});
const settleData = (p: { psn_no: string; certno: string }, mdtrtId: string, amount: string) => ({
  psn_no: p.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: p.certno, medfee_sumamt: amount, psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390',
  acct_used_flag: '0', mid_setl_flag: '0', invono: '', fulamt_ownpay_amt: '', overlmt_selfpay: '', preselfpay_amt: '', inscp_scp_amt: '',
});

/** 2401 (with the given ext, or none) → 2301 → 2402 → 2304, national code's way; answers the 2304 answer. */
async function settleStay(p: { psn_no: string; certno: string }, ext: Record<string, unknown> | undefined, amount = '50000.00') {
  const admitted = await nhsa(gw.url, '2401', { mdtrtinfo: mdtrtinfo(p), diseinfo: diseinfo(p), ...(ext ? { ext } : {}) });
  expect(admitted.answer.err_msg).toBe('');
  const mdtrtId = (admitted.answer.output.result as Row).mdtrt_id!;
  const fees = await nhsa(gw.url, '2301', { feedetail: [feeRow('F1', p, mdtrtId, amount)] });
  expect(fees.answer.err_msg).toBe('');
  const out = await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: p.psn_no, insutype: '', endtime: '2024-03-10 10:00:00', dise_codg: '', dise_name: '', dscg_way: '1', dscg_dept_codg: '', dscg_dept_name: '', die_date: '' } });
  expect(out.answer.err_msg).toBe('');
  const settled = await nhsa(gw.url, '2304', { data: settleData(p, mdtrtId, amount) });
  expect(settled.answer.err_msg).toBe('');
  return { mdtrtId, settled };
}

describe('2401 without the gateway ext node', () => {
  it('takes the level and ownership from HOSPITALS_FILE and the categories from the rosters: the same split as with ext', async () => {
    const withExt = person();
    const national = person();
    // The person's 低保 identity as the gateway knows it: a roster row in force on the discharge day.
    const roster = await call(gw.url, '/v1/rosters/weihai-2020-medical', { method: 'PUT', token: TOKENS.admin, body: { rows: [{ personId: national.certno, from: '2024-01-01', to: '2024-12-31', categories: ['dibao'] }] } });
    expect(roster.status).toBe(200);
    const given = await settleStay(withExt, { hosp_lv: 3, drg_public: true, categories: ['dibao'] });
    const found = await settleStay(national, undefined);
    const figures = (a: Answer) => { const { setl_id: _i, mdtrt_id: _m, psn_no: _p, certno: _c, setl_time: _t, medins_setl_id: _s, psn_name: _n, ...rest } = setl(a); return rest; };
    expect(fen(setl(found.settled.answer).maf_pay)).toBeGreaterThan(0);
    expect(figures(found.settled.answer)).toEqual(figures(given.settled.answer));
  });

  it('refuses at admission, naming input.ext.hosp_lv, a hospital whose level is known nowhere', async () => {
    const p = person();
    const admitted = await nhsa(gw.url, '2401', { mdtrtinfo: mdtrtinfo(p), diseinfo: diseinfo(p) }, { hospital: HOSPITAL_B, token: TOKENS.deskB });
    expect(admitted.answer.infcode).toBe('-1');
    expect(admitted.answer.err_msg).toContain('input.ext.hosp_lv：医院等级未知');
    // …and admits it once the HIS says the level.
    const withLevel = await nhsa(gw.url, '2401', { mdtrtinfo: mdtrtinfo(p), diseinfo: diseinfo(p), ext: { hosp_lv: '2' } }, { hospital: HOSPITAL_B, token: TOKENS.deskB });
    expect(withLevel.answer.err_msg).toBe('');
  });
});

describe('optional fields sent as ""', () => {
  it('reads "" as absent everywhere (2401, 2301, 2402, 2304), and a required field sent as "" as missing', async () => {
    const p = person();
    const { settled } = await settleStay(p, { hosp_lv: 3, psn_name: '', psn_type: '', certno: '' });
    expect(setl(settled.answer).medfee_sumamt).toBe('50000.00');
    const missing = await nhsa(gw.url, '2401', { mdtrtinfo: { ...mdtrtinfo(person()), ipt_no: '' }, ext: { hosp_lv: 3 } });
    expect(missing.answer.err_msg).toBe('input.mdtrtinfo.ipt_no：必填项缺失');
  });
});

describe('text with control or bidi characters', () => {
  it.each([
    ['medins_list_name', '阿司匹林\u0001肠溶片'],
    ['med_list_codg', 'XB01\u202EAC06'],
    ['medins_list_codg', 'Y\u0000001'],
  ])('refuses %s at 2301, naming the field, and stores no row', async (field, value) => {
    const p = person();
    const admitted = await nhsa(gw.url, '2401', { mdtrtinfo: mdtrtinfo(p), ext: { hosp_lv: 3 } });
    const mdtrtId = (admitted.answer.output.result as Row).mdtrt_id!;
    const bad = await nhsa(gw.url, '2301', { feedetail: [feeRow('F1', p, mdtrtId, '100.00'), feeRow('F2', p, mdtrtId, '200.00', { [field]: value })] });
    expect(bad.answer.infcode).toBe('-1');
    expect(bad.answer.err_msg).toBe(`input.feedetail[1].${field}：不得含控制字符或不可见的格式字符（如 U+0001、U+202E）`);
    // Nothing of the refused call was kept: the same rows, corrected, are accepted.
    const good = await nhsa(gw.url, '2301', { feedetail: [feeRow('F1', p, mdtrtId, '100.00'), feeRow('F2', p, mdtrtId, '200.00')] });
    expect(good.answer.err_msg).toBe('');
  });

  it('admits line breaks in a memo (free text) but not a bidi override', async () => {
    const p = person();
    const admitted = await nhsa(gw.url, '2401', { mdtrtinfo: mdtrtinfo(p), ext: { hosp_lv: 3 } });
    const mdtrtId = (admitted.answer.output.result as Row).mdtrt_id!;
    expect((await nhsa(gw.url, '2301', { feedetail: [feeRow('F1', p, mdtrtId, '100.00', { memo: '第一行\r\n第二行' })] })).answer.err_msg).toBe('');
    expect((await nhsa(gw.url, '2301', { feedetail: [feeRow('F2', p, mdtrtId, '100.00', { memo: '\u202E反向' })] })).answer.err_msg).toContain('input.feedetail[0].memo：');
  });
});

describe('dates that do not exist', () => {
  const period = (begin: string) => ({ stmt_begndate: begin, stmt_enddate: '2024-12-31' });
  it.each(['2024-13-01', '2024-02-30', '2023-02-29'])('3201 and 3202 refuse stmt_begndate %s naming it', async (begin) => {
    const totals = await nhsa(gw.url, '3201', { data: { ...period(begin), medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, fixmedins_setl_cnt: 0 } });
    expect(totals.answer).toMatchObject({ infcode: '-1', err_msg: `input.data.stmt_begndate：日期 ${begin} 不存在` });
    const detail = await nhsa(gw.url, '3202', { data: period(begin) });
    expect(detail.answer).toMatchObject({ infcode: '-1', err_msg: `input.data.stmt_begndate：日期 ${begin} 不存在` });
  });

  it('GET /v1/nhsa/statements/detail answers 400 naming the bad date, never 500', async () => {
    const r = await call(gw.url, `/v1/nhsa/statements/detail?fixmedins_code=${HOSPITAL_A}&begndate=2024-13-01&enddate=2024-02-30`, { token: TOKENS.deskA });
    expect(r.status).toBe(400);
    const problem = r.json as { errors: Array<{ path: string; message: string }> };
    expect(problem.errors).toEqual([
      { path: 'query.begndate', message: '日期 2024-13-01 不存在' },
      { path: 'query.enddate', message: '日期 2024-02-30 不存在' },
    ]);
  });

  it('2401 refuses an admission time on a day that does not exist', async () => {
    const p = person();
    const admitted = await nhsa(gw.url, '2401', { mdtrtinfo: { ...mdtrtinfo(p), begntime: '2024-02-30 08:00:00' }, ext: { hosp_lv: 3 } });
    expect(admitted.answer.err_msg).toBe('input.mdtrtinfo.begntime：日期 2024-02-30 不存在');
  });
});

describe('readings', () => {
  it('hosp_part_amt (医院负担) is in neither fund_pay_sumamt nor psn_part_amt; 2305 answers the original setl_id', async () => {
    const p = person();
    const { mdtrtId, settled } = await settleStay(p, { hosp_lv: 3, drg_public: true, categories: ['dibao'] });
    const s = setl(settled.answer);
    expect(fen(s.hosp_part_amt)).toBeGreaterThan(0);
    const funds = ['hifp_pay', 'cvlserv_pay', 'hifes_pay', 'hifmi_pay', 'hifob_pay', 'maf_pay', 'oth_pay'].reduce((sum, f) => sum + fen(s[f]), 0);
    expect(fen(s.fund_pay_sumamt)).toBe(funds);
    expect(fen(s.psn_part_amt)).toBe(fen(s.medfee_sumamt) - funds - fen(s.hosp_part_amt));
    const reversed = await nhsa(gw.url, '2305', { data: { mdtrt_id: mdtrtId, setl_id: s.setl_id, psn_no: p.psn_no } });
    expect(setl(reversed.answer).setl_id).toBe(s.setl_id);
  });
});
