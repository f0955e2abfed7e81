/**
 * A HIS that sends the national tables only (no ext anywhere) against a gateway with the region's 医保目录 loaded:
 * 3301 目录对照 and the mappings file, each 2301 row classified as the platform would, the catalogue version in force
 * on the discharge day at 2304, and the 2304 figures equal to the native split of the same bill, to the fen.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, HOSPITAL_A, HOSPITAL_B, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { nhsa } from './support.js';

type Row = Record<string, string>;
const fen = (text: unknown) => { const s = String(text); const neg = s.startsWith('-'); const [w, f = ''] = s.replace('-', '').split('.'); return (neg ? -1 : 1) * (Number(w) * 100 + Number((f + '00').slice(0, 2))); };

const DRUG = 'XC08CAB037A001020180517';
const ASPIRIN = 'XB01ACA056A012010100799';
const BED = '110900001';

let gw: TestGateway;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nhsa-catalogue-'));
  const catalogueFile = join(dir, 'region-2024.csv');
  writeFileSync(catalogueFile, [
    'hilist_code,hilist_name,list_type,med_chrgitm_type,chrgitm_lv,selfpay_prop,pric_uplmt_amt,lmt_used_flag,lmt_used_scp,begndate,enddate',
    // 乙类 10 % until 9 March, 甲类 from the 10th.
    `${DRUG},盐酸贝尼地平片,101,09,02,0.1,,0,,2024-01-01,2024-03-09`,
    `${DRUG},盐酸贝尼地平片,101,09,01,0,,0,,2024-03-10,`,
    `${ASPIRIN},阿司匹林肠溶片,101,09,01,0,,0,,2024-01-01,`,
    `${BED},普通病房床位费,201,01,01,0,45.00,0,,2024-01-01,`,
  ].join('\r\n'));
  const mappingsFile = join(dir, 'mappings.csv');
  writeFileSync(mappingsFile, `fixmedins_code,fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate\n${HOSPITAL_A},HIS-BED,床位费（三人间）,201,${BED},2024-01-01,\n`);
  gw = await startTestGateway({ NHSA_CATALOGUE_FILES: catalogueFile, NHSA_CATALOGUE_MAPPINGS_FILE: mappingsFile });
});
afterAll(async () => { await gw.stop(); });

let seq = 0;
/** A resident admitted with the national 2401 alone: no ext (the hospital's level from the gateway's hospitals). */
async function admit() {
  const n = String(++seq).padStart(4, '0');
  const psn = `9900000000000088${n}`;
  const certno = `99010019800101${n}`;
  const r = await nhsa(gw.url, '2401', { mdtrtinfo: { psn_no: psn, insutype: '390', begntime: '2024-03-01 08:30:00', mdtrt_cert_type: '02', mdtrt_cert_no: certno, med_type: '21', ipt_no: `ZY88${n}`, dscg_maindiag_code: 'C34.900' }, diseinfo: [{ maindiag_flag: '1', diag_code: 'C34.900', diag_name: '肺恶性肿瘤' }] });
  expect(r.answer.err_msg).toBe('');
  return { psn, certno, mdtrtId: (r.answer.output.result as Row).mdtrt_id! };
}
type Stay = Awaited<ReturnType<typeof admit>>;
const fee = (p: Stay, sn: string, codes: { med: string; medins: string }, amount: string, cnt: string, pric: string) => ({
  feedetl_sn: sn, init_feedetl_sn: '', mdtrt_id: p.mdtrtId, drord_no: '', psn_no: p.psn, med_type: '21', fee_ocur_time: '2024-03-02 10:00:00',
  med_list_codg: codes.med, medins_list_codg: codes.medins, det_item_fee_sumamt: amount, cnt, pric, bilg_dept_codg: '', hosp_appr_flag: '', memo: '',
});
/** The bill: a drug whose class changes on 10 March, a bed over its cap (mapped by the file), a code in no catalogue, and aspirin under a local code mapped by 3301. */
const bill = (p: Stay) => [
  fee(p, 'F1', { med: DRUG, medins: 'HIS-DRUG' }, '1000.00', '10', '100.00'),
  fee(p, 'F2', { med: 'LOCAL-BED', medins: 'HIS-BED' }, '150.00', '3', '50.00'),
  fee(p, 'F3', { med: 'XNOTINCATALOGUE', medins: 'HIS-UNK' }, '200.00', '1', '200.00'),
  fee(p, 'F4', { med: 'LOCAL-ASP', medins: 'HIS-ASP' }, '300.00', '100', '3.00'),
];
const settleData = (p: Stay) => ({ psn_no: p.psn, mdtrt_cert_type: '02', mdtrt_cert_no: p.certno, medfee_sumamt: '1650.00', psn_setlway: '01', mdtrt_id: p.mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' });
const discharge = async (p: Stay, day: string) => {
  expect((await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: p.mdtrtId, psn_no: p.psn, endtime: `${day} 10:00:00`, dscg_way: '1' } })).answer.err_msg).toBe('');
};

describe('start-up', () => {
  it('refuses to start on a catalogue file that does not read, naming file, line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nhsa-catalogue-bad-'));
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'hilist_code,list_type,med_chrgitm_type,chrgitm_lv,begndate\nX1,101,09,05,2024-01-01\n');
    await expect(startTestGateway({ NHSA_CATALOGUE_FILES: file })).rejects.toThrow(`医保目录无法加载：${file} 第 2 行 chrgitm_lv：收费项目等级应为 01（甲类）、02（乙类）或 03（丙类）`);
  });
});

describe('3301 目录对照', () => {
  it('maps a hospital code from its begndate, answers a repeat as done, refuses an overlap, and 3302 takes it back', async () => {
    const mapping = { fixmedins_hilist_id: 'HIS-ASP', fixmedins_hilist_name: '阿司匹林肠溶片 25mg', list_type: '101', med_list_codg: ASPIRIN, begndate: '2024-01-01', enddate: '', aprvno: '国药准字H31022475' };
    const first = await nhsa(gw.url, '3301', { data: mapping });
    expect([first.answer.infcode, first.answer.err_msg, first.answer.warn_msg]).toEqual(['0', '', '']);
    const again = await nhsa(gw.url, '3301', { data: mapping });
    expect(again.answer.warn_msg).toBe('该对照已存在（同一期间、同一医保目录编码），未重复登记');
    const overlap = await nhsa(gw.url, '3301', { data: { ...mapping, med_list_codg: DRUG, begndate: '2024-06-01' } });
    expect(overlap.answer.err_msg).toBe(`input.data.begndate：HIS-ASP 在 2024-01-01–长期 已对照为 ${ASPIRIN}，期间重叠；请先撤销该对照（3302）或调整起止日期`);
    const unknownCode = await nhsa(gw.url, '3301', { data: { ...mapping, fixmedins_hilist_id: 'HIS-X', med_list_codg: 'XNOPE' } });
    expect(unknownCode.answer.warn_msg).toBe('医保目录（2024-01-01 有效的版本）中无编码 XNOPE：对照后该项目按丙类（全自费）计');
    expect((await nhsa(gw.url, '3302', { data: { fixmedins_hilist_id: 'HIS-X', list_type: '101', med_list_codg: 'XNOPE' } })).answer.err_msg).toBe('');
    expect((await nhsa(gw.url, '3302', { data: { fixmedins_hilist_id: 'HIS-X', list_type: '101', med_list_codg: 'XNOPE' } })).answer.err_msg).toBe('input.data.fixmedins_hilist_id：HIS-X 没有对照为 XNOPE 的目录对照');
    // Another hospital's items are its own: its HIS-ASP is not mapped.
    const bad = await nhsa(gw.url, '3301', { data: { ...mapping, begndate: '2024-02-30' } }, { hospital: HOSPITAL_B, token: TOKENS.deskB });
    expect(bad.answer.err_msg).toBe('input.data.begndate：应为存在的日期 yyyy-MM-dd');
  });
});

describe('2301 → 2304 with the national fields only', () => {
  it('classifies each row by its code (3301 and the file mapping included), unknown codes 丙类 with the reason, the cap into overlmt_amt', async () => {
    const p = await admit();
    const upload = await nhsa(gw.url, '2301', { feedetail: bill(p) });
    expect(upload.answer.err_msg).toBe('');
    const result = upload.answer.output.result as Row[];
    // Not discharged yet: each row on its fee day (2 March), when the drug was 乙类 10 %.
    expect(result.map((r) => [r.feedetl_sn, r.chrgitm_lv, r.selfpay_prop, r.fulamt_ownpay_amt, r.overlmt_amt, r.preselfpay_amt, r.inscp_scp_amt, r.pric_uplmt_amt, r.med_chrgitm_type])).toEqual([
      ['F1', '02', '0.1', '0.00', '0.00', '100.00', '900.00', undefined, '09'],
      // 3 × 45.00 = 135.00 allowed of 150.00.
      ['F2', '01', '0', '0.00', '15.00', '0.00', '135.00', '45.00', '01'],
      // Not in the catalogue: 丙类; its category is what the national code's class letter states (X 西药).
      ['F3', '03', '1', '200.00', '0.00', '0.00', '0.00', undefined, '09'],
      ['F4', '01', '0', '0.00', '0.00', '0.00', '300.00', undefined, '09'],
    ]);
    expect(result[2]!.memo).toBe('医保目录（2024-03-02 有效的版本）中无编码 XNOTINCATALOGUE，医疗机构目录编码 HIS-UNK 也无目录对照（3301），按丙类（全自费）计');
    expect(result[3]!.memo).toContain(`目录对照（3301）将 HIS-ASP 对照为 ${ASPIRIN}（上传的 med_list_codg 为 LOCAL-ASP），按对照计`);
    expect(upload.text).toContain('"overlmt_amt":15.00');
  });

  it('settles by the catalogue in force on the discharge day, and every 2304 figure is the native split of the same bill', async () => {
    const p = await admit();
    expect((await nhsa(gw.url, '2301', { feedetail: bill(p) })).answer.err_msg).toBe('');
    await discharge(p, '2024-03-10');
    // 5204 after discharge: the rows as the discharge day classifies them (the drug 甲类 from 10 March).
    const rows = (await nhsa(gw.url, '5204', { data: { psn_no: p.psn, mdtrt_id: p.mdtrtId } })).answer.output as unknown as Row[];
    expect(rows.map((r) => [r.feedetl_sn, r.chrgitm_lv, r.med_list_codg])).toEqual([['F1', '01', DRUG], ['F2', '01', BED], ['F3', '03', 'XNOTINCATALOGUE'], ['F4', '01', ASPIRIN]]);

    // The same bill in the native request, classes derived by hand from the catalogue, previewed before the 2304 commits.
    const native = await call(gw.url, '/v1/settlements/preview', { token: TOKENS.deskA, body: {
      settlementId: `PREVIEW-${p.mdtrtId}`,
      hospital: { id: HOSPITAL_A, region: '990100', level: 3, drgPublic: true },
      patient: { id: p.certno, insuredRegion: '990100', scheme: 'resident', categories: [] },
      encounter: { kind: 'inpatient', admittedOn: '2024-03-01', dischargedOn: '2024-03-10', diagnoses: [{ icd10: 'C34.900', primary: true }] },
      items: [
        { code: DRUG, name: 'HIS-DRUG', amount: '1000.00', class: 'A' },
        { code: BED, name: 'HIS-BED', amount: '150.00', class: 'A', overLimit: '15.00' },
        { code: 'XNOTINCATALOGUE', name: 'HIS-UNK', amount: '200.00', class: 'C' },
        { code: ASPIRIN, name: 'HIS-ASP', amount: '300.00', class: 'A' },
      ],
    } });
    expect(native.status).toBe(200);
    const split = native.json as { total: string; outOfScope: string; overLimit: string; preSelfPay: string; compliant: string; patientPays: string; lines: Array<{ layer: string; amount: string }> };
    const line = (layer: string) => split.lines.filter((l) => l.layer === layer).reduce((sum, l) => sum + fen(l.amount), 0);

    const settled = await nhsa(gw.url, '2304', { data: settleData(p) });
    expect(settled.answer.err_msg).toBe('');
    const s = settled.answer.output.setlinfo as Row;
    // By hand: 200.00 丙类, 15.00 over the bed's cap, nothing 先行自付 (the drug is 甲类 on the 10th), 1000 + 135 + 300 compliant;
    // the demo region's level-3 deductible 1000.00 and ratio 0.65: (1435.00 − 1000.00) × 0.65 = 282.75.
    expect(s).toMatchObject({ medfee_sumamt: '1650.00', fulamt_ownpay_amt: '200.00', overlmt_selfpay: '15.00', preselfpay_amt: '0.00', inscp_scp_amt: '1435.00', act_pay_dedc: '1000.00', pool_prop_selfpay: '0.65', hifp_pay: '282.75' });
    expect([s.medfee_sumamt, s.fulamt_ownpay_amt, s.overlmt_selfpay, s.preselfpay_amt, s.inscp_scp_amt]).toEqual([split.total, split.outOfScope, split.overLimit, split.preSelfPay, split.compliant]);
    expect([fen(s.hifp_pay), fen(s.hifmi_pay), fen(s.maf_pay), fen(s.hosp_part_amt), fen(s.oth_pay)]).toEqual([line('basic'), line('majorIllness'), line('aid'), line('waiver'), line('supplementary')]);
    expect(s.psn_part_amt).toBe(split.patientPays);
    expect(fen(s.fund_pay_sumamt) + fen(s.hosp_part_amt) + fen(s.psn_part_amt)).toBe(165_000);
  });

  it('settles a stay discharged the day before the change by the older version (乙类: 10 % 先行自付)', async () => {
    const p = await admit();
    expect((await nhsa(gw.url, '2301', { feedetail: bill(p) })).answer.err_msg).toBe('');
    await discharge(p, '2024-03-09');
    const settled = await nhsa(gw.url, '2304', { data: settleData(p) });
    expect(settled.answer.err_msg).toBe('');
    expect(settled.answer.output.setlinfo as Row).toMatchObject({ fulamt_ownpay_amt: '200.00', overlmt_selfpay: '15.00', preselfpay_amt: '100.00', inscp_scp_amt: '1335.00' });
  });

  it('takes a row without med_list_codg by its hospital code\'s 目录对照, and refuses one that has neither', async () => {
    const p = await admit();
    const mappedOnly = await nhsa(gw.url, '2301', { feedetail: [{ ...fee(p, 'F1', { med: '', medins: 'HIS-BED' }, '90.00', '2', '45.00') }] });
    expect(mappedOnly.answer.err_msg).toBe('');
    expect((mappedOnly.answer.output.result as Row[])[0]).toMatchObject({ chrgitm_lv: '01', inscp_scp_amt: '90.00', overlmt_amt: '0.00', pric_uplmt_amt: '45.00' });
    const neither = await nhsa(gw.url, '2301', { feedetail: [{ ...fee(p, 'F2', { med: '', medins: 'HIS-NOTHING' }, '10.00', '1', '10.00') }] });
    expect(neither.answer.err_msg).toBe('input.feedetail[0].med_list_codg：必填项缺失（医疗机构目录编码 HIS-NOTHING 在 2024-03-02 无目录对照，请上传医保目录编码或先做目录对照 3301）');
    const rows = (await nhsa(gw.url, '5204', { data: { psn_no: p.psn, mdtrt_id: p.mdtrtId } })).answer.output as unknown as Row[];
    expect(rows.map((r) => [r.feedetl_sn, r.med_list_codg, r.medins_list_codg])).toEqual([['F1', BED, 'HIS-BED']]);
  });

  it('records the HIS\'s own class where the catalogue differs, and uses the catalogue\'s', async () => {
    const p = await admit();
    const upload = await nhsa(gw.url, '2301', { feedetail: [{ ...fee(p, 'F1', { med: ASPIRIN, medins: 'HIS-A2' }, '50.00', '1', '50.00'), chrgitm_lv: '03' }] });
    const r = (upload.answer.output.result as Row[])[0]!;
    expect([r.chrgitm_lv, r.inscp_scp_amt, r.fulamt_ownpay_amt]).toEqual(['01', '50.00', '0.00']);
    expect(r.memo).toMatch(/^医保目录：阿司匹林肠溶片 甲类（region-2024\.csv 自 2024-01-01）；医院上传 chrgitm_lv 03，以医保目录为准$/);
  });
});
