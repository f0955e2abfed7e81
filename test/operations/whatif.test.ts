/** What-if replay: an unchanged pack reproduces the stored amounts exactly; a changed deductible moves totals by a hand-checked amount. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { parseCandidatePack } from '../../gateway/operations/candidate.js';
import { programmeReport } from '../../gateway/operations/report.js';
import { whatIf } from '../../gateway/operations/whatif.js';
import { whatIfCsv } from '../../gateway/operations/whatif-csv.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { rosterRow } from '../../schemas/roster.js';
import { requestBody } from '../support/requests.js';
import { syntheticYear, type SyntheticYear } from './synthetic-year.js';

const programmes = loadProgrammes();
const SANMING_YAML = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
const R1_DEDUCTIBLE = 'deductible: { amount: "5000", per: year, cite: "004 三(六)2：起付标准为5000元；表·年免赔额 0.5万元" }';
/** 三明 with responsibility 1's yearly deductible raised from 5000 to 6000. */
const raisedDeductible = () => {
  expect(SANMING_YAML).toContain(R1_DEDUCTIBLE);
  return parseCandidatePack(SANMING_YAML.replace(R1_DEDUCTIBLE, R1_DEDUCTIBLE.replace('"5000"', '"6000"')).replace('version: "2024.1"', 'version: "2025.candidate"'));
};
const YEAR_2024 = { from: '2024-01-01', to: '2025-01-01' };

describe('what-if of an unchanged pack over a synthetic year', () => {
  let year: SyntheticYear;
  beforeAll(async () => { year = await syntheticYear({ seed: 7, programme: 'sanming', settlements: 2500 }); }, 60_000);

  it('replays every settlement to exactly the stored amounts, and changes nothing', async () => {
    const unchanged = parseCandidatePack(SANMING_YAML);
    const progress: number[] = [];
    const result = await whatIf({ programmes, candidate: unchanged, source: year.ledger, ledger: year.ledger, period: YEAR_2024, onProgress: (p) => progress.push(p.read), progressEvery: 500 });
    expect(result.settlements.read).toBe(2500);
    expect(result.settlements.replayed).toBe(2500);
    expect(result.settlements.storedMismatches).toBe(0);
    expect(result.settlements.unreplayable).toBe(0);
    expect(result.totals.difference).toBe('0.00');
    expect(result.totals.candidate).toEqual(result.totals.baseline);
    expect(result.byRule.every((r) => r.difference === '0.00')).toBe(true);
    expect(result.byProgramme).toEqual([]);
    expect(result.persons.betterOff + result.persons.worseOff).toBe(0);
    expect(result.biggestChanges).toEqual([]);
    expect(progress).toEqual([500, 1000, 1500, 2000, 2500, 2500]);
    // The baseline is what the ledger paid: the report's own figure.
    const pack = programmes.get('sanming-2024-puhui');
    if (!pack) throw new Error('pack');
    const report = await programmeReport({ pack, source: year.ledger, ledger: year.ledger, period: YEAR_2024 });
    expect(result.totals.baseline.total).toBe(report.paid.total);
    expect(result.byRule.map((r) => r.baseline)).toEqual(report.byRule.map((r) => r.amount));
  });

  it('moves totals one way when the deductible rises, and never touches the live accumulators', async () => {
    const someone = year.settled[0]?.record.personId ?? '';
    const before = await year.ledger.readAccumulators(someone);
    const result = await whatIf({ programmes, candidate: raisedDeductible(), source: year.ledger, ledger: year.ledger, period: YEAR_2024, top: 5 });
    expect(await year.ledger.readAccumulators(someone)).toEqual(before);
    const difference = Number(result.totals.difference);
    expect(difference).toBeLessThan(0);
    expect(result.persons.betterOff).toBe(0);
    expect(result.persons.worseOff).toBeGreaterThan(0);
    // Only responsibility 1 changes its deductible; each person pays at most 1000.00 more deductible on it.
    const r1 = result.byRule.find((r) => r.rule === 'r1');
    expect(Number(r1?.difference)).toBeLessThan(0);
    expect(-Number(r1?.difference)).toBeLessThanOrEqual(1000 * result.persons.worseOff);
    expect(result.biggestChanges).toHaveLength(5);
    expect(result.biggestChanges[0]?.person).toMatch(/^35\*{12}\d{4}$/); // maskId: never more than a third shown
    expect(result.distribution.reduce((n, b) => n + b.persons, 0)).toBe(result.persons.total);
    const csv = whatIfCsv(result);
    expect(csv).toContain(`total,total,,${result.totals.baseline.total},${result.totals.candidate.total},${result.totals.difference}`);
    // Programmes whose amounts moved are named beside their id, in the JSON and in the CSV's name column.
    const sanming = result.byProgramme.find((x) => x.programme === 'sanming-2024-puhui');
    expect(sanming?.name).toBe(programmes.get('sanming-2024-puhui')?.name);
    expect(csv).toContain(`programme,sanming-2024-puhui,${sanming?.name},${sanming?.baseline},${sanming?.candidate},${sanming?.difference}`);
  });
});

describe('what-if of a raised deductible, checked by hand', () => {
  it('three persons, four stays: 5000 → 6000 costs the programme 2500.00 less', async () => {
    const ledger = new MemoryLedger();
    let now = new Date('2024-03-01T02:00:00Z');
    const service = new SettlementService({ ledger, programmes, clock: () => now });
    await ledger.putRoster('sanming-2024-puhui', [
      rosterRow.parse({ personId: '350402198001010011', from: '2024-01-01', to: '2024-12-31' }),
      rosterRow.parse({ personId: '350402198001010022', from: '2024-01-01', to: '2024-12-31', preExisting: true }),
      // A 新市民 insured in 福州 who bought 三明's programme: the roster decides (004 三(二)).
      rosterRow.parse({ personId: '350102199001010033', from: '2024-01-01', to: '2024-12-31' }),
    ], false);
    const stay = (n: number, personId: string, total: string, basic: string, on: string) => requestBody({
      settlementId: `ZY2024HAND${n}`,
      hospital: { id: 'H35040200001', region: '350402', level: 3, drgPublic: true },
      patient: { id: personId, insuredRegion: personId.slice(0, 6), categories: [] },
      encounter: { admittedOn: on, dischargedOn: on, diagnoses: [{ icd10: 'K35.8', primary: true }] },
      items: [{ code: 'A1', name: '甲类项目', amount: total, class: 'A' }],
      upstream: { basic },
    });
    // Healthy: (20000 − 10000 − 5000) × 100% = 5000; then (8000 − 4000 − 0) × 100% = 4000.
    // Under 6000: (10000 − 6000) = 4000; then 4000 again: 1000 less.
    // Pre-existing (50%): (30000 − 15000 − 5000) × 50% = 5000; under 6000: (15000 − 6000) × 50% = 4500: 500 less.
    now = new Date('2024-03-01T02:00:00Z'); await service.settle(stay(1, '350402198001010011', '20000.00', '10000.00', '2024-03-01'), undefined);
    now = new Date('2024-04-01T02:00:00Z'); await service.settle(stay(2, '350402198001010022', '30000.00', '15000.00', '2024-04-01'), undefined);
    now = new Date('2024-05-01T02:00:00Z'); await service.settle(stay(3, '350402198001010011', '8000.00', '4000.00', '2024-05-01'), undefined);
    // The 新市民: (16000 − 6000 − 5000) × 100% = 5000; under 6000: 4000: 1000 less.
    now = new Date('2024-06-01T02:00:00Z'); await service.settle(stay(4, '350102199001010033', '16000.00', '6000.00', '2024-06-01'), undefined);
    const result = await whatIf({ programmes, candidate: raisedDeductible(), source: ledger, ledger, period: YEAR_2024 });
    expect(result.settlements).toMatchObject({ read: 4, replayed: 4, notConcerned: 0 });
    expect(result.totals.baseline.total).toBe('19000.00');
    expect(result.totals.candidate.total).toBe('16500.00');
    expect(result.totals.difference).toBe('-2500.00');
    expect(result.patients.difference).toBe('2500.00');
    expect(result.byRule.find((r) => r.rule === 'r1')).toMatchObject({ baseline: '19000.00', candidate: '16500.00', difference: '-2500.00' });
    expect(result.persons).toEqual({ total: 3, betterOff: 0, worseOff: 3, unchanged: 0 });
    expect(result.biggestChanges.map((b) => b.difference)).toEqual(['-1000.00', '-1000.00', '-500.00']);
    expect(result.settlements.storedMismatches).toBe(0);
  });
});
