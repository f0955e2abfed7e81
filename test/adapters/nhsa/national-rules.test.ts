/**
 * The national interface's rules the gateway holds a HIS to at 2304/2305 (国家医保平台 定点医药机构接口规范: the
 * field tables of 2304 and 2305): psn_setlway from its dictionary (01 按项目结算; 02 按定额结算 is refused, not
 * settled by item), the 险种 registered at 2401, and one 冲销 per settlement — a 2305 under a new msgid for a
 * settlement already reversed is refused, where it answered a second successful reversal (a second refund booked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { nhsa, type Answer } from './support.js';

type Row = Record<string, string>;
const setl = (a: Answer) => a.output.setlinfo as Row;

let seq = 0;
/** A fresh person per stay (one unsettled stay per person and hospital). */
function person() {
  seq += 1;
  const n = String(seq).padStart(4, '0');
  return { psn_no: `9900000000000000${n}`, certno: `99010019800101${n}` };
}

let gw: TestGateway;
beforeAll(async () => { gw = await startTestGateway(); });
afterAll(async () => { await gw.stop(); });

/** 2401 → 2301 (one 甲类 row) → 2402; answers the mdtrt_id. `ext` without psn_type unless given. */
async function stayReady(p: { psn_no: string; certno: string }, o: { insutype?: string; ext?: Record<string, unknown>; amount?: string } = {}) {
  const admitted = await nhsa(gw.url, '2401', {
    mdtrtinfo: { psn_no: p.psn_no, insutype: o.insutype ?? '390', begntime: '2024-03-01 08:30:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.certno, med_type: '21', ipt_no: `ZY${p.psn_no.slice(-6)}`, dscg_maindiag_code: 'C34.900' },
    diseinfo: [{ maindiag_flag: '1', diag_code: 'C34.900', diag_name: '肺恶性肿瘤' }],
    ext: { certno: p.certno, psn_name: '张三', hosp_lv: 3, drg_public: true, ...(o.ext ?? {}) },
  });
  expect(admitted.answer.infcode).toBe('0');
  const mdtrtId = (admitted.answer.output.result as Row).mdtrt_id!;
  const amount = o.amount ?? '30000.00';
  const fees = await nhsa(gw.url, '2301', { feedetail: [{ feedetl_sn: 'F1', mdtrt_id: mdtrtId, psn_no: p.psn_no, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: 'XB01AC06A001', medins_list_codg: 'Y001', det_item_fee_sumamt: amount, cnt: 1, pric: amount, chrgitm_lv: '01' }] });
  expect(fees.answer.infcode).toBe('0');
  const out = await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: p.psn_no, endtime: '2024-03-10 10:00:00', dscg_way: '1' } });
  expect(out.answer.infcode).toBe('0');
  return mdtrtId;
}

const settleData = (p: { psn_no: string; certno: string }, mdtrtId: string, over: Record<string, string> = {}) => ({
  psn_no: p.psn_no, mdtrt_cert_type: '02', mdtrt_cert_no: p.certno, medfee_sumamt: '30000.00', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0', ...over,
});


describe('2401 入院办理', () => {
  // What 2303/2304 would refuse is refused at admission, naming the 2401 field, while the HIS can still register the stay right.
  it.each([
    [{ insutype: '340' }, 'input.mdtrtinfo.insutype：险种类型 340 暂不支持'],
    [{ med_type: '14' }, 'input.mdtrtinfo.med_type：医疗类别 14 不是住院类'],
  ])('refuses %o at admission', async (over, message) => {
    const p = person();
    const admitted = await nhsa(gw.url, '2401', {
      mdtrtinfo: { psn_no: p.psn_no, insutype: '390', begntime: '2024-03-01 08:30:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.certno, med_type: '21', ipt_no: `ZY${p.psn_no.slice(-6)}`, dscg_maindiag_code: 'C34.900', ...over },
      ext: { certno: p.certno, psn_name: '张三', hosp_lv: 3, drg_public: true },
    });
    expect(admitted.answer).toMatchObject({ infcode: '-1' });
    expect(admitted.answer.err_msg).toContain(message);
  });
});

describe('2303/2304 input dictionaries (deviates from the national spec)', () => {
  // psn_setlway 个人结算方式 (Input_2304.cs: 字符型|6|代码 Y|非空 Y): 01 按项目结算, 02 按定额结算. The gateway only
  // settles by item (native-request.ts never reads psn_setlway; inputs.ts:196 accepts any text), so a 02 (定额) stay is
  // settled by item without a word: the HIS is told an amount computed on another basis than it asked for.
  it('does not settle a 按定额结算 (psn_setlway 02) stay by item silently', async () => {
    const p = person();
    const mdtrtId = await stayReady(p);
    const settled = await nhsa(gw.url, '2303', { data: settleData(p, mdtrtId, { psn_setlway: '02' }) });
    expect(settled.answer.infcode === '-1' || settled.answer.warn_msg.includes('psn_setlway')).toBe(true);
  });

  it('refuses a psn_setlway outside the dictionary', async () => {
    const p = person();
    const mdtrtId = await stayReady(p);
    const settled = await nhsa(gw.url, '2303', { data: settleData(p, mdtrtId, { psn_setlway: 'ZZ' }) });
    expect(settled.answer.infcode).toBe('-1');
  });

  // mdtrt_cert_type 就诊凭证类型 (代码标识 Y): 01 电子凭证, 02 身份证, 03 社保卡. inputs.ts:193 is required(3) only, and the
  // value is echoed into setlinfo.mdtrt_cert_type (native-request.ts:61, settlement-2304.ts:77): the output carries a non-code.
});


describe('2304 against the stay (an internally inconsistent answer)', () => {
  // 2401 registered the stay under insutype 310 (职工); 2304 says 390 (居民). The gateway takes the scheme from 2304's
  // data.insutype (native-request.ts:39) without comparing it with mdtrtinfo.insutype, so an employee's stay is settled
  // under the residents' rules and funds (hifmi_pay, 390100/390200): the settlement contradicts its own registration.
  it('refuses a 2304 whose insutype differs from the 2401 registration', async () => {
    const p = person();
    const mdtrtId = await stayReady(p, { insutype: '310' });
    const settled = await nhsa(gw.url, '2304', { data: settleData(p, mdtrtId, { insutype: '390' }) });
    expect(settled.answer.infcode).toBe('-1');
  });
});

describe('2305 结算撤销 (an internally inconsistent answer)', () => {
  // A second 2305 of the same setl_id with a NEW msgid is a second reversal request, not a retry (retries keep the msgid,
  // README "msgid is the idempotency key"). SettlementService.reverse returns an already reversed record as is
  // (gateway/service/settlements.ts:141) and calls/settlement.ts:102-119 answers it as a fresh successful 冲销 (infcode 0,
  // amounts negated again): a HIS books a second refund of the same settlement.
  it('refuses to reverse an already reversed settlement under a new msgid', async () => {
    const p = person();
    const mdtrtId = await stayReady(p);
    const settled = await nhsa(gw.url, '2304', { data: settleData(p, mdtrtId) });
    expect(settled.answer.infcode).toBe('0');
    const setlId = setl(settled.answer).setl_id!;
    const first = await nhsa(gw.url, '2305', { data: { mdtrt_id: mdtrtId, setl_id: setlId, psn_no: p.psn_no } });
    expect(first.answer.infcode).toBe('0');
    const second = await nhsa(gw.url, '2305', { data: { mdtrt_id: mdtrtId, setl_id: setlId, psn_no: p.psn_no } });
    expect(second.msgid).not.toBe(first.msgid);
    expect(second.answer.infcode).toBe('-1');
  });
});

