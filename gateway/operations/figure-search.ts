/**
 * Finding where a target is met along one figure of a plan, on an integer grid (fen or basis points):
 * the curve sampled first, then each bracket where the target changes from met to not met narrowed by
 * interpolation — a pass is a replay of the whole year, so the search is counted in passes, not figures:
 * each pass evaluates up to k figures per open bracket side by side, sharing one read of the year.
 *
 * The margin along the grid (claims − what the target requires) is monotone and near piecewise linear for
 * a deductible, a ratio or a cap: the root of the straight line through the bracket's ends (regula falsi,
 * Illinois-style — an end kept pass after pass weighs half as much each time, so the estimate does not creep
 * from one side) is close to the boundary. Each pass puts its k figures in a window around that estimate,
 * as wide as the estimate is uncertain — where the margin bends, the chord through the evaluated figure next
 * beyond the bracket lands elsewhere, and that distance (on a bracket's later interpolations scaled to its
 * width) is the window's half-width, at least one step. Once the estimate is good to a step, the pass
 * evaluates the boundary's two figures and the search ends.
 *
 * Guaranteed shrink: interpolation must keep pace with an even k-section (the bracket 1/(k+1) as wide per
 * pass, counted from the last checkpoint; one figure a pass narrows one side at a time and gets one pass of
 * slack). A bracket that falls behind is narrowed next by even k-section, which is a new checkpoint. So a
 * search takes at most twice the passes of plain k-section (three times with one figure a pass), whatever the
 * margin does; on a near-linear margin, 1–4 passes after the samples instead of log_(k+1) of the bracket.
 *
 * Where the margin is monotone in the figure there is one crossing and the search finds the two neighbouring
 * grid steps on either side of it, both evaluated. Monotonicity is checked on every figure evaluated (it
 * cannot be proved between them): a turn is reported with the figures that show it, and then every crossing
 * seen is narrowed (up to MAX_CROSSINGS), so the caller can say the answer is not unique instead of
 * returning one of several.
 */
import { Decimal } from 'decimal.js';

export interface SearchOptions {
  /** The grid: every integer step from lo to hi inclusive. */
  lo: number;
  hi: number;
  /** Figures of the first pass, spread evenly over the grid, both ends included: the curve. */
  samples: number;
  /** Figures evaluated inside each open bracket per later pass (1: one interpolated figure a pass). */
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

/** Up to k figures strictly inside (a, b), evenly spaced: the k-section that bounds the worst case. */
function inside(a: number, b: number, k: number): number[] {
  const width = b - a;
  if (width <= 1) return [];
  const n = Math.min(k, width - 1);
  const out = new Set<number>();
  for (let i = 1; i <= n; i++) out.add(a + Math.round((width * i) / (n + 1)));
  return [...out].filter((x) => x > a && x < b);
}

const meets = (margin: Decimal): boolean => margin.gte(0);

/**
 * Where the straight line through (a, ma) and (b, mb) crosses zero, as a grid position (not money: a place to
 * look, the margins there are then evaluated exactly). The margins' signs differ, so it lies within [a, b].
 */
function chordRoot(a: number, ma: Decimal, b: number, mb: Decimal): number {
  return new Decimal(b - a).times(ma).div(ma.minus(mb)).plus(a).toNumber();
}

/** What a bracket carries from the pass that made it: how to narrow it next, and the ends' ages for Illinois. */
interface BracketState {
  /** Interpolation fell behind k-section's pace: narrow by even k-section this time. */
  section: boolean;
  /** Passes each end has been kept unchanged (0: evaluated by the last pass or a sample). */
  keptA: number;
  keptB: number;
  /** The bracket's width when it was last narrowed by k-section (or sampled), and the interpolation passes since. */
  paceFrom: number;
  paced: number;
}

/**
 * Up to k figures strictly inside (a, b) around `estimate`: evenly over ±`uncertainty`, or, when it is good to a
 * step, the two figures either side of it and then steps outward; one figure: the estimate itself.
 */
function around(a: number, b: number, k: number, estimate: number, uncertainty: number): number[] {
  const clamp = (x: number) => Math.min(b - 1, Math.max(a + 1, x));
  const c = clamp(Math.floor(estimate));
  const out = new Set<number>();
  if (k === 1) {
    out.add(c);
  } else if (uncertainty <= 1) {
    // Good to a step: the boundary's two figures, then steps outward from them.
    for (let i = 0; out.size < k && i < b - a; i++) {
      for (const x of i === 0 ? [c, c + 1] : [c - i, c + 1 + i]) if (out.size < k && x > a && x < b) out.add(x);
    }
  } else {
    for (let i = 0; i < k; i++) out.add(clamp(Math.round(estimate - uncertainty + (2 * uncertainty * i) / (k - 1))));
  }
  return [...out].filter((x) => x > a && x < b);
}

export async function searchFigure(options: SearchOptions, evaluate: Evaluate): Promise<SearchResult> {
  const { lo, hi } = options;
  const k = options.perPass;
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
  const marginAt = (step: number): Decimal => {
    const m = known.get(step);
    if (!m) throw new Error(`figure ${step} was not evaluated`);
    return m;
  };

  /** The Illinois-weighted chord's root in [a, b]: an end kept for n passes counts 1/2^n of its margin. */
  const estimateIn = ([a, b]: [number, number], state: BracketState): number =>
    chordRoot(a, marginAt(a).div(2 ** Math.min(state.keptA, 60)), b, marginAt(b).div(2 ** Math.min(state.keptB, 60)));

  /**
   * How far the estimate may be off (steps, at least 1): how far the chords through the nearest figures beyond the
   * bracket land from it. Where the curve bends the chords disagree, the wider more; on a bracket's first
   * interpolation (from the samples or a k-section, whose spacing is even) that distance is taken as it is, later
   * scaled by the bracket's share of the wider chord's width — the window has then closed in on the estimate.
   */
  const uncertaintyOf = ([a, b]: [number, number], state: BracketState, estimate: number): number => {
    const pts = sorted();
    const i = pts.findIndex((p) => p.step === a);
    const before = pts[i - 1], after = pts[i + 2];
    const scaled = (root: number, width: number) => Math.abs(root - estimate) * (state.paced === 0 ? 1 : (b - a) / width);
    const others: number[] = [];
    if (before && meets(before.margin) !== meets(marginAt(b))) others.push(scaled(chordRoot(before.step, before.margin, b, marginAt(b)), b - before.step));
    if (after && meets(after.margin) !== meets(marginAt(a))) others.push(scaled(chordRoot(a, marginAt(a), after.step, after.margin), after.step - a));
    if (others.length === 0) return Math.max(1, Math.ceil((b - a) / 16));
    return Math.max(1, Math.ceil(Math.max(...others)));
  };

  await run([...spread(lo, hi, options.samples), ...(options.extra ?? []).filter((s) => s >= lo && s <= hi)]);
  let open = brackets();
  let truncated = open.length > MAX_CROSSINGS;
  const fresh = (a: number, b: number): BracketState => ({ section: false, keptA: 0, keptB: 0, paceFrom: b - a, paced: 0 });
  const states = new Map<string, BracketState>(open.map(([a, b]) => [`${a}:${b}`, fresh(a, b)]));
  // Interpolation must keep pace with k-section from the last checkpoint; one figure a pass narrows one side at a
  // time, so it is given one pass of slack.
  const slack = k === 1 ? 1 : 0;
  // New figures fall only inside the brackets being narrowed, so new crossings appear only there (a margin that turns inside one).
  while (open.slice(0, MAX_CROSSINGS).some(([a, b]) => b - a > 1)) {
    const narrowed = open.slice(0, MAX_CROSSINGS).filter(([a, b]) => b - a > 1);
    const plans = narrowed.map((bracket) => {
      const state = states.get(`${bracket[0]}:${bracket[1]}`) ?? { ...fresh(bracket[0], bracket[1]), section: true };
      if (state.section) return { bracket, state, estimate: null, figures: inside(bracket[0], bracket[1], k) };
      const estimate = estimateIn(bracket, state);
      return { bracket, state, estimate, figures: around(bracket[0], bracket[1], k, estimate, uncertaintyOf(bracket, state, estimate)) };
    });
    await run(plans.flatMap((p) => p.figures));
    open = brackets();
    truncated ||= open.length > MAX_CROSSINGS;
    states.clear();
    for (const [a, b] of open) {
      const parent = plans.find((p) => p.bracket[0] <= a && b <= p.bracket[1]);
      if (!parent) continue; // a bracket no pass touched: already one step wide
      const [pa, pb] = parent.bracket;
      const was = parent.state;
      const sectioned = parent.estimate === null;
      const paced = sectioned ? 0 : was.paced + 1;
      const paceFrom = sectioned ? b - a : was.paceFrom;
      states.set(`${a}:${b}`, {
        section: !sectioned && (b - a) * (k + 1) ** Math.max(0, paced - slack) > paceFrom,
        keptA: a === pa ? was.keptA + 1 : 0,
        keptB: b === pb ? was.keptB + 1 : 0,
        paceFrom,
        paced,
      });
    }
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
