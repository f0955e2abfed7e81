/** A report period: [from, to) as dates read in +08:00 (the ledger's settledAt zone), and what places a settlement in it. */
import * as z from 'zod';
import { InvalidInput } from '../errors.js';

export interface Period { from: string; to: string }

/**
 * Which date of a settlement places it in a period: the day it was settled (the ledger's own order, the
 * default) or the day of discharge (`encounter.dischargedOn`, the policy year's date, as the second payout counts).
 */
const periodBasis = z.enum(['settled', 'discharged']);
export type PeriodBasis = z.infer<typeof periodBasis>;
export const BASIS_NAMES: Record<PeriodBasis, string> = { settled: '按结算日期', discharged: '按出院日期' };

/** A calendar date that exists: Date.parse would take 2024-02-30 for 1 March and the period would say otherwise. */
const existingDate = (message: string) => z.string({ error: message }).refine((value) => isDate(value), message);

/**
 * A report's query — the period's ends and its basis (default settled) — as the HTTP route and `npm run report`
 * read it: every bad field listed in one refusal; the period's order and length are parsePeriod's.
 */
export const reportPeriodQuery = z.object({
  from: existingDate('应为存在的日期 YYYY-MM-DD').meta({ description: 'first day, YYYY-MM-DD (+08:00)' }),
  to: existingDate('应为存在的日期 YYYY-MM-DD（不含当日）').meta({ description: 'day after the last, YYYY-MM-DD' }),
  basis: z.enum(periodBasis.options, { error: '应为 settled（按结算日期）或 discharged（按出院日期）' }).default('settled').meta({
    description: 'what places a settlement in the period: settled, its settlement day (default); discharged, its discharge day (encounter.dischargedOn), reading the settlements up to today — the answer says which, and which settlement days it read (basis, settledWindow)',
  }),
});

/** The period and basis of a report, from the query as reportPeriodQuery parsed it or from raw values (the command line). */
export function parseReportPeriod(from: unknown, to: unknown, basis: unknown): { period: Period; basis: PeriodBasis } {
  const parsed = reportPeriodQuery.safeParse({ from, to, basis });
  if (!parsed.success) throw new InvalidInput('统计期间或口径无效', parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  return { period: parsePeriod(parsed.data.from, parsed.data.to), basis: parsed.data.basis };
}

/**
 * A HIS may date a discharge ahead of its settlement (a planned discharge settled the evening before):
 * by discharge date, settlements up to this many days before the period are read too.
 */
const SETTLED_BEFORE_DISCHARGE_DAYS = 7;

/** The ISO date `days` after (or, negative, before) `date`. */
export const addDays = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * The settlements a period reads, by when they were settled (the only order the ledger lists in). By
 * discharge date: from a little before the period to the end of `today` (+08:00) — a stay discharged in
 * the period may be settled after it (December's discharges in January, a late correction), so the figures
 * are those known today.
 */
export function settledWindow(period: Period, basis: PeriodBasis, today: string): Period {
  if (basis === 'settled') return period;
  const from = addDays(period.from, -SETTLED_BEFORE_DISCHARGE_DAYS);
  const to = addDays(today, 1);
  return { from, to: to > from ? to : period.from };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (value: unknown): value is string => typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(value)) && new Date(Date.parse(value)).toISOString().slice(0, 10) === value;
/** The longest period one call may cover: a programme year and its run-off (second payouts by next March). */
const MAX_DAYS = 800;

export function parsePeriod(from: unknown, to: unknown): Period {
  const errors: Array<{ path: string; message: string }> = [];
  if (!isDate(from)) errors.push({ path: 'from', message: '应为存在的日期 YYYY-MM-DD' });
  if (!isDate(to)) errors.push({ path: 'to', message: '应为存在的日期 YYYY-MM-DD（不含当日）' });
  if (errors.length) throw new InvalidInput('统计期间无效', errors);
  const f = String(from);
  const t = String(to);
  if (t <= f) throw new InvalidInput('统计期间无效', [{ path: 'to', message: '截止日期应晚于起始日期' }]);
  if ((Date.parse(t) - Date.parse(f)) / 86_400_000 > MAX_DAYS) throw new InvalidInput('统计期间过长', [{ path: 'to', message: `一次最多统计 ${MAX_DAYS} 天` }]);
  return { from: f, to: t };
}

/** A deadline checked every so many records, so a long pass stops instead of running on after its caller gave up. */
export class Deadline {
  constructor(private readonly atMs: number, private readonly what: () => Error) {}
  static none(): Deadline { return new Deadline(Number.POSITIVE_INFINITY, () => new Error('never')); }
  check(): void { if (Date.now() > this.atMs) throw this.what(); }
}

/** Records between two yields to the event loop: a long pass shares the process with settlements and never holds it for long. */
export const YIELD_EVERY = 200;
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
