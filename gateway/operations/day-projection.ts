/**
 * The day projections a pass reads instead of the records: per ledger cell (a Redis bucket) and settlement day
 * (+08:00), one entry with every settlement of that cell and day in the form the passes read — its identity and
 * status, its figures as `readRecord` gives them (records.ts), the counter deltas paid-by-rule reads — and, in a
 * second field, each one's request brought to today's shape (`upgradedRequest`) and read by today's schema, for a
 * replay, one JSON text a line, parsed by the replay only when it comes to that settlement (`ProjectedDay.request`). A report reads the first
 * field only: some hundred bytes a settlement instead of the ~5.7 KB record with its explanations and items.
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
import { jsonSchema } from '../../schemas/json-schema.js';
import { parsedSettlementRequest, settlementRequest } from '../../schemas/settlement.js';
import { invariant } from '../errors.js';
import { sha256 } from '../service/ids.js';
import { projectionDay, type CellDay, type DayProjections, type ProjectionField } from '../ledger/projection.js';
import type { StoredSettlement } from '../ledger/stored.js';
import { addDays, type Period } from './period.js';
import { DayColumns, DayColumnsBuilder, dayColumns, type ProjectedSettlement } from './day-columns.js';
import { paidDeltas, readRecord, type SettlementSource } from './records.js';

export type { ProjectedSettlement } from './day-columns.js';

/**
 * The format of an entry's texts: an entry of another format is built again. A change to what is kept is a new format.
 * 1: one object per settlement (session 13). 2: the figures as columns (day-columns.ts). 3: the requests as lines.
 * 4: each request as settlementRequest read it (parsedSettlementRequest), under the fingerprint of that form.
 */
export const PROJECTION_FORMAT = 4;

const dayFigures = z.object({ format: z.literal(PROJECTION_FORMAT), columns: dayColumns });
/**
 * The requests field: this line, then each settlement's request in today's shape as one JSON text a line, in the
 * columns' order. Why lines: parsed all at once when a week's entries were read (format 2), 10⁴ requests' objects
 * lived until their turn came — long enough for the collector to copy and promote them, which was a third of a
 * what-if's CPU; parsed one at a time, each dies young. JSON.stringify writes no line break outside a string's escapes.
 */
const requestsHead = z.object({ format: z.literal(PROJECTION_FORMAT), count: z.int().nonnegative(), form: z.string() });

/**
 * The form a request line is written in, as a fingerprint: the JSON Schema of parsedSettlementRequest (whose type the
 * compiler holds to the contract's parsed request). A release that changes the request's form — a field added with
 * a default, an enum grown — changes it, and the lines written before are written again from the records rather
 * than read in a form they are not in. (A change to how a field is read that leaves its form as it was, e.g. how an
 * amount is rounded, is a new PROJECTION_FORMAT.)
 */
const REQUEST_FORM = sha256(JSON.stringify(jsonSchema(parsedSettlementRequest, 'input'))).slice(0, 16);

/** One settlement's projection, from its record. */
export function projectRecord(record: StoredSettlement): ProjectedSettlement {
  return {
    personId: record.personId, hospitalId: record.hospitalId, settlementId: record.settlementId, settledAt: record.settledAt, status: record.status,
    figures: readRecord(record), paidDeltas: paidDeltas(record.deltas),
  };
}

/**
 * A JSON text in ASCII: every other character as its \u escape (a character beyond the BMP as its two surrogates', as JSON
 * has it). Why: a text of Chinese item and hospital names read back from Redis is decoded from UTF-8 into a two-byte
 * string and parsed as one, ~10 µs a request line; in ASCII ~3.7 µs (measured on a city year's entries).
 */
const ascii = (json: string): string => json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The request a replay runs, brought to today's shape by the record's version and read by today's schema, as its line;
 * `null` when today's schema refuses it even so (unreplayable). Read here once, when the entry is built, not at
 * every replay: a replay reads the line back in the parsed form, which costs a fraction of reading the wire form.
 */
function parsedRequestLine(record: StoredSettlement): string {
  try {
    const parsed = settlementRequest.safeParse(record.upgradedRequest());
    return parsed.success ? ascii(JSON.stringify(parsed.data)) : 'null';
  } catch {
    return 'null';
  }
}

/** The requests field of an entry: the head line and the requests' lines. */
const requestsText = (lines: readonly string[]): string => [JSON.stringify({ format: PROJECTION_FORMAT, count: lines.length, form: REQUEST_FORM }), ...lines].join('\n');

/** The requests' lines of an entry's requests field; null when it is not of this format or not of `count` requests. */
function requestLines(text: string, count: number): string[] | null {
  const lines = text.split('\n');
  const head = requestsHead.safeParse(parseJson(lines[0] ?? ''));
  if (!head.success || head.data.form !== REQUEST_FORM || head.data.count !== count || lines.length !== count + 1) return null;
  return lines.slice(1);
}

/**
 * A day's settlements (of the source's part), cell by cell as columns, and with `requests` each one's request in
 * today's shape (`request`).
 */
class ProjectedDay {
  private objects: ProjectedSettlement[] | null = null;
  constructor(readonly day: string, readonly cells: readonly DayColumns[], private readonly requestLines: ReadonlyArray<readonly string[]>) {}

  /**
   * Settlement `index` of cell `cell`'s request, parsed now (so that its objects die young): unknown data, for the
   * replay to read as parsedSettlementRequest; null when the day was read without requests or the line is not JSON.
   */
  request(cell: number, index: number): unknown {
    const line = this.requestLines[cell]?.[index];
    return line === undefined ? null : parseJson(line) ?? null;
  }

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

/** An entry as read or built: its columns, and its requests' lines (none when read without them). */
interface Cell { columns: DayColumns; requests: readonly string[] }
const emptyCell = (): Cell => ({ columns: new DayColumnsBuilder().columns(), requests: [] });
/** A cell of records as they are listed: its columns built as they come. */
interface ListedCell { columns: DayColumnsBuilder; requests: string[] }

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
  return new ProjectedDay(day, cells.map((c) => c.columns), withRequests ? cells.map((c) => c.requests) : []);
}

/** A cached entry's fields read back; null when absent, being built, of another format or unreadable (then built again). */
function cachedCell(texts: ReadonlyArray<string | null>, withRequests: boolean): Cell | null {
  const [figuresText, requestsText] = texts;
  if (!figuresText || (withRequests && !requestsText)) return null;
  const figures = dayFigures.safeParse(parseJson(figuresText));
  if (!figures.success) return null;
  const columns = new DayColumns(figures.data.columns);
  if (!withRequests || !requestsText) return { columns, requests: [] };
  const requests = requestLines(requestsText, columns.count);
  return requests ? { columns, requests } : null;
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
    figures: ascii(JSON.stringify({ format: PROJECTION_FORMAT, columns: cell.columns })),
    requests: requestsText(cell.requests),
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
    if (withRequests) cell.requests.push(parsedRequestLine(record));
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
