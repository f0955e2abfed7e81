import { describe, expect, it } from 'vitest';
import { normaliseDate } from '../../gateway/desk/web/dates.js';

describe('normaliseDate', () => {
  it('reads the ways a clerk types a date, and leaves anything else as typed', () => {
    expect(normaliseDate('20240301')).toBe('2024-03-01');
    expect(normaliseDate(' 2024/3/1 ')).toBe('2024-03-01');
    expect(normaliseDate('2024.12.31')).toBe('2024-12-31');
    expect(normaliseDate('2024年3月1日')).toBe('2024-03-01');
    expect(normaliseDate('2024-03-01')).toBe('2024-03-01');
    expect(normaliseDate('3/1/2024')).toBe('3/1/2024');
    expect(normaliseDate('')).toBe('');
  });
});
