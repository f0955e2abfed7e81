/**
 * `npm run check-pack -- [options] [dirs or files…]`: checks programme packs before they are deployed
 * (the built-in ones, plus a county's files, a mounted ConfigMap directory or a ConfigMap manifest such
 * as deploy/k8s/configmap-programmes.yaml): each pack valid, no layer
 * overlap, no counter key of a started pack lost since gateway/programmes/counter-keys.snapshot.json.
 *   --update-snapshot     accept the current counter keys (deliberately: a rename restarts counters)
 *   --snapshot FILE       another snapshot (default: the committed one)
 *   --today YYYY-MM-DD    the day that decides which terms have started (default: today, UTC)
 *   --without-builtin     check only the given paths (the gateway itself always loads the built-in packs)
 * Exit code 0: sound (warnings may be printed); 1: errors (listed); 2: could not run.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import * as z from 'zod';
import type { DrugList, Pack } from '../../schemas/pack.js';
import { checkPacks, counterKeySnapshot, type CheckReport, type CounterKeySnapshot } from './check.js';
import { BUILTIN_CATALOGUES_DIR, BUILTIN_PACKS_DIR, loadCatalogues, parseProgrammeFile, withDrugLists } from './load.js';

export const COMMITTED_SNAPSHOT = fileURLToPath(new URL('./counter-keys.snapshot.json', import.meta.url));

export interface CheckPackOptions {
  paths: readonly string[];
  snapshotFile: string;
  updateSnapshot: boolean;
  today: string;
  withBuiltin: boolean;
}

const isYaml = (file: string) => file.endsWith('.yaml') || file.endsWith('.yml');

/** The YAML files of the given directories and files, each once. */
function packFiles(paths: readonly string[]): string[] {
  const files = paths.flatMap((path) => (statSync(path).isDirectory() ? readdirSync(path).filter(isYaml).sort().map((f) => join(path, f)) : [path]));
  return [...new Set(files.map((f) => resolve(f)))];
}

function readSnapshot(file: string): CounterKeySnapshot {
  if (!existsSync(file)) return { packs: {} };
  return counterKeySnapshot.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * The pack texts of a file: the file itself, or — for a Kubernetes ConfigMap manifest such as
 * deploy/k8s/configmap-programmes.yaml — each of its `data` entries named *.yaml / *.yml, so the packs
 * can be checked before the ConfigMap is applied (mounted, they are a directory like any other).
 */
function packTexts(file: string): Array<{ name: string; text: string }> {
  const text = readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = parse(text, { schema: 'core' });
  } catch {
    return [{ name: file, text }]; // parseYaml reports the syntax error with the file's name
  }
  const manifest = z.object({ kind: z.literal('ConfigMap'), data: z.record(z.string(), z.string()).default({}) }).safeParse(doc);
  if (!manifest.success) return [{ name: file, text }];
  return Object.entries(manifest.data.data).filter(([key]) => isYaml(key)).map(([key, value]) => ({ name: `${file}#${key}`, text: value }));
}

/** Runs the check; writes the snapshot when asked and the packs are otherwise sound. */
export function runCheckPack(options: CheckPackOptions): CheckReport & { exitCode: 0 | 1; snapshotWritten: boolean } {
  const files = packFiles(options.withBuiltin ? [BUILTIN_PACKS_DIR, ...options.paths] : options.paths);
  const parsed: Array<{ file: string; pack: Pack }> = [];
  const lists: DrugList[] = [];
  const invalid: string[] = [];
  for (const { name, text } of files.flatMap(packTexts)) {
    try {
      const file = parseProgrammeFile(text, name);
      if ('pack' in file) parsed.push({ file: name, pack: file.pack });
      else lists.push(file.drugList);
    } catch (error) {
      invalid.push(error instanceof Error ? error.message : String(error));
    }
  }
  let packs = parsed;
  try {
    const resolved = withDrugLists(parsed.map((p) => p.pack), lists);
    packs = parsed.map((p, i) => ({ file: p.file, pack: resolved[i]! }));
  } catch (error) {
    invalid.push(error instanceof Error ? error.message : String(error));
  }
  const catalogueIds = new Set(loadCatalogues([BUILTIN_CATALOGUES_DIR]).map((c) => c.id));
  const snapshot = readSnapshot(options.snapshotFile);
  const report = checkPacks({ packs, invalid, catalogueIds, snapshot, today: options.today, complete: options.withBuiltin });
  // --update-snapshot accepts changed counter keys, nothing else: an invalid or overlapping pack stays an error.
  const snapshotWritten = options.updateSnapshot && report.errors.length === 0;
  if (snapshotWritten) writeFileSync(options.snapshotFile, `${JSON.stringify(report.snapshot, null, 2)}\n`);
  const failed = report.errors.length > 0 || (!options.updateSnapshot && report.counterKeyErrors.length > 0);
  return { ...report, exitCode: failed ? 1 : 0, snapshotWritten };
}

function parseArgs(argv: readonly string[], todayUtc: string): CheckPackOptions | string {
  const options: CheckPackOptions = { paths: [], snapshotFile: COMMITTED_SNAPSHOT, updateSnapshot: false, today: todayUtc, withBuiltin: true };
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--update-snapshot') options.updateSnapshot = true;
    else if (arg === '--without-builtin') options.withBuiltin = false;
    else if (arg === '--snapshot' || arg === '--today') {
      const value = argv[++i];
      if (value === undefined) return `${arg} needs a value`;
      if (arg === '--snapshot') options.snapshotFile = resolve(value);
      else if (/^\d{4}-\d{2}-\d{2}$/.test(value)) options.today = value;
      else return `--today needs YYYY-MM-DD, not ${value}`;
    } else if (arg.startsWith('--')) return `unknown option ${arg}`;
    else if (!existsSync(arg)) return `no such file or directory: ${arg}`;
    else paths.push(arg);
  }
  if (!options.withBuiltin && paths.length === 0) return '--without-builtin needs at least one directory or file';
  return { ...options, paths };
}

function main(argv: readonly string[]): number {
  const options = parseArgs(argv, new Date().toISOString().slice(0, 10));
  if (typeof options === 'string') {
    console.error(`${options}\nusage: npm run check-pack -- [--update-snapshot] [--snapshot FILE] [--today YYYY-MM-DD] [--without-builtin] [dirs or files…]`);
    return 2;
  }
  const report = runCheckPack(options);
  for (const w of report.warnings) console.warn(`warning: ${w}`);
  for (const e of report.errors) console.error(`error: ${e}`);
  for (const e of report.counterKeyErrors) console.error(`${options.updateSnapshot ? 'accepted' : 'error'}: ${e}`);
  if (report.snapshotWritten) console.log(`snapshot written: ${options.snapshotFile}`);
  const errorCount = report.errors.length + (options.updateSnapshot ? 0 : report.counterKeyErrors.length);
  console.log(report.exitCode === 0 ? `check-pack: sound (${report.warnings.length} warnings)` : `check-pack: ${errorCount} errors`);
  return report.exitCode;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
