/**
 * A pass replays several programme sets side by side, settling the layers before the programme once for all of
 * them (engine SettledHead, where sharesHead proves it the same): every set's result of every stay must be the
 * one the set gets replayed alone (one set: nothing shared). Over a synthetic 三明 year, the candidate at the
 * figures a pricing pass of responsibility 1's deductible samples, and a what-if's baseline beside them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { sharesHead, type EngineResult } from '../../gateway/engine/settle.js';
import { openFigureOf } from '../../gateway/operations/open-figure.js';
import { replayPeriod } from '../../gateway/operations/replay.js';
import { candidateSet } from '../../gateway/operations/whatif.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { PROGRAMME_ID, syntheticYear, type SyntheticYear } from './synthetic-year.js';

const period = { from: '2024-01-01', to: '2025-01-01' };

describe('a replay of several sets', () => {
  let year: SyntheticYear;
  beforeAll(async () => { year = await syntheticYear({ seed: 2501, programme: 'sanming', settlements: 1500, persons: 300, reversalShare: 0.02 }); }, 60_000);

  const replayed = async (sets: readonly ProgrammeSet[]) => {
    const results: EngineResult[][] = [];
    const counts = await replayPeriod({ programmeId: PROGRAMME_ID.sanming, sets, source: year.ledger, ledger: year.ledger, period }, (_stored, _index, r) => { results.push([...r]); });
    return { counts, results };
  };

  it('gives every set, settling the layers before the programme once, exactly what the set gets alone', async () => {
    const programmes = loadProgrammes();
    const text = readFileSync(join(BUILTIN_PACKS_DIR, `${PROGRAMME_ID.sanming}.yaml`), 'utf8');
    const figure = openFigureOf(text, { path: 'rules.r1.deductible.amount', unit: 'yuan', min: '0', max: '20000' });
    const sets = [programmes, ...[0, 500_000, 1_000_000, 2_000_000].map((step) => candidateSet(programmes, figure.packAt(step)))];
    expect(sharesHead(sets, PROGRAMME_ID.sanming)).toBe(true);
    const together = await replayed(sets);
    expect(together.counts.replayed).toBeGreaterThan(1000);
    for (const [i, set] of sets.entries()) {
      const alone = await replayed([set]);
      expect(alone.counts).toEqual(together.counts);
      expect(together.results.map((r) => r[i])).toStrictEqual(alone.results.map((r) => r[0]));
    }
  });
});
