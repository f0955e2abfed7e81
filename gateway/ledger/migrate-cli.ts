/**
 * `npm run ledger:migrate [-- --apply [--gateways-stopped]]`: moves a ledger of key layout 1 to layout 2 (migrate.ts)
 * on the configured Redis (REDIS_URL or REDIS_CLUSTER_NODES, with the gateway's TLS, user and password secret).
 * Without --apply it only counts what it would move. With --apply every gateway must be stopped: it refuses
 * while it sees one connected, or, where this user may not list clients, until --gateways-stopped says so.
 * The user needs SCAN, DUMP, RESTORE, PTTL, DEL, GET and SET on the prefix's keys (and CLIENT LIST to see gateways).
 * JSON report on stdout. Exit code 0: done (or nothing to do); 1: refused; 2: could not run.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openToolRedis } from '../storage.js';
import { runCli } from './cli.js';
import { migrateToLayout2, MigrationRefused } from './migrate.js';

const USAGE = 'usage: npm run ledger:migrate [-- --apply [--gateways-stopped]]   (needs REDIS_URL or REDIS_CLUSTER_NODES)';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { apply: { type: 'boolean' }, 'gateways-stopped': { type: 'boolean' } }, strict: true }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const client = await openToolRedis(config);
  if (!client) { console.error(`REDIS_URL is not set: an in-memory ledger has no key layout to migrate\n${USAGE}`); return 2; }
  try {
    const report = await migrateToLayout2(client, config.REDIS_KEY_PREFIX, { apply: args.apply ?? false, gatewaysStopped: args['gateways-stopped'] ?? false });
    console.log(JSON.stringify(report, null, 2));
    if (!report.applied && report.keys.total > 0) console.error(`dry run: ${report.keys.total} keys of layout 1 would move; stop every gateway and run again with --apply`);
    return 0;
  } catch (error) {
    if (!(error instanceof MigrationRefused)) throw error;
    console.error(error.message);
    return 1;
  } finally {
    client.disconnect();
  }
}

runCli(main);
