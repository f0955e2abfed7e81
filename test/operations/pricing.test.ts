/**
 * The pricing assistant on a year small enough to price by hand: three persons of 三明, four stays. With
 * responsibility 1's yearly deductible d below 10000, the programme pays (14000 − d) + 50% × (15000 − d)
 * + (10000 − d) = 31500 − 2.5 d yuan; the premium is 3 persons on the roster × 5000.00 = 15000.00.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { parseCandidatePack } from '../../gateway/operations/candidate.js';
import { pricingCsv } from '../../gateway/operations/pricing-csv.js';
import { priceFigure, pricingQuery, type PricingResult } from '../../gateway/operations/pricing.js';
import { whatIf } from '../../gateway/operations/whatif.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { rosterRow } from '../../schemas/roster.js';
import { requestBody } from '../support/requests.js';

const programmes = loadProgrammes();
const PERIOD = { from: '2024-01-01', to: '2025-01-01' };
const PREMIUM = 'premiumPerPerson: { value: "150", bound: exactly,';
const SANMING_YAML = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
/** 三明 priced at 5000.00 a person, so that three persons' claims are of the premium's size. */
const CANDIDATE = SANMING_YAML.replace(PREMIUM, 'premiumPerPerson: { value: "5000", bound: exactly,');

let ledger: MemoryLedger;
beforeAll(async () => {
  expect(SANMING_YAML).toContain(PREMIUM);
  ledger = new MemoryLedger();
  let now = new Date('2024-03-01T02:00:00Z');
  const service = new SettlementService({ ledger, programmes, clock: () => now });
  await ledger.putRoster('sanming-2024-puhui', [
    rosterRow.parse({ personId: '350402198001010011', from: '2024-01-01', to: '2024-12-31' }),
    rosterRow.parse({ personId: '350402198001010022', from: '2024-01-01', to: '2024-12-31', preExisting: true }),
    rosterRow.parse({ personId: '350102199001010033', from: '2024-01-01', to: '2024-12-31' }),
  ], false);
  const stay = async (n: number, personId: string, total: string, basic: string, on: string) => {
    now = new Date(`${on}T02:00:00Z`);
    await service.settle(requestBody({
      settlementId: `ZY2024PRICE${n}`,
      hospital: { id: 'H35040200001', region: '350402', level: 3, drgPublic: true },
      patient: { id: personId, insuredRegion: personId.slice(0, 6), categories: [] },
      encounter: { admittedOn: on, dischargedOn: on, diagnoses: [{ icd10: 'K35.8', primary: true }] },
      items: [{ code: 'A1', name: '甲类项目', amount: total, class: 'A' }],
      upstream: { basic },
    }), undefined);
  };
  await stay(1, '350402198001010011', '20000.00', '10000.00', '2024-03-01'); // healthy, 10000 left
  await stay(2, '350402198001010022', '30000.00', '15000.00', '2024-04-01'); // pre-existing (50%), 15000 left
  await stay(3, '350402198001010011', '8000.00', '4000.00', '2024-05-01');   // the same person, 4000 more in the year
  await stay(4, '350102199001010033', '16000.00', '6000.00', '2024-06-01');  // a 新市民 on the roster, 10000 left
}, 30_000);

const price = (query: unknown, text = CANDIDATE) => priceFigure({ programmes, candidateText: text, query: pricingQuery.parse(query), source: ledger, ledger, period: PERIOD });
const DEDUCTIBLE = { path: 'rules.r1.deductible.amount', unit: 'yuan', min: '0', max: '20000' };

describe('pricing a deductible on a year priced by hand', () => {
  let result: PricingResult;
  beforeAll(async () => { result = await price({ figure: DEDUCTIBLE, target: { kind: 'lossRatio', ratio: '0.92' } }); });

  it('finds the deductible at which the loss ratio reaches 92%, to the fen', () => {
    // 31500 − 2.5 d = 0.92 × 15000 = 13800 → d = 7080.00; at 7080.01: 6919.99 + 3960.00 (3959.995 half-up) + 2919.99 = 13799.98.
    expect(result.outcome).toBe('found');
    expect(result.answers).toEqual([{ figure: '7080.00', claims: '13800.00', lossRatio: '0.9200', neighbour: { figure: '7080.01', claims: '13799.98', lossRatio: '0.9200' } }]);
    expect(result.monotone).toEqual({ monotone: true, direction: 'falling', turn: null });
    expect(result.target).toMatchObject({ kind: 'lossRatio', premiumIncome: '15000.00', enrolled: { persons: 3, source: 'roster' } });
    expect(result.settlements).toEqual({ read: 4, replayed: 4, reversedSkipped: 0, notConcerned: 0, unreplayable: 0 });
    expect(result.message).toContain('7080.00');
    // The samples and one interpolated pass (the claims are linear in d between the samples); even k-section took 10.
    expect(result.passes).toBe(2);
  });

  it('samples the curve over the range, the written figure among the points, each point as computed by hand', () => {
    const byFigure = new Map(result.curve.map((p) => [p.figure, p]));
    expect(byFigure.get('5000.00')).toEqual({ figure: '5000.00', claims: '19000.00', lossRatio: '1.2667', meets: true }); // the pack as written
    expect(byFigure.get('0.00')?.claims).toBe('31500.00');
    expect(byFigure.get('10000.00')?.claims).toBe('6500.00'); // 4000 + 2500 + 0
    expect(byFigure.get('20000.00')?.claims).toBe('0.00');
    expect(result.curve.length).toBeGreaterThanOrEqual(21);
    expect(result.curve.map((p) => p.figure)).toEqual([...result.curve.map((p) => p.figure)].sort((a, b) => Number(a) - Number(b)));
    expect(result.figure).toEqual({ path: 'rules.r1.deductible.amount', unit: 'yuan', min: '0.00', max: '20000.00', written: '5000.00', step: '0.01' });
  });

  it('agrees with a what-if of the answer and of its neighbour', async () => {
    for (const [figure, claims] of [['7080.00', '13800.00'], ['7080.01', '13799.98']] as const) {
      const candidate = parseCandidatePack(CANDIDATE.replace('deductible: { amount: "5000", per: year, cite: "004 三(六)2：起付标准', `deductible: { amount: "${figure}", per: year, cite: "004 三(六)2：起付标准`));
      const w = await whatIf({ programmes, candidate, source: ledger, ledger, period: PERIOD });
      expect(w.totals.candidate.total).toBe(claims);
    }
  });

  it('writes the curve as CSV', () => {
    const csv = pricingCsv(result);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv).toContain('answer,7080.00,13800.00,0.9200,true');
    expect(csv).toContain('neighbour,7080.01,13799.98,0.9200,false');
    expect(csv).toContain('curve,5000.00,19000.00,1.2667,true');
  });
});

describe('pricing against 三明 profit cap and on a ratio', () => {
  it('finds the deductible at which net profit is 3% of premium (operating costs 10%)', async () => {
    // claims ≥ 15000 − 1500 − 450 = 13050 → 31500 − 2.5 d ≥ 13050 → d = 7380.00; at 7380.01: 13049.98.
    const r = await price({ figure: DEDUCTIBLE, target: { kind: 'profitCap' } });
    expect(r.answers).toEqual([{ figure: '7380.00', claims: '13050.00', lossRatio: '0.8700', neighbour: { figure: '7380.01', claims: '13049.98', lossRatio: '0.8700' } }]);
    expect(r.target.description).toContain('0.0300');
  });

  it('finds the healthy group ratio to a basis point, rising', async () => {
    // d = 5000: healthy claims r × (5000 + 4000 + 5000), pre-existing 5000 fixed; 14000 r + 5000 ≥ 13800 → r ≥ 0.628571…
    // at 0.6286: 3143.00 + 2514.40 + 3143.00 + 5000 = 13800.40; at 0.6285: 3142.50 + 2514.00 + 3142.50 + 5000 = 13799.00.
    const r = await price({ figure: { path: 'rules.r1.ratio.value.healthy', unit: 'ratio', min: '0', max: '1' }, target: { kind: 'lossRatio', ratio: '0.92' }, perPass: 1 });
    expect(r.monotone.direction).toBe('rising');
    expect(r.answers).toEqual([{ figure: '0.6286', claims: '13800.40', lossRatio: '0.9200', neighbour: { figure: '0.6285', claims: '13799.00', lossRatio: '0.9199' } }]);
    expect(r.figure.written).toBe('1.0000');
  });
});

describe('the ends of the range and bad figures', () => {
  it('a target met over the whole range is said, with the least generous end, without narrowing', async () => {
    const r = await price({ figure: { ...DEDUCTIBLE, max: '2000' }, target: { kind: 'lossRatio', ratio: '0.92' }, samples: 5 });
    expect(r).toMatchObject({ outcome: 'metThroughout', answers: [], passes: 1 });
    expect(r.message).toContain('全程满足赔付率目标；最不宽松的一端 2000.00 仍满足');
  });

  it('a target out of reach is said, with the most generous end', async () => {
    // 10000 ≤ d ≤ 14000: 21500 − 1.5 d ≤ 6500 < 13800.
    const r = await price({ figure: { ...DEDUCTIBLE, min: '10000', max: '14000' }, target: { kind: 'lossRatio', ratio: '0.92' }, samples: 5 });
    expect(r).toMatchObject({ outcome: 'unreachable', answers: [], passes: 1 });
    expect(r.message).toContain('无法达到赔付率目标；最宽松的一端 10000.00 也达不到');
  });

  it('a figure that changes nothing over the range says so', async () => {
    const r = await price({ figure: { ...DEDUCTIBLE, min: '16000', max: '30000' }, target: { kind: 'lossRatio', ratio: '0.92' }, samples: 5 });
    expect(r).toMatchObject({ outcome: 'unreachable', monotone: { direction: 'flat' } });
    expect(r.message).toContain('该数值不改变本期赔付');
  });

  it('refuses a path that is not a figure, a wrong unit, a bad range and a target the pack cannot judge, naming the field', async () => {
    const refusal = (query: unknown, text?: string) => price(query, text).then(() => null, (e: { errors?: Array<{ path: string }>; message: string }) => e);
    expect((await refusal({ figure: { ...DEDUCTIBLE, path: 'rules.r9.deductible.amount' }, target: { kind: 'profitCap' } }))?.errors?.[0]?.path).toBe('figure.path');
    expect((await refusal({ figure: { ...DEDUCTIBLE, unit: 'ratio', max: '0.5' }, target: { kind: 'profitCap' } }))?.errors?.[0]?.path).toBe('figure.unit');
    expect((await refusal({ figure: { ...DEDUCTIBLE, min: '-1', max: 'x' }, target: { kind: 'profitCap' } }))?.errors?.map((e) => e.path)).toEqual(['figure.min', 'figure.max']);
    expect((await refusal({ figure: { ...DEDUCTIBLE, min: '300', max: '200' }, target: { kind: 'profitCap' } }))?.errors?.[0]?.path).toBe('figure.max');
    // 三明 has no loss-ratio target of its own.
    expect((await refusal({ figure: DEDUCTIBLE, target: { kind: 'lossRatio' } }))?.errors?.[0]?.path).toBe('target.ratio');
    // A ratio above 1 is refused by the pack's schema at that figure.
    const above = await refusal({ figure: { path: 'rules.r1.ratio.value.healthy', unit: 'ratio', min: '0', max: '1.5' }, target: { kind: 'profitCap' } });
    expect(above?.errors?.[0]?.path).toBe('figure.max');
  });
});
