/**
 * `npm run report -- --programme <id> --from YYYY-MM-DD --to YYYY-MM-DD [--basis settled|discharged] [--csv out.csv] [--workers N]`: the programme
 * report read from the ledger in Redis (REDIS_URL or REDIS_CLUSTER_NODES) without the HTTP request
 * timeout, for periods too long for one request (a city's year). JSON on stdout. Reads the books; writes only the day projections' cache (day-projection.ts). The period is
 * by settlement day unless `--basis discharged`; hospitals are named from HOSPITALS_FILE as the gateway names them.
 * With --workers N > 1 (default 1) the pass runs in N processes by person shard (shards.ts).
 * Exit code 0: done; 2: could not run.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { runCli } from '../ledger/cli.js';
import { openToolStorage } from '../storage.js';
import { loadProgrammes } from '../programmes/load.js';
import { hospitalNames } from './hospital-names.js';
import { parseReportPeriod } from './period.js';
import { programmeView } from './programme-view.js';
import { reportCsv } from './report-csv.js';
import { shardedReportPass } from './sharded-passes.js';
import { ShardPool } from './shards.js';
import { chinaTime } from '../service/ids.js';

const USAGE = 'usage: npm run report -- --programme <id> --from YYYY-MM-DD --to YYYY-MM-DD [--basis settled|discharged] [--csv out.csv] [--workers N]   (needs REDIS_URL or REDIS_CLUSTER_NODES)';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { programme: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, basis: { type: 'string' }, csv: { type: 'string' }, workers: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (!args.programme || !args.from || !args.to) { console.error(USAGE); return 2; }
  const workers = args.workers === undefined ? 1 : Number.parseInt(args.workers, 10);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) { console.error(`--workers must be an integer 1–64\n${USAGE}`); return 2; }
  const config = loadConfig();
  const storage = openToolStorage(config);
  if (!storage) { console.error(`REDIS_URL is not set: the in-memory ledger of a running gateway cannot be read from here\n${USAGE}`); return 2; }
  const { ledger } = storage;
  try {
    const pack = loadProgrammes(config.PROGRAMMES_DIR ?? []).get(args.programme);
    if (!pack) { console.error(`no programme ${args.programme}`); return 2; }
    const { period, basis } = parseReportPeriod(args.from, args.to, args.basis);
    const pool = workers > 1 ? ShardPool.start(workers) : null;
    let view;
    try {
      view = await programmeView({ ledger, store: storage.store, hospitalName: hospitalNames(config), ...(pool ? { reportPass: shardedReportPass(pool) } : {}) }, pack, period, undefined, { basis, today: chinaTime(new Date()).slice(0, 10) });
    } finally {
      await pool?.close();
    }
    if (args.csv) writeFileSync(args.csv, reportCsv(view));
    console.log(JSON.stringify(view, null, 2));
    return 0;
  } finally {
    await ledger.close();
  }
}

runCli(main);
