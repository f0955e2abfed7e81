/** Where the golden fixture lives and how it was drawn. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { GoldenCase } from './cases.js';

export const GOLDEN_FIXTURE = fileURLToPath(new URL('../fixtures/engine-golden.json.gz', import.meta.url));
export const GOLDEN_SEED = 20_261_125;
export const GOLDEN_CASES = 1500;

export type GoldenEntry = GoldenCase & { answers: string[] };

export function readGolden(): { seed: number; cases: GoldenEntry[] } {
  return JSON.parse(gunzipSync(readFileSync(GOLDEN_FIXTURE)).toString('utf8')) as { seed: number; cases: GoldenEntry[] };
}
