/** The search along one figure: exact boundaries on monotone outcomes, ends that never loop, turns detected and every crossing narrowed. */
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { searchFigure, spread } from '../../gateway/operations/figure-search.js';

const margins = (f: (step: number) => number) => async (steps: readonly number[]) => steps.map((s) => new Decimal(f(s)));

describe('searchFigure', () => {
  it('finds the boundary of a falling outcome to the step, with one, three or seven figures a pass', async () => {
    // claims 31500.00 − 2.5 × d yuan against 13800.00 required, in fen: met up to d = 7080.00 exactly.
    const f = (fen: number) => 3_150_000 - 2.5 * fen - 1_380_000;
    for (const perPass of [1, 3, 7]) {
      const r = await searchFigure({ lo: 0, hi: 2_000_000, samples: 21, perPass }, margins(f));
      expect(r).toMatchObject({ outcome: 'found', direction: 'falling', monotone: true, turn: null, crossings: [{ meets: 708_000, fails: 708_001 }] });
      // The samples leave a bracket of 100 000 fen; even k-section would divide it by perPass + 1 a pass.
      expect(r.passes).toBeLessThanOrEqual(1 + Math.ceil(Math.log(100_000) / Math.log(perPass + 1)) + 1);
    }
  });

  it('places each pass by interpolation: a linear margin is met to the step in one pass after the samples, a convex one in a few', async () => {
    // Linear in basis points (a ratio paying on a fixed base): the chord through the bracket's ends is the margin itself.
    const linear = await searchFigure({ lo: 0, hi: 10_000, samples: 21, perPass: 3 }, margins((bp) => 123_457 * bp - 987_654_321));
    expect(linear).toMatchObject({ crossings: [{ meets: 8000, fails: 7999 }], passes: 2 });
    // A deductible over persons' burdens (convex, kinks at every burden, rounded to the fen each): even k-section took 10 passes.
    const burdens = Array.from({ length: 400 }, (_, i) => 50_000 + ((i * 7919) % 400) * 4_000 + (i % 7) * 313);
    const claims = (d: number) => burdens.reduce((sum, b, i) => sum + Math.round((i % 5 === 0 ? 0.5 : 1) * Math.max(0, b - d)), 0);
    for (const target of [300_000, 700_001, 1_234_567]) {
      const r = await searchFigure({ lo: 0, hi: 2_000_000, samples: 21, perPass: 3 }, margins((d) => claims(d) - claims(target)));
      expect(r.crossings).toEqual([{ meets: target, fails: target + 1 }]);
      expect(r.passes).toBeLessThanOrEqual(5);
    }
  });

  it('says met throughout or unreachable from the samples alone, without narrowing anything', async () => {
    const always = await searchFigure({ lo: 0, hi: 1000, samples: 5, perPass: 3 }, margins(() => 1));
    expect(always).toMatchObject({ outcome: 'metThroughout', crossings: [], passes: 1, direction: 'flat' });
    const never = await searchFigure({ lo: 0, hi: 1000, samples: 5, perPass: 3 }, margins((s) => s - 5000));
    expect(never).toMatchObject({ outcome: 'unreachable', crossings: [], passes: 1, direction: 'rising', monotone: true });
  });

  it('detects an outcome that turns, and narrows each crossing it saw', async () => {
    // Met where |s − 500| ≥ 200: up to 300 and from 700.
    const r = await searchFigure({ lo: 0, hi: 1000, samples: 11, perPass: 3 }, margins((s) => Math.abs(s - 500) - 200));
    expect(r.monotone).toBe(false);
    expect(r.turn).toEqual([400, 500, 600]); // falling from 400 to 500, rising from 500 to 600
    expect(r.outcome).toBe('found');
    expect(r.crossings).toEqual([{ meets: 300, fails: 301 }, { meets: 700, fails: 699 }]);
  });

  it('evaluates each figure once and only figures on the grid', async () => {
    const seen: number[] = [];
    await searchFigure({ lo: 10, hi: 20, samples: 21, perPass: 15 }, async (steps) => { seen.push(...steps); return steps.map((s) => new Decimal(13 - s)); });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.every((s) => Number.isInteger(s) && s >= 10 && s <= 20)).toBe(true);
    expect(spread(0, 10, 3)).toEqual([0, 5, 10]);
  });

  it('property: on any monotone step outcome, the crossing is the exact boundary', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 2_000_000 }), fc.integer({ min: 0, max: 2_000_000 }), fc.boolean(), fc.integer({ min: 1, max: 15 }), fc.integer({ min: 3, max: 41 }),
      async (lo, width, at, rising, perPass, samples) => {
        const hi = lo + width;
        const boundary = lo + (at % (width + 1));
        // Met from the boundary up (rising) or up to it (falling).
        const f = (s: number) => (rising ? (s >= boundary ? 1 : -1) : (s <= boundary ? 1 : -1));
        const r = await searchFigure({ lo, hi, samples, perPass }, margins(f));
        if (rising && boundary === lo) expect(r.outcome).toBe('metThroughout');
        else if (!rising && boundary === hi) expect(r.outcome).toBe('metThroughout');
        else expect(r.crossings).toEqual([rising ? { meets: boundary, fails: boundary - 1 } : { meets: boundary, fails: boundary + 1 }]);
        expect(r.monotone).toBe(true);
        // The worst case stays bounded: at most twice (one figure a pass: three times) the passes of even k-section
        // from the widest bracket the samples leave (a margin of ±1 tells the interpolation nothing).
        const sectionPasses = Math.ceil(Math.log(Math.ceil(width / (samples - 1)) + 1) / Math.log(perPass + 1)) + 1;
        expect(r.passes).toBeLessThanOrEqual(1 + (perPass === 1 ? 3 : 2) * sectionPasses);
      },
    ), { numRuns: 300 });
  });
});
