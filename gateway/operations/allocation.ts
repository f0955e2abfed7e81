/**
 * Shares an amount among persons in proportion to weights, each within a cap, in whole fen, exactly:
 * the amount handed out is min(amount, Σ caps) to the fen. Proportional shares above a person's cap
 * are held at the cap and the rest is shared again among the others (water-filling); the fen left by
 * rounding down go one each to the largest remainders (then by id), so rounding falls to the
 * patients, never to the fund, and never lifts anyone above their cap. BigInt: amount × weight can pass 2^53.
 */

export interface Claimant { id: string; weight: number; capFen: number }

export function allocate(amountFen: number, claimants: readonly Claimant[]): Map<string, number> {
  const result = new Map<string, number>();
  let active = claimants.filter((c) => c.weight > 0 && c.capFen > 0);
  let leftFen = BigInt(amountFen);
  for (;;) {
    const capsLeft = active.reduce((s, c) => s + BigInt(c.capFen), 0n);
    if (leftFen >= capsLeft) {
      for (const c of active) result.set(c.id, c.capFen);
      return result;
    }
    const weights = active.reduce((s, c) => s + BigInt(c.weight), 0n);
    // Anyone whose proportional share reaches their cap takes the cap; share the rest again.
    const capped = active.filter((c) => leftFen * BigInt(c.weight) >= BigInt(c.capFen) * weights);
    if (capped.length > 0) {
      for (const c of capped) { result.set(c.id, c.capFen); leftFen -= BigInt(c.capFen); }
      const ids = new Set(capped.map((c) => c.id));
      active = active.filter((c) => !ids.has(c.id));
      continue;
    }
    const shares = active.map((c) => {
      const exact = leftFen * BigInt(c.weight);
      return { c, floor: exact / weights, remainder: exact % weights };
    });
    let spare = leftFen - shares.reduce((s, x) => s + x.floor, 0n);
    shares.sort((a, b) => (a.remainder === b.remainder ? a.c.id.localeCompare(b.c.id) : a.remainder > b.remainder ? -1 : 1));
    for (const x of shares) {
      // floor < share < cap here, so floor + 1 ≤ cap.
      const extra = spare > 0n && x.remainder > 0n ? 1n : 0n;
      spare -= extra;
      result.set(x.c.id, Number(x.floor + extra));
    }
    return result;
  }
}
