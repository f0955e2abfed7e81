/** Days as hospitals and insurers count them: calendar days in China Standard Time (+08:00). */

const CHINA_OFFSET_MS = 8 * 3_600_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** "2024-03-10" → 20240310, the numeric form the store's indexes use. */
export const dayNumber = (day: string): number => Number(day.replaceAll('-', ''));

/** The +08:00 calendar day of an instant. */
export function chinaDay(instantMs: number): string {
  return new Date(instantMs + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

export function instantOf(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an instant: ${iso}`);
  return ms;
}

const cutoffMinutes = (cutoff: string): number => { const [h, m] = cutoff.split(':'); return Number(h) * 60 + Number(m); };

/** When the batch of `day` closes: that day at the cut-off, +08:00 ("24:00" = midnight after it). */
export function batchClosesAt(day: string, cutoff: string): number {
  return Date.parse(`${day}T00:00:00+08:00`) + cutoffMinutes(cutoff) * MINUTE_MS;
}

/**
 * The batch an instant belongs to: its day, or the next one when it falls at or after the cut-off.
 * A claim the gateway only takes in after its day's batch closed (a consumer that lagged) goes to the
 * first batch still open at `takenAtMs`: a closed batch never changes.
 */
export function batchDayOf(instantMs: number, cutoff: string, takenAtMs: number): string {
  let day = chinaDay(instantMs);
  if (instantMs >= batchClosesAt(day, cutoff)) day = chinaDay(Date.parse(`${day}T00:00:00+08:00`) + DAY_MS);
  while (takenAtMs >= batchClosesAt(day, cutoff)) day = chinaDay(Date.parse(`${day}T00:00:00+08:00`) + DAY_MS);
  return day;
}

/** Every day from `from` to `to` inclusive; bounded so a typo cannot ask for a century. */
export function daysBetween(from: string, to: string, maxDays = 400): number {
  const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS;
  if (!(span >= 0)) throw new RangeError('from must not be after to');
  if (span + 1 > maxDays) throw new RangeError(`at most ${maxDays} days`);
  return span + 1;
}
