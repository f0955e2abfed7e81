/**
 * 烟台市民健康保 2025 (shared/plans/yantai-2025.md), hand-computed: 责任一 on the in-catalogue self-pay, 责任二 on
 * the out-of-catalogue cost with 乙类先行自付 in it, the 1.5万 deductibles and the 1.3万–1.5万 band at 10 % for
 * healthy continuous enrolees, within one stay and across stays. The pack is a reference (its ratios come from
 * configuration): the tests put it in force.
 */
import { describe, expect, it } from 'vitest';
import { line, Person, programmes, roster } from '../support/engine.js';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { request } from '../support/requests.js';
import type { RosterRow } from '../../schemas/roster.js';
import type { SettlementRequestInput } from '../../schemas/settlement.js';

const ID = 'yantai-2025-shimin';
const PERSON = '370602199001011234';
const inForce = new ProgrammeSet(programmes.packs.map((p) => (p.id === ID ? { ...p, status: 'active' as const } : p)), programmes.catalogues);
type O = Parameters<typeof request>[0];
const stay = (o: O = {}) => request({
  ...o,
  hospital: { id: 'H37060200001', region: '370602', level: 3, drgPublic: false, ...o.hospital },
  patient: { id: PERSON, insuredRegion: '370602', categories: [], ...o.patient },
  encounter: { admittedOn: '2025-04-01', dischargedOn: '2025-04-15', ...o.encounter },
});
const member = (row: Partial<RosterRow> = {}) => new Person({ [ID]: roster([{ personId: PERSON, from: '2025-01-01', to: '2025-12-31', ...row }]) }, inForce);
const continuous = { attributes: { continuousYears: '2' } };
const explanation = (person: Person, o: O) => line(person.preview(stay(o)).split, ID).explanation.join('\n');
const pays = (person: Person, o: O) => line(person.preview(stay(o)).split, ID).amount;

type Items = SettlementRequestInput['items'];
/** 甲 60000 (500 over the price limit), 乙 10000 at 10 % 先行自付, 丙 8000: compliant 68500, 乙类先行自付 1000, 超限价 500, 丙 8000. */
const BILL: Items = [
  { code: 'A1', name: '甲类', amount: '60000.00', class: 'A', overLimit: '500.00' },
  { code: 'B1', name: '乙类', amount: '10000.00', class: 'B', selfPayRatio: '0.10' },
  { code: 'C1', name: '丙类', amount: '8000.00', class: 'C' },
];
const UPSTREAM = { basic: '35000.00', majorIllness: '3500.00' };
const inCatalogue = (selfPay: string): O => ({ items: [{ code: 'A1', name: '甲类', amount: selfPay, class: 'A' }] });

describe('bases by part: 责任一 the in-catalogue self-pay, 责任二 the out-of-catalogue cost with 乙类先行自付', () => {
  it('pays 责任一 (68500 − 38500 − 15000) × 70 % = 10500.00; 责任二 (1000 + 500 + 8000) stays under its own 1.5万', () => {
    const person = member();
    const out = person.settle(stay({ items: BILL, upstream: UPSTREAM }));
    expect(line(out.split, ID).amount).toBe('10500.00');
    expect(person.accumulators[`${ID}|2025|r1.deductibleUsed`]).toBe(1_500_000);
    expect(person.accumulators[`${ID}|2025|r2.deductibleUsed`]).toBe(950_000);
    expect(line(out.split, ID).explanation.join('\n')).toContain('乙类先行自付+超限价自费+目录外（丙类）费用 9500.00 = 计算基数 9500.00');
  });

  it('pays 责任二 (1000 + 500 + 40000 − 15000) × 60 % = 15900.00 on a large out-of-catalogue bill', () => {
    const items: Items = [...BILL.slice(0, 2), { code: 'C1', name: '丙类', amount: '40000.00', class: 'C' }];
    expect(pays(member(), { items, upstream: UPSTREAM })).toBe('26400.00'); // 10500 + 15900
  });
});

describe('the 1.3万–1.5万 band at 10 % for healthy continuous enrolees', () => {
  it('adds 2000 × 10 % = 200.00 when a stay crosses the whole band: 10700.00', () => {
    expect(pays(member(continuous), { items: BILL, upstream: UPSTREAM })).toBe('10700.00');
    expect(explanation(member(continuous), { items: BILL, upstream: UPSTREAM })).toContain('免赔额内 13000.00–15000.00 元段 2000.00 × 10% = 200.00');
  });

  it('gives no band to a person marked 既往症, nor to one enrolled for the first time', () => {
    expect(pays(member({ ...continuous, preExisting: true }), { items: BILL, upstream: UPSTREAM })).toBe('5250.00'); // 15000 × 35 %
    expect(pays(member({ attributes: { continuousYears: '1' } }), { items: BILL, upstream: UPSTREAM })).toBe('10500.00');
  });

  it('pays nothing at 13000.00, 0.10 for 13001.00, 100.00 at 14000.00, 200.00 at 15000.00', () => {
    expect(pays(member(continuous), inCatalogue('13000.00'))).toBe('0.00');
    expect(pays(member(continuous), inCatalogue('13001.00'))).toBe('0.10');
    expect(pays(member(continuous), inCatalogue('14000.00'))).toBe('100.00');
    expect(pays(member(continuous), inCatalogue('15000.00'))).toBe('200.00');
    expect(pays(member(continuous), inCatalogue('15000.01'))).toBe('200.01'); // 200 + 0.01 × 70 % = 200.007
    expect(pays(member(), inCatalogue('15000.00'))).toBe('0.00');
  });

  it('fills the band across stays: 13500 then 10000 pays 50.00, then 1500 × 10 % + 8500 × 70 % = 6100.00', () => {
    const person = member(continuous);
    expect(line(person.settle(stay(inCatalogue('13500.00'))).split, ID).amount).toBe('50.00');
    expect(line(person.settle(stay({ ...inCatalogue('10000.00'), settlementId: 'ZY2' })).split, ID).amount).toBe('6100.00');
  });
});

describe('standing in the plan', () => {
  it('is a reference pack: never in force as shipped', () => {
    const shipped = new Person({ [ID]: roster([{ personId: PERSON, from: '2025-01-01', to: '2025-12-31' }]) });
    expect(shipped.preview(stay({ items: BILL, upstream: UPSTREAM })).split.lines.some((l) => l.programme === ID)).toBe(false);
  });
  it('needs active basic insurance', () => {
    expect(explanation(member(), { items: BILL, upstream: UPSTREAM, patient: { basicInsuranceActive: false } })).toContain('基本医疗保险待遇未在享受期');
  });
});
