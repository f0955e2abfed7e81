/**
 * A day projection's columns (gateway/operations/day-columns.ts): settlements written as columns and read back
 * as JSON give the same objects (an unreadable record, a hospital name or none, empty runs, keys that look like
 * numbers), the report's readings agree with them, and columns that do not make one entry are refused.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DayColumnsBuilder, dayColumns, DayColumns, type ProjectedSettlement } from '../../gateway/operations/day-columns.js';

const settled = (n: number, figures: ProjectedSettlement['figures'], paidDeltas: Record<string, number> = {}): ProjectedSettlement => ({
  personId: `P${n % 2}`, hospitalId: n % 2 ? 'H2' : 'H1', settlementId: `ZY${n}`, settledAt: `2024-03-0${n}T10:00:00+08:00`, status: n === 3 ? 'reversed' : 'settled', figures, paidDeltas,
});
const SETTLEMENTS: ProjectedSettlement[] = [
  settled(1, {
    totalFen: 1_000_000, outOfScopeFen: 2_000, overLimitFen: 300, patientPaysFen: 400_000,
    lines: [{ layer: 'basic', programme: 'upstream', amountFen: 500_000 }, { layer: 'supplementary', programme: 'sm', amountFen: 100_000 }, { layer: 'supplementary', programme: 'other', amountFen: 7 }],
    benefits: [{ programme: 'sm', kind: 'dailyAllowance', amountFen: 3_000 }],
    policyVersions: { sm: '2024.2', upstream: '1' }, categories: ['dibao', 'tekun'], dischargedOn: '2024-03-01', hospitalName: '三明市第一医院', settledMonth: '2024-03',
  }, { 'sm|2024|r1.paid': 100_000, 'sm|2024|r1.drugs.paid': 0 }),
  // An unreadable record: only identity, status and deltas.
  settled(2, null, { '7': 1 }),
  settled(3, {
    totalFen: 9, outOfScopeFen: 0, overLimitFen: 0, patientPaysFen: 9, lines: [], benefits: [], policyVersions: { 2024: 'numeric key' }, categories: [], dischargedOn: '2024-02-28', settledMonth: '2024-03',
  }),
];

const roundTrip = (settlements: readonly ProjectedSettlement[]): DayColumns => {
  const builder = new DayColumnsBuilder();
  for (const s of settlements) builder.add(s);
  return new DayColumns(dayColumns.parse(JSON.parse(JSON.stringify(builder.columns()))));
};

describe('day projection columns', () => {
  it('give back every settlement as it was written, through JSON', () => {
    const columns = roundTrip(SETTLEMENTS);
    expect(columns.count).toBe(3);
    expect(Array.from({ length: columns.count }, (_, i) => columns.settlement(i))).toEqual(SETTLEMENTS);
    expect(roundTrip([]).count).toBe(0);
  });

  it('answer the report\'s readings in place as the objects do', () => {
    const columns = roundTrip(SETTLEMENTS);
    const sm = columns.textIndex('sm');
    const supplementary = columns.textIndex('supplementary');
    expect(columns.textIndex('absent')).toBe(-1);
    expect([0, 1, 2].map((i) => columns.judgedBy(i, sm))).toEqual([true, false, false]);
    expect(columns.linesFen(0, sm, supplementary)).toBe(100_000);
    expect(columns.benefitsFen(0, sm)).toBe(3_000);
    expect([0, 1, 2].map((i) => [columns.readable(i), columns.reversed(i), columns.hospitalName(i)])).toEqual([[true, false, '三明市第一医院'], [false, false, undefined], [true, true, undefined]]);
    expect(columns.dischargedOn(2)).toBe('2024-02-28');
    const categories = (i: number) => Array.from({ length: columns.categoriesTo(i) - columns.categoriesFrom(i) }, (_, k) => columns.category(columns.categoriesFrom(i) + k));
    expect([0, 1, 2].map(categories)).toEqual([['dibao', 'tekun'], [], []]);
    const deltas = (i: number) => Array.from({ length: columns.deltasTo(i) - columns.deltasFrom(i) }, (_, k) => [columns.text(columns.deltaKey(columns.deltasFrom(i) + k)), columns.deltaFen(columns.deltasFrom(i) + k)]);
    expect([0, 1, 2].map(deltas)).toEqual([[['sm|2024|r1.paid', 100_000], ['sm|2024|r1.drugs.paid', 0]], [['7', 1]], []]);
  });

  it('tell whether a replay paid exactly as stored: every line and benefit by programme and amount, in order', () => {
    const columns = roundTrip(SETTLEMENTS);
    const first = SETTLEMENTS[0]?.figures;
    if (!first) throw new Error('the first settlement is readable');
    const paid = { patientPaysFen: first.patientPaysFen, lines: first.lines, benefits: first.benefits };
    expect(columns.paidAlike(0, paid)).toBe(true);
    expect(columns.paidAlike(0, { ...paid, patientPaysFen: paid.patientPaysFen + 1 })).toBe(false);
    expect(columns.paidAlike(0, { ...paid, lines: paid.lines.map((l, i) => (i === 1 ? { ...l, amountFen: l.amountFen - 1 } : l)) })).toBe(false);
    expect(columns.paidAlike(0, { ...paid, lines: paid.lines.map((l, i) => (i === 2 ? { ...l, programme: 'sm' } : l)) })).toBe(false);
    expect(columns.paidAlike(0, { ...paid, lines: [...paid.lines].reverse() })).toBe(false);
    expect(columns.paidAlike(0, { ...paid, lines: paid.lines.slice(1) })).toBe(false);
    expect(columns.paidAlike(0, { ...paid, benefits: [] })).toBe(false);
    expect(columns.paidAlike(0, { ...paid, benefits: paid.benefits.map((b) => ({ ...b, amountFen: b.amountFen + 1 })) })).toBe(false);
    // Unreadable: never alike, whatever is asked.
    expect(columns.paidAlike(1, { patientPaysFen: 0, lines: [], benefits: [] })).toBe(false);
    expect(columns.paidAlike(2, { patientPaysFen: 9, lines: [], benefits: [] })).toBe(true);
  });

  it('refuse columns that do not make one entry', () => {
    const anyColumns = z.record(z.string(), z.array(z.unknown()));
    const builder = new DayColumnsBuilder();
    for (const s of SETTLEMENTS) builder.add(s);
    const written = (): Record<string, unknown[]> => anyColumns.parse(JSON.parse(JSON.stringify(builder.columns())));
    expect(dayColumns.safeParse(JSON.parse(JSON.stringify(new DayColumnsBuilder().columns()))).success).toBe(true);
    expect(dayColumns.safeParse(written()).success).toBe(true);
    const broken: Array<[string, (c: Record<string, unknown[]>) => void]> = [
      ['a column short of a settlement', (c) => { c.totalFen?.pop(); }],
      ['a run going back', (c) => { c.lineEnd = [3, 2, 3]; }],
      ['a run past its column', (c) => { c.lineEnd = [3, 3, 4]; }],
      ['an index naming no text', (c) => { c.hospitalId = [0, 99, 0]; }],
      ['a negative index where a text is needed', (c) => { c.category = [-1, 0]; }],
      ['a flag other than 0 and 1', (c) => { c.reversed = [0, 0, 2]; }],
      ['a readable settlement without a discharge date', (c) => { c.dischargedOn = [-1, -1, 1]; }],
      ['an amount that is not an integer', (c) => { c.lineFen = [500_000, 100_000.5, 7]; }],
      ['an amount past 2^53', (c) => { c.totalFen = [2 ** 53, 0, 9]; }],
      ['a number among texts', (c) => { c.personId = ['P1', 2, 'P1']; }],
      ['a column missing', (c) => { delete c.deltaFen; }],
    ];
    for (const [what, breakIt] of broken) {
      const columns = written();
      breakIt(columns);
      expect(dayColumns.safeParse(columns).success, what).toBe(false);
    }
  });
});
