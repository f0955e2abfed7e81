/**
 * The books — the ledger and the document store the adapters keep beside it — opened here and nowhere else:
 * on one Redis connection (ledger/connect.ts says how: URL or Cluster nodes, TLS, ACL user, password by
 * secret reference), or both in memory when no Redis is configured (development). The gateway and the
 * command-line tools open them through this module alone, so no store reaches for the ledger's connection.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError, type Config } from './config.js';
import { checkRedisAccess, openRedis, redisAccess, type RedisAccess } from './ledger/connect.js';
import { ledgerRefusal } from './ledger/errors.js';
import { refusedCalls } from './ledger/script-guard.js';
import { durabilityProblems, memoryOfMasters } from './ledger/durability.js';
import { GATEWAY_CONNECTION_NAME } from './ledger/migrate.js';
import { MemoryLedger } from './ledger/memory.js';
import type { LedgerPort } from './ledger/port.js';
import { RedisLedger } from './ledger/redis.js';
import { MemoryStore } from './ledger/documents/memory.js';
import type { DocumentStore } from './ledger/documents/port.js';
import { RedisStore } from './ledger/documents/redis.js';

export interface Storage {
  ledger: LedgerPort;
  store: DocumentStore;
}

/** Connection errors are expected while Redis is away: say so, once every 10 s, rather than per retry. */
function watchConnection(client: Redis | Cluster, log: Logger): void {
  let lastLoggedMs = 0;
  client.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLoggedMs < 10_000) return;
    lastLoggedMs = now;
    log.warn({ err: error.message }, 'redis connection error (readiness fails until it recovers)');
  });
}

/** The books on Redis, as opened here: the ledger and the document store beside it, on one connection. */
interface RedisBooks { ledger: RedisLedger; store: RedisStore }

function onRedis(client: Redis | Cluster, config: Config): RedisBooks {
  const ledger = new RedisLedger(client, { prefix: config.REDIS_KEY_PREFIX, outboxShards: config.REDIS_LEDGER_BUCKETS });
  return { ledger, store: new RedisStore(client, config.REDIS_KEY_PREFIX) };
}

/**
 * Whether the gateway's Redis user may make every call of the books' scripts (script-guard.ts): one that may not
 * is a start-up error naming each refused command and key, not a desk's 503 on its first settlement. Redis 6
 * cannot be asked: said, and its scripts run unasked. Asked of one node of a Cluster (ACLs are per node). A Redis
 * that cannot be reached now is not a refusal: the gateway starts unready, as ever, and each script asks for itself.
 */
async function checkScriptAccess(client: Redis | Cluster, books: RedisBooks, access: RedisAccess, log: Logger): Promise<void> {
  const who = access.username ? `the Redis user ${access.username}` : 'the default Redis user';
  let refused: Awaited<ReturnType<typeof refusedCalls>>;
  try {
    refused = await refusedCalls(client, [...await books.ledger.scriptCalls(), ...books.store.scriptCalls()]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (ledgerRefusal(error)) {
      log.warn({ err: message }, 'Redis could not be asked at start-up which commands its user may run; each ledger script asks before it writes');
      return;
    }
    // Redis answered, and refused before any question was asked: the scripts themselves, or the key layout's marker the ledger reads first.
    if (/^NOPERM\b/.test(message)) {
      throw new ConfigError([/'eval'/i.test(message)
        ? `REDIS_USERNAME: ${who} may not run Lua scripts (${message}); the ledger commits by EVAL/EVALSHA: grant +@scripting (deploy/k8s/secret-redis.yaml)`
        : `REDIS_USERNAME: ${who} was refused reading the ledger's keys (${message}): grant it the keys under REDIS_KEY_PREFIX, ~<prefix>:* (deploy/k8s/secret-redis.yaml)`]);
    }
    // Another answer of Redis's own (a command renamed or disabled by its configuration): it would refuse every settlement.
    if (error instanceof Error && error.name === 'ReplyError') throw new ConfigError([`REDIS_URL: Redis refused the ledger's Lua scripts (${message}); the ledger commits by EVAL/EVALSHA and needs the commands of its scripts`]);
    throw error;
  }
  if (refused === 'unasked') {
    log.warn('Redis cannot be asked which commands its user may run (redis.acl_check_cmd needs Redis 7): a command its ACL refuses would fail a script after its first writes');
    return;
  }
  if (refused.length > 0) {
    throw new ConfigError(refused.map(([command, key]) => `REDIS_USERNAME: ${who} may not run ${command} on ${key}, which the ledger's scripts do: grant it (the keys under REDIS_KEY_PREFIX with ~<prefix>:*; deploy/k8s/secret-redis.yaml)`));
  }
}

/**
 * The gateway's books: Redis checked before anything uses it (our credentials and certificate taken, and,
 * where required, anyone without them refused; durable), or memory outside production.
 */
export async function openStorage(config: Config, log: Logger): Promise<Storage> {
  const access = redisAccess(config);
  // Fail fast per command while Redis is away (one reconnect attempt, then the error): /readyz reports
  // it and calls answer 503 instead of hanging. The offline queue stays on so start-up does not race the connection.
  // Auto-pipelining batches the commands of concurrent requests into one socket write per tick.
  // Named, so that a key migration (ledger/migrate.ts) sees a gateway still connected and refuses to run.
  const client = openRedis(config, access, { maxRetriesPerRequest: 1, connectTimeout: 2_000, enableAutoPipelining: true, connectionName: GATEWAY_CONNECTION_NAME });
  if (!client) {
    if (config.NODE_ENV === 'production') throw new ConfigError(['REDIS_URL or REDIS_CLUSTER_NODES: required in production']);
    log.warn('ledger: in memory (no REDIS_URL) — state is lost when the process stops; for development only');
    return { ledger: new MemoryLedger(), store: new MemoryStore() };
  }
  const where = config.REDIS_CLUSTER_NODES ? { nodes: config.REDIS_CLUSTER_NODES } : { url: (config.REDIS_URL ?? '').replace(/\/\/[^@]*@/, '//***@') };
  log.info({ ...where, tls: access.tls !== undefined, user: access.username ?? 'default', password: access.password !== undefined }, config.REDIS_CLUSTER_NODES ? 'ledger: Redis Cluster' : 'ledger: Redis');
  // Not refused (a Redis on the same host or behind a TLS sidecar may be fine), but said: the password and every record cross the network in clear.
  if (!access.tls && config.NODE_ENV === 'production') log.warn('ledger: Redis without TLS — its password and the settlements cross the network in clear; use rediss:// (REDIS_TLS_* for the CA and client certificate)');
  const books = onRedis(client, config);
  try {
    await checkRedisAccess(client, config, access);
    await checkDurability(client, config, log);
    await checkScriptAccess(client, books, access, log);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  watchConnection(client, log);
  return books;
}

/**
 * Redis is the system of record: in production (or with REDIS_REQUIRE_DURABLE=true) a Redis that would
 * lose or evict settlements is a start-up error; otherwise it is a loud warning.
 */
async function checkDurability(client: Redis | Cluster, config: Config, log: Logger): Promise<void> {
  const required = config.REDIS_REQUIRE_DURABLE ?? config.NODE_ENV === 'production';
  let problems: string[];
  try {
    problems = await durabilityProblems(client);
  } catch (error) {
    problems = [`Redis: its durability cannot be checked (${error instanceof Error ? error.message : String(error)})`];
  }
  if (problems.length > 0) {
    if (required) throw new ConfigError(problems.map((p) => `REDIS_REQUIRE_DURABLE: ${p}`));
    log.warn({ problems }, 'Redis is NOT durable: settlements may be lost on a restart or evicted; acceptable for development only (REDIS_REQUIRE_DURABLE=true refuses to start)');
    return;
  }
  if (!required) return;
  // Said, not refused (a Redis alone on its machine may be meant to use it all): without a limit the ledger, which
  // only grows, fills the machine, and the OS kills Redis instead of Redis refusing new settlements with 503.
  const unlimited = (await memoryOfMasters(client).catch(() => [])).filter((m) => m.limitBytes === 0).map((m) => m.node);
  if (unlimited.length > 0) log.warn({ masters: unlimited }, 'Redis has no maxmemory: when the machine runs out of memory the OS kills Redis instead of Redis refusing new settlements; set maxmemory below the machine\'s memory (deploy/README.md, "Sizing a deployment")');
}

/**
 * A command-line tool's books: the configured Redis, or null when the gateway would run in memory (nothing to
 * read from here). Auto-pipelined: a pass over a city's year issues thousands of reads at once (a page of
 * records, the rosters of a page's persons), and each sent alone costs a socket write of its own.
 */
export function openToolStorage(config: Config): Storage | null {
  const client = openRedis(config, redisAccess(config), { enableAutoPipelining: true });
  return client ? onRedis(client, config) : null;
}

/**
 * A maintenance tool's own connection to the configured Redis (the ledger's key migration works on keys, not
 * through the books): opened and checked as the gateway's is; null when the gateway would run in memory.
 */
export async function openToolRedis(config: Config): Promise<Redis | Cluster | null> {
  const access = redisAccess(config);
  const client = openRedis(config, access);
  if (!client) return null;
  try {
    await checkRedisAccess(client, config, access);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return client;
}
