/** A stay → the native settlement request: the field mapping table of the README, pinned. */
import { describe, expect, it } from 'vitest';
import { settlementRequest } from '../../../schemas/settlement.js';
import { nativeRequestOf, personIdOf, settlementIdOf } from '../../../adapters/nhsa/native-request.js';
import { byRowExtension } from '../../../adapters/nhsa/catalogue/classify.js';
import { feeRow, input2303 } from '../../../adapters/nhsa/inputs.js';
import { stayDoc, type Stay } from '../../../adapters/nhsa/stays.js';

const stay = (o: Partial<Stay> = {}): Stay => stayDoc.parse({
  v: 1, mdtrt_id: 'M1', fixmedins_code: 'H1', mdtrtarea_admvs: '371002', insuplc_admdvs: '371003',
  mdtrtinfo: { psn_no: 'P1', insutype: '310', begntime: '2020-03-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: '371002195001011234', med_type: '21', ipt_no: 'Z1', dscg_maindiag_code: 'C34.900' },
  diseinfo: [{ maindiag_flag: '0', diag_code: 'J18.900' }, { maindiag_flag: '1', diag_code: 'C34.900' }],
  ext: { hosp_lv: 2, psn_name: '张三', categories: ['dibao'], hukou_region: '140823', disability: { grade: 2, type: 'physical' } },
  dscginfo: { mdtrt_id: 'M1', psn_no: 'P1', endtime: '2020-03-10 09:00:00', dscg_way: '1' },
  settlements: [], admitted_at: '2020-03-01T08:00:00+08:00', ...o,
});
const rows = [byRowExtension(feeRow.parse({ feedetl_sn: 'F1', mdtrt_id: 'M1', psn_no: 'P1', fee_ocur_time: '2020-03-02 10:00:00', med_list_codg: 'X1', medins_list_codg: 'Y1', det_item_fee_sumamt: '100.00', cnt: 1, pric: 100, chrgitm_lv: '02', selfpay_prop: '0.1' })).row];
const input = (o: Record<string, unknown> = {}, ext?: unknown) => input2303.parse({ data: { psn_no: 'P1', mdtrt_cert_type: '02', medfee_sumamt: '100.00', psn_setlway: '01', mdtrt_id: 'M1', insutype: '310', acct_used_flag: '0', mid_setl_flag: '0', ...o }, ...(ext ? { ext } : {}) });

describe('the native request of a stay', () => {
  it('maps every field of the table', () => {
    const { body, rowOfItem } = nativeRequestOf(stay(), rows, input({ acct_used_flag: '1' }, { upstream: { hifp_pay: '50.00', hifob_pay: '5.00', hifmi_pay: '1.00', maf_pay: 2, hosp_part_amt: '0' }, acct_pay: '3.00' }), 'M1', 'MSG1');
    const request = settlementRequest.parse(body);
    expect(request.hospital).toEqual({ id: 'H1', region: '371002', level: 2, drgPublic: false });
    expect(request.patient).toMatchObject({ id: '371002195001011234', name: '张三', insuredRegion: '371003', scheme: 'employee', categories: ['dibao'], hukouRegion: '140823', disability: { grade: 2, type: 'physical' } });
    expect(request.encounter).toMatchObject({ kind: 'inpatient', admittedOn: '2020-03-01', dischargedOn: '2020-03-10', diagnoses: [{ icd10: 'J18.900', primary: false }, { icd10: 'C34.900', primary: true }] });
    expect(request.items).toEqual([{ code: 'X1', name: 'Y1', amount: 10000, class: 'B', selfPayRatio: '0.1' }]);
    expect(rowOfItem).toEqual(['F1']);
    expect(request.upstream).toEqual({ basic: 5000, majorIllness: 600, waiver: 0, aid: 200 });
    expect(request.nhsa).toMatchObject({ psn_no: 'P1', mdtrt_id: 'M1', insutype: '310', med_type: '21', certno: '371002195001011234', acct_pay: '3.00', medins_setl_id: 'MSG1', clr_optins: '371003' });
  });

  it('uses psn_no as the person when no ID number is known, and numbers later settlements', () => {
    expect(personIdOf(stay({ mdtrtinfo: { ...stay().mdtrtinfo, mdtrt_cert_type: '03', mdtrt_cert_no: 'CARD1' } }))).toBe('P1');
    expect(settlementIdOf('M1', 1)).toBe('M1');
    expect(settlementIdOf('M1', 3)).toBe('M1-3');
  });

  it('ignores acct_pay unless acct_used_flag is 1', () => {
    expect(nativeRequestOf(stay(), rows, input({}, { acct_pay: '3.00' }), 'M1', 'MSG1').body.nhsa?.acct_pay).toBeUndefined();
  });

  it('refuses what it cannot settle, in Chinese', () => {
    expect(() => nativeRequestOf(stay(), rows, input({ insutype: '340' }), 'M1', 'X')).toThrow('input.data.insutype：险种类型 340 暂不支持');
    const { dscginfo: _d, ...notDischarged } = stay();
    expect(() => nativeRequestOf(notDischarged as Stay, rows, input(), 'M1', 'X')).toThrow('尚未办理出院（2402）');
    expect(() => nativeRequestOf(stay({ diseinfo: [{ maindiag_flag: '1', diag_code: '肺癌' }] }), rows, input(), 'M1', 'X')).toThrow('诊断代码 肺癌 不是 ICD-10 编码');
    expect(() => nativeRequestOf(stay(), [], input(), 'M1', 'X')).toThrow('没有可结算的费用明细');
  });
});
