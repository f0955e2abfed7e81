/**
 * `npm run second-payout -- --programme <id> --year YYYY [--confirm] [--csv out.csv]`: a programme's second
 * payout (南通 二次赔付, seeds/003) read from the ledger in Redis (REDIS_URL or REDIS_CLUSTER_NODES) without
 * the HTTP request timeout, for a city's year. Without --confirm it is a dry run and writes nothing. With
 * --confirm it commits the payout once per year and publishes each payment to its payer's Kafka topic
 * (KAFKA_BROKERS; the part of main.ts's PARTS that carries the programme's payer names it), exactly as
 * `POST /v1/programmes/:id/second-payout?confirm=true` does: a year already committed goes on from its
 * document, never recomputed. JSON on stdout.
 * Exit code 0: done; 2: could not run.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { runCli } from '../ledger/cli.js';
import { openToolStorage } from '../storage.js';
import { loadProgrammes } from '../programmes/load.js';
import { createBus, eventMapping } from '../stream/wiring.js';
import { COMPOSED } from '../main.js';
import { confirmSecondPayout } from './second-payout-commit.js';
import { payoutCsv } from './second-payout-csv.js';
import { planSecondPayout, secondPayoutYear } from './second-payout.js';

const USAGE = 'usage: npm run second-payout -- --programme <id> --year YYYY [--confirm] [--csv out.csv]   (needs REDIS_URL or REDIS_CLUSTER_NODES; --confirm also KAFKA_BROKERS)';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { programme: { type: 'string' }, year: { type: 'string' }, confirm: { type: 'boolean' }, csv: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (!args.programme || !args.year) { console.error(USAGE); return 2; }
  const config = loadConfig(process.env, COMPOSED.variables);
  // Confirming tells the payer through Kafka; the in-memory bus would drop the payments on exit.
  if (args.confirm && !config.KAFKA_BROKERS?.length) { console.error(`--confirm publishes the payments to the payer: KAFKA_BROKERS is not set\n${USAGE}`); return 2; }
  const storage = openToolStorage(config);
  if (!storage) { console.error(`REDIS_URL is not set: the in-memory ledger of a running gateway cannot be read from here\n${USAGE}`); return 2; }
  const { ledger } = storage;
  const bus = args.confirm ? createBus(config) : undefined;
  try {
    const programmes = loadProgrammes(config.PROGRAMMES_DIR ?? []);
    const pack = programmes.get(args.programme);
    if (!pack) { console.error(`no programme ${args.programme}`); return 2; }
    const year = secondPayoutYear(pack, args.year);
    const plan = () => planSecondPayout({ pack, source: ledger, ledger, year });
    if (!bus) {
      const planned = await plan();
      if (args.csv) writeFileSync(args.csv, payoutCsv(planned));
      console.log(JSON.stringify({ dryRun: true, ...planned }, null, 2));
      return 0;
    }
    const { store } = storage;
    const mapping = eventMapping(config, COMPOSED.audiences({ config, programmes }));
    const outcome = await confirmSecondPayout({ store, bus, mapping }, pack, year, plan);
    if (args.csv) writeFileSync(args.csv, payoutCsv(outcome.payout));
    console.log(JSON.stringify({ dryRun: false, replay: outcome.replay, published: outcome.published, ...outcome.payout }, null, 2));
    return 0;
  } finally {
    await bus?.close();
    await ledger.close();
  }
}

runCli(main);
