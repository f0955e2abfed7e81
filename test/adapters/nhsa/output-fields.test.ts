/**
 * The national output tables of 2301 and 2304, field by field, as far as the gateway knows them: the price limit of an
 * over-limit row, the 收费项目类别 a national code states, catalogue flags passed through; setlinfo's gend/brdy/age from
 * the ID number, act_pay_dedc and pool_prop_selfpay from the basic pack the gateway computed the basic layer with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { nhsa } from './support.js';

type Row = Record<string, string>;
const fen = (text: unknown) => { const s = String(text); const [w, f = ''] = s.split('.'); return Number(w) * 100 + Number((f + '00').slice(0, 2)); };

/** GB 11643's own example number: born 1949-12-31, female. */
const CERT = '11010519491231002X';

let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw.stop(); });

let seq = 0;
async function admit(certno: string, ext: Record<string, unknown>) {
  const psn = `990000000000000${String(++seq).padStart(5, '0')}`;
  const r = await nhsa(gw.url, '2401', { mdtrtinfo: { psn_no: psn, insutype: '390', begntime: '2024-03-01 08:30:00', mdtrt_cert_type: '02', mdtrt_cert_no: certno, med_type: '21', ipt_no: `ZY${psn.slice(-5)}`, dscg_maindiag_code: 'C34.900' }, ext });
  expect(r.answer.err_msg).toBe('');
  return { psn, certno, mdtrtId: (r.answer.output.result as Row).mdtrt_id! };
}
const row = (p: { psn: string; mdtrtId: string }, sn: string, code: string, amount: string, extra: Record<string, unknown> = {}) => ({
  feedetl_sn: sn, mdtrt_id: p.mdtrtId, psn_no: p.psn, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: code, medins_list_codg: `Y${sn}`, det_item_fee_sumamt: amount, cnt: 1, pric: amount, ...extra,
});
async function settle(p: { psn: string; certno: string; mdtrtId: string }, total: string, ext?: Record<string, unknown>) {
  expect((await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: p.mdtrtId, psn_no: p.psn, endtime: '2024-03-10 10:00:00', dscg_way: '1' } })).answer.err_msg).toBe('');
  const r = await nhsa(gw.url, '2304', { data: { psn_no: p.psn, mdtrt_cert_type: '02', mdtrt_cert_no: p.certno, medfee_sumamt: total, psn_setlway: '01', mdtrt_id: p.mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' }, ...(ext ? { ext } : {}) });
  expect(r.answer.err_msg).toBe('');
  return r;
}

describe('2301 output', () => {
  it('states the price limit of an over-limit row, the 收费项目类别 of drugs and materials, and passes catalogue flags through', async () => {
    const p = await admit(CERT, { categories: ['dibao'] });
    const upload = await nhsa(gw.url, '2301', { feedetail: [
      row(p, 'F1', 'XB01AC06A001', '30000.00', { chrgitm_lv: '01' }),
      row(p, 'F2', 'C01020304050607080901', '20000.00', { chrgitm_lv: '02', selfpay_prop: '0.1', bas_medn_flag: '0', lmt_used_flag: '1' }),
      row(p, 'F3', '001101000010000', '600.00', { chrgitm_lv: '01', cnt: '3', pric: '200.00', overlmt_amt: '100.00' }),
      row(p, 'F4', '001102000010000', '90.00', { chrgitm_lv: '01', med_chrgitm_type: '02', pric_uplmt_amt: '95.00' }),
    ] });
    expect(upload.answer.err_msg).toBe('');
    const result = upload.answer.output.result as Row[];
    expect(result.map((r) => [r.feedetl_sn, r.med_chrgitm_type, r.pric_uplmt_amt, r.lmt_used_flag, r.bas_medn_flag])).toEqual([
      ['F1', '09', undefined, undefined, undefined],
      ['F2', '08', undefined, '1', '0'],
      // (600.00 − 100.00) ÷ 3 = 166.666… → 166.67; a service code does not say its category.
      ['F3', undefined, '166.67', undefined, undefined],
      ['F4', '02', '95.00', undefined, undefined],
    ]);
    expect(upload.text).toContain('"pric_uplmt_amt":166.67');
  });
});

describe('2304 setlinfo', () => {
  it('writes gend, brdy and age from the ID number, act_pay_dedc and pool_prop_selfpay from the basic pack, consistent with hifp_pay', async () => {
    const p = await admit(CERT, { categories: ['dibao'] });
    expect((await nhsa(gw.url, '2301', { feedetail: [row(p, 'F1', 'XB01AC06A001', '50000.00', { chrgitm_lv: '01' })] })).answer.err_msg).toBe('');
    const settled = await settle(p, '50000.00');
    const s = settled.answer.output.setlinfo as Row;
    expect(s).toMatchObject({ gend: '2', brdy: '1949-12-31', age: '74' });
    // The demo region's level-3 deductible 1000.00, halved for 低保; the ratio 0.65 raised by 0.05.
    expect(s).toMatchObject({ act_pay_dedc: '500.00', pool_prop_selfpay: '0.7' });
    // (compliant − deductible) × 0.7, half-up, in integer fen.
    expect(fen(s.hifp_pay)).toBe(Math.floor(((fen(s.inscp_scp_amt) - fen(s.act_pay_dedc)) * 7 + 5) / 10));
    expect(settled.text).toContain('"age":74');
    expect(settled.text).toContain('"pool_prop_selfpay":0.7');
  });

  it('states neither when the ID number does not hold or the platform gave the basic layer', async () => {
    const p = await admit('110105194912310029', { categories: ['dibao'] });
    expect((await nhsa(gw.url, '2301', { feedetail: [row(p, 'F1', 'XB01AC06A001', '10000.00', { chrgitm_lv: '01' })] })).answer.err_msg).toBe('');
    const settled = await settle(p, '10000.00', { upstream: { hifp_pay: '6000.00' } });
    const s = settled.answer.output.setlinfo as Row;
    expect(s.gend).toBeUndefined();
    expect(s.age).toBeUndefined();
    expect(s).toMatchObject({ hifp_pay: '6000.00', act_pay_dedc: '0.00', pool_prop_selfpay: '0' });
  });
});

describe('2304 setlinfo, the person record', () => {
  it('passes 民族 and 公务员标志 through from 2401 (the platform\'s 1101 answer), and writes neither when not given', async () => {
    const p = await admit(CERT, { categories: ['dibao'], naty: '01', cvlserv_flag: '1' });
    expect((await nhsa(gw.url, '2301', { feedetail: [row(p, 'F1', 'XB01AC06A001', '100.00', { chrgitm_lv: '01' })] })).answer.err_msg).toBe('');
    const s = (await settle(p, '100.00')).answer.output.setlinfo as Row;
    // No 公务员医疗补助 layer in the gateway: the flag is the platform's word, the fund pays nothing here.
    expect(s).toMatchObject({ naty: '01', cvlserv_flag: '1', cvlserv_pay: '0.00' });
    const q = await admit(CERT, { categories: ['dibao'] });
    expect((await nhsa(gw.url, '2301', { feedetail: [row(q, 'F1', 'XB01AC06A001', '100.00', { chrgitm_lv: '01' })] })).answer.err_msg).toBe('');
    const t = (await settle(q, '100.00')).answer.output.setlinfo as Row;
    expect([t.naty, t.cvlserv_flag]).toEqual([undefined, undefined]);
  });
});

describe('2304 setldetail', () => {
  it('gives each fund its own 符合范围金额: the 政策范围内 amount its layer found unpaid, not the whole compliant amount', async () => {
    // The quick start's 低保 resident and bill (README): 50000.00 compliant; basic 34650.00, 大病 5102.50, waiver 1024.75, aid 6455.93.
    const p = await admit('990100198001011234', { categories: ['dibao'] });
    expect((await nhsa(gw.url, '2301', { feedetail: [row(p, 'F1', 'XB01AC06A001', '50000.00', { chrgitm_lv: '01' })] })).answer.err_msg).toBe('');
    const settled = await settle(p, '50000.00');
    const detail = settled.answer.output.setldetail as Row[];
    expect(detail.map((d) => [d.fund_pay_type, d.inscp_scp_amt, d.fund_payamt])).toEqual([
      ['390100', '50000.00', '34650.00'],
      // 50000.00 − 34650.00 left to 大病保险.
      ['390200', '15350.00', '5102.50'],
      // 50000.00 − 34650.00 − 5102.50 − 1024.75 (the hospital's waiver comes before aid) left to 医疗救助.
      ['610100', '9222.75', '6455.93'],
    ]);
  });
});
