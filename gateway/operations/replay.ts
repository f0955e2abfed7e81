/**
 * The replay both the what-if (whatif.ts) and the pricing assistant (pricing.ts) make of a period: every
 * standing settlement in settledAt order, from empty accumulators at the period start, under several
 * programme sets side by side (baseline and candidate; or the candidate at several figures), one read and
 * parse of each settlement's day projection serving them all (day-projection.ts). Rosters are read as they
 * stand now; nothing is written but the day projections' cache.
 *
 * Reversed settlements are skipped: they are not claims of the year, and the ledger restored the
 * accumulators when they were reversed. A settlement the programme is in force for under none of the sets
 * is not concerned: settled all the same, for the counters it moves, but neither reported nor counted as
 * replayed. A stored request today's schema still refuses after its version's upgrade, or one the
 * engine throws on under any set, is unreplayable: counted, left out of every set alike. Memory: per person
 * seen, one accumulator map per set — never the records.
 */
import { parsedSettlementRequest, type SettlementRequest } from '../../schemas/settlement.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { SettledHead, settle, sharesHead, type EngineInput, type EngineResult } from '../engine/settle.js';
import { invariant, InvariantViolation, Unprocessable } from '../errors.js';
import type { PersonBook } from '../ledger/port.js';
import type { DayColumns } from './day-columns.js';
import { projectedDays } from './day-projection.js';
import { PersonRosters } from './person-rosters.js';
import { YIELD_EVERY, yieldToEventLoop, type Deadline, type Period } from './period.js';
import type { SettlementSource } from './records.js';

export interface ReplayCounts { read: number; replayed: number; reversedSkipped: number; notConcerned: number; unreplayable: number }

export interface ReplayInput {
  /** The programme whose settlements are replayed: those it is in force for under at least one set. */
  programmeId: string;
  sets: readonly ProgrammeSet[];
  source: SettlementSource;
  ledger: Pick<PersonBook, 'rosterRows' | 'rosterSize'>;
  period: Period;
  /** Refuse past this many settlements read (bounded time for HTTP callers), naming the command without that bound. */
  maxSettlements?: { count: number; command: string };
  deadline?: Deadline;
  onProgress?: (counts: ReplayCounts) => void;
  progressEvery?: number;
}

/**
 * A stored request as the day projection gives it: read by today's schema when the entry was built, and read back
 * in that parsed form; null when today's schema refused it (the line is null) or the line is not of that form.
 */
function replayableRequest(line: unknown): SettlementRequest | null {
  const parsed = parsedSettlementRequest.safeParse(line);
  return parsed.success ? parsed.data : null;
}

function applyDeltas(into: Record<string, number>, deltas: Readonly<Record<string, number>>): void {
  for (const key in deltas) {
    const next = (into[key] ?? 0) + (deltas[key] ?? 0);
    if (next === 0) delete into[key];
    else into[key] = next;
  }
}

/** A person the pass has met: their counters under each set, and whether their stays are settled apart by set from now on. */
interface PersonState { readonly bySet: ReadonlyArray<Record<string, number>>; apart: boolean }

/**
 * A stay under every set, without explanations (a replay reads only the figures, the same without them:
 * EngineInput.explain). The layers before the programme are settled once for all the sets where that is provably
 * the same (`headShared`, sharesHead: a pricing pass's figures, a what-if's two sets), else each set settles the
 * stay whole: both ways are needed, as a candidate may change what comes before the programme (its rank), and a
 * head whose rules wait for the later layers settles differently by set (SettledHead.waitsForLaterLayers).
 */
function settledUnderSets(request: SettlementRequest, rosters: EngineInput['rosters'], sets: readonly ProgrammeSet[], person: PersonState, programmeId: string, headShared: boolean): EngineResult[] {
  const first = sets[0];
  if (headShared && first && !person.apart) {
    const head = new SettledHead({ request, programmes: first, rosters, accumulators: person.bySet[0] ?? {}, explain: false }, programmeId);
    if (!head.waitsForLaterLayers) return sets.map((programmes, i) => head.settleRest(programmes, person.bySet[i] ?? {}));
    person.apart = true;
  }
  return sets.map((programmes, i) => settle({ request, programmes, rosters, accumulators: person.bySet[i] ?? {}, explain: false }));
}

/** Replays the period; `onReplayed` gets each replayed settlement (its entry's columns and position) and its results, one per set in order. */
export async function replayPeriod(input: ReplayInput, onReplayed: (stored: DayColumns, index: number, results: readonly EngineResult[]) => void): Promise<ReplayCounts> {
  const { programmeId, sets } = input;
  const counts: ReplayCounts = { read: 0, replayed: 0, reversedSkipped: 0, notConcerned: 0, unreplayable: 0 };
  const rosterIds = [...new Set(sets.flatMap((s) => s.packs.flatMap((p) => (p.eligibility.roster ? [p.eligibility.roster.id] : []))))];
  const rosters = new PersonRosters(input.ledger, rosterIds);
  const persons = new Map<string, PersonState>();
  const every = input.progressEvery ?? 1000;
  const headShared = sets.length > 1 && sharesHead(sets, programmeId);
  for await (const day of rosters.readAhead(projectedDays(input.source, input.period, { requests: true }))) {
    // Settlement by settlement, in place: no object per settlement of the day, its request parsed when its turn comes.
    for (const [cell, stored] of day.cells.entries()) {
      for (let index = 0; index < stored.count; index++) {
        counts.read += 1;
        if (counts.read % YIELD_EVERY === 0) { await yieldToEventLoop(); input.deadline?.check(); }
        if (counts.read % every === 0) input.onProgress?.(counts);
        const max = input.maxSettlements;
        if (max && counts.read > max.count) {
          throw new Unprocessable(`期间内结算超过 ${max.count} 笔，请缩短期间或使用命令行 ${max.command}`, [{ path: 'to', message: `at most ${max.count} settlements per request` }]);
        }
        if (stored.reversed(index)) { counts.reversedSkipped += 1; continue; }
        const request = replayableRequest(day.request(cell, index));
        if (!request) { counts.unreplayable += 1; continue; }
        const personId = stored.personId(index);
        // The person's rows first: a roster may decide whether the programme is in force at all (三明's 新市民).
        const rows = rosters.of(personId);
        const concerned = sets.some((s) => s.inForce('supplementary', request, rows).some((p) => p.id === programmeId));
        let person = persons.get(personId);
        if (!person) persons.set(personId, (person = { bySet: sets.map(() => ({})), apart: false }));
        let results: EngineResult[];
        try {
          results = settledUnderSets(request, rows, sets, person, programmeId, headShared);
        } catch (error) {
          // A request the engine refuses is unreplayable; a broken invariant is a defect, never a count.
          if (error instanceof InvariantViolation) throw error;
          counts.unreplayable += 1;
          continue;
        }
        const bySet = person.bySet;
        results.forEach((result, i) => {
          const into = bySet[i];
          invariant(into !== undefined, 'one accumulator map per set');
          applyDeltas(into, result.deltas);
        });
        // A stay the programme is not in force for is still settled: it moves the person's counters of the layers
        // before it (a basic fund's yearly cap, another plan's deductible), which their later stays are settled against.
        if (!concerned) { counts.notConcerned += 1; continue; }
        counts.replayed += 1;
        onReplayed(stored, index, results);
      }
    }
  }
  input.onProgress?.(counts);
  return counts;
}
