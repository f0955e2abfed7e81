/**
 * A replay's engine: without explanations (EngineInput.explain false) it pays exactly what it pays with them, and
 * the layers before a programme settled once for several sets (SettledHead) give each set exactly the settlement
 * it gets alone. Over the golden fixture's stays (every scenario) and the synthetic years of 南通 and 三明, every
 * person's settlements in order with counters carried; test/support/engine.ts holds every case of the engine's
 * own tests to the first as well.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { SettledHead, settle, sharesHead, type EngineResult } from '../../gateway/engine/settle.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import type { RosterRow } from '../../schemas/roster.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openFigureOf } from '../../gateway/operations/open-figure.js';
import { readGolden } from './golden/fixture.js';
import { goldenProgrammes } from './golden/programmes.js';
import { runGoldenCase } from './golden/run.js';
import { settledBothWays } from '../support/engine.js';
import { PROGRAMME_ID, syntheticYear, type Settled } from '../operations/synthetic-year.js';

/** A golden answer (JSON line) with every line's and benefit's explanation emptied, its order kept. */
const unexplained = (answer: string): string => JSON.stringify(JSON.parse(answer, (key: string, value: unknown) => (key === 'explanation' ? [] : value)));

describe('the engine without explanations', () => {
  it('answers every golden stay with the reference figures and no explanation', () => {
    const golden = readGolden();
    const programmes = goldenProgrammes();
    const differing: string[] = [];
    for (const [index, c] of golden.cases.entries()) {
      runGoldenCase(programmes, c, false).forEach((answer, stay) => {
        const want = unexplained(c.answers[stay] ?? '');
        if (answer !== want) differing.push(`case ${index} (${c.scenario}) stay ${stay}:\n  want ${want}\n  got  ${answer}`);
      });
    }
    expect(differing.slice(0, 3).join('\n')).toBe('');
    expect(golden.cases.length).toBeGreaterThan(1000);
  });
});

/** Each person's settlements of a synthetic year in order (reversed ones left out, as a replay does), with their roster rows. */
function byPerson(settled: readonly Settled[], roster: readonly RosterRow[]) {
  const persons = new Map<string, ReturnType<typeof settlementRequest.parse>[]>();
  for (const s of settled) {
    if (s.reversed) continue;
    const request = settlementRequest.parse(s.body);
    persons.set(request.patient.id, [...(persons.get(request.patient.id) ?? []), request]);
  }
  const rows = new Map<string, RosterRow[]>();
  for (const row of roster) rows.set(row.personId, [...(rows.get(row.personId) ?? []), row]);
  return [...persons].map(([personId, requests]) => ({ requests, rosters: { [PROGRAMME_ID.sanming]: rows.get(personId) ?? [] } }));
}

function carry(into: Record<string, number>, result: EngineResult): void {
  for (const [key, fen] of Object.entries(result.deltas)) into[key] = (into[key] ?? 0) + fen;
}

describe.each(['nantong', 'sanming'] as const)('a synthetic %s year', (kind) => {
  let persons: ReturnType<typeof byPerson>;
  beforeAll(async () => {
    const year = await syntheticYear({ seed: 2025, programme: kind, settlements: 1500, persons: 300, reversalShare: 0.02 });
    persons = byPerson(year.settled, year.sanmingRoster);
  }, 60_000);

  it('is paid the same without explanations, settlement after settlement', () => {
    const programmes = loadProgrammes();
    let settledCount = 0;
    for (const { requests, rosters } of persons) {
      const accumulators: Record<string, number> = {};
      for (const request of requests) {
        carry(accumulators, settledBothWays({ request, programmes, rosters, accumulators }));
        settledCount += 1;
      }
    }
    expect(settledCount).toBeGreaterThan(1400);
  });

  it('settles the layers before the programme once for every figure of a pricing pass, each set as it settles alone', () => {
    const programmes = loadProgrammes();
    const id = PROGRAMME_ID[kind];
    const text = readFileSync(join(BUILTIN_PACKS_DIR, `${id}.yaml`), 'utf8');
    // The candidate at three figures of its first responsibility's ratio for the healthy, as a pricing pass writes them.
    const rule = kind === 'sanming' ? 'r1' : 'remaining-compliant';
    const figure = openFigureOf(text, { path: `rules.${rule}.ratio.value.healthy`, unit: 'ratio', min: '0.5', max: '0.9' });
    const sets = [5000, 7000, 9000].map((step) => new ProgrammeSet([...programmes.packs.filter((p) => p.id !== id), figure.packAt(step)], programmes.catalogues));
    expect(sharesHead(sets, id)).toBe(true);
    for (const explain of [true, false]) {
      for (const { requests, rosters } of persons) {
        const accumulators = sets.map((): Record<string, number> => ({}));
        for (const request of requests) {
          const alone = sets.map((programmes, i) => settle({ request, programmes, rosters, accumulators: accumulators[i]!, explain }));
          const head = new SettledHead({ request, programmes: sets[0]!, rosters, accumulators: accumulators[0]!, explain }, id);
          expect(sets.map((programmes, i) => head.settleRest(programmes, accumulators[i]!))).toStrictEqual(alone);
          alone.forEach((result, i) => carry(accumulators[i]!, result));
        }
      }
    }
  });
});

describe('a head whose rules wait for the later layers', () => {
  it('is not continued (威海: the medical plan counts the burden once the accident plan after it has paid)', () => {
    const programmes = loadProgrammes();
    const id = 'weihai-2020-accident';
    const figure = openFigureOf(readFileSync(join(BUILTIN_PACKS_DIR, `${id}.yaml`), 'utf8'), { path: 'rules.accident-medical.ratio.value.healthy', unit: 'ratio', min: '0.5', max: '0.9' });
    const sets = [5000, 9000].map((step) => new ProgrammeSet([...programmes.packs.filter((p) => p.id !== id), figure.packAt(step)], programmes.catalogues));
    expect(sharesHead(sets, id)).toBe(true);
    const request = settlementRequest.parse({
      settlementId: 'ZY2020000001',
      hospital: { id: 'H37100200001', region: '371002', level: 3, drgPublic: true },
      patient: { id: '371002195001011234', name: '张三', insuredRegion: '371002', scheme: 'resident', categories: ['poverty-alleviated'], basicInsuranceActive: true },
      encounter: { kind: 'inpatient', admittedOn: '2020-03-01', dischargedOn: '2020-03-10', diagnoses: [{ icd10: 'S72.0', primary: true }], cause: 'accident', thirdPartyLiable: false },
      items: [{ code: 'A1', name: '综合费用', amount: '10000.00', class: 'A' }],
      upstream: { basic: '5000.00' },
    });
    const rosters = { 'weihai-2020-poverty': [{ personId: '371002195001011234', from: '2020-01-01', to: '2020-12-31', categories: ['poverty-alleviated' as const], preExisting: false, attributes: {} }] };
    const head = new SettledHead({ request, programmes: sets[0]!, rosters, accumulators: {}, explain: false }, id);
    expect(head.waitsForLaterLayers).toBe(true);
    expect(() => head.settleRest(sets[1]!, {})).toThrow(/shared head/);
  });
});
