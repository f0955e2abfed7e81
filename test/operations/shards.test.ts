/**
 * A pass by person shard adds up to the pass over everyone: on a synthetic 三明 year (with reversals), the
 * report and the what-if merged from three shards' parts equal the one-process ones field for field (the
 * percentiles, the biggest changes and the hospitals' names included), and so do a pricing pass's claims;
 * every person falls in exactly one shard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCandidatePack } from '../../gateway/operations/candidate.js';
import { openFigureOf } from '../../gateway/operations/open-figure.js';
import { addPassResults, localPricingPass, pricingQuery } from '../../gateway/operations/pricing.js';
import { mergeReportParts, programmeReport, reportPass, summariseReport } from '../../gateway/operations/report.js';
import { shardSource } from '../../gateway/operations/shards.js';
import { mergeWhatIfParts, summariseWhatIf, whatIf, whatIfPass } from '../../gateway/operations/whatif.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { syntheticYear, type SyntheticYear } from './synthetic-year.js';

const programmes = loadProgrammes();
const PERIOD = { from: '2024-01-01', to: '2025-01-01' };
const YAML = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8').replace('deductible: { amount: "5000", per: year, cite: "004 三(六)2：起付标准', 'deductible: { amount: "6000", per: year, cite: "004 三(六)2：起付标准');
const SHARDS = 3;

let year: SyntheticYear;
beforeAll(async () => { year = await syntheticYear({ seed: 25, programme: 'sanming', settlements: 1200, persons: 300, reversalShare: 0.03 }); }, 60_000);

describe('passes by person shard', () => {
  it('lists every record in exactly one shard, all of a person\'s in the same one, all shards used', async () => {
    const shardOfRecord = new Map<string, number>();
    const shardOfPerson = new Map<string, number>();
    for (let index = 0; index < SHARDS; index++) {
      for await (const record of shardSource(year.ledger, { index, count: SHARDS }).listSettlements(PERIOD)) {
        expect(shardOfRecord.has(record.gatewayId)).toBe(false);
        shardOfRecord.set(record.gatewayId, index);
        expect(shardOfPerson.get(record.personId) ?? index).toBe(index);
        shardOfPerson.set(record.personId, index);
      }
    }
    expect(shardOfRecord.size).toBe(year.settled.length);
    expect(new Set(shardOfPerson.values()).size).toBe(SHARDS);
  });

  it('a report merged from the shards equals the report in one pass, by settlement and by discharge date', async () => {
    const pack = programmes.get('sanming-2024-puhui');
    if (!pack) throw new Error('pack');
    for (const basis of ['settled', 'discharged'] as const) {
      const input = { pack, ledger: year.ledger, period: PERIOD, basis, today: '2025-03-01' };
      const whole = await programmeReport({ ...input, source: year.ledger });
      const parts = [];
      for (let index = 0; index < SHARDS; index++) parts.push(await reportPass({ ...input, source: shardSource(year.ledger, { index, count: SHARDS }) }));
      expect(await summariseReport(input, mergeReportParts(parts))).toEqual(whole);
      expect(whole.reversals).toBeGreaterThan(0);
      expect(whole.byRiskGroup.length).toBeGreaterThan(1);
    }
  });

  it('a what-if merged from the shards equals the what-if in one pass', async () => {
    const candidate = parseCandidatePack(YAML);
    const whole = await whatIf({ programmes, candidate, source: year.ledger, ledger: year.ledger, period: PERIOD, top: 10 });
    const parts = [];
    for (let index = 0; index < SHARDS; index++) {
      parts.push(await whatIfPass({ programmes, candidate, source: shardSource(year.ledger, { index, count: SHARDS }), ledger: year.ledger, period: PERIOD }));
    }
    expect(parts.every((p) => p.persons.size > 0)).toBe(true);
    expect(summariseWhatIf({ programmes, candidate, period: PERIOD, top: 10 }, mergeWhatIfParts(parts))).toEqual(whole);
    expect(whole.settlements.reversedSkipped).toBeGreaterThan(0);
    expect(Number(whole.totals.difference)).toBeLessThan(0);
  });

  it('a pricing pass added up from the shards equals the pass in one process', async () => {
    const query = pricingQuery.parse({ figure: { path: 'rules.r1.deductible.amount', unit: 'yuan', min: '0', max: '20000' }, target: { kind: 'profitCap' } });
    const figure = openFigureOf(YAML, query.figure);
    const steps = [0, 500_000, 600_000, 1_234_567, 2_000_000];
    const whole = await localPricingPass({ programmes, candidateText: YAML, figure, source: year.ledger, ledger: year.ledger, period: PERIOD })(steps);
    const parts = [];
    for (let index = 0; index < SHARDS; index++) {
      parts.push(await localPricingPass({ programmes, candidateText: YAML, figure, source: shardSource(year.ledger, { index, count: SHARDS }), ledger: year.ledger, period: PERIOD })(steps));
    }
    expect(addPassResults(parts)).toEqual(whole);
    expect(whole.claimsFen[0]).toBeGreaterThan(whole.claimsFen[1] ?? Infinity);
  });
});
