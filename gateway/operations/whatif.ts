/**
 * What-if replay: every stored settlement of the period that a programme judged, replayed in settledAt
 * order from a fresh start of the period, under the pack in force (the baseline) and under a candidate
 * pack, side by side. The engine is pure, so this is the same computation the desk got, with only the
 * pack changed. Nothing here writes the books (a day's projection may be cached: day-projection.ts):
 * accumulators are in-memory maps per person seen, rosters are read as they stand now (rosters are not
 * versioned in time), the live accumulators are never touched.
 *
 * Reversed settlements are skipped: they are not claims of the year, and the ledger restored the
 * accumulators when they were reversed. A settlement that came after one later reversed was computed
 * on accumulators that still held the reversed one; such a settlement (and any whose person had
 * counters from before the period) can replay differently from what was stored: the run counts these
 * as `storedMismatches`, and compares the candidate with the baseline replay, never with the stored answer.
 */
import * as z from 'zod';
import type { Pack } from '../../schemas/pack.js';
import { ProgrammeSet } from '../engine/programme-set.js';
import type { EngineResult } from '../engine/settle.js';
import { formatFen } from '../engine/money.js';
import { InvalidInput, invariant } from '../errors.js';
import type { PersonBook } from '../ledger/port.js';
import { maskId } from '../log.js';
import type { Deadline, Period } from './period.js';
import { paidByRule, paidRuleOf, programmeShare, type SettlementSource } from './records.js';
import { replayPeriod, type ReplayCounts } from './replay.js';

export const signedFen = (fen: number): string => (fen < 0 ? `-${formatFen(-fen)}` : formatFen(fen));

export interface WhatIfProgress { read: number; replayed: number }

export interface WhatIfInput {
  /** The programmes in force: the baseline. */
  programmes: ProgrammeSet;
  candidate: Pack;
  source: SettlementSource;
  ledger: Pick<PersonBook, 'rosterRows'>;
  period: Period;
  /** How many of the biggest changes per person to list. */
  top?: number;
  /** Refuse past this many settlements read (bounded time for HTTP callers). */
  maxSettlements?: number;
  deadline?: Deadline;
  onProgress?: (progress: WhatIfProgress) => void;
  progressEvery?: number;
}

const side = z.object({ directFen: z.number(), benefitsFen: z.number() });
type Side = z.infer<typeof side>;
/** What a person's settlements add up to, baseline and candidate: all a summary needs of them. */
const personTotals = z.object({
  settlements: z.number(), baselineFen: z.number(), candidateFen: z.number(), baselinePatientFen: z.number(), candidatePatientFen: z.number(),
});
type PersonTotals = z.infer<typeof personTotals>;

/**
 * A what-if pass's sums before they are summarised: from one process, or from several each replaying its
 * own persons (shards.ts) and merged. Persons never straddle two parts, so every sum simply adds.
 */
export const whatIfPart = z.object({
  counts: z.object({ read: z.number(), replayed: z.number(), reversedSkipped: z.number(), notConcerned: z.number(), unreplayable: z.number(), storedMismatches: z.number() }),
  persons: z.map(z.string(), personTotals),
  ruleBaseline: z.map(z.string(), z.number()),
  ruleCandidate: z.map(z.string(), z.number()),
  programmeFen: z.map(z.string(), z.object({ baseline: z.number(), candidate: z.number() })),
  baseTotal: side,
  candTotal: side,
});
export type WhatIfPart = z.infer<typeof whatIfPart>;

const addInto = (into: Map<string, number>, from: ReadonlyMap<string, number>) => { for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v); };

/** The parts of a sharded pass as one (each part counts the records of its own persons). */
export function mergeWhatIfParts(parts: readonly WhatIfPart[]): WhatIfPart {
  const merged: WhatIfPart = {
    counts: { read: 0, replayed: 0, reversedSkipped: 0, notConcerned: 0, unreplayable: 0, storedMismatches: 0 },
    persons: new Map(), ruleBaseline: new Map(), ruleCandidate: new Map(), programmeFen: new Map(),
    baseTotal: { directFen: 0, benefitsFen: 0 }, candTotal: { directFen: 0, benefitsFen: 0 },
  };
  for (const p of parts) {
    for (const key of ['read', 'replayed', 'reversedSkipped', 'notConcerned', 'unreplayable', 'storedMismatches'] as const) merged.counts[key] += p.counts[key];
    for (const [id, t] of p.persons) merged.persons.set(id, t);
    addInto(merged.ruleBaseline, p.ruleBaseline);
    addInto(merged.ruleCandidate, p.ruleCandidate);
    for (const [id, v] of p.programmeFen) {
      const e = merged.programmeFen.get(id) ?? { baseline: 0, candidate: 0 };
      merged.programmeFen.set(id, { baseline: e.baseline + v.baseline, candidate: e.candidate + v.candidate });
    }
    merged.baseTotal.directFen += p.baseTotal.directFen; merged.baseTotal.benefitsFen += p.baseTotal.benefitsFen;
    merged.candTotal.directFen += p.candTotal.directFen; merged.candTotal.benefitsFen += p.candTotal.benefitsFen;
  }
  return merged;
}

export interface WhatIfResult {
  programme: { id: string; name: string; actualVersion: string | null; candidateVersion: string };
  period: Period;
  settlements: { read: number; replayed: number; reversedSkipped: number; notConcerned: number; unreplayable: number; storedMismatches: number };
  persons: { total: number; betterOff: number; worseOff: number; unchanged: number };
  /** What the programme pays (directly and as benefits), baseline and candidate. */
  totals: { baseline: { direct: string; benefits: string; total: string }; candidate: { direct: string; benefits: string; total: string }; difference: string };
  /** What the patients bear after every payer and benefit. */
  patients: { baseline: string; candidate: string; difference: string };
  byRule: Array<{ rule: string; name: string; baseline: string; candidate: string; difference: string }>;
  /** Every programme whose amounts moved (a later programme pays more when this one pays less). */
  byProgramme: Array<{ programme: string; name?: string; baseline: string; candidate: string; difference: string }>;
  /** Persons by the change of what the programme paid them (candidate − baseline), in yuan. */
  distribution: Array<{ bucket: string; persons: number }>;
  biggestChanges: Array<{ person: string; settlements: number; baseline: string; candidate: string; difference: string }>;
}

/** Edges of the distribution, in fen: changes per person below −10000, … , above 10000 yuan. */
const EDGES_FEN = [-1_000_000, -100_000, -10_000, 0, 10_000, 100_000, 1_000_000];
function bucketOf(diffFen: number): number {
  if (diffFen === 0) return -1;
  let i = 0;
  while (i < EDGES_FEN.length && diffFen >= (EDGES_FEN[i] ?? 0)) i++;
  return i;
}
const bucketLabel = (i: number): string => {
  const yuan = (fen: number) => String(fen / 100);
  if (i === 0) return `< ${yuan(EDGES_FEN[0] ?? 0)}`;
  if (i === EDGES_FEN.length) return `≥ ${yuan(EDGES_FEN[EDGES_FEN.length - 1] ?? 0)}`;
  const lo = EDGES_FEN[i - 1] ?? 0;
  const hi = EDGES_FEN[i] ?? 0;
  return lo === 0 ? `(0, ${yuan(hi)})` : `[${yuan(lo)}, ${yuan(hi)})`;
};

/** The candidate set: the programmes in force with the candidate in place of the pack of the same id. */
export function candidateSet(programmes: ProgrammeSet, candidate: Pack): ProgrammeSet {
  const known = new Set(programmes.catalogues.map((c) => c.id));
  for (const r of candidate.rules) {
    for (const c of r.when ? [r.when, ...(r.when.anyOf ?? [])] : []) {
      if (c.catalog && !known.has(c.catalog)) throw new InvalidInput('候选政策包引用了未知的疾病目录', [{ path: `rules.${r.id}.when.catalog`, message: `unknown catalogue ${c.catalog}` }]);
    }
  }
  try {
    return new ProgrammeSet([...programmes.packs.filter((p) => p.id !== candidate.id), candidate], programmes.catalogues);
  } catch (error) {
    // Two packs of one public layer in force together, and the like: the candidate cannot stand beside the others.
    throw new InvalidInput('候选政策包与现行政策包冲突', [{ path: 'pack', message: error instanceof Error ? error.message : String(error) }]);
  }
}

export const share = (result: EngineResult, id: string): Side => programmeShare({
  lines: result.lines,
  benefits: result.benefits,
}, id);
const patientFen = (result: EngineResult): number => result.patientPaysFen - result.benefits.reduce((s, b) => s + b.amountFen, 0);

export async function whatIf(input: WhatIfInput): Promise<WhatIfResult> {
  return summariseWhatIf(input, await whatIfPass(input));
}

/** One pass over the period (of one shard's persons when the source is a shard's): the sums a summary needs. */
export async function whatIfPass(input: Omit<WhatIfInput, 'top'>): Promise<WhatIfPart> {
  const { programmes, candidate, period } = input;
  const id = candidate.id;
  const actual = programmes.get(id);
  const candidates = candidateSet(programmes, candidate);
  const persons = new Map<string, PersonTotals>();
  const ruleBaseline = new Map<string, number>();
  const ruleCandidate = new Map<string, number>();
  const programmeFen = new Map<string, { baseline: number; candidate: number }>();
  const baseTotal: Side = { directFen: 0, benefitsFen: 0 };
  const candTotal: Side = { directFen: 0, benefitsFen: 0 };
  let storedMismatches = 0;
  const ruleOf = paidRuleOf(id);
  const addProgramme = (result: EngineResult, side: 'baseline' | 'candidate') => {
    for (const l of result.lines) {
      const e = programmeFen.get(l.programme) ?? { baseline: 0, candidate: 0 };
      e[side] += l.amountFen;
      programmeFen.set(l.programme, e);
    }
    for (const b of result.benefits) {
      const e = programmeFen.get(b.programme) ?? { baseline: 0, candidate: 0 };
      e[side] += b.amountFen;
      programmeFen.set(b.programme, e);
    }
  };
  const counts = await replayPeriod({
    programmeId: id, sets: [programmes, candidates], source: input.source, ledger: input.ledger, period,
    ...(input.maxSettlements === undefined ? {} : { maxSettlements: { count: input.maxSettlements, command: 'npm run whatif' } }),
    ...(input.deadline ? { deadline: input.deadline } : {}),
    ...(input.onProgress ? { onProgress: (c: ReplayCounts) => input.onProgress?.({ read: c.read, replayed: c.replayed }) } : {}),
    ...(input.progressEvery === undefined ? {} : { progressEvery: input.progressEvery }),
  }, (stored, index, [baseline, changed]) => {
    invariant(baseline !== undefined && changed !== undefined, 'a what-if replays under two sets');
    const personId = stored.personId(index);
    let totals = persons.get(personId);
    if (!totals) persons.set(personId, (totals = { settlements: 0, baselineFen: 0, candidateFen: 0, baselinePatientFen: 0, candidatePatientFen: 0 }));
    totals.settlements += 1;
    if (!stored.paidAlike(index, baseline)) storedMismatches += 1;
    const b = share(baseline, id);
    const c = share(changed, id);
    baseTotal.directFen += b.directFen; baseTotal.benefitsFen += b.benefitsFen;
    candTotal.directFen += c.directFen; candTotal.benefitsFen += c.benefitsFen;
    totals.baselineFen += b.directFen + b.benefitsFen;
    totals.candidateFen += c.directFen + c.benefitsFen;
    totals.baselinePatientFen += patientFen(baseline);
    totals.candidatePatientFen += patientFen(changed);
    paidByRule(baseline.deltas, ruleOf, ruleBaseline);
    paidByRule(changed.deltas, ruleOf, ruleCandidate);
    attributeAllowances(actual, baseline, ruleBaseline);
    attributeAllowances(candidate, changed, ruleCandidate);
    addProgramme(baseline, 'baseline');
    addProgramme(changed, 'candidate');
  });
  return { counts: { ...counts, storedMismatches }, persons, ruleBaseline, ruleCandidate, programmeFen, baseTotal, candTotal };
}

/** Daily allowances keep no counter: their benefit kind names the rule. */
function attributeAllowances(pack: Pack | undefined, result: EngineResult, into: Map<string, number>): void {
  if (!pack) return;
  for (const rule of pack.rules) {
    if (rule.kind !== 'dailyAllowance') continue;
    for (const b of result.benefits) if (b.programme === pack.id && b.kind === rule.benefitKind) into.set(rule.id, (into.get(rule.id) ?? 0) + b.amountFen);
  }
}

/** The comparison from a pass's sums (one process's, or the merged shards'). */
export function summariseWhatIf(input: Pick<WhatIfInput, 'programmes' | 'candidate' | 'period' | 'top'>, s: WhatIfPart): WhatIfResult {
  const candidate = input.candidate;
  const actual = input.programmes.get(candidate.id);
  let betterOff = 0, worseOff = 0, patientsBaseline = 0, patientsCandidate = 0;
  const buckets = new Array<number>(EDGES_FEN.length + 1).fill(0);
  let unchangedPersons = 0;
  const top = input.top ?? 20;
  // A bounded list of the biggest changes: kept sorted, at most `top` long.
  const biggest: Array<{ personId: string; state: PersonTotals; diff: number }> = [];
  for (const [personId, p] of s.persons) {
    patientsBaseline += p.baselinePatientFen;
    patientsCandidate += p.candidatePatientFen;
    if (p.candidatePatientFen < p.baselinePatientFen) betterOff += 1;
    else if (p.candidatePatientFen > p.baselinePatientFen) worseOff += 1;
    const diff = p.candidateFen - p.baselineFen;
    const bucket = bucketOf(diff);
    if (bucket < 0) unchangedPersons += 1;
    else buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    // Ties at the cut go to the smaller person id, so the list does not depend on the order persons were seen in (shards).
    const last = biggest[biggest.length - 1];
    if (diff !== 0 && (biggest.length < top || !last || Math.abs(diff) > Math.abs(last.diff) || (Math.abs(diff) === Math.abs(last.diff) && personId < last.personId))) {
      biggest.push({ personId, state: p, diff });
      biggest.sort((a, b) => Math.abs(b.diff) - Math.abs(a.diff) || (a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0));
      if (biggest.length > top) biggest.pop();
    }
  }
  const side = (t: Side) => ({ direct: formatFen(t.directFen), benefits: formatFen(t.benefitsFen), total: formatFen(t.directFen + t.benefitsFen) });
  const ruleIds = [...new Map([...(actual?.rules ?? []), ...candidate.rules].map((r) => [r.id, r.name]))];
  return {
    programme: { id: candidate.id, name: candidate.name, actualVersion: actual?.version ?? null, candidateVersion: candidate.version },
    period: input.period,
    settlements: s.counts,
    persons: { total: s.persons.size, betterOff, worseOff, unchanged: s.persons.size - betterOff - worseOff },
    totals: {
      baseline: side(s.baseTotal),
      candidate: side(s.candTotal),
      difference: signedFen(s.candTotal.directFen + s.candTotal.benefitsFen - s.baseTotal.directFen - s.baseTotal.benefitsFen),
    },
    patients: { baseline: signedFen(patientsBaseline), candidate: signedFen(patientsCandidate), difference: signedFen(patientsCandidate - patientsBaseline) },
    byRule: ruleIds.map(([rule, name]) => {
      const b = s.ruleBaseline.get(rule) ?? 0;
      const c = s.ruleCandidate.get(rule) ?? 0;
      return { rule, name, baseline: formatFen(b), candidate: formatFen(c), difference: signedFen(c - b) };
    }),
    byProgramme: [...s.programmeFen].filter(([, v]) => v.baseline !== v.candidate).sort(([a], [b]) => a.localeCompare(b))
      .map(([programme, v]) => {
        const name = programme === candidate.id ? candidate.name : input.programmes.get(programme)?.name;
        return { programme, ...(name ? { name } : {}), baseline: formatFen(v.baseline), candidate: formatFen(v.candidate), difference: signedFen(v.candidate - v.baseline) };
      }),
    distribution: [{ bucket: '0（不变）', persons: unchangedPersons }, ...buckets.map((persons, i) => ({ bucket: bucketLabel(i), persons }))],
    biggestChanges: biggest.map((b) => ({
      person: maskId(b.personId), settlements: b.state.settlements, baseline: formatFen(b.state.baselineFen), candidate: formatFen(b.state.candidateFen), difference: signedFen(b.diff),
    })),
  };
}
