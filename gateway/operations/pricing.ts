/**
 * The pricing assistant: the figure of a candidate pack (a deductible, a ratio, a cap, the premium) at
 * which last year's settlements, replayed under it, meet a target — a loss ratio (南通 92%) or a profit cap
 * (三明: net result at most 3% of premium) — found by repeated what-ifs (figure-search.ts).
 *
 * Each target reads as "the programme pays at least R(figure)": a loss ratio t needs claims ≥ t × premium;
 * a profit cap c with operating costs o needs premium − claims − o × premium ≤ c × premium (profit-cap.ts's
 * rounding), i.e. claims ≥ premium − o × premium − c × premium. The answer is the least generous figure
 * that still meets it, with its neighbour one fen or basis point away that does not: the boundary to the
 * grid step. Premium income is the reports' (figures.ts): enrolled persons × premium per person, read from
 * the candidate at each figure (so the open figure may be the premium itself).
 *
 * A pass replays the period once by the replay the what-if makes too (replay.ts: in settledAt order, from empty
 * accumulators, rosters as they stand now, reversed settlements skipped, nothing written), under the
 * candidate at several figures side by side: one read and parse of each record serves them all. Only the
 * candidate side is replayed (the baseline does not move with the figure). Memory per pass: per person
 * seen, one accumulator map per figure; the records are never held.
 *
 * A figure where the engine never reads (open-figure.ts: the premium, the operating costs, the profit cap's
 * share …) cannot move the claims: the year is replayed once, under the candidate as written, and every
 * figure's margin is arithmetic on those claims — the same curve and answer as a replay at each figure.
 */
import { Decimal } from 'decimal.js';
import * as z from 'zod';
import type { Pack } from '../../schemas/pack.js';
import { ratio } from '../../schemas/primitives.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { formatFen, RATIO_SCALE } from '../engine/money.js';
import { InvalidInput, invariant } from '../errors.js';
import type { LedgerPort } from '../ledger/port.js';
import { searchFigure, type SearchResult } from './figure-search.js';
import { enrolledPersons, ppmText, premiumShareFen, ratioText, type Enrolled } from './figures.js';
import { figureText, openFigure, openFigureOf, type OpenFigure } from './open-figure.js';
import type { Deadline, Period } from './period.js';
import type { SettlementSource } from './records.js';
import { replayPeriod } from './replay.js';
import { candidateSet, share } from './whatif.js';

const pricingTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('lossRatio'), ratio: ratio.optional().meta({ description: 'the loss ratio to reach; default the pack\'s operations.lossRatioTarget' }) }).strict(),
  z.object({ kind: z.literal('profitCap') }).strict().meta({ description: 'net result (premium − claims − operating costs) at most the pack\'s operations.profitCap share of premium' }),
]);

/** What to search: the open figure, the target, how densely to sample the curve and how many figures per later pass. */
export const pricingQuery = z.object({
  figure: openFigure,
  target: pricingTarget,
  samples: z.int().min(3).max(101).default(21),
  perPass: z.int().min(1).max(15).default(3),
}).strict();
export type PricingQuery = z.output<typeof pricingQuery>;

/** POST /v1/pricing: the candidate pack as YAML text, the period of last year's settlements, and the query. */
export const pricingBody = pricingQuery.extend({
  pack: z.string().meta({ description: 'the candidate policy pack as YAML, valid as written (the figure there is its current reading)' }),
  from: z.string().meta({ description: 'first day, YYYY-MM-DD (+08:00)' }),
  to: z.string().meta({ description: 'day after the last, YYYY-MM-DD' }),
}).strict();

export interface PricingInput {
  /** The programmes in force: the candidate replaces the pack of its id. */
  programmes: ProgrammeSet;
  candidateText: string;
  query: PricingQuery;
  source: SettlementSource;
  ledger: Pick<LedgerPort, 'rosterRows' | 'rosterSize'>;
  period: Period;
  /** Refuse past this many settlements read in one pass (bounded time for HTTP callers). */
  maxSettlements?: number;
  deadline?: Deadline;
  onPass?: (pass: { pass: number; figures: number; read: number }) => void;
  /**
   * Replay the year at every figure, even one the engine never reads (open-figure.ts): the search as it ran
   * before such a figure was answered from one replay — what the tests hold that answer to.
   */
  replayEveryFigure?: boolean;
}

export interface CurvePoint { figure: string; claims: string; lossRatio: string | null; meets: boolean }

export interface PricingResult {
  programme: { id: string; name: string };
  period: Period;
  figure: { path: string; unit: 'yuan' | 'ratio'; min: string; max: string; written: string | null; step: string };
  target: {
    kind: 'lossRatio' | 'profitCap';
    /** In words, with what it is read from. */
    description: string;
    enrolled: Enrolled;
    /** At the candidate's own figure (premium per person may be the open figure). */
    premiumIncome: string;
  };
  settlements: { read: number; replayed: number; reversedSkipped: number; notConcerned: number; unreplayable: number };
  outcome: SearchResult['outcome'];
  /** Whether the outcome moved one way over every figure evaluated, and where it turned if not. */
  monotone: { monotone: boolean; direction: SearchResult['direction']; turn: string[] | null };
  /** For `found`: the least generous figure meeting the target, and its neighbour one step away that does not. */
  answers: Array<{ figure: string; claims: string; lossRatio: string | null; neighbour: { figure: string; claims: string; lossRatio: string | null } }>;
  crossingsTruncated: boolean;
  /** The answer in a sentence (Chinese): found, met throughout, unreachable, not unique. */
  message: string;
  /** Replays of the year the search made (each at one or more figures side by side). */
  passes: number;
  /** Every figure evaluated, in order: the sampled curve and the narrowing around the answer. */
  curve: CurvePoint[];
  /** Whether the claims were replayed at each figure, or once: the figure lies where the engine never reads (the premium, the operating costs…). */
  claimsReplayed: 'atEachFigure' | 'once';
}

const counts = z.object({ read: z.number(), replayed: z.number(), reversedSkipped: z.number(), notConcerned: z.number(), unreplayable: z.number() });
type Counts = z.infer<typeof counts>;

/** What one pass answers: the programme's claims (fen) at each figure asked, and what was read. From one process or one shard's. */
export const pricingPassResult = z.object({ claimsFen: z.array(z.number()), counts });
export type PricingPassResult = z.infer<typeof pricingPassResult>;
/** Runs a pass at the given figures (grid steps): in this process, or over shards (shards.ts) whose results add. */
export type PricingPass = (steps: readonly number[]) => Promise<PricingPassResult>;

/** A pass in this process over `input.source` (a shard's source replays only its persons). */
export function localPricingPass(input: Omit<PricingInput, 'query'> & { figure: OpenFigure }): PricingPass {
  return async (steps) => {
    const packs = steps.map((step) => input.figure.packAt(step));
    const id = packs[0]?.id ?? '';
    return claimsAt(input, id, packs.map((p) => candidateSet(input.programmes, p)));
  };
}

/** The results of one pass over several shards as one: claims and counts add (no person is in two shards). */
export function addPassResults(results: readonly PricingPassResult[]): PricingPassResult {
  const sum: PricingPassResult = { claimsFen: [], counts: { read: 0, replayed: 0, reversedSkipped: 0, notConcerned: 0, unreplayable: 0 } };
  for (const r of results) {
    r.claimsFen.forEach((fen, i) => { sum.claimsFen[i] = (sum.claimsFen[i] ?? 0) + fen; });
    for (const key of ['read', 'replayed', 'reversedSkipped', 'notConcerned', 'unreplayable'] as const) sum.counts[key] += r.counts[key];
  }
  return sum;
}

/** One pass: the programme's claims (direct + benefits, fen) over the period at each figure, and what was read. */
async function claimsAt(input: Omit<PricingInput, 'query'>, id: string, sets: readonly ProgrammeSet[]): Promise<PricingPassResult> {
  const claimsFen = sets.map(() => 0);
  const counts = await replayPeriod({
    programmeId: id, sets, source: input.source, ledger: input.ledger, period: input.period,
    ...(input.maxSettlements === undefined ? {} : { maxSettlements: { count: input.maxSettlements, command: 'npm run price' } }),
    ...(input.deadline ? { deadline: input.deadline } : {}),
  }, (_stored, _index, results) => results.forEach((result, i) => {
    const side = share(result, id);
    claimsFen[i] = (claimsFen[i] ?? 0) + side.directFen + side.benefitsFen;
  }));
  return { claimsFen, counts };
}

/**
 * The pass for a figure the engine never reads (open-figure.ts): the claims are the same at every figure, so the
 * year is replayed once, at `step`, and every later figure's claims are that replay's — each margin is then
 * arithmetic on the premium the figure sets.
 */
function replayedOnce(replay: PricingPass, step: number): PricingPass {
  let once: Promise<PricingPassResult> | null = null;
  return async (steps) => {
    once ??= replay([step]);
    const { claimsFen: [claimsFen], counts } = await once;
    invariant(claimsFen !== undefined, 'a pass answers the claims at each figure asked');
    return { claimsFen: steps.map(() => claimsFen), counts };
  };
}

/** What the programme must pay at a figure for the target to hold (fen, exact), with the target in words. */
function requirement(pack: Pack, target: PricingQuery['target'], enrolled: Enrolled): { premiumFen: number; requiredFen: Decimal; description: string } {
  const premium = pack.operations?.premiumPerPerson;
  if (!premium || enrolled.persons === null) {
    throw new InvalidInput('无法计算保费收入', [{ path: premium ? 'pack.operations.enrolledPersons' : 'pack.operations.premiumPerPerson', message: premium ? '政策包既无参保名单也未配置参保人数' : '候选政策包未给出每人保费' }]);
  }
  const premiumFen = premium.value * enrolled.persons;
  if (target.kind === 'lossRatio') {
    const ppm = target.ratio ?? pack.operations?.lossRatioTarget?.value;
    if (ppm === undefined) throw new InvalidInput('未给出目标赔付率', [{ path: 'target.ratio', message: '请求未给出，政策包也无 operations.lossRatioTarget' }]);
    const source = target.ratio === undefined ? `政策包 operations.lossRatioTarget（${pack.operations?.lossRatioTarget?.cite ?? ''}）` : '请求给出';
    return { premiumFen, requiredFen: new Decimal(premiumFen).times(ppm).div(RATIO_SCALE), description: `赔付率 ≥ ${ppmText(ppm)}（${source}）` };
  }
  const cap = pack.operations?.profitCap;
  if (!cap) throw new InvalidInput('政策包未给出利润上限', [{ path: 'pack.operations.profitCap', message: '按利润上限测算需要 operations.profitCap' }]);
  const operating = pack.operations?.operatingCostShare?.value ?? 0;
  const requiredFen = premiumFen - premiumShareFen(premiumFen, operating) - premiumShareFen(premiumFen, cap.share);
  return {
    premiumFen,
    requiredFen: new Decimal(requiredFen),
    description: `净结果（保费 − 赔付 − 运营费用 ${ppmText(operating)}）≤ 保费的 ${ppmText(cap.share)}，超出部分转入${cap.fund}（${cap.cite}）`,
  };
}

/** The search; each pass in this process unless `pass` runs it elsewhere (over shards: `npm run price -- --workers`). */
export async function priceFigure(input: PricingInput, pass?: PricingPass): Promise<PricingResult> {
  const { query } = input;
  const figure: OpenFigure = openFigureOf(input.candidateText, query.figure);
  const year = pass ?? localPricingPass({ ...input, figure });
  let replays = 0;
  const replay: PricingPass = async (steps) => {
    const result = await year(steps);
    replays += 1;
    input.onPass?.({ pass: replays, figures: steps.length, read: result.counts.read });
    return result;
  };
  const once = !figure.movesClaims && input.replayEveryFigure !== true;
  const runPass = once ? replayedOnce(replay, figure.written ?? figure.lo) : replay;
  const written = figure.packAt(figure.written ?? figure.lo);
  const id = written.id;
  const enrolled = await enrolledPersons(written, input.ledger);
  const atWritten = requirement(written, query.target, enrolled);
  let read: Counts = { read: 0, replayed: 0, reversedSkipped: 0, notConcerned: 0, unreplayable: 0 };
  const evaluated = new Map<number, { claimsFen: number; premiumFen: number; meets: boolean }>();
  const search = await searchFigure({ lo: figure.lo, hi: figure.hi, samples: query.samples, perPass: query.perPass, extra: figure.written === null ? [] : [figure.written] }, async (steps) => {
    const packs = steps.map((s) => figure.packAt(s));
    const { claimsFen: claims, counts } = await runPass(steps);
    read = counts;
    return steps.map((step, i) => {
      const pack = packs[i];
      const claimsFen = claims[i];
      if (!pack || claimsFen === undefined) throw new Error('figure index out of range');
      const { premiumFen, requiredFen } = requirement(pack, query.target, enrolled);
      const margin = new Decimal(claimsFen).minus(requiredFen);
      evaluated.set(step, { claimsFen, premiumFen, meets: margin.gte(0) });
      return margin;
    });
  });
  const text = (step: number) => figureText(figure.unit, step);
  const at = (step: number) => {
    const e = evaluated.get(step);
    if (!e) throw new Error(`figure ${step} was not evaluated`);
    return { figure: text(step), claims: formatFen(e.claimsFen), lossRatio: ratioText(e.claimsFen, e.premiumFen) };
  };
  const answers = search.crossings.map((c) => ({ ...at(c.meets), neighbour: at(c.fails) }));
  return {
    programme: { id, name: written.name },
    period: input.period,
    figure: { path: figure.path, unit: figure.unit, min: text(figure.lo), max: text(figure.hi), written: figure.written === null ? null : text(figure.written), step: text(1) },
    target: { kind: query.target.kind, description: atWritten.description, enrolled, premiumIncome: formatFen(atWritten.premiumFen) },
    settlements: read,
    outcome: search.outcome,
    monotone: { monotone: search.monotone, direction: search.direction, turn: search.turn ? search.turn.map(text) : null },
    answers,
    crossingsTruncated: search.crossingsTruncated,
    message: message(search, answers, text, query.target.kind),
    passes: replays,
    curve: search.points.map((p) => {
      const e = evaluated.get(p.step);
      return { ...at(p.step), meets: e?.meets ?? false };
    }),
    claimsReplayed: once ? 'once' : 'atEachFigure',
  };
}

function message(search: SearchResult, answers: PricingResult['answers'], text: (step: number) => string, kind: PricingQuery['target']['kind']): string {
  const ends = search.points;
  const first = ends[0], last = ends[ends.length - 1];
  const goal = kind === 'lossRatio' ? '赔付率目标' : '利润上限';
  if (search.direction === 'flat') {
    return `在所给范围内该数值不改变本期赔付：${search.outcome === 'metThroughout' ? `全程满足${goal}` : `全程达不到${goal}`}，无需定价。`;
  }
  const notMonotone = search.monotone ? '' : `注意：赔付随该数值变化不单调（${search.turn?.map(text).join(' → ') ?? ''} 处转向），结果不唯一，下列每个交点均已精确到最小单位。`;
  if (search.outcome === 'metThroughout') {
    // Least generous end: the one with the smaller margin.
    const end = first && last && first.margin.lte(last.margin) ? first : last;
    return `${notMonotone}在 ${text(first?.step ?? 0)} 至 ${text(last?.step ?? 0)} 范围内全程满足${goal}；最不宽松的一端 ${text(end?.step ?? 0)} 仍满足，可扩大范围再测。`;
  }
  if (search.outcome === 'unreachable') {
    const end = first && last && first.margin.gte(last.margin) ? first : last;
    return `${notMonotone}在 ${text(first?.step ?? 0)} 至 ${text(last?.step ?? 0)} 范围内无法达到${goal}；最宽松的一端 ${text(end?.step ?? 0)} 也达不到，请扩大范围或调整其他数值。`;
  }
  const found = answers.map((a) => `${a.figure}（赔付 ${a.claims} 元，赔付率 ${a.lossRatio ?? '—'}；${a.neighbour.figure} 时 ${a.neighbour.claims} 元，不满足）`).join('；');
  return `${notMonotone}满足${goal}的临界数值：${found}${search.crossingsTruncated ? '；交点过多，只列出前几个' : ''}。`;
}
