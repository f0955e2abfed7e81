/**
 * The 医保目录 as data (adapters/nhsa/catalogue): files read with their errors named by file, line and field; the row in
 * force on a day; a fee row classified by its national code or the hospital's 目录对照, by hand-computed figures.
 */
import { describe, expect, it } from 'vitest';
import { Catalogue, CatalogueError, loadCatalogueFiles, parseCatalogueFile, SAMPLE_CATALOGUE } from '../../../adapters/nhsa/catalogue/catalogue.js';
import { byRowExtension, classifyRow } from '../../../adapters/nhsa/catalogue/classify.js';
import { parseMappingsFile, type MappingPeriod } from '../../../adapters/nhsa/catalogue/mappings.js';
import { classesOf, resultRow } from '../../../adapters/nhsa/fee-rows.js';
import { feeRow, type FeeRow } from '../../../adapters/nhsa/inputs.js';

const HEADER = 'hilist_code,hilist_name,list_type,med_chrgitm_type,chrgitm_lv,selfpay_prop,pric_uplmt_amt,lmt_used_flag,lmt_used_scp,begndate,enddate';
const CSV = [
  HEADER,
  // One drug that moves from 乙类 (10 %) to 甲类 on 2024-03-10: a stay discharged on the 9th and one on the 10th differ.
  'XC08CAB037A001020180517,盐酸贝尼地平片,101,09,02,0.1,,0,,2024-01-01,2024-03-09',
  'XC08CAB037A001020180517,盐酸贝尼地平片,101,09,01,0,,0,,2024-03-10,',
  // A service with a price cap per unit.
  '110900001,普通病房床位费,201,01,01,0,45.00,0,,2024-01-01,',
  // A material, 乙类 20 % with a cap; a limited-use drug.
  'C14010108601000105230000,一次性使用输液器,301,08,02,0.2,12.34,0,,2024-01-01,',
  'XL01XC12B001010100001,贝伐珠单抗注射液,101,09,02,0.1,,1,限晚期转移性结直肠癌,2024-01-01,',
].join('\r\n');

const catalogue = () => new Catalogue(parseCatalogueFile('region.csv', Buffer.from(CSV, 'utf8')).entries, ['region.csv']);

const row = (over: Record<string, unknown>): FeeRow => feeRow.parse({
  feedetl_sn: 'F1', mdtrt_id: 'M1', psn_no: 'P1', fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: 'XC08CAB037A001020180517',
  medins_list_codg: 'Y001', det_item_fee_sumamt: '100.00', cnt: '1', pric: '100.00', ...over,
});

describe('catalogue files', () => {
  it('gives the row in force on a day: the first and last day of each period, and nothing before the first', () => {
    const c = catalogue();
    expect(c.entryOn('XC08CAB037A001020180517', '2023-12-31')).toBeUndefined();
    expect(c.entryOn('XC08CAB037A001020180517', '2024-01-01')?.chrgitm_lv).toBe('02');
    expect(c.entryOn('XC08CAB037A001020180517', '2024-03-09')?.chrgitm_lv).toBe('02');
    expect(c.entryOn('XC08CAB037A001020180517', '2024-03-10')?.chrgitm_lv).toBe('01');
    expect(c.entryOn('XC08CAB037A001020180517', '2099-01-01')?.chrgitm_lv).toBe('01');
    expect(c.entryOn('110900001', '2024-03-02')).toMatchObject({ pric_uplmt_amt: 4500, med_chrgitm_type: '01', source: 'region.csv', line: 4 });
  });

  it('names every bad field by file, line and field, in Chinese, and loads nothing of a bad file', () => {
    const bad = [HEADER, 'X1,甲,101,09,02,,,0,,2024-01-01,', 'X2,乙,1,09,04,0.1,-1,0,,2024-02-30,', 'X3,丙,101,09,03,,,1,,2024-01-01,'].join('\n');
    const { entries, problems } = parseCatalogueFile('bad.csv', Buffer.from(bad));
    expect(entries).toEqual([]);
    expect(problems).toEqual([
      'bad.csv 第 2 行 selfpay_prop：乙类项目必须给出自付比例',
      'bad.csv 第 3 行 list_type：目录类别应为 3 位代码（101 西药中成药、102 中药饮片、201 医疗服务项目、301 医用耗材）',
      'bad.csv 第 3 行 chrgitm_lv：收费项目等级应为 01（甲类）、02（乙类）或 03（丙类）',
      'bad.csv 第 3 行 pric_uplmt_amt：金额格式不正确（非负，最多两位小数）',
      'bad.csv 第 3 行 begndate：应为存在的日期 yyyy-MM-dd',
      'bad.csv 第 4 行 lmt_used_scp：限制使用项目必须写明限定支付范围',
    ]);
  });

  it('refuses two periods of one code that overlap, naming both', () => {
    const overlapping = [HEADER, 'X1,甲,101,09,01,0,,0,,2024-01-01,2024-06-30', 'X1,甲,101,09,02,0.1,,0,,2024-06-30,'].join('\n');
    expect(() => new Catalogue(parseCatalogueFile('o.csv', Buffer.from(overlapping)).entries, ['o.csv'])).toThrow(
      new CatalogueError(['o.csv 第 3 行 hilist_code：X1 自 2024-06-30 起的条目与 o.csv 第 2 行（2024-01-01–2024-06-30）重叠']),
    );
  });

  it('reads a GBK file as Excel saves it, and a JSON file with a file-wide period', async () => {
    const iconv = (await import('iconv-lite')).default;
    const gbk = parseCatalogueFile('gbk.csv', iconv.encode(`${HEADER}\r\n110900001,普通病房床位费,201,01,01,0,45.00,0,,2024-01-01,`, 'gbk'));
    expect(gbk.entries[0]?.hilist_name).toBe('普通病房床位费');
    const json = parseCatalogueFile('v.json', Buffer.from(JSON.stringify({ begndate: '2025-01-01', rows: [{ hilist_code: 'X9', list_type: '101', med_chrgitm_type: '09', chrgitm_lv: '02', selfpay_prop: 0.05 }] })));
    expect(json.problems).toEqual([]);
    expect(json.entries[0]).toMatchObject({ hilist_code: 'X9', begndate: '2025-01-01', selfpay_prop: '0.05', line: 1 });
  });

  it('loads the embedded sample: real national codes with their classes and citations', () => {
    const c = loadCatalogueFiles([SAMPLE_CATALOGUE]);
    expect(c.entryOn('XB01ACA056A012010100799', '2024-03-10')).toMatchObject({ hilist_name: '阿司匹林肠溶片', chrgitm_lv: '01' });
    expect(c.entryOn('XC08CAB037A001020180517', '2024-03-10')).toMatchObject({ chrgitm_lv: '02', selfpay_prop: '0.1' });
    expect(c.entryOn('110900001', '2024-03-10')).toMatchObject({ list_type: '201', med_chrgitm_type: '01' });
    expect(() => loadCatalogueFiles(['/nonexistent/catalogue.csv'])).toThrow(/医保目录无法加载：\/nonexistent\/catalogue.csv：无法读取（ENOENT）/);
  });
});

describe('a fee row classified by the catalogue', () => {
  it('takes the class, ratio and attributes in force on the day, and records what the HIS said otherwise', () => {
    const c = catalogue();
    const his = row({ chrgitm_lv: '01', det_item_fee_sumamt: '333.33' });
    const before = classifyRow(his, c, [], '2024-03-09');
    expect(before.row).toMatchObject({ chrgitm_lv: '02', selfpay_prop: '0.1', med_chrgitm_type: '09', lmt_used_flag: '0' });
    // 乙类 10 %: 333.33 × 0.1 = 33.333 → 33.33 先行自付; the rest 政策范围内.
    expect(classesOf(before.row)).toEqual({ fulamtOwnpayFen: 0, overlmtFen: 0, preselfpayFen: 3333, inscpFen: 30000 });
    expect(before.memo).toBe('医保目录：盐酸贝尼地平片 乙类，先行自付比例 0.1（region.csv 自 2024-01-01）；医院上传 chrgitm_lv 01，以医保目录为准');
    const after = classifyRow(his, c, [], '2024-03-10');
    expect(after.row.chrgitm_lv).toBe('01');
    expect(after.memo).toBe('医保目录：盐酸贝尼地平片 甲类（region.csv 自 2024-03-10）');
    expect(resultRow(after.row, after.memo)).toMatchObject({ chrgitm_lv: '01', selfpay_prop: '0', inscp_scp_amt: '333.33', med_chrgitm_type: '09' });
  });

  it('makes a code in no catalogue 丙类 with the reason, whatever class the HIS sent', () => {
    const c = catalogue();
    const unknown = classifyRow(row({ med_list_codg: 'XZZ999', chrgitm_lv: '01', selfpay_prop: '0', det_item_fee_sumamt: '80.00' }), c, [], '2024-03-10');
    expect(unknown.row.chrgitm_lv).toBe('03');
    expect(classesOf(unknown.row)).toEqual({ fulamtOwnpayFen: 8000, overlmtFen: 0, preselfpayFen: 0, inscpFen: 0 });
    expect(unknown.memo).toBe('医保目录（2024-03-10 有效的版本）中无编码 XZZ999，医疗机构目录编码 Y001 也无目录对照（3301），按丙类（全自费）计；医院上传 chrgitm_lv 01、selfpay_prop 0，以医保目录为准');
    // Before its first period a code is in no catalogue either.
    expect(classifyRow(row({}), c, [], '2023-12-31').row.chrgitm_lv).toBe('03');
  });

  it('classifies by the hospital\'s 目录对照 in force on the day, over the med_list_codg the row carries', () => {
    const c = catalogue();
    const periods: MappingPeriod[] = [{ med_list_codg: '110900001', list_type: '201', begndate: '2024-03-01', name: '床位费（三人间）', from: '3301 M1' }];
    const mapped = classifyRow(row({ med_list_codg: 'LOCAL-BED', medins_list_codg: 'HIS-BED-3', det_item_fee_sumamt: '40.00', cnt: '1', pric: '40.00' }), c, periods, '2024-03-02');
    expect(mapped.row).toMatchObject({ med_list_codg: '110900001', chrgitm_lv: '01', pric_uplmt_amt: 4500 });
    expect(mapped.memo).toContain('目录对照（3301）将 HIS-BED-3 对照为 110900001（上传的 med_list_codg 为 LOCAL-BED），按对照计');
    // The day before the mapping starts the row's own code counts, and it is in no catalogue.
    expect(classifyRow(row({ med_list_codg: 'LOCAL-BED', medins_list_codg: 'HIS-BED-3' }), c, periods, '2024-02-29').row.chrgitm_lv).toBe('03');
  });

  it('puts what exceeds the price cap × count in overlmt_amt, to the fen, refunds negated; at the cap nothing', () => {
    const c = catalogue();
    // 3 days at 50.00 against a cap of 45.00: 150.00 − 135.00 = 15.00 over.
    const over = classifyRow(row({ med_list_codg: '110900001', det_item_fee_sumamt: '150.00', cnt: '3', pric: '50.00' }), c, [], '2024-03-10');
    expect(over.row.overlmt_amt).toBe(1500);
    expect(resultRow(over.row, over.memo)).toMatchObject({ overlmt_amt: '15.00', inscp_scp_amt: '135.00', pric_uplmt_amt: '45.00' });
    expect(over.memo).toContain('超过定价上限 45.00 × 数量 3，超限价 15.00');
    expect(classifyRow(row({ med_list_codg: '110900001', det_item_fee_sumamt: '135.00', cnt: '3', pric: '45.00' }), c, [], '2024-03-10').row.overlmt_amt).toBeUndefined();
    expect(classifyRow(row({ med_list_codg: '110900001', det_item_fee_sumamt: '-50.00', cnt: '-1', pric: '50.00', init_feedetl_sn: 'F0' }), c, [], '2024-03-10').row.overlmt_amt).toBe(-500);
    // A fractional count: 0.5 × 12.34 = 6.17; 乙类 20 % of the material, then the over-limit: 10.00 − 6.17 = 3.83 over, 2.00 先行自付.
    const material = classifyRow(row({ med_list_codg: 'C14010108601000105230000', det_item_fee_sumamt: '10.00', cnt: '0.5', pric: '20.00' }), c, [], '2024-03-10');
    expect(classesOf(material.row)).toEqual({ fulamtOwnpayFen: 0, overlmtFen: 383, preselfpayFen: 200, inscpFen: 417 });
  });

  it('states a limited-use item\'s scope, and makes it 丙类 when the hospital refused the approval (hosp_appr_flag 2)', () => {
    const c = catalogue();
    const approved = classifyRow(row({ med_list_codg: 'XL01XC12B001010100001', hosp_appr_flag: '1' }), c, [], '2024-03-10');
    expect(approved.row).toMatchObject({ chrgitm_lv: '02', lmt_used_flag: '1' });
    expect(approved.memo).toContain('限制使用：限晚期转移性结直肠癌');
    const refused = classifyRow(row({ med_list_codg: 'XL01XC12B001010100001', hosp_appr_flag: '2' }), c, [], '2024-03-10');
    expect(refused.row.chrgitm_lv).toBe('03');
    expect(refused.memo).toContain('医院审批不通过（hosp_appr_flag 2），按丙类（全自费）计');
  });

  it('without a catalogue keeps the row extension, and says when no class was sent', () => {
    expect(byRowExtension(row({ chrgitm_lv: '02', selfpay_prop: '0.2' }))).toMatchObject({ row: { chrgitm_lv: '02', selfpay_prop: '0.2' }, memo: '' });
    expect(byRowExtension(row({})).memo).toBe('未提供收费项目等级（chrgitm_lv），按丙类（全自费）计');
  });
});

describe('a row without a national code', () => {
  it('takes the code its hospital code is mapped to, with or without a catalogue; with neither it is 丙类 and says why', () => {
    const periods: MappingPeriod[] = [{ med_list_codg: '110900001', list_type: '201', begndate: '2024-01-01', name: '床位费', from: 'map.csv 第 2 行' }];
    const bare = row({ med_list_codg: undefined, medins_list_codg: 'HIS-BED', det_item_fee_sumamt: '40.00', pric: '40.00' });
    expect(classifyRow(bare, catalogue(), periods, '2024-03-10')).toMatchObject({ nationalCode: '110900001', row: { med_list_codg: '110900001', chrgitm_lv: '01' } });
    expect(byRowExtension({ ...bare, chrgitm_lv: '01' }, periods, '2024-03-10')).toMatchObject({ nationalCode: '110900001', row: { med_list_codg: '110900001', chrgitm_lv: '01' }, memo: '' });
    const none = classifyRow(bare, catalogue(), [], '2024-03-10');
    expect(none).toMatchObject({ nationalCode: undefined, row: { med_list_codg: 'HIS-BED', chrgitm_lv: '03' } });
    expect(none.memo).toBe('未上传医保目录编码（med_list_codg），医疗机构目录编码 HIS-BED 在 2024-03-10 无目录对照（3301），按丙类（全自费）计');
  });
});

describe('the 目录对照 file', () => {
  it('reads the 1317-shaped rows per hospital, and names a bad row or an overlap', () => {
    const head = 'fixmedins_code,fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate';
    const ok = parseMappingsFile('map.csv', Buffer.from(`${head}\nH1,Y1,床位费,201,110900001,2024-01-01,`));
    expect([...ok.values()][0]).toEqual([{ med_list_codg: '110900001', list_type: '201', begndate: '2024-01-01', name: '床位费', from: 'map.csv 第 2 行' }]);
    expect(() => parseMappingsFile('map.csv', Buffer.from(`${head}\nH1,Y1,床位费,201,110900001,2024-01-01,\nH1,Y1,床位费,201,110900002,2024-06-01,\nH1,,x,201,1,2024-13-01,`))).toThrow(
      new CatalogueError([
        'map.csv 第 3 行 begndate：H1 的 Y1 与 map.csv 第 2 行 的对照期间重叠',
        'map.csv 第 4 行 fixmedins_hilist_id：必填项缺失',
        'map.csv 第 4 行 begndate：应为存在的日期 yyyy-MM-dd',
      ]),
    );
  });
});
