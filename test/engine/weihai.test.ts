/** 威海 2020 扶贫特惠保险 (seeds/001): 医疗商业补充保险 and 意外伤害保险. */
import { describe, expect, it } from 'vitest';
import { disabilityBenefitFen } from '../../gateway/engine/schedules.js';
import { formatFen } from '../../gateway/engine/money.js';
import { amounts, line, Person, programmes, roster } from '../support/engine.js';
import { compliantItems, request } from '../support/requests.js';

const PERSON = '371002195001011234';
const weihai = (o: Parameters<typeof request>[0] = {}) => request({
  ...o,
  hospital: { id: 'H37100200001', region: '371002', level: 3, ...o.hospital },
  patient: { id: PERSON, insuredRegion: '371002', categories: ['poverty-alleviated'], ...o.patient },
  encounter: { admittedOn: '2020-03-01', dischargedOn: '2020-03-10', ...o.encounter },
});
const enrolled = (from = '2020-01-01') => new Person({ 'weihai-2020-poverty': roster([{ personId: PERSON, from, to: '2020-12-31', categories: ['poverty-alleviated'] }]) });

describe('weihai-2020-medical: personal burden held at 10% of compliant cost', () => {
  it('settles the contract example: upstream given, the programme brings the burden down to 10%', () => {
    const items = [
      { code: 'XB01AC06A001', name: '阿司匹林肠溶片', amount: '12.60', class: 'A' as const },
      { code: 'XL01XE01A001', name: '某乙类药', amount: '2000.00', class: 'B' as const, selfPayRatio: '0.10' },
      { code: 'F00000000001', name: '某目录外耗材', amount: '800.00', class: 'C' as const },
      { code: '001101000010000', name: '床位费', amount: '300.00', class: 'A' as const, overLimit: '60.00' },
    ];
    const { split } = enrolled().preview(weihai({ items, upstream: { basic: '1500.00', majorIllness: '0.00', aid: '200.00' } }));
    // compliant 2052.60; left after upstream 352.60; ceiling 205.26 → pays 147.34
    expect(amounts(split)).toEqual({ basic: '1500.00', majorIllness: '0.00', waiver: '0.00', aid: '200.00', 'weihai-2020-medical': '147.34', 'weihai-2020-accident': '0.00' });
    expect(split.patientPays).toBe('1265.26');
    expect(split.lines.map((l) => l.layer)).toEqual(['basic', 'majorIllness', 'waiver', 'aid', 'supplementary', 'supplementary']);
    expect(line(split, 'weihai-2020-medical').payer).toBe('中国人寿保险股份有限公司威海分公司');
    expect(split.policyVersions).toMatchObject({ 'weihai-2020-medical': '2020.1' });
  });

  it('keeps the cumulative burden at 10% across the year', () => {
    const person = enrolled();
    const s1 = person.settle(weihai({ items: compliantItems('10000.00'), upstream: { basic: '6000.00' } }));
    expect(line(s1.split, 'weihai-2020-medical').amount).toBe('3000.00'); // burden 4000 → 1000
    const s2 = person.settle(weihai({ settlementId: 'ZY2', items: compliantItems('10000.00'), upstream: { basic: '9500.00' } }));
    expect(line(s2.split, 'weihai-2020-medical').amount).toBe('0.00'); // cumulative 1500 ≤ 2000
    const s3 = person.settle(weihai({ settlementId: 'ZY3', items: compliantItems('10000.00'), upstream: { basic: '5000.00' } }));
    expect(line(s3.split, 'weihai-2020-medical').amount).toBe('3500.00'); // 1500 + 5000 − 3000
    expect(s3.split.patientPays).toBe('1500.00');
  });

  it('covers 即时帮扶 people only from their inclusion: earlier stays neither pay nor count', () => {
    const person = enrolled('2020-06-01');
    const before = person.settle(weihai({ items: compliantItems('10000.00'), upstream: { basic: '5000.00' }, encounter: { admittedOn: '2020-05-01', dischargedOn: '2020-05-20' } }));
    expect(line(before.split, 'weihai-2020-medical').amount).toBe('0.00');
    expect(line(before.split, 'weihai-2020-medical').explanation.join()).toContain('不在本人保障期内');
    expect(person.accumulators).toEqual({});
    const after = person.settle(weihai({ settlementId: 'ZY2', items: compliantItems('10000.00'), upstream: { basic: '5000.00' }, encounter: { admittedOn: '2020-07-01', dischargedOn: '2020-07-10' } }));
    expect(line(after.split, 'weihai-2020-medical').amount).toBe('4000.00');
  });

  it('pays nobody absent from the roster, whatever the request claims', () => {
    const { split } = new Person().preview(weihai({ items: compliantItems('10000.00') }));
    expect(line(split, 'weihai-2020-medical').amount).toBe('0.00');
    expect(line(split, 'weihai-2020-medical').explanation.join()).toContain('不在参保名单');
  });

  it('rounds the payment, not the 10% limit: compliant 10000.05 → pays 9000.05, the patient 1000.00', () => {
    // exactly 10000.05 − 10% × 10000.05 = 9000.045 → half-up 9000.05 (a rounded limit 1000.01 gave 9000.04)
    const { split } = enrolled().preview(weihai({ items: compliantItems('10000.05') }));
    expect(line(split, 'weihai-2020-medical').amount).toBe('9000.05');
    expect(split.patientPays).toBe('1000.00');
  });

  it('rounds the payment once at the limit across stays too (fractional fen at each boundary)', () => {
    const person = enrolled();
    const s1 = person.settle(weihai({ items: compliantItems('0.05') })); // 0.05 − 0.005 = 0.045 → 0.05
    expect(line(s1.split, 'weihai-2020-medical').amount).toBe('0.05');
    expect(s1.split.patientPays).toBe('0.00');
    // cumulative compliant 0.10, burden before 0.00 + 0.05: pays 0.05 − 0.01 = 0.04 exactly
    const s2 = person.settle(weihai({ settlementId: 'ZY2', items: compliantItems('0.05') }));
    expect(line(s2.split, 'weihai-2020-medical').amount).toBe('0.04');
    // cumulative 10000.15, burden 0.01 + 10000.05 − 1000.015 = 9000.045 → 9000.05
    const s3 = person.settle(weihai({ settlementId: 'ZY3', items: compliantItems('10000.05') }));
    expect(line(s3.split, 'weihai-2020-medical').amount).toBe('9000.05');
    // cumulative 10000.16: burden 1000.01 + 0.01 − 1000.016 = 0.004 → 0.00 (limit not reached by half a fen)
    const s4 = person.settle(weihai({ settlementId: 'ZY4', items: compliantItems('0.01') }));
    expect(line(s4.split, 'weihai-2020-medical').amount).toBe('0.00');
  });

  it('stops at the 600000 annual cap', () => {
    const person = enrolled();
    person.accumulators['weihai-2020-medical|2020|ceiling.paid'] = 59_900_000;
    const { split } = person.preview(weihai({ items: compliantItems('10000.00'), upstream: { basic: '5000.00' } }));
    expect(line(split, 'weihai-2020-medical').amount).toBe('1000.00');
  });

  it('has no deductible: a small stay is brought to 10% too', () => {
    const { split } = enrolled().preview(weihai({ items: compliantItems('100.00') }));
    expect(line(split, 'weihai-2020-medical').amount).toBe('90.00');
  });

  it('covers inpatient stays only', () => {
    const { split } = enrolled().preview(weihai({ items: compliantItems('100.00'), encounter: { kind: 'outpatientSpecial' } }));
    expect(line(split, 'weihai-2020-medical').amount).toBe('0.00');
  });

  // 个人累计负担 is what the person bears after every direct payer of the bill, the 意外伤害保险 (ordered after
  // it) included. Counted before that payer, stay 1's burden was 1000.00 and stay 2 overpaid 1000.00.
  it('counts as burden only what the person bears after the accident insurance paid too', () => {
    const person = enrolled();
    const s1 = person.settle(weihai({ items: compliantItems('10000.00'), encounter: { cause: 'accident' } }));
    expect(line(s1.split, 'weihai-2020-medical').amount).toBe('9000.00'); // 10000 − 10% of 10000
    expect(line(s1.split, 'weihai-2020-accident').amount).toBe('1000.00'); // (10000 − 100) × 80% = 7920, 1000 left
    expect(s1.split.patientPays).toBe('0.00');
    expect(s1.result.deltas['weihai-2020-medical|2020|ceiling.burden']).toBeUndefined(); // bears 0.00
    const s2 = person.settle(weihai({ settlementId: 'ZY2', items: compliantItems('10000.00'), upstream: { basic: '8000.00' }, encounter: { admittedOn: '2020-05-01', dischargedOn: '2020-05-10' } }));
    // burden 0.00 + 2000.00 = 2000.00, exactly 10 % of 20000.00: nothing above the ceiling
    expect(line(s2.split, 'weihai-2020-medical').amount).toBe('0.00');
    expect(s2.split.patientPays).toBe('2000.00');
    expect(s2.result.deltas['weihai-2020-medical|2020|ceiling.burden']).toBe(200_000);
  });
});

describe('weihai-2020-accident', () => {
  it('pays (compliant − 100) × 80% for an accident, within the compliant cost left', () => {
    const items = [...compliantItems('5000.00'), { code: 'c', name: '丙类', amount: '3000.00', class: 'C' as const }];
    const { split } = enrolled().preview(weihai({ items, encounter: { cause: 'accident' } }));
    // medical first: 5000 left, ceiling 500 → pays 4500; accident: 3920 by formula, 500 compliant left
    expect(line(split, 'weihai-2020-medical').amount).toBe('4500.00');
    expect(line(split, 'weihai-2020-accident').amount).toBe('500.00');
    expect(split.patientPays).toBe('3000.00');
  });

  it('pays by formula when enough is left, and not for disease', () => {
    const person = enrolled();
    person.accumulators['weihai-2020-medical|2020|ceiling.paid'] = 60_000_000; // medical supplement exhausted
    const accident = person.preview(weihai({ items: compliantItems('1100.00'), encounter: { cause: 'accident' } })).split;
    expect(line(accident, 'weihai-2020-medical').amount).toBe('0.00');
    expect(line(accident, 'weihai-2020-accident').amount).toBe('800.00'); // (1100 − 100) × 80%
    expect(line(accident, 'weihai-2020-accident').explanation.join()).toContain('每次免赔额 100.00');
    const atDeductible = person.preview(weihai({ items: compliantItems('100.00'), encounter: { cause: 'accident' } })).split;
    expect(line(atDeductible, 'weihai-2020-accident').amount).toBe('0.00');
    const { split } = enrolled().preview(weihai({ items: compliantItems('5000.00') }));
    expect(line(split, 'weihai-2020-accident').amount).toBe('0.00');
    expect(line(split, 'weihai-2020-accident').explanation.join()).toContain('仅限意外伤害');
  });

  it('stops at the 20000 limit across the year', () => {
    const person = enrolled();
    person.accumulators['weihai-2020-accident|2020|accident-medical.paid'] = 1_950_000;
    // medical supplement is exhausted by its cap so the accident insurance has compliant cost left to pay
    person.accumulators['weihai-2020-medical|2020|ceiling.paid'] = 60_000_000;
    const { split } = person.preview(weihai({ items: compliantItems('10000.00'), encounter: { cause: 'accident' } }));
    expect(line(split, 'weihai-2020-accident').amount).toBe('500.00');
  });

  it('keeps the death and disability table as data: 50000 at grade 1, −10% per grade, at least 5000', () => {
    const schedule = programmes.get('weihai-2020-accident')!.schedules.accidentalDeathOrDisability!;
    expect([1, 2, 5, 10].map((g) => formatFen(disabilityBenefitFen(schedule, g)))).toEqual(['50000.00', '45000.00', '30000.00', '5000.00']);
  });
});
