/**
 * Writes test/engine/fixtures/engine-golden.json.gz: random cases and the engine's answers to them.
 * Run only to take a new reference on purpose (`npx tsx test/engine/golden/generate-cli.ts`); the
 * golden test then proves later engines answer the same, byte for byte.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { goldenCases } from './cases.js';
import { GOLDEN_FIXTURE, GOLDEN_SEED, GOLDEN_CASES } from './fixture.js';
import { goldenProgrammes } from './programmes.js';
import { runGoldenCase } from './run.js';

const programmes = goldenProgrammes();
const cases = goldenCases(GOLDEN_SEED, GOLDEN_CASES, programmes).map((c) => ({ ...c, answers: runGoldenCase(programmes, c) }));
mkdirSync(dirname(GOLDEN_FIXTURE), { recursive: true });
writeFileSync(GOLDEN_FIXTURE, gzipSync(`${JSON.stringify({ seed: GOLDEN_SEED, cases }, null, 0)}\n`, { level: 9 }));
const stays = cases.reduce((n, c) => n + c.stays.length, 0);
const errors = cases.reduce((n, c) => n + c.answers.filter((a) => a.startsWith('{"error"')).length, 0);
console.log(`wrote ${GOLDEN_FIXTURE}: ${cases.length} cases, ${stays} stays (${errors} refused)`);
