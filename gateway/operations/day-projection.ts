/**
 * The day projections a pass reads instead of the records: per ledger cell (a Redis bucket) and settlement day
 * (+08:00), one entry with every settlement of that cell and day in the form the passes read — its identity and
 * status, its figures as `readRecord` gives them (records.ts), the counter deltas paid-by-rule reads — and, in a
 * second field, each one's request brought to today's shape (`upgradedRequest`) for a replay. A report reads the
 * first field only: some hundred bytes a settlement instead of the ~5.7 KB record with its explanations and items.
 *
 * Entries are cached in the ledger (gateway/ledger/projection.ts: the commit and reverse scripts delete the
 * entry of the day they write, so a cached day is never stale). A pass reads the cached days and builds the
 * missing ones from the records, caching them: the first pass over a period costs what reading the records
 * costs, later ones read the entries (`npm run ledger:project` builds them ahead). An entry of another format
 * (or unreadable) is built again, never misread. The answers are the same with or without cached entries: both
 * come from `projectRecord`, and a day's settlements come cell by cell, each cell in the listing's time order
 * (each person lives in one cell, so a person's settlements stay in order).
 */
import * as z from 'zod';
import { invariant } from '../errors.js';
import { projectionDay, type CellDay, type DayProjections, type ProjectionField } from '../ledger/projection.js';
import type { StoredSettlement } from '../ledger/stored.js';
import { addDays, type Period } from './period.js';
import { DayColumns, DayColumnsBuilder, dayColumns, type ProjectedSettlement } from './day-columns.js';
import { paidDeltas, readRecord, type SettlementSource } from './records.js';

export type { ProjectedSettlement } from './day-columns.js';

/**
 * The format of an entry's texts: an entry of another format is built again. A change to what is kept is a new format.
 * 1: one object per settlement (session 13). 2: the figures as columns (day-columns.ts).
 */
export const PROJECTION_FORMAT = 2;

const dayFigures = z.object({ format: z.literal(PROJECTION_FORMAT), columns: dayColumns });
/** Each settlement's request in today's shape, as stored data: the replay parses each with today's request schema. */
const dayRequests = z.object({ format: z.literal(PROJECTION_FORMAT), requests: z.array(z.unknown()) });

/** One settlement's projection, from its record. */
export function projectRecord(record: StoredSettlement): ProjectedSettlement {
  return {
    personId: record.personId, hospitalId: record.hospitalId, settlementId: record.settlementId, settledAt: record.settledAt, status: record.status,
    figures: readRecord(record), paidDeltas: paidDeltas(record.deltas),
  };
}

/** The request a replay runs, brought to today's shape by the record's version; null when even that fails (unreplayable). */
function upgradedRequest(record: StoredSettlement): unknown {
  try { return record.upgradedRequest(); } catch { return null; }
}

/**
 * A day's settlements (of the source's part), cell by cell as columns, and with `requests` each one's request in
 * today's shape, in the same order (else none).
 */
class ProjectedDay {
  private objects: ProjectedSettlement[] | null = null;
  constructor(readonly day: string, readonly cells: readonly DayColumns[], readonly requests: readonly unknown[]) {}

  /** How many settlements the day holds. */
  get count(): number { return this.cells.reduce((n, c) => n + c.count, 0); }

  /** The persons of the day's settlements, in order (a person may come more than once). */
  *personIds(): Generator<string> {
    for (const c of this.cells) for (let i = 0; i < c.count; i++) yield c.personId(i);
  }

  /**
   * Each settlement as one object, in order (what a replay and the second payout read; a report reads the cells'
   * columns in place, without these objects). Built when first asked.
   */
  get settlements(): readonly ProjectedSettlement[] {
    this.objects ??= this.cells.flatMap((c) => Array.from({ length: c.count }, (_, i) => c.settlement(i)));
    return this.objects;
  }
}

interface Cell { columns: DayColumns; requests: unknown[] }
const emptyCell = (): Cell => ({ columns: new DayColumnsBuilder().columns(), requests: [] });
/** A cell of records as they are listed: its columns built as they come. */
interface ListedCell { columns: DayColumnsBuilder; requests: unknown[] }

/** Days read from the caches at a time: a week of a city's year is ~2×10⁴ settlements. */
const WINDOW_DAYS = 7;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const nextDay = (day: string): string => addDays(day, 1);

function daysOf(period: Period): string[] {
  invariant(DATE.test(period.from) && DATE.test(period.to), 'a projected period is of whole days');
  const days: string[] = [];
  for (let day = period.from; day < period.to; day = nextDay(day)) days.push(day);
  return days;
}

/** The period's days in order, each its settlements of the source's part. */
export async function* projectedDays(source: SettlementSource, period: Period, options: { requests: boolean }): AsyncGenerator<ProjectedDay> {
  const store = source.projections;
  if (!store) {
    // Nothing cached: the records, day by day.
    for await (const { day, cells } of listedDays(source, period, null, options.requests)) yield joined(day, [cells.get(0) ?? emptyCell()], options.requests);
    return;
  }
  const layout = await store.cells();
  const cells = Array.from({ length: layout.count }, (_, c) => c).filter((c) => !source.part || c % source.part.count === source.part.index);
  const days = daysOf(period);
  const windows: string[][] = [];
  for (let i = 0; i < days.length; i += WINDOW_DAYS) windows.push(days.slice(i, i + WINDOW_DAYS));
  const fields: ProjectionField[] = options.requests ? ['figures', 'requests'] : ['figures'];
  const readWindow = (window: readonly string[]) => {
    const entries = window.flatMap((day) => cells.map((cell) => ({ cell, day })));
    return store.read(entries, fields).then((texts) => ({ entries, cached: texts.map((t) => cachedCell(t, options.requests)) }));
  };
  let next = windows[0] ? readWindow(windows[0]) : null;
  for (let w = 0; w < windows.length; w++) {
    const window = windows[w] ?? [];
    invariant(next !== null, 'the next window is read ahead');
    const { entries, cached } = await next;
    // Read ahead while this window is built and passed on; awaited in turn, its failure is this pass's.
    next = windows[w + 1] ? readWindow(windows[w + 1] ?? []) : null;
    next?.catch(() => undefined);
    const byEntry = new Map<string, Cell>();
    const missing: CellDay[] = [];
    entries.forEach((entry, i) => {
      const cell = cached[i];
      if (cell) byEntry.set(entryKey(entry), cell);
      else missing.push(entry);
    });
    if (missing.length > 0) {
      for (const [entry, cell] of await build(store, source, layout.of, missing)) byEntry.set(entryKey(entry), cell);
    }
    for (const day of window) yield joined(day, cells.map((cell) => byEntry.get(entryKey({ cell, day })) ?? emptyCell()), options.requests);
  }
}

const entryKey = ({ cell, day }: CellDay): string => `${cell}|${day}`;

/** A day's cells in order; the requests only when asked for (a built cell has them, a cached one read without them has not). */
function joined(day: string, cells: readonly Cell[], withRequests: boolean): ProjectedDay {
  return new ProjectedDay(day, cells.map((c) => c.columns), withRequests ? cells.flatMap((c) => c.requests) : []);
}

/** A cached entry's fields read back; null when absent, being built, of another format or unreadable (then built again). */
function cachedCell(texts: ReadonlyArray<string | null>, withRequests: boolean): Cell | null {
  const [figuresText, requestsText] = texts;
  if (!figuresText || (withRequests && !requestsText)) return null;
  const figures = dayFigures.safeParse(parseJson(figuresText));
  if (!figures.success) return null;
  const columns = new DayColumns(figures.data.columns);
  if (!withRequests || !requestsText) return { columns, requests: [] };
  const requests = dayRequests.safeParse(parseJson(requestsText));
  if (!requests.success || requests.data.requests.length !== columns.count) return null;
  return { columns, requests: requests.data.requests };
}

function parseJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return undefined; }
}

/**
 * The missing entries built from the records and cached: claimed first, then each run of consecutive days read
 * once from the listing; an entry is stored only if no commit or reversal wrote to its cell and day meanwhile.
 */
async function build(store: DayProjections, source: SettlementSource, cellOf: (personId: string) => number, missing: readonly CellDay[]): Promise<Array<[CellDay, Cell]>> {
  const token = await store.claim(missing);
  const days = [...new Set(missing.map((e) => e.day))].sort();
  const runs: Period[] = [];
  for (const day of days) {
    const last = runs.at(-1);
    if (last && last.to === day) last.to = nextDay(day);
    else runs.push({ from: day, to: nextDay(day) });
  }
  const listed = new Map<string, Map<number, Cell>>();
  for (const run of runs) for await (const { day, cells } of listedDays(source, run, cellOf, true)) listed.set(day, cells);
  const built = missing.map((entry): [CellDay, Cell] => [entry, listed.get(entry.day)?.get(entry.cell) ?? emptyCell()]);
  await Promise.all(built.map(([entry, cell]) => store.store(entry, token, {
    figures: JSON.stringify({ format: PROJECTION_FORMAT, columns: cell.columns }),
    requests: JSON.stringify({ format: PROJECTION_FORMAT, requests: cell.requests }),
  })));
  return built;
}

/** The listing's records of the period, projected, grouped by day (in order) and cell (`cellOf`; all in cell 0 without). */
async function* listedDays(source: SettlementSource, period: Period, cellOf: ((personId: string) => number) | null, withRequests: boolean): AsyncGenerator<{ day: string; cells: Map<number, Cell> }> {
  const finished = (listed: Map<number, ListedCell>): Map<number, Cell> => new Map([...listed].map(([c, cell]) => [c, { columns: cell.columns.columns(), requests: cell.requests }]));
  let day: string | null = null;
  let cells = new Map<number, ListedCell>();
  for await (const record of source.listSettlements({ from: period.from, to: period.to })) {
    const recordDay = projectionDay(record.settledAt);
    if (recordDay !== day) {
      if (day !== null) yield { day, cells: finished(cells) };
      day = recordDay;
      cells = new Map();
    }
    const c = cellOf ? cellOf(record.personId) : 0;
    let cell = cells.get(c);
    if (!cell) cells.set(c, (cell = { columns: new DayColumnsBuilder(), requests: [] }));
    cell.columns.add(projectRecord(record));
    if (withRequests) cell.requests.push(upgradedRequest(record));
  }
  if (day !== null) yield { day, cells: finished(cells) };
}

/** What building ahead found: the days read and their settlements (of the source's part). */
export const projectionCount = z.object({ days: z.int(), settlements: z.int() });
export type ProjectionCount = z.infer<typeof projectionCount>;

/** Builds and caches the period's missing entries ahead of the passes (`npm run ledger:project`): a pass reading them then reads no record. */
export async function projectAhead(source: SettlementSource, period: Period): Promise<ProjectionCount> {
  const count: ProjectionCount = { days: 0, settlements: 0 };
  for await (const day of projectedDays(source, period, { requests: false })) {
    count.days += 1;
    count.settlements += day.count;
  }
  return count;
}
