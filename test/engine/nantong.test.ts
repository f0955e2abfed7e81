/** 南通 2022 低补保 (seeds/003): 98% of the compliant personal cost left, for six categories, 55 diseases or accidents. */
import { describe, expect, it } from 'vitest';
import { line, Person } from '../support/engine.js';
import { compliantItems, request } from '../support/requests.js';

type O = Parameters<typeof request>[0];
const nantong = (o: O = {}) => request({
  ...o,
  items: o.items ?? compliantItems('10000.00'),
  hospital: { id: 'H32060200001', region: '320602', level: 3, ...o.hospital },
  patient: { id: '320602196001011234', insuredRegion: '320602', categories: ['dibao'], ...o.patient },
  encounter: { admittedOn: '2022-05-01', dischargedOn: '2022-05-20', diagnoses: [{ icd10: 'C34.9', primary: true }], ...o.encounter },
  upstream: o.upstream ?? { basic: '6000.00', majorIllness: '1000.00', aid: '500.00' },
});
const paid = (o: O = {}) => line(new Person().preview(nantong(o)).split, 'nantong-2022-dibubao');

describe('nantong-2022-dibubao', () => {
  it('pays 98% of the compliant cost left after basic, major illness and aid (lung cancer, entry 1)', () => {
    const l = paid();
    expect(l.amount).toBe('2450.00'); // (10000 − 6000 − 1000 − 500) × 98%
    expect(l.explanation.join()).toContain('第1项「恶性肿瘤」');
  });

  it('rounds 98% half-up to the fen', () => {
    expect(paid({ items: compliantItems('7500.01') }).amount).toBe('0.01'); // 0.01 × 98% = 0.0098
    expect(paid({ items: compliantItems('7500.37') }).amount).toBe('0.36'); // 0.3626
  });

  it.each(['dibao', 'tekun', 'dibao-edge', 'expenditure-hardship', 'children-in-difficulty', 'former-registered-poor'] as const)('covers %s', (category) => {
    expect(paid({ patient: { categories: [category] } }).amount).toBe('2450.00');
  });

  it('excludes institution-supported people and people outside the six categories', () => {
    expect(paid({ patient: { categories: ['dibao', 'institution-supported'] } }).amount).toBe('0.00');
    expect(paid({ patient: { categories: ['poverty-alleviated'] } }).amount).toBe('0.00');
    expect(paid({ patient: { categories: [] } }).explanation.join()).toContain('参保对象限');
  });

  it('requires a 南通 hospital and an inpatient stay', () => {
    expect(paid({ hospital: { region: '320106' } }).explanation.join()).toContain('仅限统筹区内');
    expect(paid({ hospital: { region: '320106' } }).amount).toBe('0.00');
    expect(paid({ encounter: { kind: 'outpatientSpecial' } }).amount).toBe('0.00');
  });

  it('requires one of the 55 diseases — by primary diagnosis, or an entry the hospital asserts', () => {
    expect(paid({ encounter: { diagnoses: [{ icd10: 'J18.9', primary: true }] } }).amount).toBe('0.00');
    expect(paid({ encounter: { diagnoses: [{ icd10: 'J18.9', primary: true }, { icd10: 'C34.9', primary: false }] } }).amount).toBe('0.00');
    expect(paid({ encounter: { diagnoses: [{ icd10: 'E11.9', primary: true }] } }).amount).toBe('2450.00'); // entry 42, 2型糖尿病
    const transplant = paid({ encounter: { diagnoses: [{ icd10: 'N18.9', primary: true }], catalogEntries: [{ catalog: 'nantong-55', entry: 4 }] } });
    expect(transplant.amount).toBe('2450.00');
    expect(transplant.explanation.join()).toContain('医院申明属目录第4项');
  });

  // 003 附件: entries 4, 5, 16, 25 and 32 are operations; a stay without one (a status code, or the disease treated
  // conservatively) is not on the list. Nor are von Willebrand disease (血友病 is D66/D67) or biliary cirrhosis.
  it.each(['Z94.0', 'Z95.1', 'Z95.2', 'I71.0', 'I60.9', 'I67.1', 'D68.0', 'K74.4', 'K74.5'])('does not take primary diagnosis %s alone for a listed disease', (icd10) => {
    expect(paid({ encounter: { diagnoses: [{ icd10, primary: true }] } }).amount).toBe('0.00');
  });

  it('pays an operation entry the hospital asserts, and the diseases the entries name', () => {
    const aorta = paid({ encounter: { diagnoses: [{ icd10: 'I71.0', primary: true }], catalogEntries: [{ catalog: 'nantong-55', entry: 25 }] } });
    expect(aorta.amount).toBe('2450.00');
    expect(aorta.explanation.join()).toContain('医院申明属目录第25项');
    expect(paid({ encounter: { diagnoses: [{ icd10: 'D66', primary: true }] } }).amount).toBe('2450.00');
    expect(paid({ encounter: { diagnoses: [{ icd10: 'K74.6', primary: true }] } }).amount).toBe('2450.00');
  });

  it('covers accidents without a liable third party, not with one', () => {
    const accident = { diagnoses: [{ icd10: 'S72.0', primary: true }], cause: 'accident' as const };
    expect(paid({ encounter: { ...accident, thirdPartyLiable: false } }).amount).toBe('2450.00');
    expect(paid({ encounter: { ...accident, thirdPartyLiable: true } }).amount).toBe('0.00');
  });

  it('does not deduct the hospital waiver from its base (literal reading), but never pays more than is left', () => {
    const l = paid({ upstream: { basic: '6000.00', majorIllness: '1000.00', waiver: '1000.00', aid: '500.00' } });
    expect(l.amount).toBe('1500.00'); // 98% of 2500 = 2450, but only 1500 of compliant cost is left
  });

  it('applies only in its 2022 term', () => {
    const { split } = new Person().preview(nantong({ encounter: { admittedOn: '2023-01-02', dischargedOn: '2023-01-05' } }));
    expect(split.lines.some((l) => l.programme === 'nantong-2022-dibubao')).toBe(false);
  });
});
