/**
 * A figure the engine never reads cannot move the claims (open-figure.ts SECTIONS_THE_ENGINE_NEVER_READS), so
 * pricing it replays the year once. Held two ways: the engine, settling years of 三明 and 南通, never reads a
 * section listed (a listed section it did read would fail here, as `rules` would); and pricing such a figure
 * from one replay answers exactly what the search replaying every figure answers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pack } from '../../schemas/pack.js';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { openFigureOf, SECTIONS_THE_ENGINE_NEVER_READS } from '../../gateway/operations/open-figure.js';
import { priceFigure, pricingQuery, type PricingResult } from '../../gateway/operations/pricing.js';
import { replayPeriod } from '../../gateway/operations/replay.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMME_ID, syntheticYear, YEAR, type SyntheticYear } from './synthetic-year.js';

const programmes = loadProgrammes();
const periodOf = (year: number) => ({ from: `${year}-01-01`, to: `${year + 1}-01-01` });

/** Each pack with `section` watched: read through a getter that notes who read it. */
function watched(section: string, reads: string[]): ProgrammeSet {
  const packs = programmes.packs.map((pack): Pack => {
    const copy = { ...pack };
    const value: unknown = Reflect.get(pack, section);
    Object.defineProperty(copy, section, { enumerable: true, get: () => { reads.push(`${pack.id}.${section}`); return value; } });
    return copy;
  });
  return new ProgrammeSet(packs, programmes.catalogues);
}

const years: Partial<Record<'nantong' | 'sanming', SyntheticYear>> = {};
beforeAll(async () => {
  years.sanming = await syntheticYear({ seed: 2025, programme: 'sanming', settlements: 1500, persons: 400, reversalShare: 0.02 });
  years.nantong = await syntheticYear({ seed: 2026, programme: 'nantong', settlements: 1000, persons: 300, reversalShare: 0.02 });
}, 120_000);

describe('the sections the engine never reads', () => {
  it('lists operations (the premium, costs, targets) and no section that holds rules, limits or eligibility', () => {
    expect(SECTIONS_THE_ENGINE_NEVER_READS).toEqual(['operations']);
  });

  for (const kind of ['sanming', 'nantong'] as const) {
    it(`are never read by the engine settling a year of ${kind}, each one watched (and rules, which it reads, are seen)`, async () => {
      const year = years[kind];
      if (!year) throw new Error('no year');
      for (const section of [...SECTIONS_THE_ENGINE_NEVER_READS, 'rules']) {
        const reads: string[] = [];
        const sets = [programmes, watched(section, reads)];
        const results: Array<[string, string]> = [];
        const counts = await replayPeriod({ programmeId: PROGRAMME_ID[kind], sets, source: year.ledger, ledger: year.ledger, period: periodOf(YEAR[kind]) },
          (_stored, _index, [plain, seen]) => results.push([JSON.stringify(plain), JSON.stringify(seen)]));
        expect(counts.replayed).toBeGreaterThan(500);
        expect(counts.unreplayable).toBe(0);
        // The watched set settles exactly as the plain one: the getter changes nothing but the notes.
        expect(results.every(([plain, seen]) => plain === seen)).toBe(true);
        if (section === 'rules') expect(reads.length).toBeGreaterThan(0);
        else expect(reads).toEqual([]);
      }
    }, 60_000);
  }

  it('tells a figure there from one the engine reads', () => {
    const text = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
    const figure = (path: string, unit: 'yuan' | 'ratio', min: string, max: string) => openFigureOf(text, { path, unit, min, max });
    expect(figure('operations.premiumPerPerson.value', 'yuan', '1', '1000').movesClaims).toBe(false);
    expect(figure('operations.operatingCostShare.value', 'ratio', '0', '0.5').movesClaims).toBe(false);
    expect(figure('rules.r1.deductible.amount', 'yuan', '0', '20000').movesClaims).toBe(true);
    expect(figure('rules.r1.ratio.value.healthy', 'ratio', '0', '1').movesClaims).toBe(true);
    expect(figure('rules.oop.participation.value', 'ratio', '0', '1').movesClaims).toBe(true);
  });
});

describe('pricing a figure the engine never reads: one replay, the same answer', () => {
  const SANMING = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
  const price = async (query: unknown, replayEveryFigure: boolean, text = SANMING) => {
    const year = years.sanming;
    if (!year) throw new Error('no year');
    const figures: number[] = [];
    const result = await priceFigure({
      programmes, candidateText: text, query: pricingQuery.parse(query), source: year.ledger, ledger: year.ledger, period: periodOf(2024),
      replayEveryFigure, onPass: (p) => figures.push(p.figures),
    });
    return { result, figures };
  };
  const same = (a: PricingResult, b: PricingResult) => {
    const { passes: _a, claimsReplayed: _ra, ...restA } = a;
    const { passes: _b, claimsReplayed: _rb, ...restB } = b;
    expect(restA).toEqual(restB);
  };

  it('the premium against the profit cap: the curve, the answer and its neighbour as the replay at each figure gives them', async () => {
    const query = { figure: { path: 'operations.premiumPerPerson.value', unit: 'yuan', min: '1', max: '100000' }, target: { kind: 'profitCap' } };
    const once = await price(query, false);
    const each = await price(query, true);
    expect(once.result.outcome).toBe('found');
    expect(once.result.answers).toHaveLength(1);
    same(once.result, each.result);
    expect(once.result.claimsReplayed).toBe('once');
    expect(once.figures).toEqual([1]);
    expect(once.result.passes).toBe(1);
    expect(each.result.claimsReplayed).toBe('atEachFigure');
    expect(each.figures.reduce((a, b) => a + b, 0)).toBeGreaterThan(21);
  }, 120_000);

  it('the operating costs against the profit cap, met from a share on, alike both ways', async () => {
    // A premium half as high again as the one at the cap (operating costs 10%): the cap is met from costs of about 39% on.
    const atCap = await price({ figure: { path: 'operations.premiumPerPerson.value', unit: 'yuan', min: '1', max: '100000' }, target: { kind: 'profitCap' } }, false);
    const premium = Math.round(Number(atCap.result.answers[0]?.figure) * 1.5);
    const text = SANMING.replace('premiumPerPerson: { value: "150",', `premiumPerPerson: { value: "${premium}",`);
    expect(text).not.toBe(SANMING);
    const query = { figure: { path: 'operations.operatingCostShare.value', unit: 'ratio', min: '0', max: '1' }, target: { kind: 'profitCap' } };
    const once = await price(query, false, text);
    const each = await price(query, true, text);
    expect(once.result).toMatchObject({ outcome: 'found', monotone: { direction: 'rising' } });
    same(once.result, each.result);
    expect(once.result.passes).toBe(1);
    expect(each.result.passes).toBeGreaterThan(1);
  }, 120_000);

  it('a figure the engine reads is still replayed at each figure', async () => {
    const { result, figures } = await price({ figure: { path: 'rules.r1.deductible.amount', unit: 'yuan', min: '0', max: '20000' }, target: { kind: 'profitCap' } }, false);
    expect(result.claimsReplayed).toBe('atEachFigure');
    expect(figures[0]).toBeGreaterThanOrEqual(21);
    // Claims at the range's two ends differ: the figure moves them, and each was replayed.
    expect(result.curve[0]?.claims).not.toBe(result.curve[result.curve.length - 1]?.claims);
  }, 120_000);
});
