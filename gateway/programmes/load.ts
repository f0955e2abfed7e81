/** Loads programme packs and disease catalogues from YAML, validating each against its zod schema. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type * as z from 'zod';
import { catalogue, drugList, pack, type Catalogue, type DrugList, type Pack } from '../../schemas/pack.js';
import { layerConflicts } from '../engine/pack-overlaps.js';
import { ProgrammeSet } from '../engine/programme-set.js';
import { packContradictions } from '../engine/pack-contradictions.js';

export const BUILTIN_PACKS_DIR = fileURLToPath(new URL('./packs', import.meta.url));
export const BUILTIN_CATALOGUES_DIR = fileURLToPath(new URL('./catalogues', import.meta.url));

export class PackError extends Error {}

const yamlFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort().map((f) => join(dir, f));

function readYamlDir<T extends z.ZodType>(dir: string, schema: T, what: string): Array<z.output<T>> {
  return yamlFiles(dir).map((file) => parseYaml(readFileSync(file, 'utf8'), schema, file, what));
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

/** A file of a packs directory: a programme pack, or a drug list (its first key `kind: drugList`). */
export type ProgrammeFile = { pack: Pack } | { drugList: DrugList };

export function parseProgrammeFile(text: string, name: string): ProgrammeFile {
  const isDrugList = /^kind:\s*drugList\s*$/m.test(text);
  return isDrugList ? { drugList: parseYaml(text, drugList, name, 'drug list') } : { pack: parseYaml(text, pack, name, 'programme pack') };
}

/**
 * Packs with their drug lists read in: a specificDrugs rule naming a list (`drugList`) gets its drugs, and the
 * pack's version names the list's (`2025.1+huiqiongbao-2025-drugs@2025-03`), so a settlement records both.
 */
export function withDrugLists(packs: readonly Pack[], lists: readonly DrugList[]): Pack[] {
  const byId = new Map(lists.map((l) => [l.id, l]));
  const missing: string[] = [];
  const resolved = packs.map((p) => {
    const named = p.rules.flatMap((r) => (r.kind === 'specificDrugs' && r.drugList ? [r.drugList.id] : []));
    if (named.length === 0) return p;
    const versions: string[] = [];
    const rules = p.rules.map((r) => {
      if (r.kind !== 'specificDrugs' || !r.drugList) return r;
      const list = byId.get(r.drugList.id);
      if (!list) {
        missing.push(`${p.id} rule ${r.id} names drug list ${r.drugList.id}, which no file of the packs' directories defines (kind: drugList, id: ${r.drugList.id})`);
        return r;
      }
      versions.push(`${list.id}@${list.version}`);
      return { ...r, drugs: { value: list.drugs, cite: `${r.drugList.cite}；${list.source.title}（${list.source.file}）` } };
    });
    return { ...p, version: `${p.version}+${versions.join('+')}`, rules };
  });
  if (missing.length > 0) throw new PackError(`drug lists missing:\n  ${missing.join('\n  ')}`);
  return resolved;
}

function loadPacks(dirs: readonly string[]): Pack[] {
  const files = dirs.flatMap((dir) => yamlFiles(dir).map((file) => parseProgrammeFile(readFileSync(file, 'utf8'), file)));
  const packs = files.flatMap((f) => ('pack' in f ? [f.pack] : []));
  return withDrugLists(packs, files.flatMap((f) => ('drugList' in f ? [f.drugList] : [])));
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
