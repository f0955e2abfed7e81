/**
 * Plan features not in the two reference packs, on a small plan written here as a county operator would: a
 * responsibility on items selected by code (质子重离子) with a 负面清单 kept out of another, and two
 * responsibilities filling one deductible together (共用免赔额) — across rules of one stay and across stays.
 */
import { describe, expect, it } from 'vitest';
import { line, Person, programmes, roster } from '../support/engine.js';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { parseYaml } from '../../gateway/programmes/load.js';
import { packCounterKeys } from '../../gateway/programmes/check.js';
import { pack } from '../../schemas/pack.js';
import { request } from '../support/requests.js';
import type { SettlementRequestInput } from '../../schemas/settlement.js';

const PLAN = `
id: test-2025-plan
version: "1"
name: 测试市惠民保
layer: supplementary
order: 95
source: { file: test, title: 测试保障方案 }
payer: { name: 测试共保体, insurerCode: test-plan }
insuredRegions: { value: ["3798"], cite: "方案 一" }
term: { from: 2025-01-01, to: 2025-12-31, cite: "方案 二" }
eligibility: { roster: { id: test-2025-plan, cite: "方案 三" } }
sharedDeductibles:
  - { id: outside, name: 责任一、二共用免赔额, rules: [r1, r2], cite: "方案 四：责任一、二共用年度免赔额2万元" }
rules:
  - id: r1
    name: 责任一·住院自费
    kind: coinsurance
    base: { parts: [overLimit, outOfScope], after: [], items: { notCodes: [ZZL, QL] }, cite: "方案 四(一)：医保目录外费用，负面清单（QL）除外" }
    deductible: { amount: "20000", per: year, cite: "方案 四：2万元" }
    ratio: { value: { healthy: "0.60" }, cite: "方案 四(一)：60%" }
    payment: direct
  - id: r3
    name: 责任三·住院医保范围内自付
    kind: coinsurance
    base: { parts: [compliant, preSelfPay], after: [basic, majorIllness], cite: "方案 四(三)：医保范围内个人自付" }
    deductible: { amount: "10000", per: year, cite: "方案 四(三)：1万元" }
    ratio: { value: { healthy: "0.60" }, cite: "方案 四(三)：5万元以下60%" }
    ratioBands:
      per: year
      bands: [{ above: "50000", ratio: { healthy: "0.70" } }, { above: "100000", ratio: { healthy: "0.80" } }]
      cite: "方案 四(三)：5万至10万元部分70%，10万元以上部分80%"
    payment: direct
  - id: r2
    name: 责任二·质子重离子
    kind: coinsurance
    base: { of: all, after: [basic, majorIllness], items: { codes: [ZZL] }, cite: "方案 四(二)：质子重离子治疗费用" }
    deductible: { amount: "20000", per: year, cite: "方案 四：2万元" }
    ratio: { value: { healthy: "0.70" }, cite: "方案 四(二)：70%" }
    annualCap: { value: "1000000", cite: "方案 四(二)：100万元" }
    payment: direct
`;
const plan = parseYaml(PLAN, pack, 'test plan', 'programme pack');
const set = new ProgrammeSet([...programmes.packs, plan], programmes.catalogues);
const PERSON = '379801199001011234';
const member = () => new Person({ 'test-2025-plan': roster([{ personId: PERSON, from: '2025-01-01', to: '2025-12-31' }]) }, set);
const stay = (settlementId: string, items: SettlementRequestInput['items']) => request({
  settlementId, items, hospital: { id: 'H37980100001', region: '379801', level: 3 }, patient: { id: PERSON, insuredRegion: '379801' },
  encounter: { admittedOn: '2025-03-01', dischargedOn: '2025-03-10' },
});
const ITEMS: SettlementRequestInput['items'] = [
  { code: 'C1', name: '自费药', amount: '15000.00', class: 'C' },
  { code: 'QL01', name: '负面清单项目', amount: '9000.00', class: 'C' },
  { code: 'ZZL01', name: '质子治疗', amount: '30000.00', class: 'C' },
];

describe('items selected by code, and a 负面清单', () => {
  it('keeps the proton item and the 负面清单 out of 责任一, and pays 责任二 on the proton item alone', () => {
    const person = member();
    const l = line(person.settle(stay('ZY1', ITEMS)).split, 'test-2025-plan');
    // 责任一: base 15000 (not 9000, not 30000), all into the shared 20000: 0.00. 责任二: 5000 left, (30000 − 5000) × 70 % = 17500.
    expect(l.amount).toBe('17500.00');
    expect(l.explanation.join('\n')).toContain('超限价自费+目录外（丙类）费用（不含编码 ZZL、QL 开头的项目） 15000.00');
    expect(l.explanation.join('\n')).toContain('医疗总费用（仅编码 ZZL 开头的项目） 30000.00');
    expect(person.accumulators['test-2025-plan|2025|outside.deductibleUsed']).toBe(2_000_000);
  });
});

describe('a deductible two responsibilities fill together', () => {
  it('is filled across stays by either: 12000 by 责任一, then 8000 left for 责任二', () => {
    const person = member();
    expect(line(person.settle(stay('ZY1', [{ code: 'C1', name: '自费药', amount: '12000.00', class: 'C' }])).split, 'test-2025-plan').amount).toBe('0.00');
    const second = line(person.settle(stay('ZY2', [{ code: 'ZZL01', name: '质子治疗', amount: '10000.00', class: 'C' }])).split, 'test-2025-plan');
    expect(second.amount).toBe('1400.00'); // (10000 − 8000) × 70 %
    expect(second.explanation.join()).toContain('本年尚余 8000.00');
  });

  it('is one counter key, guarded by check-pack in place of each rule\'s own', () => {
    expect(packCounterKeys(plan)).toEqual(['outside.deductibleUsed', 'r1.paid', 'r2.paid', 'r3.deductibleUsed', 'r3.paid', 'r3.payable']);
  });
});

describe('ratios by amount after the deductible (分段赔付), over the year', () => {
  const inCatalogue = (settlementId: string, amount: string) => stay(settlementId, [{ code: 'A1', name: '甲类', amount, class: 'A' }]);
  it('pays 60 % up to 5万, 70 % to 10万, 80 % above, the bands running on across stays', () => {
    const person = member();
    const first = line(person.settle(inCatalogue('ZY1', '80000.00')).split, 'test-2025-plan');
    // payable 80000 − 10000 = 70000: 50000 × 60 % + 20000 × 70 % = 44000.
    expect(first.amount).toBe('44000.00');
    expect(first.explanation.join('\n')).toContain('分段赔付（本年累计免赔后金额）50000.00–100000.00 元段 20000.00 × 70% = 14000.00');
    // The next 50000 of payable runs 70000 → 120000: 30000 × 70 % + 20000 × 80 % = 37000.
    expect(line(person.settle(inCatalogue('ZY2', '50000.00')).split, 'test-2025-plan').amount).toBe('37000.00');
    expect(person.accumulators['test-2025-plan|2025|r3.payable']).toBe(12_000_000);
  });
  it('pays at the band\'s edge exactly: 5万 after the deductible is all at 60 %', () => {
    expect(line(member().preview(inCatalogue('ZY1', '60000.00')).split, 'test-2025-plan').amount).toBe('30000.00');
    expect(line(member().preview(inCatalogue('ZY1', '60000.01')).split, 'test-2025-plan').amount).toBe('30000.01'); // + 0.01 × 70 % = 0.007
  });
});
