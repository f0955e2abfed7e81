/**
 * `npm run ledger:project -- --from YYYY-MM-DD --to YYYY-MM-DD [--workers N]`: builds the day projections of the
 * period that are not cached yet (day-projection.ts), so that the next report, what-if or pricing pass reads no
 * record — a nightly job before the day's reports (README runbook). Reads the records, writes only the cache
 * (REDIS_URL or REDIS_CLUSTER_NODES). With --workers N > 1 (default 1) it runs in N processes by person shard.
 * Prints what it read as JSON. Exit code 0: done; 2: could not run.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { runCli } from '../ledger/cli.js';
import { openToolStorage } from '../storage.js';
import { projectAhead, projectionCount, type ProjectionCount } from './day-projection.js';
import { parsePeriod } from './period.js';
import { ShardFailed, ShardPool } from './shards.js';

const USAGE = 'usage: npm run ledger:project -- --from YYYY-MM-DD --to YYYY-MM-DD [--workers N]   (needs REDIS_URL or REDIS_CLUSTER_NODES)';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' }, workers: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (!args.from || !args.to) { console.error(USAGE); return 2; }
  const workers = args.workers === undefined ? 1 : Number.parseInt(args.workers, 10);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) { console.error(`--workers must be an integer 1–64\n${USAGE}`); return 2; }
  const config = loadConfig();
  const storage = openToolStorage(config);
  if (!storage) { console.error(`REDIS_URL is not set: the in-memory ledger of a running gateway keeps its projections itself\n${USAGE}`); return 2; }
  const { ledger } = storage;
  try {
    const period = parsePeriod(args.from, args.to);
    const started = performance.now();
    let count: ProjectionCount;
    if (workers > 1) {
      const pool = ShardPool.start(workers);
      try {
        const parts = (await pool.run({ kind: 'project', period })).map((answer) => {
          const parsed = projectionCount.safeParse(answer);
          if (!parsed.success) throw new ShardFailed('a shard answered something that is not its count');
          return parsed.data;
        });
        count = { days: parts[0]?.days ?? 0, settlements: parts.reduce((n, p) => n + p.settlements, 0) };
      } finally {
        await pool.close();
      }
    } else {
      count = await projectAhead(ledger, period);
    }
    console.log(JSON.stringify({ period, ...count, seconds: Math.round((performance.now() - started) / 100) / 10 }));
    return 0;
  } finally {
    await ledger.close();
  }
}

runCli(main);
