/**
 * Runs the engine the way the service does, carrying accumulators from stay to stay. Every settlement is also
 * settled without explanations (what a replay runs) and must pay exactly the same: so each case of the engine's
 * tests holds that mode to the explained one (test/engine/explain-mode.test.ts has the synthetic years).
 */
import { expect } from 'vitest';
import { settle, type EngineInput, type EngineResult } from '../../gateway/engine/settle.js';
import { toSplit } from '../../gateway/engine/split.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import type { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import type { RosterRow } from '../../schemas/roster.js';
import { rosterRow } from '../../schemas/roster.js';
import type { SettlementRequest, Split } from '../../schemas/settlement.js';

export const programmes = loadProgrammes();

export function roster(rows: Array<Partial<RosterRow> & { personId: string; from: string; to: string }>): RosterRow[] {
  return rows.map((r) => rosterRow.parse(r));
}

/** A person's year: accumulators carried between settlements, as the ledger would. */
export class Person {
  accumulators: Record<string, number> = {};
  constructor(readonly rosters: Record<string, RosterRow[]> = {}, readonly set: ProgrammeSet = programmes) {}

  preview(request: SettlementRequest): { result: EngineResult; split: Split } {
    const result = settledBothWays({ request, programmes: this.set, rosters: this.rosters, accumulators: this.accumulators });
    return { result, split: toSplit(result, { gatewayId: 'stl_test', settlementId: request.settlementId, hospitalId: request.hospital.id, personId: request.patient.id, status: 'preview' }) };
  }

  settle(request: SettlementRequest): { result: EngineResult; split: Split } {
    const out = this.preview(request);
    this.apply(out.result.deltas, 1);
    return out;
  }

  reverse(result: EngineResult): void {
    this.apply(result.deltas, -1);
  }

  private apply(deltas: Record<string, number>, sign: 1 | -1): void {
    for (const [key, fen] of Object.entries(deltas)) {
      const next = (this.accumulators[key] ?? 0) + sign * fen;
      if (next === 0) delete this.accumulators[key];
      else this.accumulators[key] = next;
    }
  }
}

export const line = (split: Split, programme: string) => {
  const found = split.lines.find((l) => l.programme === programme || l.layer === programme);
  if (!found) throw new Error(`no line ${programme} in ${split.lines.map((l) => l.programme).join(', ')}`);
  return found;
};

export const amounts = (split: Split) => Object.fromEntries(split.lines.map((l) => [l.layer === 'supplementary' ? l.programme : l.layer, l.amount]));

/** The result with every explanation emptied: what the engine answers without them (EngineInput.explain false). */
export const withoutExplanations = (result: EngineResult): EngineResult => ({
  ...result,
  lines: result.lines.map((l) => ({ ...l, explanation: [] })),
  benefits: result.benefits.map((b) => ({ ...b, explanation: [] })),
});

/** Settles explained, and checks that the same settlement without explanations pays exactly the same. */
export function settledBothWays(input: EngineInput): EngineResult {
  const explained = settle({ ...input, explain: true });
  expect(settle({ ...input, explain: false })).toStrictEqual(withoutExplanations(explained));
  return explained;
}
