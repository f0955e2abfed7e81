/**
 * The one place that opens Redis (the gateway and the command-line tools alike): where it is
 * (REDIS_URL or REDIS_CLUSTER_NODES), over TLS with the configured CA and client certificate, as the
 * configured ACL user with its password read from its secret reference. And what start-up asks of the
 * connection before anything else uses it: that Redis took our credentials and our certificate, and, where
 * required, that it refuses anyone without them.
 */
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ConfigError, type Config } from '../config.js';
import { readPemFile, readSecret } from '../secrets.js';
import { clusterNodes } from './redis.js';

/** How the gateway reaches and proves itself to Redis; the files and the secret already read. */
export interface RedisAccess {
  tls?: ConnectionOptions;
  username?: string;
  password?: string;
}

const ACCESS_CHECK_TIMEOUT_MS = 5_000;

/** The URL's own user and password (the older way, still read); the secret reference is the way to prefer. */
function urlCredentials(url: string | undefined): { username?: string; password?: string } {
  if (!url) return {};
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/**
 * Reads the TLS files and the password's secret; every problem at once as a ConfigError (names, never
 * values). In production (or REDIS_REQUIRE_AUTH) a Redis without a password is refused here already.
 */
export function redisAccess(config: Config, env: NodeJS.ProcessEnv = process.env): RedisAccess {
  // No Redis at all: the in-memory ledger, or, in production, the refusal that names REDIS_URL (main.ts).
  if (!config.REDIS_URL && !config.REDIS_CLUSTER_NODES?.length) return {};
  const problems: string[] = [];
  const inUrl = config.REDIS_CLUSTER_NODES ? {} : urlCredentials(config.REDIS_URL);
  const tlsByUrl = !config.REDIS_CLUSTER_NODES && config.REDIS_URL?.startsWith('rediss://') === true;
  const tlsOn = config.REDIS_TLS ?? tlsByUrl;
  if (config.REDIS_TLS === false && tlsByUrl) problems.push('REDIS_TLS: false contradicts a rediss:// REDIS_URL');
  if (config.REDIS_TLS === true && config.REDIS_URL && !config.REDIS_CLUSTER_NODES && !tlsByUrl) problems.push('REDIS_TLS: with REDIS_URL, TLS is said by the scheme: use rediss://');
  if (!tlsOn && (config.REDIS_TLS_CA_FILE || config.REDIS_TLS_CERT_FILE || config.REDIS_TLS_KEY_FILE)) {
    problems.push('REDIS_TLS_CA_FILE / REDIS_TLS_CERT_FILE / REDIS_TLS_KEY_FILE: given, but TLS is off (use a rediss:// REDIS_URL, or REDIS_TLS=true with REDIS_CLUSTER_NODES)');
  }
  if ((config.REDIS_TLS_CERT_FILE === undefined) !== (config.REDIS_TLS_KEY_FILE === undefined)) problems.push('REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE: give both or neither');
  if (inUrl.username && config.REDIS_USERNAME) problems.push('REDIS_USERNAME: the REDIS_URL names a user too; give it in one place');
  if (inUrl.password && config.REDIS_PASSWORD_SECRET) problems.push('REDIS_PASSWORD_SECRET: the REDIS_URL carries a password too; give it in one place (the secret reference)');
  let password = inUrl.password;
  if (config.REDIS_PASSWORD_SECRET) {
    try {
      password = readSecret(config.REDIS_PASSWORD_SECRET, env);
    } catch (error) {
      problems.push(`REDIS_PASSWORD_SECRET: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const requireAuth = config.REDIS_REQUIRE_AUTH ?? config.NODE_ENV === 'production';
  if (requireAuth && password === undefined && !config.REDIS_PASSWORD_SECRET) {
    problems.push('REDIS_PASSWORD_SECRET: required (REDIS_REQUIRE_AUTH, the default in production): a Redis anyone on the network can use holds the books');
  }
  const ca = readPemFile('REDIS_TLS_CA_FILE', config.REDIS_TLS_CA_FILE, problems);
  const cert = readPemFile('REDIS_TLS_CERT_FILE', config.REDIS_TLS_CERT_FILE, problems);
  const key = readPemFile('REDIS_TLS_KEY_FILE', config.REDIS_TLS_KEY_FILE, problems);
  if (problems.length) throw new ConfigError(problems);
  const username = config.REDIS_USERNAME ?? inUrl.username;
  return {
    ...(tlsOn ? { tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } } : {}),
    ...(username ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

/** The configured Redis, standalone or Cluster, or null when the gateway runs on the in-memory ledger. */
export function openRedis(config: Config, access: RedisAccess, options: RedisOptions = {}): Redis | Cluster | null {
  const redisOptions: RedisOptions = { ...options, ...access };
  if (config.REDIS_CLUSTER_NODES?.length) {
    // Every node the slot map names is reached with the same TLS and user.
    return new Cluster(clusterNodes(config.REDIS_CLUSTER_NODES), { redisOptions });
  }
  return config.REDIS_URL ? new Redis(config.REDIS_URL, redisOptions) : null;
}

/** Errors that no retry can mend: our credentials or our certificate, or theirs. */
function isAccessRefusal(error: Error): boolean {
  const code = 'code' in error ? String(error.code) : '';
  return /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message)
    || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|DEPTH_ZERO/.test(code)
    || /certificate|handshake|ssl|alert/i.test(error.message);
}

async function withinTimeout<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ACCESS_CHECK_TIMEOUT_MS} ms`)), ACCESS_CHECK_TIMEOUT_MS); });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A PING on the opened connection. Refused credentials or a failed TLS handshake are configuration
 * problems (ConfigError, always: no retry mends them); Redis merely away is not — the gateway starts
 * and /readyz says so, as before.
 */
export async function checkRedisAccess(client: Redis | Cluster, config: Config, access: RedisAccess): Promise<void> {
  let lastError: Error | undefined;
  const remember = (error: Error) => { lastError = error; };
  client.on('error', remember);
  client.on('node error', remember);
  try {
    await withinTimeout('Redis PING', client.ping());
  } catch (error) {
    const cause = lastError && isAccessRefusal(lastError) ? lastError : error instanceof Error ? error : undefined;
    if (cause && isAccessRefusal(cause)) {
      const who = access.username ? `the user ${access.username}` : 'the default user';
      const variable = /WRONGPASS|NOAUTH|NOPERM/.test(cause.message) ? 'REDIS_USERNAME / REDIS_PASSWORD_SECRET' : 'REDIS_TLS_CA_FILE / REDIS_TLS_CERT_FILE / REDIS_TLS_KEY_FILE';
      throw new ConfigError([`${variable}: Redis refused ${who}${access.tls ? ' over TLS' : ''}: ${cause.message}`]);
    }
    return;
  } finally {
    client.off('error', remember);
    client.off('node error', remember);
  }
  if (config.REDIS_REQUIRE_AUTH ?? config.NODE_ENV === 'production') await refuseOpenRedis(config, access);
}

/**
 * A Redis that answers a connection bringing no password is open to anyone who reaches its port, whatever
 * password the gateway itself uses: its `default` user is on with nopass. Asked of one node (the URL's, or
 * the first seed of a Cluster).
 */
async function refuseOpenRedis(config: Config, access: RedisAccess): Promise<void> {
  const options: RedisOptions = { ...(access.tls ? { tls: access.tls } : {}), lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null };
  const [seed] = config.REDIS_CLUSTER_NODES ? clusterNodes(config.REDIS_CLUSTER_NODES) : [];
  const probe = seed ? new Redis({ ...options, host: seed.host, port: seed.port }) : new Redis(stripCredentials(config.REDIS_URL ?? ''), options);
  probe.on('error', () => undefined);
  try {
    const answer = await withinTimeout('Redis PING without credentials', probe.connect().then(() => probe.ping())).catch(() => null);
    if (answer === 'PONG') {
      throw new ConfigError(['REDIS_REQUIRE_AUTH: Redis answers a connection without a password (its default user is on with nopass): turn it off (ACL SETUSER default off) or give it a password']);
    }
  } finally {
    probe.disconnect();
  }
}

function stripCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
