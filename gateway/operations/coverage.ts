/**
 * 湖南's coverage targets (002 一): insured poor severely disabled persons over their number, at least 40%
 * by end-2025 and 70% by end-2030. Insured persons are the programme's enrolled count (roster or
 * configured); the eligible population and the priority groups' counts are configured (no document gives them).
 */
import type { Pack } from '../../schemas/pack.js';
import type { Enrolled } from './figures.js';
import { ppmText, ratioText, reaches } from './figures.js';

export interface CoverageView {
  asOf: string;
  insured: number | null;
  insuredSource: Enrolled['source'];
  eligiblePopulation: number | null;
  eligibleCite: string | null;
  coverage: string | null;
  targets: Array<{ by: string; share: string; status: 'met' | 'onTrackOrBehind' | 'missed' | 'unknown' }>;
  targetsCite: string | null;
  priorityGroups: Array<{ id: string; name: string; eligible: number; insured: number; coverage: string | null; cite: string }>;
}

/** Coverage as of a date (the report period's end), each target met, not yet due, or missed. */
export function coverage(pack: Pack, enrolled: Enrolled, asOf: string): CoverageView | null {
  const ops = pack.operations;
  if (!ops?.coverageTargets && !ops?.priorityGroups && !ops?.eligiblePopulation) return null;
  const eligible = ops.eligiblePopulation?.value ?? null;
  const insured = enrolled.persons;
  const known = insured !== null && eligible !== null && eligible > 0;
  return {
    asOf,
    insured,
    insuredSource: enrolled.source,
    eligiblePopulation: eligible,
    eligibleCite: ops.eligiblePopulation?.cite ?? null,
    coverage: known ? ratioText(insured, eligible) : null,
    targets: (ops.coverageTargets?.value ?? []).map((t) => ({
      by: t.by,
      share: ppmText(t.share),
      status: !known ? 'unknown' : reaches(insured, eligible, t.share) ? 'met' : asOf <= t.by ? 'onTrackOrBehind' : 'missed',
    })),
    targetsCite: ops.coverageTargets?.cite ?? null,
    priorityGroups: (ops.priorityGroups ?? []).map((g) => ({ id: g.id, name: g.name, eligible: g.eligible, insured: g.insured, coverage: ratioText(g.insured, g.eligible), cite: g.cite })),
  };
}
