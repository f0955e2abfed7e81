/**
 * parsedSettlementRequest (what a day projection keeps for a replay) reads back exactly what settlementRequest
 * gave: the same type to the compiler, the same object for every kind of request the contract allows.
 */
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import { parsedSettlementRequest, settlementRequest, type SettlementRequest, type SettlementRequestInput } from '../../schemas/settlement.js';
import { requestBody } from '../support/requests.js';

const fenText = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
const amount = fc.integer({ min: 0, max: 9_000_000_000 }).map(fenText);

const item: fc.Arbitrary<SettlementRequestInput['items'][number]> = fc.record({
  code: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /^[A-Za-z0-9]+$/.test(s)),
  name: fc.constantFrom('甲类项目', '乙类药品', 'CT'),
  amount,
  class: fc.constantFrom('A' as const, 'C' as const),
  overLimit: fc.option(amount, { nil: undefined }),
  itemType: fc.option(fc.constantFrom('drug' as const, 'consumable' as const, 'service' as const), { nil: undefined }),
  ward: fc.option(fc.constantFrom('general' as const, 'special' as const), { nil: undefined }),
  supplyDays: fc.option(fc.integer({ min: 1, max: 366 }), { nil: undefined }),
}, { requiredKeys: ['code', 'name', 'amount', 'class'] });
const classB = fc.record({ code: fc.constant('B1'), name: fc.constant('乙类'), amount, class: fc.constant('B' as const), selfPayRatio: fc.constantFrom('0', '0.1', 0.25, '0.333333333333333333333', '1.000') });

const request = fc.record({
  items: fc.array(fc.oneof(item, classB), { minLength: 1, maxLength: 8 }),
  categories: fc.subarray(['dibao', 'tekun', 'orphan'] as const),
  disability: fc.option(fc.record({ grade: fc.integer({ min: 1, max: 4 }), type: fc.constantFrom('physical' as const, 'mental' as const) }), { nil: undefined }),
  kind: fc.constantFrom('inpatient' as const, 'outpatientSpecial' as const, 'pharmacy' as const),
  upstream: fc.option(fc.record({ basic: amount, aid: amount }, { requiredKeys: [] }), { nil: undefined }),
  nhsa: fc.boolean(),
  firstDiagnosedOn: fc.option(fc.constant('2019-05-01'), { nil: undefined }),
}).map((r): SettlementRequestInput => requestBody({
  items: r.items,
  patient: { categories: r.categories, ...(r.disability ? { disability: r.disability } : {}) },
  encounter: { kind: r.kind, diagnoses: [{ icd10: 'C34.9', primary: true, ...(r.firstDiagnosedOn ? { firstDiagnosedOn: r.firstDiagnosedOn } : {}) }], catalogEntries: [{ catalog: 'tedrug', entry: 3 }] },
  ...(r.upstream ? { upstream: r.upstream } : {}),
  ...(r.nhsa ? { hospital: { ownership: 'public', name: '三明市第一医院' } } : {}),
}));

describe('a parsed request written as JSON and read back', () => {
  it('is typed as the request settlementRequest gives', () => {
    expectTypeOf<z.output<typeof parsedSettlementRequest>>().toEqualTypeOf<SettlementRequest>();
  });

  it('reads back as the same request, for any request the contract takes', () => {
    fc.assert(fc.property(request, (body) => {
      const parsed = settlementRequest.parse(body);
      expect(parsedSettlementRequest.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
    }), { numRuns: 300 });
  });

  it('refuses what the engine could not settle', () => {
    const parsed = settlementRequest.parse(requestBody());
    const broken = (edit: (r: Record<string, unknown>) => void) => {
      const copy = JSON.parse(JSON.stringify(parsed)) as Record<string, unknown>;
      edit(copy);
      return parsedSettlementRequest.safeParse(copy).success;
    };
    expect(broken(() => undefined)).toBe(true);
    // Amounts are fen: integers, never yuan text or fractions.
    expect(broken((r) => { r.items = [{ code: 'A1', name: 'x', amount: '10000.00', class: 'A' }]; })).toBe(false);
    expect(broken((r) => { r.items = [{ code: 'A1', name: 'x', amount: 10.5, class: 'A' }]; })).toBe(false);
    expect(broken((r) => { r.items = [{ code: 'A1', name: 'x', amount: 9_000_000_001, class: 'A' }]; })).toBe(false);
    expect(broken((r) => { r.items = [{ code: 'B1', name: 'x', amount: 100, class: 'B', selfPayRatio: '1.5' }]; })).toBe(false);
    expect(broken((r) => { r.items = []; })).toBe(false);
    // Defaults were filled in when it was read the first time: a missing one is not this form.
    expect(broken((r) => { delete (r.patient as Record<string, unknown>).categories; })).toBe(false);
    expect(broken((r) => { (r.encounter as Record<string, unknown>).admittedOn = '1 March'; })).toBe(false);
  });
});
