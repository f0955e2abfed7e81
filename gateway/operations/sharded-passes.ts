/** Report, what-if and pricing passes run over a ShardPool (shards.ts): each shard's part validated as it arrives, then added. */
import type { ProgrammeSet } from '../engine/programme-set.js';
import type { Pack } from '../../schemas/pack.js';
import type { Period } from './period.js';
import { addPassResults, pricingPassResult, type PricingPass } from './pricing.js';
import { mergeReportParts, reportPart, type ReportInput, type ReportPart } from './report.js';
import { ShardFailed, type ShardPool } from './shards.js';
import { mergeWhatIfParts, summariseWhatIf, whatIfPart, type WhatIfResult } from './whatif.js';

const read = <T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, answers: unknown[]): T[] => answers.map((answer) => {
  const parsed = schema.safeParse(answer);
  if (!parsed.success) throw new ShardFailed('a shard answered something that is not its part of the pass');
  return parsed.data;
});

export async function shardedWhatIf(pool: ShardPool, input: { programmes: ProgrammeSet; candidate: Pack; candidateText: string; period: Period; top: number }): Promise<WhatIfResult> {
  const parts = read(whatIfPart, await pool.run({ kind: 'whatif', candidateText: input.candidateText, period: input.period }));
  return summariseWhatIf(input, mergeWhatIfParts(parts));
}

/** `query` as written (the shards parse it themselves). */
export function shardedPricingPass(pool: ShardPool, candidateText: string, query: unknown, period: Period): PricingPass {
  return async (steps) => addPassResults(read(pricingPassResult, await pool.run({ kind: 'pricing', candidateText, query, period, steps: [...steps] })));
}

/** A report's pass over the shards (for programmeView's `reportPass`); the summary stays with the caller. */
export function shardedReportPass(pool: ShardPool): (input: ReportInput) => Promise<ReportPart> {
  return async (input) => mergeReportParts(read(reportPart, await pool.run({
    kind: 'report', programme: input.pack.id, period: input.period, basis: input.basis ?? 'settled', ...(input.today ? { today: input.today } : {}),
  })));
}
