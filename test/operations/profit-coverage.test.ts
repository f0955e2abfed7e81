/** 三明's profit cap and 湖南's coverage, checked against arithmetic done here. */
import { Decimal } from 'decimal.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { programmeView } from '../../gateway/operations/programme-view.js';
import { renderSummary } from '../../gateway/operations/summary.js';
import { formatFen, parseFen } from '../../gateway/engine/money.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { MemoryStore } from '../../gateway/ledger/documents/memory.js';
import { rosterRow } from '../../schemas/roster.js';
import type { Pack } from '../../schemas/pack.js';
import { syntheticYear, type SyntheticYear } from './synthetic-year.js';

const programmes = loadProgrammes();
const fen = (text: string | null) => { const v = text === null ? null : parseFen(text.replace(/^-/, '')); if (v === null || text === null) throw new Error(String(text)); return text.startsWith('-') ? -v : v; };

describe('三明 profit cap', () => {
  let year: SyntheticYear;
  beforeAll(async () => { year = await syntheticYear({ seed: 350400, programme: 'sanming', settlements: 1500 }); }, 60_000);

  it('nets premiums against benefits and operating costs, and sends what exceeds 3% to the fund', async () => {
    const pack = programmes.get('sanming-2024-puhui');
    if (!pack) throw new Error('pack');
    const view = await programmeView({ ledger: year.ledger, store: new MemoryStore() }, pack, { from: '2024-01-01', to: '2025-01-01' });
    const cap = view.profitCap;
    if (!cap) throw new Error('no profit cap');
    const premium = year.sanmingRoster.length * 15000;
    const paid = fen(view.paid.total);
    const costs = premium / 10; // 10% configured; premium is whole yuan × persons, so exact
    const net = premium - paid - costs;
    expect(cap.premiumIncome).toBe(formatFen(premium));
    expect(cap.operatingCosts).toBe(formatFen(costs));
    expect(fen(cap.netResult)).toBe(net);
    expect(cap.cap).toBe(formatFen(Math.round(premium * 0.03)));
    expect(cap.dueToFund).toBe(formatFen(Math.max(0, net - Math.round(premium * 0.03))));
    expect(cap.fund).toBe('健康管理基金');
    // The same year had each person paid 50000.00 instead of 150.00: the result is far above 3%, and the excess goes to the fund.
    const ops = pack.operations;
    if (!ops?.premiumPerPerson) throw new Error('ops');
    const dearer: Pack = { ...pack, operations: { ...ops, premiumPerPerson: { ...ops.premiumPerPerson, value: 5_000_000 } } };
    const richer = await programmeView({ ledger: year.ledger, store: new MemoryStore() }, dearer, { from: '2024-01-01', to: '2025-01-01' });
    const premium2 = year.sanmingRoster.length * 5_000_000;
    const net2 = premium2 - paid - premium2 / 10;
    expect(fen(richer.profitCap?.dueToFund ?? null)).toBe(Math.max(0, net2 - Math.round(premium2 * 0.03)));
    expect(fen(richer.profitCap?.dueToFund ?? null)).toBeGreaterThan(0);
    expect(richer.profitCap?.netResultShare).toBe(new Decimal(net2).div(premium2).toFixed(4, Decimal.ROUND_HALF_UP));
  });
});

describe('湖南 coverage of poor severely disabled people', () => {
  const template = programmes.get('hunan-2025-disabled-accident');
  if (!template?.operations) throw new Error('template');
  const county: Pack = { ...template, status: 'active', operations: { ...template.operations, eligiblePopulation: { value: 1000, cite: '测试：某县困难重度残疾人数' } } };
  const withRoster = async (persons: number) => {
    const ledger = new MemoryLedger();
    await ledger.putRoster('hunan-county-disabled-accident', Array.from({ length: persons }, (_, i) => rosterRow.parse({ personId: `4301${String(i).padStart(14, '0')}`, from: '2025-01-01', to: '2025-12-31' })), false);
    return ledger;
  };

  it('judges each target at the period end: met, not yet due, or missed', async () => {
    const store = new MemoryStore();
    const at450 = await programmeView({ ledger: await withRoster(450), store }, county, { from: '2025-01-01', to: '2026-01-01' });
    expect(at450.coverage).toMatchObject({ asOf: '2025-12-31', insured: 450, eligiblePopulation: 1000, coverage: '0.4500' });
    expect(at450.coverage?.targets.map((t) => t.status)).toEqual(['met', 'onTrackOrBehind']);
    const at399 = await programmeView({ ledger: await withRoster(399), store }, county, { from: '2025-06-01', to: '2026-03-01' });
    expect(at399.coverage?.coverage).toBe('0.3990');
    expect(at399.coverage?.targets.map((t) => t.status)).toEqual(['missed', 'onTrackOrBehind']);
    const html = renderSummary(at450, 2025, 2);
    expect(html).toContain('45.00%');
    expect(html).toContain('已达到');
    expect(html).toContain('2026 年 2 月');
    expect(html).not.toContain('4301000');
  });
});

describe('a city-sized premium income', () => {
  it('shares it exactly, half-up to the fen, where fen × ppm passes 2^53 (the pricing assistant tries premiums up to 10⁵ yuan a person: 10⁵ enrolled give 10¹² fen)', async () => {
    const { profitCap } = await import('../../gateway/operations/profit-cap.js');
    const pack = loadProgrammes().get('sanming-2024-puhui');
    if (!pack?.operations?.profitCap) throw new Error('三明 pack with a profit cap');
    const premiumFen = 100_000_00 * 100_003 + 7;
    expect(premiumFen * pack.operations.profitCap.share).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    const view = profitCap(pack, premiumFen, 12_345_678_901);
    const exact = (ppm: number) => formatFen(new Decimal(premiumFen).times(ppm).div(1_000_000).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber());
    expect(view?.cap).toBe(exact(pack.operations.profitCap.share));
    expect(view?.operatingCosts).toBe(exact(pack.operations.operatingCostShare?.value ?? 0));
  });
});
