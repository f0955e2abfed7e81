/** A pricing result as one CSV table: section, figure, claims, lossRatio, meets — the answer, its neighbour, then the curve. */
import { CSV_BOM, csvRows } from '../csv.js';
import type { PricingResult } from './pricing.js';

export function pricingCsv(r: PricingResult): string {
  const out: Array<Array<string | number | boolean | null>> = [['section', 'figure', 'claims', 'lossRatio', 'meets']];
  out.push(['programme', r.programme.id, r.programme.name, null, null]);
  out.push(['period', r.period.from, r.period.to, null, null]);
  out.push(['openFigure', r.figure.path, r.figure.unit, `${r.figure.min}..${r.figure.max}`, r.figure.written]);
  out.push(['target', r.target.kind, r.target.premiumIncome, r.target.description, null]);
  out.push(['outcome', r.outcome, r.monotone.direction, r.monotone.monotone ? 'monotone' : `turns at ${r.monotone.turn?.join(' ') ?? ''}`, r.passes]);
  for (const a of r.answers) {
    out.push(['answer', a.figure, a.claims, a.lossRatio, true]);
    out.push(['neighbour', a.neighbour.figure, a.neighbour.claims, a.neighbour.lossRatio, false]);
  }
  for (const p of r.curve) out.push(['curve', p.figure, p.claims, p.lossRatio, p.meets]);
  out.push(['message', r.message, null, null, null]);
  return CSV_BOM + csvRows(out);
}
