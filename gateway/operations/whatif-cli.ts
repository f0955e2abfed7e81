/**
 * `npm run whatif -- --pack candidate.yaml --from 2024-01-01 --to 2025-01-01 [--top 20] [--csv out.csv] [--workers N]`:
 * replays the period's settlements from the ledger in Redis (REDIS_URL or REDIS_CLUSTER_NODES) under the
 * candidate pack beside the pack in force (PROGRAMMES_DIR as the gateway loads it) — with --workers N > 1
 * (default 1) in N processes by person shard (shards.ts), else here with progress on stderr — and prints
 * the comparison as JSON on stdout (and writes CSV when asked). Never writes the books (records, accumulators, outbox); it caches the day projections it builds (day-projection.ts). Exit code 0: done; 2: could not run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { runCli } from '../ledger/cli.js';
import { openToolStorage } from '../storage.js';
import { loadProgrammes } from '../programmes/load.js';
import { parseCandidatePack } from './candidate.js';
import { parsePeriod } from './period.js';
import { shardedWhatIf } from './sharded-passes.js';
import { ShardPool } from './shards.js';
import { whatIf } from './whatif.js';
import { whatIfCsv } from './whatif-csv.js';

const USAGE = 'usage: npm run whatif -- --pack candidate.yaml --from YYYY-MM-DD --to YYYY-MM-DD [--top N] [--csv out.csv] [--workers N]   (needs REDIS_URL or REDIS_CLUSTER_NODES)';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { pack: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string' }, csv: { type: 'string' }, workers: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (!args.pack || !args.from || !args.to) { console.error(USAGE); return 2; }
  const top = args.top === undefined ? 20 : Number.parseInt(args.top, 10);
  if (!Number.isInteger(top) || top < 0 || top > 10_000) { console.error(`--top must be an integer 0–10000\n${USAGE}`); return 2; }
  const workers = args.workers === undefined ? 1 : Number.parseInt(args.workers, 10);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) { console.error(`--workers must be an integer 1–64\n${USAGE}`); return 2; }
  const config = loadConfig();
  const storage = openToolStorage(config);
  if (!storage) { console.error(`REDIS_URL is not set: the in-memory ledger of a running gateway cannot be read from here\n${USAGE}`); return 2; }
  const { ledger } = storage;
  try {
    const candidateText = readFileSync(args.pack, 'utf8');
    const candidate = parseCandidatePack(candidateText);
    const period = parsePeriod(args.from, args.to);
    const programmes = loadProgrammes(config.PROGRAMMES_DIR ?? []);
    const started = Date.now();
    let result;
    if (workers > 1) {
      process.stderr.write(`${workers} 个进程按人员分片重放…`);
      const pool = ShardPool.start(workers);
      try { result = await shardedWhatIf(pool, { programmes, candidate, candidateText, period, top }); } finally { await pool.close(); }
      process.stderr.write(`已读取 ${result.settlements.read} 笔结算，重放 ${result.settlements.replayed} 笔（${((Date.now() - started) / 1000).toFixed(1)} s）`);
    } else {
      result = await whatIf({
        programmes, candidate, source: ledger, ledger, period, top,
        onProgress: (p) => process.stderr.write(`\r已读取 ${p.read} 笔结算，重放 ${p.replayed} 笔（${((Date.now() - started) / 1000).toFixed(1)} s）`),
      });
    }
    process.stderr.write('\n');
    const left = result.settlements.unreplayable;
    if (left > 0) process.stderr.write(`注意：${left} 笔结算无法重放，未计入对比（settlements.unreplayable）\n`);
    if (args.csv) writeFileSync(args.csv, whatIfCsv(result));
    console.log(JSON.stringify(result, null, 2));
    return 0;
  } finally {
    await ledger.close();
  }
}

runCli(main);
