/** A what-if result as one CSV table: section, key, name, baseline, candidate, difference. */
import { CSV_BOM, csvRows } from '../csv.js';
import type { WhatIfResult } from './whatif.js';

export function whatIfCsv(r: WhatIfResult): string {
  const out: Array<Array<string | number | null>> = [['section', 'key', 'name', 'baseline', 'candidate', 'difference']];
  out.push(['figure', 'programme', r.programme.name, r.programme.actualVersion, r.programme.candidateVersion, null]);
  out.push(['figure', 'period', null, r.period.from, r.period.to, null]);
  for (const [k, v] of Object.entries(r.settlements)) out.push(['settlements', k, null, null, null, v]);
  for (const [k, v] of Object.entries(r.persons)) out.push(['persons', k, null, null, null, v]);
  out.push(['total', 'direct', null, r.totals.baseline.direct, r.totals.candidate.direct, null]);
  out.push(['total', 'benefits', null, r.totals.baseline.benefits, r.totals.candidate.benefits, null]);
  out.push(['total', 'total', null, r.totals.baseline.total, r.totals.candidate.total, r.totals.difference]);
  out.push(['total', 'patients', null, r.patients.baseline, r.patients.candidate, r.patients.difference]);
  for (const x of r.byRule) out.push(['rule', x.rule, x.name, x.baseline, x.candidate, x.difference]);
  for (const x of r.byProgramme) out.push(['programme', x.programme, x.name ?? null, x.baseline, x.candidate, x.difference]);
  for (const x of r.distribution) out.push(['distribution', x.bucket, null, null, null, x.persons]);
  for (const x of r.biggestChanges) out.push(['person', x.person, String(x.settlements), x.baseline, x.candidate, x.difference]);
  return CSV_BOM + csvRows(out);
}
