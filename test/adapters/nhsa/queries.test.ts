/** 5201 / 5203 / 5204 (recovery after a HIS crash) and 1101 (人员信息获取) over sockets, from what the gateway knows. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { nhsa, type Answer } from './support.js';

type Row = Record<string, string>;

/** GB 11643's own example number: born 1949-12-31, female (17th digit even), check digit X. */
const CERT = '11010519491231002X';
const PSN = '99000000000000005201';

let gw: TestGateway;
let mdtrtId = '';
beforeAll(async () => {
  gw = await startTestGateway();
  const admitted = await nhsa(gw.url, '2401', {
    mdtrtinfo: { psn_no: PSN, insutype: '390', begntime: '2024-03-01 08:30:00', mdtrt_cert_type: '02', mdtrt_cert_no: CERT, med_type: '21', ipt_no: 'ZY5201', dscg_maindiag_code: 'C34.900' },
    ext: { psn_name: '王芳', categories: ['dibao'] },
  });
  expect(admitted.answer.err_msg).toBe('');
  mdtrtId = (admitted.answer.output.result as Row).mdtrt_id!;
});
afterAll(async () => { await gw.stop(); });

const stayState = async () => {
  const r = await nhsa(gw.url, '5201', { data: { psn_no: PSN } });
  expect(r.answer.err_msg).toBe('');
  const rows = r.answer.output.mdtrtinfo as Array<Row & { ext: { state: string; setl_id: string } }>;
  expect(rows.map((x) => x.mdtrt_id)).toEqual([mdtrtId]);
  return rows[0]!;
};
const settleData = { data: { psn_no: PSN, mdtrt_cert_type: '02', mdtrt_cert_no: CERT, medfee_sumamt: '1200.00', psn_setlway: '01', mdtrt_id: '', insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' } };

describe('recovery after a HIS crash', () => {
  it('5201 follows the stay, 5204 lists its rows with their classes, 5203 answers the settlement as 2304 did, reversed or not', async () => {
    expect((await stayState()).ext.state).toBe('in_hospital');
    const upload = await nhsa(gw.url, '2301', { feedetail: [
      { feedetl_sn: 'F1', mdtrt_id: mdtrtId, psn_no: PSN, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: 'X1', medins_list_codg: 'Y1', medins_list_name: '床位费', det_item_fee_sumamt: '1000.00', cnt: 10, pric: '100.00', chrgitm_lv: '01' },
      { feedetl_sn: 'F2', mdtrt_id: mdtrtId, psn_no: PSN, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: 'X2', medins_list_codg: 'Y2', det_item_fee_sumamt: '200.00', cnt: 1, pric: '200.00', chrgitm_lv: '02', selfpay_prop: '0.1' },
    ] });
    expect(upload.answer.err_msg).toBe('');
    const fees = await nhsa(gw.url, '5204', { data: { psn_no: PSN, mdtrt_id: mdtrtId } });
    expect(fees.answer.err_msg).toBe('');
    const rows = fees.answer.output as unknown as Row[];
    expect(rows.map((r) => [r.feedetl_sn, r.medins_list_name, r.det_item_fee_sumamt, r.preselfpay_amt, r.inscp_scp_amt, r.chrgitm_lv])).toEqual([
      ['F1', '床位费', '1000.00', '0.00', '1000.00', '01'],
      ['F2', '', '200.00', '20.00', '180.00', '02'],
    ]);
    expect(fees.text).toContain('"det_item_fee_sumamt":1000.00');

    expect((await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: PSN, endtime: '2024-03-10 10:00:00', dscg_way: '1' } })).answer.err_msg).toBe('');
    expect((await stayState()).ext.state).toBe('discharged');
    const settled = await nhsa(gw.url, '2304', { data: { ...settleData.data, mdtrt_id: mdtrtId } });
    expect(settled.answer.err_msg).toBe('');
    const setlinfo = settled.answer.output.setlinfo as Row;
    const state = await stayState();
    expect(state.ext).toMatchObject({ state: 'settled', setl_id: setlinfo.setl_id });

    const query = () => nhsa(gw.url, '5203', { data: { psn_no: PSN, setl_id: setlinfo.setl_id, mdtrt_id: mdtrtId } });
    const found = await query();
    expect(found.answer.output.setlinfo).toEqual(setlinfo);
    expect(found.answer.output.setldetail).toEqual(settled.answer.output.setldetail);
    expect(found.answer.output.ext).toMatchObject({ status: 'settled', msgid: settled.msgid });

    const reversal = await nhsa(gw.url, '2305', { data: { mdtrt_id: mdtrtId, setl_id: setlinfo.setl_id, psn_no: PSN } });
    expect((await query()).answer.output.ext).toMatchObject({ status: 'reversed', reversal_msgid: reversal.msgid });
    expect((await stayState()).ext.state).toBe('discharged');
  });

  it('5203 and 5204 refuse a setl_id of another stay, naming it', async () => {
    const r = await nhsa(gw.url, '5203', { data: { psn_no: PSN, setl_id: 'stl_NOPE', mdtrt_id: mdtrtId } });
    expect(r.answer.err_msg).toBe(`input.data.setl_id：结算ID stl_NOPE 不存在或不属于就诊 ${mdtrtId}`);
  });
});

describe('1101 人员信息获取', () => {
  it('answers a person admitted here: psn_no, name, 险种 and 参保地 from the stay; sex, birth date and age from the ID number', async () => {
    const r = await nhsa(gw.url, '1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: CERT, psn_cert_type: '01', begntime: '2024-03-10 09:00:00' } });
    expect(r.answer.err_msg).toBe('');
    expect(r.answer.output.baseinfo).toEqual({ psn_no: PSN, psn_cert_type: '01', certno: CERT, psn_name: '王芳', gend: '2', naty: '', brdy: '1949-12-31', age: '74' });
    expect((r.answer.output.insuinfo as Row[]).map((i) => [i.insutype, i.insuplc_admdvs])).toEqual([['390', '990100']]);
  });

  it('answers a person on a roster only with their identities, and says "not known here" otherwise', async () => {
    const onRoster = '110105194912310029';
    await call(gw.url, '/v1/rosters/weihai-2020-medical', { method: 'PUT', token: TOKENS.admin, body: { rows: [{ personId: onRoster, from: '2024-01-01', to: '2024-12-31', categories: ['dibao', 'tekun'] }] } });
    const listed = await nhsa(gw.url, '1101', { data: { mdtrt_cert_type: '02', certno: onRoster } });
    expect(listed.answer.err_msg).toBe('');
    expect((listed.answer.output.idetinfo as Row[]).map((i) => [i.psn_idet_type, i.memo, i.begntime])).toEqual([['dibao', '低保', '2024-01-01 00:00:00'], ['tekun', '特困供养', '2024-01-01 00:00:00']]);
    // A number whose check digit fails states nothing of its holder.
    expect(listed.answer.output.baseinfo).toMatchObject({ psn_no: '', gend: '', brdy: '', age: '' });

    const unknown: Answer = (await nhsa(gw.url, '1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: '110105195001010011' } })).answer;
    expect(unknown.infcode).toBe('-1');
    expect(unknown.err_msg).toContain('input.data.certno：人员信息在本网关未知');
    const card = await nhsa(gw.url, '1101', { data: { mdtrt_cert_type: '03', mdtrt_cert_no: 'K12345' } });
    expect(card.answer.err_msg).toContain('本网关只能按身份证号查询人员');
  });
});
