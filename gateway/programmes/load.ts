/** Loads programme packs and disease catalogues from YAML, validating each against its zod schema. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { catalogue, pack, type Catalogue, type Pack } from '../../schemas/pack.js';
import { layerConflicts } from '../engine/pack-overlaps.js';
import { ProgrammeSet } from '../engine/programme-set.js';
import { packContradictions } from '../engine/pack-contradictions.js';

export const BUILTIN_PACKS_DIR = fileURLToPath(new URL('./packs', import.meta.url));
export const BUILTIN_CATALOGUES_DIR = fileURLToPath(new URL('./catalogues', import.meta.url));

export class PackError extends Error {}

function readYamlDir<T extends z.ZodType>(dir: string, schema: T, what: string): Array<z.output<T>> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((file) => parseYaml(readFileSync(join(dir, file), 'utf8'), schema, join(dir, file), what));
}

export function parseYaml<T extends z.ZodType>(text: string, schema: T, name: string, what: string): z.output<T> {
  // Dates stay strings: YAML 1.2 core schema does not turn 2020-01-01 into a Date.
  const result = schema.safeParse(parse(text, { schema: 'core' }));
  if (!result.success) {
    const detail = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new PackError(`${name} is not a valid ${what}:\n${detail}`);
  }
  return result.data;
}

export function loadPacks(dirs: readonly string[]): Pack[] {
  return dirs.flatMap((dir) => readYamlDir(dir, pack, 'programme pack'));
}

export function loadCatalogues(dirs: readonly string[]): Catalogue[] {
  return dirs.flatMap((dir) => readYamlDir(dir, catalogue, 'catalogue'));
}

/** The built-in programmes plus any extra directories of packs (a county's 惠民保 is a new file, not new code). */
export function loadProgrammes(extraPackDirs: readonly string[] = []): ProgrammeSet {
  const packs = loadPacks([BUILTIN_PACKS_DIR, ...extraPackDirs]);
  const catalogues = loadCatalogues([BUILTIN_CATALOGUES_DIR]);
  const catalogueIds = new Set(catalogues.map((c) => c.id));
  const problems = [...packs.flatMap((p) => packContradictions(p, catalogueIds)), ...layerConflicts(packs)];
  if (problems.length > 0) throw new PackError(`the programme packs cannot be loaded together:\n  ${problems.join('\n  ')}`);
  return new ProgrammeSet(packs, catalogues);
}
