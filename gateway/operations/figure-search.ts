/**
 * Finding where a target is met along one figure of a plan, on an integer grid (fen or basis points):
 * the curve sampled first, then each bracket where the target changes from met to not met narrowed by
 * k-section — bisection that evaluates k figures per pass, because a pass is a replay of the whole year
 * and its cost is mostly reading and parsing the records, not the engine: k figures share one read.
 *
 * The outcome at a figure is a margin (≥ 0: the target is met). Where the margin is monotone in the
 * figure there is one crossing and the search finds the two neighbouring grid steps on either side of it.
 * Monotonicity is checked on every figure evaluated (it cannot be proved between them): a turn is
 * reported with the figures that show it, and then every crossing seen is narrowed (up to MAX_CROSSINGS),
 * so the caller can say the answer is not unique instead of returning one of several.
 *
 * Termination: every pass puts at least one new figure strictly inside each bracket wider than one step,
 * so each bracket shrinks by a factor of at least 2 per pass.
 */
import type { Decimal } from 'decimal.js';

export interface SearchOptions {
  /** The grid: every integer step from lo to hi inclusive. */
  lo: number;
  hi: number;
  /** Figures of the first pass, spread evenly over the grid, both ends included: the curve. */
  samples: number;
  /** Figures evaluated inside each open bracket per later pass (1: plain bisection). */
  perPass: number;
  /** Further figures to evaluate in the first pass (the candidate's own figure, when on the grid). */
  extra?: readonly number[];
}

/** Evaluates the target's margin at each figure: one pass over the year for all of them. */
export type Evaluate = (steps: readonly number[]) => Promise<Decimal[]>;

export interface Crossing { meets: number; fails: number }

export interface SearchResult {
  /** Every figure evaluated, in grid order, with its margin. */
  points: Array<{ step: number; margin: Decimal }>;
  /** How the margin moves as the figure rises, over the figures evaluated. */
  direction: 'rising' | 'falling' | 'flat';
  monotone: boolean;
  /** Where the margin turned: three figures a < b < c with the margin's change from a to b against that from b to c. */
  turn: [number, number, number] | null;
  outcome: 'found' | 'metThroughout' | 'unreachable';
  /** For `found`: each crossing as the figure meeting the target and its neighbour one step away failing it. */
  crossings: Crossing[];
  /** More crossings were seen than MAX_CROSSINGS: only the first ones were narrowed. */
  crossingsTruncated: boolean;
  passes: number;
}

const MAX_CROSSINGS = 8;

/** n figures evenly over [lo, hi], ends included, as integer steps. */
export function spread(lo: number, hi: number, n: number): number[] {
  if (hi <= lo || n <= 1) return [lo, hi].filter((x, i, a) => a.indexOf(x) === i);
  const out = new Set<number>();
  for (let i = 0; i < n; i++) out.add(lo + Math.round(((hi - lo) * i) / (n - 1)));
  return [...out];
}

/** Up to k figures strictly inside (a, b), evenly spaced. */
function inside(a: number, b: number, k: number): number[] {
  const width = b - a;
  if (width <= 1) return [];
  const n = Math.min(k, width - 1);
  const out = new Set<number>();
  for (let i = 1; i <= n; i++) out.add(a + Math.round((width * i) / (n + 1)));
  return [...out].filter((x) => x > a && x < b);
}

const meets = (margin: Decimal): boolean => margin.gte(0);

export async function searchFigure(options: SearchOptions, evaluate: Evaluate): Promise<SearchResult> {
  const { lo, hi } = options;
  const known = new Map<number, Decimal>();
  let passes = 0;
  const run = async (steps: readonly number[]) => {
    const fresh = [...new Set(steps)].filter((s) => !known.has(s));
    if (fresh.length === 0) return;
    passes += 1;
    const margins = await evaluate(fresh);
    fresh.forEach((s, i) => {
      const m = margins[i];
      if (!m) throw new Error(`evaluate returned ${margins.length} margins for ${fresh.length} figures`);
      known.set(s, m);
    });
  };
  const sorted = () => [...known.entries()].sort(([a], [b]) => a - b).map(([step, margin]) => ({ step, margin }));
  const brackets = (): Array<[number, number]> => {
    const pts = sorted();
    const out: Array<[number, number]> = [];
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1], b = pts[i];
      if (a && b && meets(a.margin) !== meets(b.margin)) out.push([a.step, b.step]);
    }
    return out;
  };

  await run([...spread(lo, hi, options.samples), ...(options.extra ?? []).filter((s) => s >= lo && s <= hi)]);
  let open = brackets();
  let truncated = open.length > MAX_CROSSINGS;
  // New figures fall only inside the brackets being narrowed, so new crossings appear only there (a margin that turns inside one).
  while (open.slice(0, MAX_CROSSINGS).some(([a, b]) => b - a > 1)) {
    await run(open.slice(0, MAX_CROSSINGS).flatMap(([a, b]) => inside(a, b, options.perPass)));
    open = brackets();
    truncated ||= open.length > MAX_CROSSINGS;
  }

  const points = sorted();
  const { direction, monotone, turn } = shape(points);
  const all = points.map((p) => meets(p.margin));
  const outcome = all.every(Boolean) ? 'metThroughout' : all.some(Boolean) ? 'found' : 'unreachable';
  const crossings = open.slice(0, MAX_CROSSINGS).map(([a, b]): Crossing => {
    const margin = known.get(a);
    return margin && meets(margin) ? { meets: a, fails: b } : { meets: b, fails: a };
  });
  return { points, direction, monotone, turn, outcome, crossings, crossingsTruncated: truncated, passes };
}

/** The margin's direction over the figures evaluated, and the first turn if it is not monotone. */
function shape(points: ReadonlyArray<{ step: number; margin: Decimal }>): Pick<SearchResult, 'direction' | 'monotone' | 'turn'> {
  let direction: 0 | 1 | -1 = 0;
  let from = 0; // index of the point where the current direction started being seen
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1], b = points[i];
    if (!a || !b) continue;
    const change = b.margin.comparedTo(a.margin);
    if (change === 0) continue;
    if (direction === 0) { direction = change > 0 ? 1 : -1; from = i - 1; continue; }
    if (change !== direction) {
      const first = points[from]?.step ?? a.step;
      return { direction: direction > 0 ? 'rising' : 'falling', monotone: false, turn: [first, a.step, b.step] };
    }
    from = i - 1;
  }
  return { direction: direction > 0 ? 'rising' : direction < 0 ? 'falling' : 'flat', monotone: true, turn: null };
}
