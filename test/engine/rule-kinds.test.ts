/**
 * The registry of rule kinds is the one description of them: the programmes README's table is written
 * from it, the counters each kind declares are the ones the engine writes, and the engine keeps no
 * module-level mutable state (it is pure and re-entrant; what it precomputes lives with a ProgrammeSet).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterNames, ruleKindsTable } from '../../gateway/engine/rules/registry.js';
import { parsePpm, shareTextPpm } from '../../schemas/money-text.js';
import { rule } from '../../schemas/pack.js';
import { readGolden } from './golden/fixture.js';
import { goldenProgrammes } from './golden/programmes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('rule kinds', () => {
  it('the programmes README shows the table the registry writes', () => {
    const readme = readFileSync(join(ROOT, 'gateway/programmes/README.md'), 'utf8');
    expect(readme, `replace the table under "## Rule kinds" with:\n${ruleKindsTable()}`).toContain(ruleKindsTable());
  });

  it('the pack schema accepts every kind of the registry and nothing else', () => {
    const kinds = ruleKindsTable().split('\n').slice(2).map((row) => /^\| `(\w+)`/.exec(row)?.[1]);
    expect(kinds).toHaveLength(9);
    const unknown = rule.safeParse({ id: 'x', name: 'x', kind: 'lottery' });
    expect(unknown.success).toBe(false);
  });

  it('every counter the engine writes, over thousands of stays, is one its rule kind declares', () => {
    const programmes = goldenProgrammes();
    const declared = new Set(programmes.packs.flatMap((p) => p.rules.flatMap(counterNames).map((name) => `${p.id}|${name}`)));
    const written = new Set<string>();
    for (const c of readGolden().cases) {
      for (const answer of c.answers) {
        const deltas = (JSON.parse(answer) as { deltas?: Record<string, number> }).deltas ?? {};
        for (const key of Object.keys(deltas)) {
          const [programme, , name] = key.split('|');
          written.add(`${programme}|${name}`);
        }
      }
    }
    expect(written.size).toBeGreaterThan(20);
    expect([...written].filter((k) => !declared.has(k))).toEqual([]);
  });

  it('reads a share\'s ppm digit by digit exactly as the pattern-checked parser does', () => {
    const share = fc.oneof(
      fc.constantFrom('0', '1', '1.0', '1.000000', '1.0000000', '0.5', '', '.5', '0.', '2', '1.01', '0.1a', '-0.1', '00.1', '0.10 ', '1e-1'),
      fc.string({ maxLength: 9 }),
      fc.tuple(fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 1, max: 9 })).map(([n, d]) => `0.${String(n).padStart(9, '0').slice(0, d)}`),
    );
    fc.assert(fc.property(share, (text) => {
      expect(shareTextPpm(text)).toBe(parsePpm(text));
    }), { numRuns: 5000 });
  });
});

describe('the engine keeps no module-level mutable state', () => {
  const engineFiles = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? engineFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

  it('declares no top-level let, Map, Set or WeakMap in gateway/engine/', () => {
    const offending: string[] = [];
    for (const file of engineFiles(join(ROOT, 'gateway/engine'))) {
      readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
        if (/^(export )?(let |var |const \w+ = new (Weak)?(Map|Set)\b)/.test(text)) offending.push(`${file.slice(ROOT.length)}:${i + 1}: ${text}`);
      });
    }
    expect(offending).toEqual([]);
  });
});

describe('layers', () => {
  const schemaFiles = readdirSync(join(ROOT, 'schemas'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const importsOf = (file: string) => [...readFileSync(join(ROOT, 'schemas', file), 'utf8').matchAll(/^(?:import|export) [^;]*? from '([^']+)'/gm)].map((m) => m[1]);

  it('money text and the vocabulary are the bottom: they import nothing', () => {
    expect(importsOf('money-text.ts')).toEqual([]);
    expect(importsOf('vocabulary.ts')).toEqual([]);
  });

  it('schemas/ imports nothing of the gateway: the rule kinds\' schemas are in schemas/rules/, the engine computes them', () => {
    const outside = schemaFiles.flatMap((file) => importsOf(file)
      .filter((from) => from !== undefined && from.startsWith('.') && !resolve(ROOT, 'schemas', dirname(file), from).startsWith(join(ROOT, 'schemas')))
      .map((from) => `${file} → ${from}`));
    expect(outside).toEqual([]);
    expect(schemaFiles).toContain(join('rules', 'coinsurance.ts'));
  });
});
