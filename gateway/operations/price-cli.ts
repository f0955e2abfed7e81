/**
 * `npm run price -- --pack candidate.yaml --figure rules.r1.deductible.amount --unit yuan --range 0:20000
 *   (--loss-ratio 0.92|pack | --profit-cap) --from 2024-01-01 --to 2025-01-01 [--samples 21] [--per-pass 3] [--csv out.csv] [--workers N]`:
 * the figure of the candidate pack at which the period's settlements in Redis (REDIS_URL or
 * REDIS_CLUSTER_NODES) meet the target, with the curve (pricing.ts). `--loss-ratio pack` takes the
 * pack's operations.lossRatioTarget. With --workers N > 1 (default 1) each pass runs in N processes
 * by person shard (shards.ts), kept for the whole search. Progress on stderr, the result as JSON on stdout, the curve as CSV on
 * request. Reads only. Exit code 0: done (whatever the outcome: found, met throughout or out of reach); 2: could not run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { InvalidInput } from '../errors.js';
import { runCli } from '../ledger/cli.js';
import { openToolStorage } from '../storage.js';
import { loadProgrammes } from '../programmes/load.js';
import { fieldErrors } from '../errors.js';
import { parsePeriod } from './period.js';
import { pricingCsv } from './pricing-csv.js';
import { priceFigure, pricingQuery } from './pricing.js';
import { shardedPricingPass } from './sharded-passes.js';
import { ShardPool } from './shards.js';

const USAGE = 'usage: npm run price -- --pack candidate.yaml --figure <path> --unit yuan|ratio --range MIN:MAX (--loss-ratio R|pack | --profit-cap) --from YYYY-MM-DD --to YYYY-MM-DD [--samples N] [--per-pass K] [--csv out.csv] [--workers N]   (needs REDIS_URL or REDIS_CLUSTER_NODES)';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv, strict: true,
      options: {
        pack: { type: 'string' }, figure: { type: 'string' }, unit: { type: 'string' }, range: { type: 'string' },
        'loss-ratio': { type: 'string' }, 'profit-cap': { type: 'boolean' }, from: { type: 'string' }, to: { type: 'string' },
        samples: { type: 'string' }, 'per-pass': { type: 'string' }, csv: { type: 'string' }, workers: { type: 'string' },
      },
    }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  // `--loss-ratio pack`: the pack's own target (operations.lossRatioTarget).
  const lossRatio = args['loss-ratio'];
  if (!args.pack || !args.figure || !args.unit || !args.range || !args.from || !args.to || (lossRatio === undefined) === !args['profit-cap']) { console.error(USAGE); return 2; }
  const [min, max, ...more] = args.range.split(':');
  const workers = args.workers === undefined ? 1 : Number.parseInt(args.workers, 10);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) { console.error(`--workers must be an integer 1–64\n${USAGE}`); return 2; }
  const queryInput = {
    figure: { path: args.figure, unit: args.unit, min: min ?? '', max: max ?? '' },
    target: args['profit-cap'] ? { kind: 'profitCap' } : { kind: 'lossRatio', ...(lossRatio === 'pack' ? {} : { ratio: lossRatio }) },
    ...(args.samples ? { samples: Number(args.samples) } : {}),
    ...(args['per-pass'] ? { perPass: Number(args['per-pass']) } : {}),
  };
  const parsed = pricingQuery.safeParse(queryInput);
  if (!parsed.success || more.length) throw new InvalidInput('定价测算的参数无效', parsed.success ? [{ path: 'range', message: '应为 MIN:MAX' }] : fieldErrors(parsed.error.issues));
  const config = loadConfig();
  const storage = openToolStorage(config);
  if (!storage) { console.error(`REDIS_URL is not set: the in-memory ledger of a running gateway cannot be read from here\n${USAGE}`); return 2; }
  const { ledger } = storage;
  const pool = workers > 1 ? ShardPool.start(workers) : null;
  try {
    const period = parsePeriod(args.from, args.to);
    const candidateText = readFileSync(args.pack, 'utf8');
    const started = Date.now();
    const result = await priceFigure({
      programmes: loadProgrammes(config.PROGRAMMES_DIR ?? []), candidateText, query: parsed.data,
      source: ledger, ledger, period,
      onPass: (p) => process.stderr.write(`第 ${p.pass} 遍：${p.figures} 个数值，已读取 ${p.read} 笔结算（${((Date.now() - started) / 1000).toFixed(1)} s${pool ? `，${pool.size} 个进程` : ''}）\n`),
    }, pool ? shardedPricingPass(pool, candidateText, queryInput, period) : undefined);
    process.stderr.write(`${result.message}\n`);
    if (result.settlements.unreplayable > 0) process.stderr.write(`注意：${result.settlements.unreplayable} 笔结算无法重放，未计入（settlements.unreplayable）\n`);
    if (args.csv) writeFileSync(args.csv, pricingCsv(result));
    console.log(JSON.stringify(result, null, 2));
    return 0;
  } finally {
    await pool?.close();
    await ledger.close();
  }
}

runCli(main);
