/** Payments per person: mean and nearest-rank percentiles over the persons a programme paid. */
import { formatFen } from '../engine/money.js';
import { meanText } from './figures.js';

export interface PerPersonStats { persons: number; mean: string; p50: string; p90: string; p99: string; max: string }

/** Nearest-rank percentile of ascending values: the smallest value with at least p% of values at or below it. */
function nearestRank(sortedAscending: readonly number[], percent: number): number {
  if (sortedAscending.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((percent / 100) * sortedAscending.length));
  return sortedAscending[rank - 1] ?? 0;
}

/** Persons with nothing paid are left out: the figures describe the persons the programme paid. */
export function perPersonStats(paidFenByPerson: Iterable<number>): PerPersonStats {
  const values = Float64Array.from([...paidFenByPerson].filter((v) => v > 0)).sort();
  const sorted = Array.from(values);
  const total = sorted.reduce((sum, v) => sum + v, 0);
  return {
    persons: sorted.length,
    mean: meanText(total, sorted.length),
    p50: formatFen(nearestRank(sorted, 50)),
    p90: formatFen(nearestRank(sorted, 90)),
    p99: formatFen(nearestRank(sorted, 99)),
    max: formatFen(sorted.length ? (sorted[sorted.length - 1] ?? 0) : 0),
  };
}
