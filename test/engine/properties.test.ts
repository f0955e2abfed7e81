/** Invariants of the engine over thousands of random bills and person histories (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Unprocessable } from '../../gateway/errors.js';
import { parseFen } from '../../gateway/engine/money.js';
import { settlementRequest, type SettlementRequestInput } from '../../schemas/settlement.js';
import { Person, roster } from '../support/engine.js';

const PERSON = '100000199001011234';
const fenText = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
const amount = fc.integer({ min: 1, max: 30_000_000 }).map(fenText);

const item = fc.oneof(
  fc.record({ code: fc.constant('A'), name: fc.constant('甲'), amount, class: fc.constant('A' as const) }),
  fc.record({ code: fc.constant('B'), name: fc.constant('乙'), amount, class: fc.constant('B' as const), selfPayRatio: fc.constantFrom('0', '0.05', '0.10', '0.2', '0.333333') }),
  fc.record({ code: fc.constant('C'), name: fc.constant('丙'), amount, class: fc.constant('C' as const) }),
  fc.integer({ min: 100, max: 2_000_000 }).chain((fen) => fc.record({ code: fc.constant('L'), name: fc.constant('限价'), amount: fc.constant(fenText(fen)), class: fc.constant('A' as const), overLimit: fc.integer({ min: 0, max: fen }).map(fenText) })),
);

/** Regions with programmes: the demo region and the five source documents. */
const place = fc.constantFrom(
  { insured: '990100', hospital: '990100', year: '2024' },
  { insured: '371002', hospital: '371002', year: '2020' },
  { insured: '320602', hospital: '320602', year: '2022' },
  { insured: '350402', hospital: '350402', year: '2024' },
  { insured: '350402', hospital: '350102', year: '2024' },
  { insured: '140823', hospital: '140823', year: '2023' },
);
const categories = fc.subarray(['tekun', 'dibao', 'dibao-edge', 'relapse-monitored', 'poverty-alleviated', 'institution-supported', 'aid-recipient', 'children-in-difficulty'] as const);

const stay = fc.record({
  place, categories,
  level: fc.constantFrom(1, 2, 3),
  drgPublic: fc.boolean(),
  kind: fc.constantFrom('inpatient' as const, 'outpatientSpecial' as const),
  cause: fc.constantFrom('disease' as const, 'accident' as const),
  thirdPartyLiable: fc.boolean(),
  icd10: fc.constantFrom('C34.9', 'J18.9', 'E11.9', 'I21.0'),
  days: fc.integer({ min: 0, max: 60 }),
  month: fc.integer({ min: 1, max: 12 }),
  items: fc.array(item, { minLength: 1, maxLength: 25 }),
  upstreamShare: fc.option(fc.record({ basic: fc.integer({ min: 0, max: 100 }), aid: fc.integer({ min: 0, max: 100 }) }), { nil: undefined }),
  disability: fc.option(fc.record({ grade: fc.integer({ min: 1, max: 4 }), type: fc.constantFrom('physical' as const, 'mental' as const, 'intellectual' as const) }), { nil: undefined }),
});
type Stay = typeof stay extends fc.Arbitrary<infer T> ? T : never;

function toRequest(s: Stay, index: number): SettlementRequestInput {
  const month = String(s.month).padStart(2, '0');
  const admitted = `${s.place.year}-${month}-01`;
  const discharged = new Date(Date.UTC(Number(s.place.year), s.month - 1, 1 + Math.min(s.days, 27))).toISOString().slice(0, 10);
  const totalFen = s.items.reduce((sum, i) => sum + (parseFen(i.amount) ?? 0), 0);
  // Upstream amounts as shares of the bill, so they never exceed it: a real platform's figures would not.
  const upstream = s.upstreamShare && {
    basic: fenText(Math.floor((totalFen * s.upstreamShare.basic) / 200)),
    aid: fenText(Math.floor((totalFen * s.upstreamShare.aid) / 400)),
  };
  return {
    settlementId: `P${index}`,
    hospital: { id: 'H1', region: s.place.hospital, level: s.level, drgPublic: s.drgPublic },
    patient: { id: PERSON, insuredRegion: s.place.insured, scheme: 'resident', categories: s.categories, basicInsuranceActive: true, ...(s.disability ? { disability: s.disability } : {}) },
    encounter: { kind: s.kind, admittedOn: admitted, dischargedOn: discharged, diagnoses: [{ icd10: s.icd10, primary: true }], cause: s.cause, thirdPartyLiable: s.thirdPartyLiable },
    items: s.items,
    ...(upstream ? { upstream } : {}),
  };
}

const enrolledEverywhere = () => new Person({
  'weihai-2020-poverty': roster([{ personId: PERSON, from: '2020-03-01', to: '2020-12-31' }]),
  'sanming-2024-puhui': roster([{ personId: PERSON, from: '2024-01-01', to: '2024-12-31', preExisting: true, categories: ['dibao'] }]),
});

const toFen = (text: string) => parseFen(text)!;

describe('engine invariants', () => {
  it('every split adds up exactly, no payer is negative or pays more than what was left, accumulators never go negative', () => {
    fc.assert(fc.property(fc.array(stay, { minLength: 1, maxLength: 6 }), (stays) => {
      const person = enrolledEverywhere();
      stays.forEach((s, i) => {
        const request = settlementRequest.parse(toRequest(s, i));
        let out;
        try { out = person.settle(request); } catch (error) {
          expect(error).toBeInstanceOf(Unprocessable);
          return;
        }
        const { split, result } = out;
        const lines = split.lines.map((l) => toFen(l.amount));
        expect(lines.reduce((a, b) => a + b, 0) + toFen(split.patientPays)).toBe(toFen(split.total));
        let left = toFen(split.total);
        for (const fen of lines) {
          expect(fen).toBeGreaterThanOrEqual(0);
          expect(fen).toBeLessThanOrEqual(left);
          left -= fen;
        }
        expect(split.lines.slice(0, 4).map((l) => l.layer)).toEqual(['basic', 'majorIllness', 'waiver', 'aid']);
        for (const b of split.benefits) expect(toFen(b.amount)).toBeGreaterThan(0);
        for (const value of Object.values(person.accumulators)) expect(value).toBeGreaterThanOrEqual(0);
        expect(Object.values(result.deltas).every(Number.isSafeInteger)).toBe(true);
      });
    }), { numRuns: 1500 });
  });

  it('settling then reversing any stay returns every accumulator to its value before', () => {
    fc.assert(fc.property(fc.array(stay, { minLength: 2, maxLength: 5 }), fc.nat(), (stays, pick) => {
      const person = enrolledEverywhere();
      const results = [];
      for (const [i, s] of stays.entries()) {
        try { results.push(person.settle(settlementRequest.parse(toRequest(s, i))).result); } catch { /* an impossible stay commits nothing */ }
      }
      if (results.length === 0) return;
      const before = { ...person.accumulators };
      let extra;
      try { extra = person.settle(settlementRequest.parse(toRequest(stays[pick % stays.length]!, 99))).result; } catch (error) {
        expect(error).toBeInstanceOf(Unprocessable);
        expect(person.accumulators).toEqual(before); // an impossible stay commits nothing
        return;
      }
      person.reverse(extra);
      expect(person.accumulators).toEqual(before);
      // and reversing everything brings the person back to nothing
      for (const r of results) person.reverse(r);
      expect(person.accumulators).toEqual({});
    }), { numRuns: 1000 });
  });

  it('is deterministic: the same input gives the same split and deltas', () => {
    fc.assert(fc.property(stay, (s) => {
      const request = settlementRequest.parse(toRequest(s, 1));
      try {
        const a = enrolledEverywhere().preview(request);
        const b = enrolledEverywhere().preview(request);
        expect(b.split).toEqual(a.split);
        expect(b.result.deltas).toEqual(a.result.deltas);
      } catch (error) { expect(error).toBeInstanceOf(Unprocessable); }
    }), { numRuns: 500 });
  });
});
