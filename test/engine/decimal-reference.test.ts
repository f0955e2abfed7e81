/**
 * The integer-fen engine against an independent decimal.js reading of the demo region's rules
 * (issue #3), on random bills: the same figure for every layer, every time.
 */
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Person, line, roster } from '../support/engine.js';
import { request } from '../support/requests.js';

const D = (v: Decimal.Value) => new Decimal(v);
const round = (v: Decimal) => v.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
const max0 = (v: Decimal) => Decimal.max(v, 0);
const PREFERRED = ['tekun', 'dibao', 'poverty-alleviated', 'relapse-monitored'];

/** The demo region's four layers for one stay with no history, written step by step in decimal.js. */
function reference(compliant: Decimal, level: 1 | 2 | 3, categories: string[]) {
  const preferred = categories.some((c) => PREFERRED.includes(c));
  const deductible = D({ 1: 200, 2: 500, 3: 1000 }[level]).times(preferred ? 0.5 : 1);
  const ratio = D({ 1: '0.90', 2: '0.80', 3: '0.65' }[level]).plus(preferred ? '0.05' : 0);
  const basic = Decimal.min(round(max0(compliant.minus(deductible)).times(ratio)), 200000);
  const burden = compliant.minus(basic);
  const above = max0(burden.minus(preferred ? 7500 : 15000));
  const bonus = preferred ? D('0.05') : D(0);
  let tiers = Decimal.min(above, 50000).times(D('0.60').plus(bonus))
    .plus(max0(Decimal.min(above, 100000).minus(50000)).times(D('0.70').plus(bonus)))
    .plus(max0(above.minus(100000)).times(D('0.80').plus(bonus)));
  if (!preferred) tiers = Decimal.min(tiers, 400000);
  const majorIllness = round(tiers);
  let left = burden.minus(majorIllness);
  const waiver = categories.some((c) => c === 'tekun' || c === 'dibao') ? round(left.times('0.10')) : D(0);
  left = left.minus(waiver);
  const rates: Record<string, [string, number]> = { tekun: ['1.00', 0], dibao: ['0.70', 0], 'dibao-edge': ['0.60', 1000], 'relapse-monitored': ['0.60', 1000] };
  const rate = categories.filter((c) => c in rates).map((c) => rates[c]!).sort((a, b) => D(b[0]).cmp(a[0]) || a[1] - b[1])[0];
  const aid = rate ? Decimal.min(round(max0(left.minus(rate[1])).times(rate[0])), 100000) : D(0);
  return { basic, majorIllness, waiver, aid };
}

describe('integer-fen engine = decimal.js reference (demo region)', () => {
  it('agrees on every layer of random single-stay bills', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 200_000_000 }),
      fc.constantFrom(1 as const, 2 as const, 3 as const),
      fc.subarray(['tekun', 'dibao', 'dibao-edge', 'relapse-monitored', 'poverty-alleviated', 'orphan'] as const),
      (fen, level, categories) => {
        const compliant = D(fen).dividedBy(100);
        const { split } = new Person().preview(request({
          hospital: { level },
          patient: { categories: [...categories] },
          items: [{ code: 'A', name: 'A', amount: compliant.toFixed(2), class: 'A' }],
        }));
        const expected = reference(compliant, level, [...categories]);
        expect({
          basic: line(split, 'basic').amount, majorIllness: line(split, 'majorIllness').amount,
          waiver: line(split, 'waiver').amount, aid: line(split, 'aid').amount,
        }).toEqual({
          basic: expected.basic.toFixed(2), majorIllness: expected.majorIllness.toFixed(2),
          waiver: expected.waiver.toFixed(2), aid: expected.aid.toFixed(2),
        });
      },
    ), { numRuns: 3000 });
  });
});

describe('integer-fen engine = decimal.js reference (威海 burden ceiling)', () => {
  it('pays the exact burden above 10% of the compliant cost, rounded once, on random stays', () => {
    const person = '371002195001011234';
    const enrolled = new Person({ 'weihai-2020-poverty': roster([{ personId: person, from: '2020-01-01', to: '2020-12-31' }]) });
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 100_000_000 }),
      fc.integer({ min: 0, max: 100 }),
      (fen, basicPercent) => {
        const compliant = D(fen).dividedBy(100);
        const basic = compliant.times(basicPercent).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_DOWN);
        const { split } = enrolled.preview(request({
          hospital: { id: 'H37100200001', region: '371002' },
          patient: { id: person, insuredRegion: '371002' },
          encounter: { admittedOn: '2020-03-01', dischargedOn: '2020-03-10' },
          items: [{ code: 'A', name: 'A', amount: compliant.toFixed(2), class: 'A' }],
          upstream: { basic: basic.toFixed(2) },
        }));
        const left = compliant.minus(basic);
        const expected = Decimal.min(round(max0(left.minus(compliant.times('0.10')))), left, 600000);
        expect(line(split, 'weihai-2020-medical').amount).toBe(expected.toFixed(2));
      },
    ), { numRuns: 2000 });
  });
});
