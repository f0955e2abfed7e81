/**
 * Configuration from the environment, validated once at start-up. Every variable the gateway reads
 * is here (deploy/ manifests are checked against this list by a test).
 */
import { z } from 'zod';
import { DEFAULT_MAX_MESSAGE_BYTES } from './stream/record-size.js';
import { secretRefText } from './secrets.js';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
/** A topic's retention.ms: -1 (for ever), or at least an hour (less is a typo, not a policy). */
const retentionMs = z.coerce.number().int().refine((v) => v === -1 || (v >= 3_600_000 && v <= Number.MAX_SAFE_INTEGER), 'retention: -1 (for ever) or at least 3600000 ms');
const THIRTY_DAYS_MS = 30 * 24 * 3_600_000;
const csv = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** JSON file of clients: [{ token, name, roles, hospitalIds }]; required in production. */
  GATEWAY_CLIENTS_FILE: z.string().optional(),
  /** JSON file of hospitals: [{ id, name, region?, level?, drgPublic? }], for the slip and the desk; absent outside production → the demo hospital. */
  HOSPITALS_FILE: z.string().optional(),
  /** Extra directories of programme packs, comma-separated, loaded after the built-in ones. */
  PROGRAMMES_DIR: csv.optional(),
  /** Redis for the ledger; absent → the in-memory ledger (development only). */
  REDIS_URL: z.string().url().regex(/^rediss?:\/\//, 'redis:// or rediss:// (TLS)').optional(),
  /** Redis Cluster seed nodes host:port,host:port; takes precedence over REDIS_URL. */
  REDIS_CLUSTER_NODES: csv.optional(),
  /**
   * Refuse to start unless every Redis master persists (appendonly yes, fsync not "no") and never evicts
   * (maxmemory-policy noeviction). Default: true in production, false elsewhere (then only a warning).
   */
  REDIS_REQUIRE_DURABLE: flag.optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[a-z][a-z0-9-]*$/).max(32).default('gw'),
  /**
   * The ledger's buckets (hash tags, outbox streams, time indexes), spread evenly over Redis Cluster's slots:
   * at least 4 × the masters. Read only when the ledger has no data yet; its layout marker keeps them after.
   */
  REDIS_LEDGER_BUCKETS: z.coerce.number().int().min(1).max(1024).default(16),
  /** The Redis ACL user the gateway authenticates as (AUTH user password); absent → Redis's `default` user. */
  REDIS_USERNAME: z.string().regex(/^[A-Za-z0-9._-]+$/).max(64).optional(),
  /** The password of that user, by reference: {"env":"NAME"} or {"file":"/run/secrets/redis-password"}. */
  REDIS_PASSWORD_SECRET: secretRefText.optional(),
  /**
   * Refuse to start unless Redis asks for a password: one is configured, and Redis refuses a connection
   * that brings none (its `default` user is off or has a password). Default: true in production.
   */
  REDIS_REQUIRE_AUTH: flag.optional(),
  /** TLS to Redis: implied by a rediss:// REDIS_URL; `true` for REDIS_CLUSTER_NODES over TLS. */
  REDIS_TLS: flag.optional(),
  /** PEM file of the CA that signed Redis's certificate (else the system's CAs). */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  /** PEM files of the gateway's client certificate and key, for a Redis with tls-auth-clients. */
  REDIS_TLS_CERT_FILE: z.string().min(1).optional(),
  REDIS_TLS_KEY_FILE: z.string().min(1).optional(),
  /** Kafka bootstrap brokers host:port,…; absent → the in-memory bus. */
  KAFKA_BROKERS: csv.optional(),
  KAFKA_CLIENT_ID: z.string().default('settlement-gateway'),
  /** Prefix of every topic name, e.g. "prod." → prod.settlement.events. */
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
  RELAY_ENABLED: flag.default(true),
  INTAKE_ENABLED: flag.default(true),
  /** Consumer group of the streaming intake on his.discharges. */
  KAFKA_INTAKE_GROUP: z.string().regex(/^[A-Za-z0-9._-]+$/).default('settlement-gateway-intake'),
  /**
   * Transactional id prefix of this instance's intake producer: stable across restarts of the same
   * instance (so a restart fences its predecessor), distinct between instances. Default: HOSTNAME.
   */
  KAFKA_TRANSACTIONAL_ID: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  /** The intake consumer's session timeout: how long a crashed instance keeps its partitions before the group rebalances. */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(30_000),
  /** Partitions and replication of topics the gateway creates when they are missing. */
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(12),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(7).default(3),
  /** How long working topics (his.*, nhsa.settlements, insurer claims) keep records; -1 for ever. settlement.events is always kept for ever. */
  KAFKA_RETENTION_MS: retentionMs.default(THIRTY_DAYS_MS),
  /** How long dead-letter topics (*.dlq) keep records: long enough to be read and replayed once an outage is over; -1 for ever. */
  KAFKA_DLQ_RETENTION_MS: retentionMs.default(THIRTY_DAYS_MS),
  /**
   * Refuse to start when a topic differs from its specification in a way that loses data (finite retention
   * on settlement.events, min.insync.replicas under 2 with three replicas). Default: true in production,
   * false elsewhere (then a warning, a metric and a /readyz detail).
   */
  KAFKA_REQUIRE_SAFE_TOPICS: flag.optional(),
  /**
   * Largest record the relay publishes (key + value + headers, bytes): a record over it is dead-lettered to
   * settlement.events.dlq instead of being refused by the broker for ever. Keep it about 1 KiB under the
   * broker's message.max.bytes (Kafka's default 1048588) and the topics' max.message.bytes. At least
   * 64 KiB (an ordinary settlement's event is a few KiB), at most Kafka's socket.request.max.bytes default.
   */
  KAFKA_MAX_MESSAGE_BYTES: z.coerce.number().int().min(65_536).max(104_857_600).default(DEFAULT_MAX_MESSAGE_BYTES),
  /** The relay's ledger consumer name: stable, and only one relay active per name (per-person order). */
  RELAY_CONSUMER_NAME: z.string().regex(/^[A-Za-z0-9._-]+$/).default('relay-0'),
  /** Outbox entries per Kafka publish. */
  RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
  /** /readyz fails while more outbox entries than this wait for Kafka. */
  RELAY_READY_MAX_LAG: z.coerce.number().int().min(1).default(10_000),
  /** CloudEvents source of published events. */
  EVENT_SOURCE: z.string().default('urn:settlement-gateway'),
  /** JSON or YAML file: hospitalId → { baseUrl, timeoutMs, retries, bearerToken } of the hospital's FHIR server (FHIR adapter). */
  FHIR_SERVERS_FILE: z.string().optional(),
  /** How long an open breaker of a hospital's FHIR server waits before one trial read. */
  FHIR_BREAKER_RESET_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(2 * 1024 * 1024),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** The 医保 platform's endpoint receiving nhsa.settlements (POST, one message each); absent → delivery disabled (logged at start-up). */
  NHSA_PLATFORM_URL: z.string().url().optional(),
  /** Bearer token the platform expects, if any. */
  NHSA_PLATFORM_TOKEN: z.string().optional(),
  /** One post to the platform slower than this fails (and is retried). */
  NHSA_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Transient failures of one message before it is dead-lettered to nhsa.settlements.dlq (a rejection dead-letters at once). */
  NHSA_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  /** Retry backoff: capped exponential with full jitter. */
  NHSA_DELIVERY_BACKOFF_MS: z.coerce.number().int().min(1).max(60_000).default(500),
  NHSA_DELIVERY_BACKOFF_MAX_MS: z.coerce.number().int().min(1).max(600_000).default(60_000),
  /** How long the breaker stays open before a half-open probe. */
  NHSA_BREAKER_RESET_MS: z.coerce.number().int().min(10).max(600_000).default(30_000),
  /** Consumer group of the delivery. */
  NHSA_DELIVERY_GROUP: z.string().regex(/^[A-Za-z0-9._-]+$/).default('nhsa-delivery'),
  /**
   * 9001 签到's sign_no on the national interface (adapters/nhsa/sign-in.ts): off | when-given (a sign_no sent must be
   * the operator's live one; none is accepted, so a HIS that never signs in works) | required (every call but 9001).
   */
  NHSA_SIGN_IN: z.enum(['off', 'when-given', 'required']).default('when-given'),
  /** fund_pay_type table (JSON, merged over the defaults of adapters/nhsa/fund-pay-types.ts). */
  NHSA_FUND_PAY_TYPES: z.string().optional(),
  /** Insurers for direct pay (adapters/insurer/config.ts): JSON or YAML; absent → no claim is delivered (claims wait on Kafka). */
  INSURERS_FILE: z.string().optional(),
  /** Run the per-insurer claim delivery consumers in this process. */
  INSURER_DELIVERY_ENABLED: flag.default(true),
  /** Default daily batch cut-off (机构交单), HH:MM in +08:00; claims settled at or after it go to the next day's batch. */
  INSURER_BATCH_CUTOFF: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM, 00:00–24:00').default('24:00'),
  /** Worker processes in cluster mode: 0 = no cluster, "auto" = one per core. */
  CLUSTER_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(64)]).default(0),
  /**
   * Set by cluster mode for each worker it forks (never by hand): the worker's Kafka identities carry it,
   * and only worker 0 runs the outbox relay, which must be one reader to keep each person's order.
   */
  GATEWAY_WORKER_INDEX: z.coerce.number().int().min(0).max(63).optional(),
});

export type Config = z.output<typeof configSchema>;
export const CONFIG_VARIABLES = Object.keys(configSchema.shape);

/**
 * The configuration cannot work: one line per problem, for the operator (English, like the logs). The
 * entry point prints the lines and exits 1, without a stack trace: nothing is wrong with the code.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const englishMessages = z.locales.en().localeError;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(CONFIG_VARIABLES.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]));
  const parsed = configSchema.safeParse(known, { error: englishMessages });
  if (!parsed.success) {
    // The variable's name, never its value: a value may be a secret (a Redis URL with its password).
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}
