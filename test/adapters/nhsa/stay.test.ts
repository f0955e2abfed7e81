/** The national interface over real sockets: full stays (demo region; 威海 with platform amounts), every error shape, msgid replay. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { startRedis, type TestRedis } from '../../support/redis.js';
import { envelope as envelopeOf, nhsa, nhsaRaw, type Answer } from './support.js';
import { requestBody } from '../../support/requests.js';
import { nationalMoneyText, setlinfo as setlinfoSchema } from '../../../schemas/nhsa.js';

type Row = Record<string, string>;
const fen = (text: unknown) => { const s = String(text); const neg = s.startsWith('-'); const [w, f = ''] = s.replace('-', '').split('.'); const v = Number(w) * 100 + Number((f + '00').slice(0, 2)); return neg ? -v : v; };
const setl = (a: Answer) => a.output.setlinfo as Row;
const details = (a: Answer) => a.output.setldetail as Row[];

const DEMO_PERSON = '990100198001011234';
const demoAdmission = {
  mdtrtinfo: {
    psn_no: '99000000000000001234', insutype: '390', begntime: '2024-03-01 08:30:00', mdtrt_cert_type: '02', mdtrt_cert_no: DEMO_PERSON,
    med_type: '21', ipt_no: 'ZY2024000001', adm_dept_codg: 'A03', adm_dept_name: '呼吸内科', dscg_maindiag_code: 'C34.900', dscg_maindiag_name: '肺恶性肿瘤',
  },
  diseinfo: [{ psn_no: '99000000000000001234', diag_type: '1', maindiag_flag: '1', diag_srt_no: 1, diag_code: 'C34.900', diag_name: '肺恶性肿瘤', diag_time: '2024-03-01 09:00:00' }],
  ext: { certno: DEMO_PERSON, psn_name: '张三', psn_type: '1501', hosp_lv: 3, drg_public: true, categories: ['dibao'] },
};
const fee = (sn: string, mdtrtId: string, amount: string, extra: Record<string, unknown> = {}) => ({
  feedetl_sn: sn, mdtrt_id: mdtrtId, psn_no: '99000000000000001234', med_type: '21', fee_ocur_time: '2024-03-02 10:00:00',
  med_list_codg: `XM${sn}`, medins_list_codg: `YN${sn}`, det_item_fee_sumamt: amount, cnt: 1, pric: amount, bilg_dept_codg: 'A03', bilg_dept_name: '呼吸内科', ...extra,
});

function describeStays(name: string, env: () => Record<string, string>) {
  describe(`the national interface (${name})`, () => {
    let gw: TestGateway;
    beforeAll(async () => { gw = await startTestGateway(env()); });
    afterAll(async () => { await gw.stop(); });

    async function admitDemo(): Promise<string> {
      const r = await nhsa(gw.url, '2401', demoAdmission);
      expect(r.status).toBe(200);
      expect(r.answer.infcode).toBe('0');
      const result = r.answer.output.result as Row;
      expect(result.psn_no).toBe('99000000000000001234');
      expect(result.ipt_otp_no).toBe('ZY2024000001');
      expect(result.mdtrt_id).toMatch(/^[0-9A-Z]{26}$/);
      return result.mdtrt_id!;
    }

    it('settles a demo-region stay 2401 → 2301 (with a refund row) → 2402 → 2303 → 2304 → 2305, field by field', async () => {
      const mdtrtId = await admitDemo();
      const upload = await nhsa(gw.url, '2301', { feedetail: [
        fee('F1', mdtrtId, '30000.00', { chrgitm_lv: '01' }),
        fee('F2', mdtrtId, '20000.00', { chrgitm_lv: '02', selfpay_prop: '0.10' }),
        fee('F3', mdtrtId, '1000.00', { chrgitm_lv: '03' }),
        fee('F4', mdtrtId, '600.00', { chrgitm_lv: '01', overlmt_amt: '100.00' }),
      ] });
      expect(upload.answer.infcode).toBe('0');
      const rows = upload.answer.output.result as Row[];
      expect(rows.map((r) => [r.feedetl_sn, r.fulamt_ownpay_amt, r.overlmt_amt, r.preselfpay_amt, r.inscp_scp_amt, r.chrgitm_lv])).toEqual([
        ['F1', '0.00', '0.00', '0.00', '30000.00', '01'],
        ['F2', '0.00', '0.00', '2000.00', '18000.00', '02'],
        ['F3', '1000.00', '0.00', '0.00', '0.00', '03'],
        ['F4', '0.00', '100.00', '0.00', '500.00', '01'],
      ]);
      // A refund row: negative cnt and amount, naming the original row.
      const refund = await nhsa(gw.url, '2301', { feedetail: [fee('F5', mdtrtId, '-1000.00', { chrgitm_lv: '01', cnt: -1, pric: '1000.00', init_feedetl_sn: 'F1' })] });
      expect(refund.answer.infcode).toBe('0');
      expect((refund.answer.output.result as Row[])[0]).toMatchObject({ feedetl_sn: 'F5', det_item_fee_sumamt: '-1000.00', inscp_scp_amt: '-1000.00' });

      const out = await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: '99000000000000001234', insutype: '390', endtime: '2024-03-10 10:00:00', dscg_way: '1' } });
      expect(out.answer.infcode).toBe('0');

      const data = { psn_no: '99000000000000001234', mdtrt_cert_type: '02', mdtrt_cert_no: DEMO_PERSON, medfee_sumamt: '50600.00', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' };
      const pre = await nhsa(gw.url, '2303', { data });
      expect(pre.answer.infcode).toBe('0');
      expect(setl(pre.answer).setl_id).toBeUndefined();

      const settled = await nhsa(gw.url, '2304', { data });
      expect(settled.status).toBe(200);
      expect(settled.answer.infcode).toBe('0');
      expect(settled.answer.respond_time).toMatch(/^\d{17}$/);
      const s = setl(settled.answer);
      // The native split the same settlement stored, read back through /v1 (the native settlementId is the mdtrt_id).
      const native = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${mdtrtId}`, { token: TOKENS.deskA });
      expect(native.status).toBe(200);
      const split = native.json as { gatewayId: string; total: string; patientPays: string; lines: Array<{ layer: string; amount: string }> };
      const line = (layer: string) => split.lines.filter((l) => l.layer === layer).reduce((sum, l) => sum + fen(l.amount), 0);
      expect(s).toMatchObject({
        setl_id: split.gatewayId, mdtrt_id: mdtrtId, psn_no: '99000000000000001234', psn_name: '张三', certno: DEMO_PERSON, insutype: '390', psn_type: '1501',
        med_type: '21', mdtrt_cert_type: '02', medfee_sumamt: '50600.00', fulamt_ownpay_amt: '1000.00', overlmt_selfpay: '100.00', preselfpay_amt: '2000.00',
        inscp_scp_amt: '47500.00', cvlserv_pay: '0.00', hifes_pay: '0.00', hifob_pay: '0.00', acct_pay: '0.00', medins_setl_id: settled.msgid, clr_optins: '990100', clr_type: '21',
      });
      expect(fen(s.hifp_pay)).toBe(line('basic'));
      expect(fen(s.hifmi_pay)).toBe(line('majorIllness'));
      expect(fen(s.maf_pay)).toBe(line('aid'));
      expect(fen(s.hosp_part_amt)).toBe(line('waiver'));
      expect(fen(s.oth_pay)).toBe(line('supplementary'));
      expect(fen(s.hifp_pay)).toBeGreaterThan(0);
      expect(fen(s.maf_pay)).toBeGreaterThan(0);
      expect(s.psn_part_amt).toBe(split.patientPays);
      expect(s.psn_cash_pay).toBe(split.patientPays);
      expect(fen(s.fund_pay_sumamt)).toBe(fen(s.hifp_pay) + fen(s.hifmi_pay) + fen(s.maf_pay) + fen(s.oth_pay));
      expect(fen(s.fund_pay_sumamt) + fen(s.hosp_part_amt) + fen(s.psn_part_amt)).toBe(5_060_000);
      expect(details(settled.answer).map((d) => d.fund_pay_type)).toEqual(['390100', '390200', '610100']);
      expect(details(settled.answer).reduce((sum, d) => sum + fen(d.fund_payamt), 0)).toBe(fen(s.fund_pay_sumamt));
      // Money goes out as JSON numbers with two decimals, as the platform writes them.
      expect(settled.text).toContain('"medfee_sumamt":50600.00');
      // The pre-settlement computed the same figures.
      const { setl_id: _id, setl_time: _t, medins_setl_id: _m, ...figures } = s;
      expect({ ...setl(pre.answer), setl_time: undefined, medins_setl_id: undefined }).toEqual({ ...figures, setl_time: undefined, medins_setl_id: undefined });

      const reversed = await nhsa(gw.url, '2305', { data: { mdtrt_id: mdtrtId, setl_id: s.setl_id, psn_no: '99000000000000001234' } });
      expect(reversed.answer.infcode).toBe('0');
      const r = setl(reversed.answer);
      expect(r.setl_id).toBe(s.setl_id);
      expect(r.medfee_sumamt).toBe('-50600.00');
      // Every amount negated, every other field as settled (but the time: the reversal's).
      for (const [field, schema] of Object.entries(setlinfoSchema.shape)) {
        if (field === 'setl_time') expect(r[field]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        else if (schema === nationalMoneyText) expect(fen(r[field]) + fen(s[field])).toBe(0);
        else expect(r[field]).toBe(s[field]);
      }
      expect(details(reversed.answer).map((d, i) => fen(d.fund_payamt) + fen(details(settled.answer)[i]!.fund_payamt))).toEqual(details(settled.answer).map(() => 0));
      const after = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${mdtrtId}`, { token: TOKENS.deskA });
      expect((after.json as { status: string }).status).toBe('reversed');

      // After a reversal the stay settles again under a new native id (mdtrt_id-2) and a new setl_id.
      const again = await nhsa(gw.url, '2304', { data });
      expect(again.answer.infcode).toBe('0');
      expect(setl(again.answer).setl_id).not.toBe(s.setl_id);
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${mdtrtId}-2`, { token: TOKENS.deskA })).status).toBe(200);
    });

    it('settles a 威海 person with the platform\'s own amounts given: the programme brings the burden to 10%', async () => {
      const roster = await call(gw.url, '/v1/rosters/weihai-2020-medical', { method: 'PUT', token: TOKENS.admin, body: { rows: [{ personId: '371002195001011234', from: '2020-01-01', to: '2020-12-31', categories: ['poverty-alleviated'] }] } });
      expect(roster.status).toBe(200);
      const where = { hospital: 'H37100200001', area: '371002', insuplc: '371002', token: TOKENS.admin };
      const psn = '37000000000000005678';
      const admitted = await nhsa(gw.url, '2401', {
        mdtrtinfo: { psn_no: psn, insutype: '390', begntime: '2020-03-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: '371002195001011234', med_type: '21', ipt_no: 'ZY2020031000017', dscg_maindiag_code: 'C34.900' },
        diseinfo: [{ maindiag_flag: '1', diag_code: 'C34.900' }],
        ext: { psn_name: '李四', hosp_lv: 3, categories: ['poverty-alleviated'] },
      }, where);
      expect(admitted.answer.infcode).toBe('0');
      const mdtrtId = (admitted.answer.output.result as Row).mdtrt_id!;
      const row = (sn: string, amount: string, extra: Record<string, unknown>) => ({ ...fee(sn, mdtrtId, amount, extra), psn_no: psn, fee_ocur_time: '2020-03-02 10:00:00' });
      const up = await nhsa(gw.url, '2301', { feedetail: [
        row('W1', '12.60', { chrgitm_lv: '01' }), row('W2', '2000.00', { chrgitm_lv: '02', selfpay_prop: '0.10' }),
        row('W3', '800.00', { chrgitm_lv: '03' }), row('W4', '300.00', { chrgitm_lv: '01', overlmt_amt: '60.00' }),
      ] }, where);
      expect(up.answer.infcode).toBe('0');
      expect((await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: psn, endtime: '2020-03-10 09:00:00', dscg_way: '1' } }, where)).answer.infcode).toBe('0');
      const data = { psn_no: psn, mdtrt_cert_type: '02', mdtrt_cert_no: '371002195001011234', medfee_sumamt: 3112.60, psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' };
      const ext = { upstream: { hifp_pay: '1500.00', hifmi_pay: '0.00', maf_pay: '200.00' } };
      const settled = await nhsa(gw.url, '2304', { data, ext }, where);
      expect(settled.answer.infcode).toBe('0');
      const s = setl(settled.answer);
      expect(s).toMatchObject({
        psn_no: psn, certno: '371002195001011234', psn_name: '李四', insutype: '390', med_type: '21', medfee_sumamt: '3112.60', fulamt_ownpay_amt: '800.00',
        overlmt_selfpay: '60.00', preselfpay_amt: '200.00', inscp_scp_amt: '2052.60', hifp_pay: '1500.00', hifmi_pay: '0.00', hifob_pay: '0.00', maf_pay: '200.00',
        hosp_part_amt: '0.00', oth_pay: '147.34', fund_pay_sumamt: '1847.34', psn_part_amt: '1265.26', acct_pay: '0.00', psn_cash_pay: '1265.26', clr_optins: '371002',
      });
      expect(details(settled.answer).map((d) => [d.fund_pay_type, d.fund_payamt])).toEqual([['390100', '1500.00'], ['610100', '200.00'], ['999998', '147.34']]);
      const ext2304 = settled.answer.output.ext as { suppl: Row[] };
      expect(ext2304.suppl.find((l) => l.programme === 'weihai-2020-medical')).toMatchObject({ amount: '147.34', insurer_code: 'chinalife-weihai', mode: 'computed' });
      const reversed = await nhsa(gw.url, '2305', { data: { mdtrt_id: mdtrtId, setl_id: s.setl_id, psn_no: psn } }, where);
      expect(setl(reversed.answer)).toMatchObject({ setl_id: s.setl_id, oth_pay: '-147.34', fund_pay_sumamt: '-1847.34', psn_cash_pay: '-1265.26' });
    });

    it('adopts a settlement of the stay committed before the stay could record it (a 2304 retried with a new msgid settles once)', async () => {
      const mdtrtId = await admitDemo();
      await nhsa(gw.url, '2301', { feedetail: [fee('F1', mdtrtId, '800.00', { chrgitm_lv: '01' })] });
      await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: '99000000000000001234', endtime: '2024-03-10 10:00:00', dscg_way: '1' } });
      // The commit happened, the stay never heard of it (as after a crash between the two).
      const native = await call(gw.url, '/v1/settlements', { token: TOKENS.deskA, body: requestBody({ settlementId: mdtrtId, patient: { id: DEMO_PERSON, categories: ['dibao'] }, items: [{ code: 'XMF1', name: 'YNF1', amount: '800.00', class: 'A' }] }) });
      expect(native.status).toBe(201);
      const data = { psn_no: '99000000000000001234', mdtrt_cert_type: '02', medfee_sumamt: '800.00', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' };
      const settled = await nhsa(gw.url, '2304', { data });
      expect(settled.answer.infcode).toBe('0');
      expect(settled.answer.warn_msg).toContain('该就诊已结算');
      expect(setl(settled.answer).setl_id).toBe((native.json as { gatewayId: string }).gatewayId);
      const twice = await nhsa(gw.url, '2304', { data });
      expect(twice.answer.err_msg).toContain(`该就诊已结算（setl_id=${setl(settled.answer).setl_id}）`);
    });

    it('2302 removes rows (one, or all with 0000), never an original that still has refunds, and nothing once settled', async () => {
      const mdtrtId = await admitDemo();
      const psn = '99000000000000001234';
      await nhsa(gw.url, '2301', { feedetail: [fee('R1', mdtrtId, '300.00', { chrgitm_lv: '01' }), fee('R2', mdtrtId, '200.00', { chrgitm_lv: '01' })] });
      await nhsa(gw.url, '2301', { feedetail: [fee('R3', mdtrtId, '-100.00', { chrgitm_lv: '01', cnt: -1, init_feedetl_sn: 'R1' })] });
      const blocked = await nhsa(gw.url, '2302', { data: { feedetl_sn: 'R1', mdtrt_id: mdtrtId, psn_no: psn } });
      expect(blocked.answer.err_msg).toBe('input.data.feedetl_sn：明细 R1 已有退费明细，请先撤销退费明细');
      expect((await nhsa(gw.url, '2302', { data: { feedetl_sn: 'R3', mdtrt_id: mdtrtId, psn_no: psn } })).answer.infcode).toBe('0');
      expect((await nhsa(gw.url, '2302', { data: { feedetl_sn: 'R3', mdtrt_id: mdtrtId, psn_no: psn } })).answer.err_msg).toBe('input.data.feedetl_sn：费用明细流水号 R3 不存在');
      expect((await nhsa(gw.url, '2302', { data: { feedetl_sn: 'R1', mdtrt_id: mdtrtId, psn_no: psn } })).answer.infcode).toBe('0');
      // A revoked feedetl_sn may be uploaded again; what is left is what settles.
      await nhsa(gw.url, '2301', { feedetail: [fee('R1', mdtrtId, '50.00', { chrgitm_lv: '01' })] });
      await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: psn, endtime: '2024-03-10 10:00:00', dscg_way: '1' } });
      const data = { psn_no: psn, mdtrt_cert_type: '02', medfee_sumamt: '250.00', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' };
      const settled = await nhsa(gw.url, '2304', { data });
      expect(settled.answer.infcode).toBe('0');
      expect(setl(settled.answer).medfee_sumamt).toBe('250.00');
      const late = await nhsa(gw.url, '2301', { feedetail: [fee('R9', mdtrtId, '1.00', { chrgitm_lv: '01' })] });
      expect(late.answer.err_msg).toContain('该就诊已结算');
      expect((await nhsa(gw.url, '2302', { data: { feedetl_sn: '0000', mdtrt_id: mdtrtId, psn_no: psn } })).answer.err_msg).toContain('该就诊已结算');
      // Reversed, the stay takes changes again: 0000 clears every row.
      await nhsa(gw.url, '2305', { data: { mdtrt_id: mdtrtId, setl_id: setl(settled.answer).setl_id, psn_no: psn } });
      expect((await nhsa(gw.url, '2302', { data: { feedetl_sn: '0000', mdtrt_id: mdtrtId, psn_no: psn } })).answer.infcode).toBe('0');
      const empty = await nhsa(gw.url, '2303', { data: { ...data, medfee_sumamt: '0' } });
      expect(empty.answer.err_msg).toBe('input.data.mdtrt_id：该就诊没有可结算的费用明细（2301）');
      // Close the stay for the tests that admit this person again.
      await nhsa(gw.url, '2301', { feedetail: [fee('Z1', mdtrtId, '10.00', { chrgitm_lv: '01' })] });
      expect((await nhsa(gw.url, '2304', { data: { ...data, medfee_sumamt: '10.00' } })).answer.infcode).toBe('0');
    });

    it('2404 takes a discharge back and 2405 an admission made by mistake (once its rows are revoked)', async () => {
      const psn = '99000000000000004405';
      const admission = { ...demoAdmission, mdtrtinfo: { ...demoAdmission.mdtrtinfo, psn_no: psn } };
      const mdtrtId = ((await nhsa(gw.url, '2401', admission)).answer.output.result as Row).mdtrt_id!;
      const row = { ...fee('C1', mdtrtId, '10.00', { chrgitm_lv: '01' }), psn_no: psn };
      await nhsa(gw.url, '2301', { feedetail: [row] });
      await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: psn, endtime: '2024-03-10 10:00:00', dscg_way: '1' } });
      expect((await nhsa(gw.url, '2404', { data: { mdtrt_id: mdtrtId, psn_no: psn } })).answer.infcode).toBe('0');
      const data = { psn_no: psn, mdtrt_cert_type: '02', medfee_sumamt: '10.00', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' };
      expect((await nhsa(gw.url, '2303', { data })).answer.err_msg).toBe('input.data.mdtrt_id：该就诊尚未办理出院（2402），不能结算');
      expect((await nhsa(gw.url, '2404', { data: { mdtrt_id: mdtrtId, psn_no: psn } })).answer.err_msg).toContain('尚未办理出院');
      expect((await nhsa(gw.url, '2405', { data: { mdtrt_id: mdtrtId, psn_no: psn } })).answer.err_msg).toBe('input.data.mdtrt_id：该就诊已上传费用明细，请先撤销明细（2302）');
      await nhsa(gw.url, '2302', { data: { feedetl_sn: '0000', mdtrt_id: mdtrtId, psn_no: psn } });
      expect((await nhsa(gw.url, '2405', { data: { mdtrt_id: mdtrtId, psn_no: psn } })).answer.infcode).toBe('0');
      expect((await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: psn, endtime: '2024-03-10 10:00:00', dscg_way: '1' } })).answer.err_msg).toContain(`就诊ID ${mdtrtId} 不存在`);
      // The person may be admitted again.
      expect((await nhsa(gw.url, '2401', admission)).answer.infcode).toBe('0');
    });

    it('settles an employee (310) with the platform\'s amounts and the personal account: hifob_pay, 310100/330100, acct_pay + psn_cash_pay', async () => {
      const psn = '99000000000000003100';
      const admission = { ...demoAdmission, mdtrtinfo: { ...demoAdmission.mdtrtinfo, psn_no: psn, insutype: '310', mdtrt_cert_no: '990100197001013100' }, ext: { hosp_lv: 2, psn_name: '赵六', psn_type: '11' } };
      const mdtrtId = ((await nhsa(gw.url, '2401', admission)).answer.output.result as Row).mdtrt_id!;
      await nhsa(gw.url, '2301', { feedetail: [{ ...fee('E1', mdtrtId, '20000.00', { chrgitm_lv: '01' }), psn_no: psn }] });
      await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: psn, endtime: '2024-03-10 10:00:00', dscg_way: '1' } });
      const data = { psn_no: psn, mdtrt_cert_type: '02', medfee_sumamt: '20000.00', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '310', acct_used_flag: '1', mid_setl_flag: '0' };
      const settled = await nhsa(gw.url, '2304', { data, ext: { upstream: { hifp_pay: '14000.00', hifob_pay: '2000.00', maf_pay: '0' }, acct_pay: '500.00', balc: '1234.56' } });
      expect(settled.answer.infcode).toBe('0');
      expect(setl(settled.answer)).toMatchObject({
        insutype: '310', psn_type: '11', certno: '990100197001013100', medfee_sumamt: '20000.00', hifp_pay: '14000.00', hifmi_pay: '0.00', hifob_pay: '2000.00',
        fund_pay_sumamt: '16000.00', psn_part_amt: '4000.00', acct_pay: '500.00', psn_cash_pay: '3500.00', balc: '1234.56',
      });
      expect(details(settled.answer).map((d) => [d.fund_pay_type, d.fund_payamt])).toEqual([['310100', '14000.00'], ['330100', '2000.00']]);
    });

    it('answers every error as infcode -1 with a Chinese err_msg naming the national field', async () => {
      const chinese = /[\u4e00-\u9fff]/;
      const bad = await nhsaRaw(gw.url, '2401', '{"infno": "2401", "msgid": ');
      expect(bad.answer).toMatchObject({ infcode: '-1', err_msg: '报文不是合法的 JSON' });
      const noFields = await nhsaRaw(gw.url, '2401', JSON.stringify({ infno: '2401', input: {} }));
      expect(noFields.answer.infcode).toBe('-1');
      expect(noFields.answer.err_msg).toContain('msgid：必填项缺失');
      expect(noFields.answer.err_msg).toContain('fixmedins_code');
      const unknown = await nhsa(gw.url, '9999', {});
      expect(unknown.answer.infcode).toBe('-1');
      expect(unknown.answer.err_msg).toContain('不支持的交易编号 9999');

      const mdtrtId = await admitDemo();
      const twice = await nhsa(gw.url, '2401', demoAdmission);
      expect(twice.answer.err_msg).toContain(`input.mdtrtinfo.psn_no：该人员已在院（就诊ID ${mdtrtId}`);
      const missing = await nhsa(gw.url, '2303', { data: { psn_no: '99000000000000001234', mdtrt_cert_type: '02', medfee_sumamt: '1.00', psn_setlway: '01', insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' } });
      expect(missing.answer).toMatchObject({ infcode: '-1', err_msg: 'input.data.mdtrt_id：必填项缺失' });
      const unknownStay = await nhsa(gw.url, '2301', { feedetail: [fee('X1', '01ZZZZZZZZZZZZZZZZZZZZZZZZ', '1.00', { chrgitm_lv: '01' })] });
      expect(unknownStay.answer.err_msg).toContain('input.feedetail[0].mdtrt_id：就诊ID 01ZZZZZZZZZZZZZZZZZZZZZZZZ 不存在');
      const badAmount = await nhsa(gw.url, '2301', { feedetail: [fee('X1', mdtrtId, '1.00', { chrgitm_lv: '01' }), fee('X2', mdtrtId, '1.001', {})] });
      expect(badAmount.answer.err_msg).toBe('input.feedetail[1].det_item_fee_sumamt：金额格式不正确（最多两位小数）');
      // Amounts as raw JSON numbers are read digit by digit (0.1 + 0.2 style values never pass through a float).
      const raw = JSON.stringify({ ...envelopeOf('2301', { feedetail: [fee('X1', mdtrtId, 'AMOUNT', { chrgitm_lv: '01' })] }) }).replace('"det_item_fee_sumamt":"AMOUNT"', '"det_item_fee_sumamt":99.70').replace('"pric":"AMOUNT"', '"pric":99.70');
      const exact = await nhsaRaw(gw.url, '2301', raw);
      expect(exact.answer.infcode).toBe('0');
      expect(exact.text).toContain('"det_item_fee_sumamt":99.70');
      expect((await nhsa(gw.url, '2301', { feedetail: [fee('X2', mdtrtId, '0.30', { chrgitm_lv: '01' })] })).answer.infcode).toBe('0');
      const orphanRefund = await nhsa(gw.url, '2301', { feedetail: [fee('X9', mdtrtId, '-1.00', { init_feedetl_sn: 'NOPE', cnt: -1 })] });
      expect(orphanRefund.answer.err_msg).toBe('input.feedetail[0].init_feedetl_sn：原费用明细 NOPE 不存在');
      await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: '99000000000000001234', endtime: '2024-03-05 10:00:00', dscg_way: '1' } });
      const sum = await nhsa(gw.url, '2304', { data: { psn_no: '99000000000000001234', mdtrt_cert_type: '02', medfee_sumamt: '99.99', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' } });
      expect(sum.answer).toMatchObject({ infcode: '-1', err_msg: 'input.data.medfee_sumamt：医疗费总额 99.99 与已上传费用明细合计 100.00 不符' });
      const reversal = await nhsa(gw.url, '2305', { data: { mdtrt_id: mdtrtId, setl_id: 'stl_NOSUCHSETTLEMENT', psn_no: '99000000000000001234' } });
      expect(reversal.answer).toMatchObject({ infcode: '-1', err_msg: `input.data.setl_id：结算ID stl_NOSUCHSETTLEMENT 不存在或不属于就诊 ${mdtrtId}` });
      // Another hospital's desk may not act for this one; no token is 401.
      const foreign = await nhsa(gw.url, '2401', demoAdmission, { token: TOKENS.deskB });
      expect(foreign.status).toBe(403);
      expect(foreign.answer.err_msg).toContain('无权代表定点医药机构');
      expect(foreign.answer).toMatchObject({ infcode: '-1', err_msg: expect.stringMatching(/^fixmedins_code：无权代表定点医药机构 H\d+ 办理 2401$/) });
      const anonymous = await call(gw.url, '/nhsa/2401', { token: null, body: {} });
      expect(anonymous.status).toBe(401);
      expect(JSON.parse(anonymous.text)).toMatchObject({ infcode: -1, err_msg: '认证失败：请在 Authorization 头中携带有效的 Bearer 令牌' });
      const huge = await nhsaRaw(gw.url, '2301', JSON.stringify({ infno: '2301', input: { pad: 'x'.repeat(3 * 1024 * 1024) } }));
      expect(huge.status).toBe(413);
      expect(huge.answer.err_msg).toContain('报文超过');
      for (const a of [bad, noFields, unknown, huge, twice, missing, unknownStay, badAmount, orphanRefund, sum, reversal, foreign]) {
        expect(a.answer.err_msg).toMatch(chinese);
        expect(a.text).not.toMatch(/Error:|at .*\.ts|expected|Invalid/);
      }
    });

    it('answers a repeated msgid with the first answer byte for byte, and refuses it for another call', async () => {
      const admission = { ...demoAdmission, mdtrtinfo: { ...demoAdmission.mdtrtinfo, psn_no: '99000000000000009999' } };
      const first = await nhsa(gw.url, '2401', admission, { msgid: 'H9900000000120240310REPLAY01' });
      expect(first.answer.infcode).toBe('0');
      const second = await nhsa(gw.url, '2401', admission, { msgid: 'H9900000000120240310REPLAY01' });
      expect(second.text).toBe(first.text);
      expect(second.headers.get('idempotent-replay')).toBe('true');
      const other = await nhsa(gw.url, '2401', { ...admission, mdtrtinfo: { ...admission.mdtrtinfo, ipt_no: 'ZY-OTHER' } }, { msgid: 'H9900000000120240310REPLAY01' });
      expect(other.answer.infcode).toBe('-1');
      expect(other.answer.err_msg).toContain('已用于另一笔交易');
      // An error answer is remembered too.
      const e1 = await nhsa(gw.url, '2305', { data: { mdtrt_id: 'M1', setl_id: 'S1', psn_no: 'P1' } }, { msgid: 'H9900000000120240310REPLAY02' });
      const e2 = await nhsa(gw.url, '2305', { data: { mdtrt_id: 'M1', setl_id: 'S1', psn_no: 'P1' } }, { msgid: 'H9900000000120240310REPLAY02' });
      expect(e2.text).toBe(e1.text);
    });
  });
}

describeStays('memory', () => ({}));

let redis: TestRedis;
beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis?.stop(); });
describeStays('redis', () => ({ REDIS_URL: redis.url }));

describe('the national interface when the gateway times out', () => {
  it('answers the envelope (503, infcode -1) rather than a problem document', async () => {
    const gw = await startTestGateway({ REQUEST_TIMEOUT_MS: '200' });
    try {
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`${gw.url}/nhsa/2401`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.deskA}`, 'content-type': 'application/json', 'content-length': '1000' } }, (res) => {
          // The answer is small: one chunk (the request body is never finished, so the exchange never ends).
          res.once('data', (c: Buffer) => { resolve({ status: res.statusCode ?? 0, text: c.toString('utf8') }); req.destroy(); });
        });
        req.on('error', reject);
        req.write('{"infno":"2401",'); // and never the rest: the body parser waits until the request times out
      });
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.text)).toMatchObject({ infcode: -1, err_msg: '医保结算服务处理超时或暂时不可用，请稍后使用原报文ID（msgid）重试' });
    } finally {
      await gw.stop();
    }
  });
});
