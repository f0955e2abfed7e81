/** Worked examples of the demo region 990000 (residents, 2024), figures as issue #3 fixes them. */
import { describe, expect, it } from 'vitest';
import { Unprocessable } from '../../gateway/errors.js';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { amounts, line, Person, programmes } from '../support/engine.js';
import { compliantItems, request } from '../support/requests.js';

const stay = (amount: string, o: Parameters<typeof request>[0] = {}) => request({ items: compliantItems(amount), ...o });

describe('basic insurance (demo region)', () => {
  it.each([
    [1, '200.00', '10000.00', '8820.00'], // (10000 − 200) × 0.90
    [2, '500.00', '10000.00', '7600.00'], // (10000 − 500) × 0.80
    [3, '1000.00', '10000.00', '5850.00'], // (10000 − 1000) × 0.65
  ])('level %i: deductible %s, compliant %s → %s', (level, _ded, amount, basic) => {
    const { split } = new Person().preview(stay(amount, { hospital: { level } }));
    expect(line(split, 'basic').amount).toBe(basic);
    expect(line(split, 'basic').mode).toBe('computed');
  });

  it('pays nothing at the deductible and one fen just above it (half-up)', () => {
    expect(line(new Person().preview(stay('1000.00')).split, 'basic').amount).toBe('0.00');
    expect(line(new Person().preview(stay('1000.01')).split, 'basic').amount).toBe('0.01'); // 0.65 fen → 1 fen
    expect(line(new Person().preview(stay('200.00', { hospital: { level: 1 } })).split, 'basic').amount).toBe('0.00');
    expect(line(new Person().preview(stay('500.00')).split, 'basic').amount).toBe('0.00');
  });

  it('halves the deductible and adds five points for the preferential categories', () => {
    for (const category of ['tekun', 'dibao', 'poverty-alleviated', 'relapse-monitored'] as const) {
      const { split } = new Person().preview(stay('10000.00', { patient: { categories: [category] } }));
      expect(line(split, 'basic').amount).toBe('6650.00'); // (10000 − 500) × 0.70
    }
    const { split } = new Person().preview(stay('10000.00', { patient: { categories: ['dibao-edge'] } }));
    expect(line(split, 'basic').amount).toBe('5850.00');
  });

  it('rounds the payment, not a halved deductible: (10000 − 500.01 × 50%) × 85% = 8287.49575 → 8287.50', () => {
    const odd = structuredClone(programmes.get('demo-990000-2024-basic')!);
    const rule = odd.rules[0]!;
    if (rule.kind !== 'basicDeductibleRatio') throw new Error('expected the basic rule');
    rule.deductiblePerStayByLevel.value[2] = 50_001; // 500.01 → 250.005 for preferred persons
    const set = new ProgrammeSet([...programmes.packs.filter((p) => p.id !== odd.id), odd], programmes.catalogues);
    const preferred = new Person({}, set).preview(stay('10000.00', { hospital: { level: 2 }, patient: { categories: ['dibao'] } })).split;
    expect(line(preferred, 'basic').amount).toBe('8287.50'); // a rounded deductible 250.01 gave 8287.49
    expect(line(preferred, 'basic').explanation.join()).toContain('250.005');
    // just above the exact deductible: (250.01 − 250.005) × 85% = 0.00425 → 0.00; (250.02 − 250.005) × 85% = 0.01275 → 0.01
    expect(line(new Person({}, set).preview(stay('250.01', { hospital: { level: 2 }, patient: { categories: ['dibao'] } })).split, 'basic').amount).toBe('0.00');
    expect(line(new Person({}, set).preview(stay('250.02', { hospital: { level: 2 }, patient: { categories: ['dibao'] } })).split, 'basic').amount).toBe('0.01');
  });

  it('stops at the annual fund cap of 200000 across stays', () => {
    const person = new Person();
    person.accumulators['demo-990000-2024-basic|2024|fund.fundPaid'] = 19_900_000; // 199000.00 paid this year
    const { split } = person.settle(stay('10000.00'));
    expect(line(split, 'basic').amount).toBe('1000.00');
    expect(line(split, 'basic').explanation.join()).toContain('200000.00');
    expect(line(person.preview(stay('10000.00', { settlementId: 'ZY2' })).split, 'basic').amount).toBe('0.00');
  });

  it('does not cover employees or another year: those layers pay 0 with a reason', () => {
    const { split } = new Person().preview(stay('10000.00', { patient: { scheme: 'employee' } }));
    expect(split.lines.slice(0, 4).every((l) => l.amount === '0.00')).toBe(true);
    expect(line(split, 'basic').explanation.join()).toContain('无基本医疗保险政策包');
    expect(line(split, 'basic').fundPayType).toBe('310100');
    const lastYear = new Person().preview(stay('10000.00', { encounter: { admittedOn: '2023-12-20', dischargedOn: '2023-12-30' } })).split;
    expect(line(lastYear, 'basic').amount).toBe('0.00');
  });
});

describe('major illness (demo region)', () => {
  const withBasic = (compliant: string, basic: string, o: Parameters<typeof request>[0] = {}) =>
    request({ items: compliantItems(compliant), upstream: { basic }, ...o });

  it('pays nothing at the 15000 threshold and from one fen above it', () => {
    expect(line(new Person().preview(withBasic('20000.00', '5000.00')).split, 'majorIllness').amount).toBe('0.00');
    expect(line(new Person().preview(withBasic('20000.00', '4999.99')).split, 'majorIllness').amount).toBe('0.01');
  });

  it.each([
    ['65000.00', '30000.00'], // 50000 × 0.60
    ['115000.00', '65000.00'], // + 50000 × 0.70
    ['125000.00', '73000.00'], // + 10000 × 0.80
    ['600000.00', '400000.00'], // 453000 by formula, capped at 400000
  ])('burden after basic %s → %s', (burden, pays) => {
    expect(line(new Person().preview(withBasic(burden, '0.00')).split, 'majorIllness').amount).toBe(pays);
  });

  it('uses threshold 7500, ratios +5 points and no cap for the preferential categories', () => {
    const p = (burden: string) => line(new Person().preview(withBasic(burden, '0', { patient: { categories: ['tekun'] } })).split, 'majorIllness').amount;
    expect(p('7500.00')).toBe('0.00');
    expect(p('57500.00')).toBe('32500.00'); // 50000 × 0.65
    expect(p('1007500.00')).toBe('835000.00'); // 32500 + 37500 + 900000 × 0.85, no cap
  });

  it('accumulates the burden over the year: the second stay crosses the threshold', () => {
    const person = new Person();
    const first = person.settle(withBasic('10000.00', '0.00'));
    expect(line(first.split, 'majorIllness').amount).toBe('0.00');
    const second = person.settle(withBasic('10000.00', '0.00', { settlementId: 'ZY2' }));
    expect(line(second.split, 'majorIllness').amount).toBe('3000.00'); // (20000 − 15000) × 0.60
    expect(line(second.split, 'majorIllness').explanation.join()).toContain('此前 10000.00 + 本次 10000.00 = 20000.00');
  });
});

describe('waiver and aid (demo region)', () => {
  it('works the full waterfall for a 低保 person: 50000 compliant at a level-3 hospital', () => {
    const { split } = new Person().preview(stay('50000.00', { patient: { categories: ['dibao'] } }));
    expect(amounts(split)).toEqual({ basic: '34650.00', majorIllness: '5102.50', waiver: '1024.75', aid: '6455.93' });
    // basic (50000 − 500) × 0.70; MI (15350 − 7500) × 0.65; waiver 10247.50 × 10%; aid 9222.75 × 70% = 6455.925 → 6455.93
    expect(split.patientPays).toBe('2766.82');
    expect(line(split, 'waiver').payer).toBe('H99000000001');
    expect(line(split, 'aid').fundPayType).toBe('610100');
  });

  it('gives 特困 full aid on the compliant cost: the patient pays only what is outside scope', () => {
    const items = [
      { code: 'a', name: '甲类', amount: '8000.00', class: 'A' as const },
      { code: 'b', name: '乙类', amount: '1000.00', class: 'B' as const, selfPayRatio: '0.10' },
      { code: 'c', name: '丙类', amount: '500.00', class: 'C' as const },
    ];
    const { split } = new Person().preview(request({ items, patient: { categories: ['tekun'] } }));
    expect(split.patientPays).toBe('600.00'); // 500 out of scope + 100 pre-self-pay
    expect(line(split, 'waiver').amount).not.toBe('0.00');
  });

  it('grants no waiver to 低保边缘 and applies their annual aid deductible of 1000 across stays', () => {
    const person = new Person();
    const edge = { patient: { categories: ['dibao-edge' as const] } };
    const first = person.settle(request({ items: compliantItems('2000.00'), upstream: { basic: '1400.00' }, ...edge }));
    expect(line(first.split, 'waiver').amount).toBe('0.00');
    expect(line(first.split, 'aid').amount).toBe('0.00'); // 600 left, all into the deductible
    const second = person.settle(request({ settlementId: 'ZY2', items: compliantItems('3000.00'), upstream: { basic: '1000.00' }, ...edge }));
    expect(line(second.split, 'aid').amount).toBe('960.00'); // (2000 − 400 deductible left) × 0.60
  });

  it('caps aid at 100000 a year', () => {
    const person = new Person();
    person.accumulators['demo-990000-2024-aid|2024|aid.paid'] = 9_990_000;
    const { split } = person.preview(request({ items: compliantItems('5000.00'), upstream: { basic: '0', majorIllness: '0' }, patient: { categories: ['tekun'] } }));
    expect(line(split, 'aid').amount).toBe('100.00');
  });

  it('takes given upstream amounts as they are and computes the rest', () => {
    const { split } = new Person().preview(stay('10000.00', { upstream: { basic: '7000.00' }, patient: { categories: ['dibao'] } }));
    expect(line(split, 'basic')).toMatchObject({ mode: 'given', amount: '7000.00' });
    expect(line(split, 'majorIllness').mode).toBe('computed');
    expect(line(split, 'waiver').amount).toBe('300.00');
  });

  it('rejects an upstream amount above what is left of the bill', () => {
    expect(() => new Person().preview(stay('100.00', { upstream: { basic: '60.00', aid: '50.00' } }))).toThrow(Unprocessable);
  });

  it('rejects a discharge before admission', () => {
    expect(() => new Person().preview(stay('100.00', { encounter: { admittedOn: '2024-03-10', dischargedOn: '2024-03-01' } }))).toThrow(/出院日期早于入院日期/);
  });

  it('explains every line, including those that pay nothing', () => {
    const { split } = new Person().preview(stay('3000.00'));
    for (const l of split.lines) expect(l.explanation.length).toBeGreaterThan(0);
    expect(line(split, 'waiver').explanation.join()).toContain('本人不属于');
  });

  it('reversing a stay restores every accumulator exactly', () => {
    const person = new Person();
    person.settle(stay('30000.00', { patient: { categories: ['dibao-edge'] } }));
    const before = { ...person.accumulators };
    const second = person.settle(stay('80000.00', { settlementId: 'ZY2', patient: { categories: ['dibao-edge'] } }));
    expect(person.accumulators).not.toEqual(before);
    person.reverse(second.result);
    expect(person.accumulators).toEqual(before);
  });
});
