/** Report periods: dates that exist, to after from, at most 800 days — each refusal naming its field. */
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../gateway/errors.js';
import { parsePeriod } from '../../gateway/operations/period.js';

const refusal = (from: unknown, to: unknown) => {
  try {
    parsePeriod(from, to);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInput);
    return (error as InvalidInput).errors.map((e) => e.path);
  }
  throw new Error('accepted');
};

describe('parsePeriod', () => {
  it('takes a period of existing dates, to exclusive', () => {
    expect(parsePeriod('2024-02-29', '2025-01-01')).toEqual({ from: '2024-02-29', to: '2025-01-01' });
  });

  it('refuses a date that does not exist (Date.parse would read 2024-02-30 as 1 March)', () => {
    expect(refusal('2024-02-30', '2024-04-01')).toEqual(['from']);
    expect(refusal('2024-01-01', '2023-02-29')).toEqual(['to']);
    expect(refusal('2024-13-01', 20240201)).toEqual(['from', 'to']);
  });

  it('refuses an empty or backwards period and one longer than 800 days', () => {
    expect(refusal('2024-01-01', '2024-01-01')).toEqual(['to']);
    expect(refusal('2024-01-01', '2026-04-01')).toEqual(['to']);
  });
});
