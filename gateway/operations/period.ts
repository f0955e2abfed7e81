/** A report period: [from, to) as dates read in +08:00 (the ledger's settledAt zone). */
import { InvalidInput } from '../errors.js';

export interface Period { from: string; to: string }

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A calendar date that exists: Date.parse would take 2024-02-30 for 1 March and the period would say otherwise. */
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
