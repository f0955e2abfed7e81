/** 闻喜 2023 重度残疾人综合保障保险 (seeds/000) and the 湖南 accident-insurance template (seeds/002). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { BUILTIN_PACKS_DIR, loadCatalogues, BUILTIN_CATALOGUES_DIR, parseYaml } from '../../gateway/programmes/load.js';
import { pack } from '../../schemas/pack.js';
import { line, Person, programmes, roster } from '../support/engine.js';
import { Unprocessable } from '../../gateway/errors.js';
import { rosterIdOf } from '../../gateway/rosters/load.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { compliantItems, request, requestBody } from '../support/requests.js';

type O = Parameters<typeof request>[0];
const wenxi = (o: O = {}) => request({
  ...o,
  items: o.items ?? compliantItems('5000.00'),
  hospital: { id: 'H14082300001', region: '140823', level: 2, ...o.hospital },
  patient: { id: '140823197001011234', insuredRegion: '140823', disability: { grade: 2, type: 'physical' }, ...o.patient },
  encounter: { admittedOn: '2023-05-01', dischargedOn: '2023-05-10', cause: 'accident', ...o.encounter },
  upstream: o.upstream ?? { basic: '3000.00' },
});

const WENXI_PERSON = '140823197001011234';
/** On the 残联's 正式投保人员名单 (000 (六)), covered for the policy year unless told otherwise. */
const listed = (from = '2023-01-01', to = '2023-12-31') => new Person({ 'wenxi-2023-disabled': roster([{ personId: WENXI_PERSON, from, to }]) });
const allowance = (split: { benefits: Array<{ kind: string; amount: string }> }) => split.benefits.find((b) => b.kind === 'accidentHospitalAllowance')?.amount;

describe('wenxi-2023-disabled: the 残联 list and 户籍 (000 四(一), (六))', () => {
  it('takes a roster: the programme reads its eligibility from the 正式投保人员名单', () => {
    expect(rosterIdOf(programmes, 'wenxi-2023-disabled')).toBe('wenxi-2023-disabled');
  });

  it('pays nobody absent from the list', () => {
    const { split } = new Person().preview(wenxi());
    expect(split.benefits).toEqual([]);
    expect(line(split, 'wenxi-2023-disabled').explanation.join()).toContain('不在参保名单');
  });

  it('judges 户籍 by patient.hukouRegion when given: 闻喜 户籍, insured in 盐湖区 (140802), on the list → covered', () => {
    const { split } = listed().preview(wenxi({ patient: { insuredRegion: '140802', hukouRegion: '140823' } }));
    expect(allowance(split)).toBe('450.00');
    expect(line(split, 'wenxi-2023-disabled').explanation.join()).toContain('户籍地 140823');
  });

  it('refuses a person whose 户籍 is elsewhere, whatever the insured region', () => {
    const { split } = listed().preview(wenxi({ patient: { hukouRegion: '140802' } }));
    expect(split.benefits).toEqual([]);
    expect(line(split, 'wenxi-2023-disabled').explanation.join()).toContain('户籍地 140802');
  });

  it('takes hukouRegion as a 6-digit admdvs code only', () => {
    const bad = settlementRequest.safeParse(requestBody({ patient: { hukouRegion: '14082' } }));
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['patient.hukouRegion']);
  });

  it('reads the insured region when hukouRegion is absent, and says so', () => {
    const { split } = listed().preview(wenxi());
    expect(allowance(split)).toBe('450.00');
    expect(line(split, 'wenxi-2023-disabled').explanation.join()).toContain('未提供户籍地');
  });

  it('says in its notes that the minimum benefits (不少于) are figures a county sets', () => {
    expect(programmes.get('wenxi-2023-disabled')!.notes.join()).toMatch(/不少于.*pack figures the county sets/);
  });
});

describe('wenxi-2023-disabled: the daily allowance counts only covered days (a typo must not pay millions)', () => {
  it('refuses dates outside 1990..2100 (400) and a stay longer than the limit (422)', () => {
    const body = requestBody({ encounter: { admittedOn: '0000-01-01', dischargedOn: '2023-06-01' } });
    const parsed = settlementRequest.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['encounter.admittedOn']);
    expect(parsed.error?.issues[0]?.message).toMatch(/1990-01-01.*2100-12-31/);
    expect(settlementRequest.safeParse(requestBody({ encounter: { admittedOn: '2023-01-01', dischargedOn: '2101-01-01' } })).success).toBe(false);
    try {
      listed().preview(wenxi({ encounter: { admittedOn: '1990-01-01', dischargedOn: '2023-06-01' } }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(Unprocessable);
      expect((error as Unprocessable).errors).toEqual([expect.objectContaining({ path: 'encounter.admittedOn', message: expect.stringMatching(/住院天数.*1096/) })]);
    }
  });

  it('accepts a stay of exactly the longest length', () => {
    expect(() => listed().preview(wenxi({ encounter: { admittedOn: '2020-01-01', dischargedOn: '2023-01-01' } }))).not.toThrow(); // 1096 days
  });

  it('counts only days inside the policy term: a stay from 2021 pays 2023 days only', () => {
    const { split } = listed().preview(wenxi({ encounter: { admittedOn: '2021-06-01', dischargedOn: '2023-01-11' } }));
    expect(allowance(split)).toBe('500.00'); // 2023-01-01 … 2023-01-10: 10 days × 50
    expect(line(split, 'wenxi-2023-disabled').explanation.join()).toContain('保障期内 10 天');
  });

  // The reading chosen (pack note): programmes are chosen by the discharge date, as for every programme. The
  // document is silent on a stay across the policy year's end; this pays an in-term accident nothing from the
  // 2023 policy (review of 2026-12-03: 7 days × 50 = 350.00 by the other reading) — a decision for the county.
  it('settles a stay that ends after the policy year by the programmes in force at discharge: the 2023 policy pays nothing', () => {
    const { split } = listed().preview(wenxi({ encounter: { admittedOn: '2023-12-25', dischargedOn: '2024-01-04' } }));
    expect(split.lines.some((l) => l.programme === 'wenxi-2023-disabled')).toBe(false);
    expect(allowance(split)).toBeUndefined();
  });

  it('counts only days inside the person\'s cover on the list', () => {
    const { split } = listed('2023-05-05').preview(wenxi()); // stay 05-01 … 05-09, covered from 05-05
    expect(allowance(split)).toBe('250.00');
  });

  it('applies per-stay and yearly day limits where a pack gives them', () => {
    const capped = structuredClone(programmes.get('wenxi-2023-disabled')!);
    const rule = capped.rules.find((r) => r.kind === 'dailyAllowance')!;
    if (rule.kind !== 'dailyAllowance') throw new Error('expected the allowance rule');
    rule.maxDaysPerStay = { value: 7, cite: '测试：每次住院最多 7 天' };
    rule.maxDaysPerYear = { value: 10, cite: '测试：每年最多 10 天' };
    const set = new ProgrammeSet([...programmes.packs.filter((p) => p.id !== capped.id), capped], programmes.catalogues);
    const person = new Person({ 'wenxi-2023-disabled': roster([{ personId: WENXI_PERSON, from: '2023-01-01', to: '2023-12-31' }]) }, set);
    const first = person.settle(wenxi()); // 9 days → 7 (per stay)
    expect(allowance(first.split)).toBe('350.00');
    const second = person.settle(wenxi({ settlementId: 'ZY2', encounter: { admittedOn: '2023-07-01', dischargedOn: '2023-07-06' } })); // 5 days → 3 left this year
    expect(allowance(second.split)).toBe('150.00');
    const third = person.preview(wenxi({ settlementId: 'ZY3', encounter: { admittedOn: '2023-08-01', dischargedOn: '2023-08-03' } }));
    expect(third.split.benefits.find((b) => b.kind === 'accidentHospitalAllowance')).toBeUndefined();
    person.reverse(second.result);
    expect(allowance(person.preview(wenxi({ settlementId: 'ZY3', encounter: { admittedOn: '2023-08-01', dischargedOn: '2023-08-03' } })).split)).toBe('100.00');
  });
});

describe('wenxi-2023-disabled', () => {
  it('lists the accident hospital allowance (9 days × 50) and accident medical as benefits, not reducing the bill', () => {
    const { split } = listed().preview(wenxi());
    expect(split.benefits).toEqual([
      expect.objectContaining({ programme: 'wenxi-2023-disabled', kind: 'accidentMedical', amount: '2000.00', paidTo: 'patient' }),
      expect.objectContaining({ programme: 'wenxi-2023-disabled', kind: 'accidentHospitalAllowance', amount: '450.00', paidTo: 'patient' }),
    ]);
    expect(line(split, 'wenxi-2023-disabled').amount).toBe('0.00');
    expect(split.patientPays).toBe('2000.00');
  });

  it('counts at least one day for a same-day stay', () => {
    const { split } = listed().preview(wenxi({ encounter: { admittedOn: '2023-05-01', dischargedOn: '2023-05-01' } }));
    expect(split.benefits.find((b) => b.kind === 'accidentHospitalAllowance')?.amount).toBe('50.00');
  });

  it('reimburses accident medical cost up to 5000 a year', () => {
    const person = listed();
    const first = person.settle(wenxi({ items: compliantItems('20000.00'), upstream: { basic: '16000.00' } }));
    expect(first.split.benefits.find((b) => b.kind === 'accidentMedical')?.amount).toBe('4000.00');
    const second = person.settle(wenxi({ settlementId: 'ZY2', items: compliantItems('20000.00'), upstream: { basic: '16000.00' } }));
    expect(second.split.benefits.find((b) => b.kind === 'accidentMedical')?.amount).toBe('1000.00');
  });

  it.each([
    [{ grade: 1, type: 'visual' as const }, true],
    [{ grade: 3, type: 'intellectual' as const }, true],
    [{ grade: 3, type: 'mental' as const }, true],
    [{ grade: 3, type: 'physical' as const }, false],
    [{ grade: 4, type: 'mental' as const }, false],
  ])('eligibility for %o: %s', (disability, eligible) => {
    const { split } = listed().preview(wenxi({ patient: { disability } }));
    expect(split.benefits.length > 0).toBe(eligible);
  });

  it('pays nothing for disease, or to people without a disability certificate', () => {
    expect(listed().preview(wenxi({ encounter: { cause: 'disease' } })).split.benefits).toEqual([]);
    const none = listed().preview(wenxi({ patient: { disability: undefined } }));
    expect(none.split.benefits).toEqual([]);
    expect(line(none.split, 'wenxi-2023-disabled').explanation.join()).toContain('无残疾人证信息');
  });

  it('keeps death and disability sums as data', () => {
    const schedules = programmes.get('wenxi-2023-disabled')!.schedules;
    expect(Object.fromEntries(Object.entries(schedules).map(([k, s]) => [k, s.sum?.value]))).toEqual({ accidentalDeath: 2_000_000, accidentalDisability: 2_000_000, diseaseDeath: 100_000 });
  });
});

describe('hunan-2025-disabled-accident template', () => {
  const template = readFileSync(join(BUILTIN_PACKS_DIR, 'hunan-2025-disabled-accident.yaml'), 'utf8');

  it('loads and validates, but is never in force as shipped', () => {
    expect(programmes.get('hunan-2025-disabled-accident')?.status).toBe('template');
    const { split } = new Person().preview(request({ patient: { insuredRegion: '430102', disability: { grade: 1, type: 'physical' } }, encounter: { admittedOn: '2025-06-01', dischargedOn: '2025-06-05', cause: 'accident' } }));
    expect(split.lines.some((l) => l.programme === 'hunan-2025-disabled-accident')).toBe(false);
  });

  it('pays per the figures a county fills in', () => {
    const filled = parse(template) as Record<string, unknown> & { rules: Array<Record<string, unknown>> };
    Object.assign(filled, { id: 'changsha-2025-disabled-accident', status: 'active', insuredRegions: { value: ['4301'], cite: '长沙县采购合同' }, term: { from: '2025-04-01', to: '2026-03-31', cite: '县级保险单起讫日期' } });
    Object.assign(filled.rules[0]!, {
      ratio: { value: { healthy: '0.90', preExisting: '0.90' }, cite: '合同第3条' },
      deductible: { amount: '200', per: 'stay', cite: '合同第3条' },
      annualCap: { value: '10000', cite: '合同第3条' },
    });
    const county = parseYaml(stringify(filled), pack, 'changsha.yaml', 'programme pack');
    const set = new ProgrammeSet([...programmes.packs, county], loadCatalogues([BUILTIN_CATALOGUES_DIR]));
    const stay = request({ items: compliantItems('3000.00'), patient: { id: '430102198001011234', insuredRegion: '430102', disability: { grade: 1, type: 'physical' } }, encounter: { admittedOn: '2025-06-01', dischargedOn: '2025-06-05', cause: 'accident' } });
    const listed = new Person({ 'hunan-county-disabled-accident': roster([{ personId: '430102198001011234', from: '2025-04-01', to: '2026-03-31' }]) }, set);
    expect(listed.preview(stay).split.benefits).toEqual([expect.objectContaining({ programme: 'changsha-2025-disabled-accident', amount: '2520.00' })]); // (3000 − 200) × 90%
    expect(new Person({}, set).preview(stay).split.benefits).toEqual([]); // not on the county's list of priority persons
  });

  it('rejects a pack whose number has no citation', () => {
    const broken = template.replace('cite: "县级填写：意外医疗保险金额"', '');
    expect(() => parseYaml(broken, pack, 'broken.yaml', 'programme pack')).toThrow(/annualCap\.cite/);
  });
});
