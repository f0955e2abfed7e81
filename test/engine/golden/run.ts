/** Runs a golden case through the engine as the service would (counters carried from stay to stay) and writes the answers as canonical JSON. */
import { settle } from '../../../gateway/engine/settle.js';
import { toSplit } from '../../../gateway/engine/split.js';
import type { ProgrammeSet } from '../../../gateway/engine/programme-set.js';
import { rosterRow } from '../../../schemas/roster.js';
import { settlementRequest } from '../../../schemas/settlement.js';
import type { GoldenCase } from './cases.js';

const sortedKeys = (record: Record<string, number | string>) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * Since issue 8 the request refuses `selfPayRatio` on a class A or C item (400); the engine never read it
 * there, so the reference answer of such a stay is the answer of the stay without it.
 */
function withoutStraySelfPayRatios(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('items' in body) || !Array.isArray(body.items)) return body;
  const items = body.items.map((item: unknown) => {
    if (typeof item !== 'object' || item === null || !('class' in item) || item.class === 'B' || !('selfPayRatio' in item)) return item;
    const { selfPayRatio: _ignored, ...rest } = item;
    return rest;
  });
  return { ...body, items };
}

/**
 * One answer per stay, as a JSON line: the split (lines, benefits, patientPays, …), the deltas, or the error the
 * engine threw; `explain` false settles without explanations (test/engine/explain-mode.test.ts).
 */
export function runGoldenCase(programmes: ProgrammeSet, c: GoldenCase, explain = true): string[] {
  const rosters = Object.fromEntries(Object.entries(c.rosters).map(([id, rows]) => [id, rows.map((row) => rosterRow.parse(row))]));
  const accumulators: Record<string, number> = { ...c.accumulators };
  return c.stays.map((body) => {
    const request = settlementRequest.parse(withoutStraySelfPayRatios(body));
    let answer: unknown;
    try {
      const result = settle({ request, programmes, rosters, accumulators, explain });
      const split = toSplit(result, { gatewayId: 'stl_golden', settlementId: request.settlementId, hospitalId: request.hospital.id, personId: request.patient.id, status: 'preview' });
      answer = { split: { ...split, policyVersions: sortedKeys(split.policyVersions) }, deltas: sortedKeys(result.deltas) };
      for (const [key, fen] of Object.entries(result.deltas)) accumulators[key] = (accumulators[key] ?? 0) + fen;
    } catch (error) {
      // The error's class and the fields it names: its wording is being translated elsewhere and is not the engine's arithmetic.
      const e = error as Error & { errors?: Array<{ path: string }> };
      answer = { error: e.constructor.name, paths: e.errors?.map((f) => f.path) ?? [] };
    }
    return JSON.stringify(answer);
  });
}
