/** Report periods: dates that exist, to after from, at most 800 days — each refusal naming its field. */
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../gateway/errors.js';
import { parsePeriod, parseReportPeriod, settledWindow } from '../../gateway/operations/period.js';

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

describe('a report period\'s basis', () => {
  it('is the settlement day unless discharged is asked for, and anything else is refused beside the period\'s own errors', () => {
    expect(parseReportPeriod('2024-01-01', '2025-01-01', undefined)).toEqual({ period: { from: '2024-01-01', to: '2025-01-01' }, basis: 'settled' });
    expect(parseReportPeriod('2024-01-01', '2025-01-01', 'discharged').basis).toBe('discharged');
    const paths = (from: unknown, basis: unknown) => { try { parseReportPeriod(from, '2025-01-01', basis); } catch (e) { return (e as InvalidInput).errors.map((x) => x.path); } return []; };
    expect(paths('2024-01-01', 'Discharged')).toEqual(['basis']);
    expect(paths('2024-01-01', ['settled', 'discharged'])).toEqual(['basis']);
    expect(paths('2024-02-30', 'x')).toEqual(['from', 'basis']);
  });

  it('reads by settlement day the period itself, by discharge day from a week before it up to the end of the report\'s day', () => {
    const period = { from: '2024-01-01', to: '2025-01-01' };
    expect(settledWindow(period, 'settled', '2026-12-06')).toEqual(period);
    expect(settledWindow(period, 'discharged', '2026-12-06')).toEqual({ from: '2023-12-25', to: '2026-12-07' });
    // A period not yet begun: only what may already be settled ahead of its discharges.
    expect(settledWindow({ from: '2027-01-01', to: '2028-01-01' }, 'discharged', '2026-12-06')).toEqual({ from: '2026-12-25', to: '2027-01-01' });
  });
});
