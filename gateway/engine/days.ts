/**
 * Days of a stay as whole calendar days (UTC day numbers, no clock, no time zone): how long a stay is,
 * and how many of its days fall inside periods of cover.
 */

/** A period of cover, inclusive ISO dates. */
export interface CoverPeriod { from: string; to: string }

/**
 * The longest stay the gateway settles, in days (discharge − admission): three years, 1096 days with
 * one leap day. Longer is a 422: such a stay is a typo far more often than a patient, and a daily
 * allowance must never multiply a typo into millions.
 */
export const MAX_STAY_DAYS = 1096;

const digit = (text: string, at: number): number => text.charCodeAt(at) - 48;

/**
 * An ISO date (already validated) as a day number: days since 1970-01-01, as Date.parse would give
 * divided by 86 400 000 ms, by integer arithmetic on the proleptic Gregorian calendar (no Date, no parsing:
 * every settlement counts its stay's days). Years counted from March so the leap day ends a year.
 */
export function dayNumber(isoDate: string): number {
  const year = digit(isoDate, 0) * 1000 + digit(isoDate, 1) * 100 + digit(isoDate, 2) * 10 + digit(isoDate, 3);
  const month = digit(isoDate, 5) * 10 + digit(isoDate, 6);
  const day = digit(isoDate, 8) * 10 + digit(isoDate, 9);
  const marchYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(marchYear / 400);
  const yearOfEra = marchYear - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - DAYS_BEFORE_1970;
}

/** Day number of 1970-01-01 counted from 0000-03-01. */
const DAYS_BEFORE_1970 = 719_468;

/** discharge − admission in days (0 for a same-day stay). */
export const stayLengthDays = (admittedOn: string, dischargedOn: string): number => dayNumber(dischargedOn) - dayNumber(admittedOn);

/**
 * The days in hospital, as day numbers: each night from admission to the day before discharge, and
 * at least the admission day (a same-day stay counts one day).
 */
export function hospitalDays(admittedOn: string, dischargedOn: string): { first: number; last: number } {
  const first = dayNumber(admittedOn);
  return { first, last: Math.max(first, dayNumber(dischargedOn) - 1) };
}

/** How many of the days first..last lie in at least one of the periods (which may overlap), each period clipped to `within`. */
export function daysCovered(days: { first: number; last: number }, periods: readonly CoverPeriod[], within: CoverPeriod): number {
  const [withinFrom, withinTo] = [dayNumber(within.from), dayNumber(within.to)];
  const spans = periods
    .map((p) => [Math.max(days.first, dayNumber(p.from), withinFrom), Math.min(days.last, dayNumber(p.to), withinTo)] as const)
    .filter(([from, to]) => from <= to)
    .sort((a, b) => a[0] - b[0]);
  let counted = 0;
  let nextUncounted = -Infinity;
  for (const [from, to] of spans) {
    const start = Math.max(from, nextUncounted);
    if (start <= to) counted += to - start + 1;
    nextUncounted = Math.max(nextUncounted, to + 1);
  }
  return counted;
}
