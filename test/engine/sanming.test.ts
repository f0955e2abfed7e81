/** 2024 三明普惠医联保 (seeds/004): responsibilities 1–4, risk groups, the out-of-pocket cap, and the document's defects. */
import { describe, expect, it } from 'vitest';
import { line, Person, programmes, roster } from '../support/engine.js';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import type { Pack } from '../../schemas/pack.js';
import { compliantItems, request } from '../support/requests.js';
import type { RosterRow } from '../../schemas/roster.js';

const PERSON = '350402199001011234';
type O = Parameters<typeof request>[0];
const sanming = (o: O = {}) => request({
  ...o,
  hospital: { id: 'H35040200001', region: '350402', level: 3, drgPublic: true, ...o.hospital },
  patient: { id: PERSON, insuredRegion: '350402', categories: [], ...o.patient },
  encounter: { admittedOn: '2024-04-01', dischargedOn: '2024-04-15', ...o.encounter },
});
const member = (row: Partial<RosterRow> = {}) => new Person({ 'sanming-2024-puhui': roster([{ personId: PERSON, from: '2024-01-01', to: '2024-12-31', ...row }]) });
const bill = (compliant: string, outOfScope: string) => [...compliantItems(compliant), { code: 'C1', name: '目录外', amount: outOfScope, class: 'C' as const }];
const pays = (person: Person, o: O) => line(person.preview(sanming(o)).split, 'sanming-2024-puhui');

describe('responsibility 1: in-area inpatient, whole bill left after basic, major illness and aid', () => {
  const stay: O = { items: bill('20000.00', '10000.00'), upstream: { basic: '12000.00' } };

  it('pays 100% for healthy people above the 5000 annual deductible, out-of-scope cost included', () => {
    const l = pays(member(), stay);
    expect(l.amount).toBe('13000.00'); // (30000 − 12000 − 5000) × 100%
    expect(l.explanation.join()).toContain('年度免赔额 5000.00');
  });

  it('pays 50% for people with listed pre-existing conditions, 100% for aid recipients among them', () => {
    expect(pays(member({ preExisting: true }), stay).amount).toBe('6500.00');
    expect(pays(member({ preExisting: true, categories: ['dibao'] }), stay).amount).toBe('13000.00');
  });

  it('takes the deductible once a year', () => {
    const person = member();
    person.settle(sanming({ items: compliantItems('3000.00') })); // 3000 into the deductible
    expect(pays(person, { settlementId: 'ZY2', ...stay }).amount).toBe('16000.00'); // 18000 − 2000 left
  });

  it('needs a level-2+ C-DRG public hospital in 三明', () => {
    expect(pays(member(), { ...stay, hospital: { level: 1 } }).amount).toBe('0.00');
    expect(pays(member(), { ...stay, hospital: { drgPublic: false } }).amount).toBe('0.00');
  });
});

describe('responsibility 2: out-of-area, compliant cost left', () => {
  const away: O = { hospital: { id: 'H35010200001', region: '350102', level: 3, drgPublic: false }, items: bill('60000.00', '5000.00'), upstream: { basic: '30000.00' } };
  it('pays 70% above the 20000 deductible, on compliant cost only', () => {
    expect(pays(member(), away).amount).toBe('7000.00'); // (30000 − 20000) × 70%
  });
  it('pays 30% for pre-existing and, literally, 80% for aid recipients with pre-existing conditions (defect)', () => {
    expect(pays(member({ preExisting: true }), away).amount).toBe('3000.00');
    expect(pays(member({ preExisting: true, categories: ['aid-recipient'] }), away).amount).toBe('8000.00');
  });
  it('pays nothing at the deductible', () => {
    expect(pays(member(), { ...away, items: compliantItems('50000.00') }).amount).toBe('0.00');
  });
});

describe('responsibility 3: outpatient special diseases, healthy people only', () => {
  const clinic: O = { encounter: { kind: 'outpatientSpecial', admittedOn: '2024-04-01', dischargedOn: '2024-04-01' }, items: compliantItems('10000.00'), upstream: { basic: '3000.00' } };
  it('pays 70% above 5000', () => {
    expect(pays(member(), clinic).amount).toBe('1400.00');
  });
  it('does not cover pre-existing people', () => {
    const l = pays(member({ preExisting: true }), clinic);
    expect(l.amount).toBe('0.00');
    expect(l.explanation.join()).toContain('不在本责任保障范围');
  });
  it('stops at 30000 a year', () => {
    const person = member();
    person.accumulators['sanming-2024-puhui|2024|r3.paid'] = 2_950_000;
    person.accumulators['sanming-2024-puhui|2024|r3.deductibleUsed'] = 500_000;
    expect(pays(person, clinic).amount).toBe('500.00');
  });
});

describe('responsibility 4 and the out-of-pocket cap', () => {
  it('responsibility 4 pays nothing while the drug list (not in the document) is empty, and says why', () => {
    const l = pays(member(), { items: compliantItems('1000.00') });
    expect(l.explanation.join()).toContain('指定药品清单未配置');
  });

  it('caps the in-area self-paid cost of the year at 120000 (participation 20%)', () => {
    const person = member({ preExisting: true });
    person.accumulators['sanming-2024-puhui|2024|oop.personal'] = 11_900_000; // 119000 self-paid so far
    person.accumulators['sanming-2024-puhui|2024|r1.deductibleUsed'] = 500_000;
    const { split } = person.preview(sanming({ items: bill('10000.00', '2000.00'), upstream: { basic: '2000.00' } }));
    // r1: 10000 × 50% = 5000 → 5000 left; the cap takes the year to exactly 120000: pays 4000
    expect(line(split, 'sanming-2024-puhui').amount).toBe('9000.00');
    expect(split.patientPays).toBe('1000.00');
  });
});

describe('eligibility', () => {
  it('pays nobody absent from the paid-premium roster', () => {
    expect(pays(new Person(), { items: compliantItems('20000.00') }).explanation.join()).toContain('不在参保名单');
  });
  it('pays nothing while basic insurance is inactive', () => {
    const l = pays(member(), { items: compliantItems('20000.00'), patient: { basicInsuranceActive: false } });
    expect(l.amount).toBe('0.00');
    expect(l.explanation.join()).toContain('基本医疗保险待遇');
  });
});

describe('buyers insured outside 三明 (004 三(二): 新市民, 港澳台同胞 insured in 福建)', () => {
  const stay: O = { items: compliantItems('20000.00'), upstream: { basic: '12000.00' } };

  it('pays a person on the paid-premium roster though insured in 福州 (350102): the roster decides, not the insured region', () => {
    const { split } = member().preview(sanming({ ...stay, patient: { insuredRegion: '350102' } }));
    const l = line(split, 'sanming-2024-puhui');
    expect(l.amount).toBe('3000.00'); // (20000 − 12000 − 5000) × 100%
    expect(l.explanation.join()).toContain('参保名单内');
    expect(split.patientPays).toBe('5000.00');
  });

  it('asks the ledger for the 三明 roster of such a person', () => {
    expect(programmes.rosterIds(sanming({ ...stay, patient: { insuredRegion: '350102' } }))).toContain('sanming-2024-puhui');
  });

  it('shows no 三明 line to a person insured elsewhere who is not on the roster', () => {
    const { split } = new Person().preview(sanming({ ...stay, patient: { insuredRegion: '350102' } }));
    expect(split.lines.some((l) => l.programme === 'sanming-2024-puhui')).toBe(false);
  });
});

describe('responsibility 4 with a configured drug list', () => {
  const base = programmes.get('sanming-2024-puhui')!;
  const withDrugs: Pack = {
    ...base,
    rules: base.rules.map((r) => r.kind !== 'specificDrugs' ? r : {
      ...r,
      drugs: { value: [{ code: 'T-A', group: 'tumor', drugClass: 'A' }, { code: 'T-C', group: 'tumor', drugClass: 'C' }, { code: 'R-B', group: 'rare', drugClass: 'B' }], cite: 'test drug list' },
    }),
  };
  const set = new ProgrammeSet(programmes.packs.map((p) => (p.id === base.id ? withDrugs : p)), programmes.catalogues);
  const drugPerson = (row: Partial<RosterRow> = {}) => new Person({ 'sanming-2024-puhui': roster([{ personId: PERSON, from: '2024-01-01', to: '2024-12-31', ...row }]) }, set);
  // Out-of-area, so responsibility 1 (in-area) does not take the bill first; responsibility 4 is for 三明 hospitals: in-area level 2+.
  const items = [
    { code: 'T-A', name: '肿瘤特药A', amount: '30000.00', class: 'C' as const },
    { code: 'T-C', name: '肿瘤特药C', amount: '10000.00', class: 'C' as const },
    { code: 'R-B', name: '罕见病药B', amount: '25000.00', class: 'C' as const },
  ];
  const clinic: O = { hospital: { level: 2, drgPublic: false }, encounter: { kind: 'outpatientSpecial', admittedOn: '2024-04-01', dischargedOn: '2024-04-01' }, items };

  it('takes the 20000 deductible from class A first, then pays 70% / 30% by class; rare drugs 50%', () => {
    const l = line(drugPerson().preview(sanming(clinic)).split, 'sanming-2024-puhui');
    // tumour: A 30000 − 20000 = 10000 × 70% = 7000, C 10000 × 30% = 3000; rare: (25000 − 20000) × 50% = 2500
    expect(l.amount).toBe('12500.00');
  });

  it('caps pre-existing people at 4500 for tumour drugs and does not cover their rare-disease drugs (literal reading)', () => {
    const l = line(drugPerson({ preExisting: true }).preview(sanming(clinic)).split, 'sanming-2024-puhui');
    expect(l.amount).toBe('4500.00');
    expect(l.explanation.join()).toContain('特定罕见病药品：特定既往症人群不在保障范围');
  });
});
