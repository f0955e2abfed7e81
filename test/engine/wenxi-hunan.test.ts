/** 闻喜 2023 重度残疾人综合保障保险 (seeds/000) and the 湖南 accident-insurance template (seeds/002). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { BUILTIN_PACKS_DIR, loadCatalogues, BUILTIN_CATALOGUES_DIR, parseYaml } from '../../gateway/programmes/load.js';
import { pack } from '../../schemas/pack.js';
import { line, Person, programmes, roster } from '../support/engine.js';
import { compliantItems, request } from '../support/requests.js';

type O = Parameters<typeof request>[0];
const wenxi = (o: O = {}) => request({
  ...o,
  items: o.items ?? compliantItems('5000.00'),
  hospital: { id: 'H14082300001', region: '140823', level: 2, ...o.hospital },
  patient: { id: '140823197001011234', insuredRegion: '140823', disability: { grade: 2, type: 'physical' }, ...o.patient },
  encounter: { admittedOn: '2023-05-01', dischargedOn: '2023-05-10', cause: 'accident', ...o.encounter },
  upstream: o.upstream ?? { basic: '3000.00' },
});

describe('wenxi-2023-disabled', () => {
  it('lists the accident hospital allowance (9 days × 50) and accident medical as benefits, not reducing the bill', () => {
    const { split } = new Person().preview(wenxi());
    expect(split.benefits).toEqual([
      expect.objectContaining({ programme: 'wenxi-2023-disabled', kind: 'accidentMedical', amount: '2000.00', paidTo: 'patient' }),
      expect.objectContaining({ programme: 'wenxi-2023-disabled', kind: 'accidentHospitalAllowance', amount: '450.00', paidTo: 'patient' }),
    ]);
    expect(line(split, 'wenxi-2023-disabled').amount).toBe('0.00');
    expect(split.patientPays).toBe('2000.00');
  });

  it('counts at least one day for a same-day stay', () => {
    const { split } = new Person().preview(wenxi({ encounter: { admittedOn: '2023-05-01', dischargedOn: '2023-05-01' } }));
    expect(split.benefits.find((b) => b.kind === 'accidentHospitalAllowance')?.amount).toBe('50.00');
  });

  it('reimburses accident medical cost up to 5000 a year', () => {
    const person = new Person();
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
    const { split } = new Person().preview(wenxi({ patient: { disability } }));
    expect(split.benefits.length > 0).toBe(eligible);
  });

  it('pays nothing for disease, or to people without a disability certificate', () => {
    expect(new Person().preview(wenxi({ encounter: { cause: 'disease' } })).split.benefits).toEqual([]);
    const none = new Person().preview(wenxi({ patient: { disability: undefined } }));
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
