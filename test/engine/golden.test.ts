/**
 * The engine answers exactly as the reference engine did: thousands of random stays and histories
 * (test/engine/golden/cases.ts, seeded) across every pack, with the answers the engine gave when the
 * fixture was taken (after the hardening issue's money fixes, before the hot-path restructure), kept in
 * test/engine/fixtures/engine-golden.json.gz. Byte for byte: every line, amount, explanation, benefit,
 * counter delta, and every refusal with the fields it names.
 */
import { describe, expect, it } from 'vitest';
import { readGolden } from './golden/fixture.js';
import { goldenProgrammes } from './golden/programmes.js';
import { runGoldenCase } from './golden/run.js';

describe('golden: the engine gives the reference answers', () => {
  const golden = readGolden();
  const programmes = goldenProgrammes();

  it('holds thousands of stays across every scenario, most settled and some refused', () => {
    const answers = golden.cases.flatMap((c) => c.answers);
    expect(answers.length).toBeGreaterThan(3000);
    expect(new Set(golden.cases.map((c) => c.scenario))).toEqual(new Set(['demo', 'weihai', 'nantong', 'sanming', 'wenxi', 'changsha']));
    expect(answers.filter((a) => a.startsWith('{"split"')).length).toBeGreaterThan(3000);
    expect(answers.filter((a) => a.startsWith('{"error"')).length).toBeGreaterThan(50);
  });

  it('answers every stay byte for byte as the reference did', () => {
    const differing: string[] = [];
    for (const [index, c] of golden.cases.entries()) {
      const answers = runGoldenCase(programmes, c);
      answers.forEach((answer, stay) => {
        if (answer !== c.answers[stay]) differing.push(`case ${index} (${c.scenario}) stay ${stay}:\n  want ${c.answers[stay]}\n  got  ${answer}`);
      });
    }
    expect(differing.slice(0, 3).join('\n')).toBe('');
    expect(differing.length).toBe(0);
  });
});
