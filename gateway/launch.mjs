/**
 * Runs one of the gateway's command-line tools (`npm run whatif`, `npm run report`, …; package.json): the compiled
 * one in dist/ when it is newer than every source file of the checkout, else the TypeScript itself through tsx.
 *
 * Why both: the production image holds dist/ alone (deploy/Dockerfile), so there the tools must run compiled; and
 * compiled they start faster — a sharded pass is three processes, each of which spent ~1 CPU-second more starting
 * under tsx (measured: a what-if of an empty day by two shards, 5.7 CPU-s under tsx, 3.1 compiled). A checkout whose
 * sources changed after the last `npm run build` runs the sources, never a stale build.
 *
 * Usage: node [node flags] gateway/launch.mjs <the tool's source, e.g. gateway/operations/whatif-cli.ts> [its arguments]
 * (plain JavaScript: it must run where there is no TypeScript loader yet).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What a build compiles or copies into dist/ (package.json "build"). */
const SOURCE_DIRS = ['gateway', 'adapters', 'schemas'];

const SELF = fileURLToPath(import.meta.url);

/** The latest modification of any file under `dir` but this one (0 when there is none: the image holds no sources). */
function newestUnder(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && path !== SELF) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const [tool] = process.argv.splice(2, 1);
if (!tool || !/^(gateway|adapters)\/[\w/.-]+\.ts$/.test(tool)) {
  console.error('usage: node gateway/launch.mjs <gateway/…-cli.ts> [arguments]');
  process.exit(2);
}
const compiled = join(ROOT, 'dist', tool.replace(/\.ts$/, '.js'));
const fresh = existsSync(compiled) && statSync(compiled).mtimeMs >= Math.max(...SOURCE_DIRS.map((d) => newestUnder(join(ROOT, d))));
const file = fresh ? compiled : join(ROOT, tool);
if (!fresh) (await import('tsx/esm/api')).register();
// As if node had been started on the tool itself.
process.argv[1] = file;
await import(pathToFileURL(file).href);
