/**
 * What the command-line tools (replay, report, what-if) share: the ledger in Redis as the gateway's
 * configuration names it, and one way to end — an exit code from the tool, 2 for anything it did not
 * expect. These tools print to the terminal on purpose; they are not the service.
 */
import type { Config } from '../config.js';
import { GatewayError } from '../errors.js';
import { openRedis, redisAccess } from './connect.js';
import { RedisLedger } from './redis.js';

/** The configured Redis ledger, or null when the gateway would run on the in-memory one (nothing to read from here). */
export function openConfiguredLedger(config: Config): RedisLedger | null {
  const redis = openRedis(config, redisAccess(config));
  return redis ? new RedisLedger(redis, { prefix: config.REDIS_KEY_PREFIX }) : null;
}

/** Runs a tool's main and sets the exit code: its own, or 2 with the message (a GatewayError's fields too) when it throws. */
export function runCli(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    if (error instanceof GatewayError) {
      console.error([error.message, ...error.errors.map((e) => `  ${e.path}: ${e.message}`)].join('\n'));
    } else {
      console.error(error instanceof Error ? error.stack ?? error.message : error);
    }
    process.exitCode = 2;
  });
}
