/** The second payout's allocation: exact sum, nobody above their cap, proportional up to a fen. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate } from '../../gateway/operations/allocation.js';

const claimants = fc.uniqueArray(
  fc.record({ id: fc.stringMatching(/^[0-9]{6,18}$/), weight: fc.integer({ min: 0, max: 5_000_000_00 }), capFen: fc.integer({ min: 0, max: 5_000_000_00 }) }),
  { selector: (c) => c.id, maxLength: 60 },
);

describe('allocate', () => {
  it('hands out exactly min(amount, Σ caps), never above a cap, never negative', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 9_000_000_000 }), claimants, (amountFen, cs) => {
      const out = allocate(amountFen, cs);
      const eligible = cs.filter((c) => c.weight > 0 && c.capFen > 0);
      const capSum = eligible.reduce((s, c) => s + c.capFen, 0);
      const sum = [...out.values()].reduce((s, v) => s + v, 0);
      expect(sum).toBe(Math.min(amountFen, capSum));
      for (const c of cs) {
        const paid = out.get(c.id) ?? 0;
        expect(Number.isSafeInteger(paid) && paid >= 0 && paid <= c.capFen).toBe(true);
        if (c.weight === 0) expect(paid).toBe(0);
      }
    }), { numRuns: 500 });
  });

  it('is proportional to within one fen when no cap binds', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000_00 }), fc.array(fc.integer({ min: 1, max: 10_000_00 }), { minLength: 1, maxLength: 40 }), (amountFen, weights) => {
      const cs = weights.map((w, i) => ({ id: `p${String(i).padStart(3, '0')}`, weight: w, capFen: Number.MAX_SAFE_INTEGER }));
      const out = allocate(amountFen, cs);
      const total = weights.reduce((s, w) => s + w, 0);
      for (const c of cs) {
        const exact = (amountFen * c.weight) / total;
        expect(Math.abs((out.get(c.id) ?? 0) - exact)).toBeLessThan(1 + 1e-6);
      }
    }), { numRuns: 300 });
  });

  it('shares again what a capped person cannot take (worked example)', () => {
    // 100.00 by weights 1:1:2 → 25, 25, 50; C capped at 30.00 → 30, and 70 shared 1:1 → 35, 35.
    const out = allocate(10000, [{ id: 'A', weight: 1, capFen: 99999 }, { id: 'B', weight: 1, capFen: 99999 }, { id: 'C', weight: 2, capFen: 3000 }]);
    expect(Object.fromEntries(out)).toEqual({ A: 3500, B: 3500, C: 3000 });
    // 1.00 among three equal weights: 0.34 to the first by id, 0.33 to the others.
    expect(Object.fromEntries(allocate(100, [{ id: 'b', weight: 1, capFen: 100 }, { id: 'a', weight: 1, capFen: 100 }, { id: 'c', weight: 1, capFen: 100 }]))).toEqual({ a: 34, b: 33, c: 33 });
  });
});
