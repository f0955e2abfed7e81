/** Day numbers by integer arithmetic agree with the calendar of Date, on every date a stay may carry and far beyond. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayNumber, stayLengthDays } from '../../gateway/engine/days.js';

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('dayNumber', () => {
  it('is Date.parse in days, for every date from 0001 to 9999', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(1, 0, 1) / DAY_MS, max: Date.UTC(9999, 11, 31) / DAY_MS }), (day) => {
      const date = iso(day * DAY_MS);
      expect(dayNumber(date)).toBe(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
    }), { numRuns: 20_000 });
  });

  it('counts leap days and century years as the calendar does', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(stayLengthDays('2024-02-28', '2024-03-01')).toBe(2);
    expect(stayLengthDays('2100-02-28', '2100-03-01')).toBe(1);
    expect(stayLengthDays('2000-02-28', '2000-03-01')).toBe(2);
    expect(stayLengthDays('1990-01-01', '2100-12-31')).toBe(40_541);
  });
});
