/**
 * Configuration from the environment, validated once at start-up. The core's variables are here; each part
 * (gateway/parts.ts) declares its own beside its code, and main.ts validates them all together
 * (`configurationVariables`: deploy/ manifests are checked against that list by a test).
 */
import * as z from 'zod';
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
  /**
   * How the gateway connects to Kafka, in Kafka's own words: PLAINTEXT, SSL (TLS; with a client certificate
   * the broker knows the gateway by it), SASL_SSL (TLS and a SCRAM user), SASL_PLAINTEXT (SCRAM without TLS:
   * refused where KAFKA_REQUIRE_SECURE holds). gateway/stream/kafka-access.ts reads what follows.
   */
  KAFKA_SECURITY_PROTOCOL: z.enum(['PLAINTEXT', 'SSL', 'SASL_SSL', 'SASL_PLAINTEXT']).default('PLAINTEXT'),
  /** PEM file of the CA that signed the brokers' certificates (else the system's CAs). */
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  /** PEM files of the gateway's client certificate and key, for brokers with ssl.client.auth=required (both or neither). */
  KAFKA_SSL_CERT_FILE: z.string().min(1).optional(),
  KAFKA_SSL_KEY_FILE: z.string().min(1).optional(),
  /** SASL mechanism: SCRAM-SHA-512 or SCRAM-SHA-256; PLAIN (the password itself on the wire) only over TLS. */
  KAFKA_SASL_MECHANISM: z.enum(['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN']).optional(),
  /** The SASL user (the principal User:<name> the ACLs of deploy/kafka/acls.yaml grant). */
  KAFKA_SASL_USERNAME: z.string().regex(/^[A-Za-z0-9._@-]+$/).max(128).optional(),
  /** Its password by reference: {"env":"NAME"} or {"file":"/run/secrets/kafka-password"}; never the password itself. */
  KAFKA_SASL_PASSWORD_SECRET: secretRefText.optional(),
  /**
   * Refuse to start on a Kafka connection without TLS or without an identity (SASL user or client certificate).
   * Default: true in production, false elsewhere (then a warning at start-up).
   */
  KAFKA_REQUIRE_SECURE: flag.optional(),
  /**
   * Hospitals whose HIS send discharges on their own topic, his.discharges.<hospitalId> (comma-separated ids):
   * each topic is consumed (consumer group KAFKA_INTAKE_GROUP.<hospitalId>), a discharge on it for another
   * hospital is dead-lettered, never settled, and answers go to his.settlements.<hospitalId>. With the ACLs of
   * deploy/kafka/acls.yaml a HIS may write only its hospitals' topics. Absent → the shared his.discharges,
   * where any writer may settle for any hospital: refused in production (KAFKA_REQUIRE_SECURE) while the intake runs.
   */
  KAFKA_INTAKE_HOSPITALS: csv.pipe(z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'hospital ids as requests give them (letters, digits, _ and -; no dot: it would blur the topic name)')).min(1)).optional(),
  RELAY_ENABLED: flag.default(true),
  INTAKE_ENABLED: flag.default(true),
  /** Consumer group of the streaming intake on his.discharges. */
  KAFKA_INTAKE_GROUP: z.string().regex(/^[A-Za-z0-9._-]+$/).default('settlement-gateway-intake'),
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
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(2 * 1024 * 1024),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Worker processes in cluster mode: 0 = no cluster, "auto" = one per core. */
  CLUSTER_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(64)]).default(0),
  /**
   * Set by cluster mode for each worker it forks (never by hand): the worker's Kafka identities carry it,
   * and only worker 0 runs the outbox relay, which must be one reader to keep each person's order.
   */
  GATEWAY_WORKER_INDEX: z.coerce.number().int().min(0).max(63).optional(),
});

/** The core's configuration, and the environment it was read from: each part reads its own variables from it (readPartConfig). */
export type Config = z.output<typeof configSchema> & { readonly environment: Readonly<Record<string, string | undefined>> };
export const CONFIG_VARIABLES = Object.keys(configSchema.shape);

/** A part's own variables (gateway/parts.ts), validated as the core's are. */
export type PartConfigSchema = z.ZodObject;

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

/** The variables a schema names, as the environment gives them (an empty one counts as absent), or every problem at once. */
function parseVariables<S extends z.ZodObject>(schema: S, env: Readonly<Record<string, string | undefined>>): z.output<S> | { problems: string[] } {
  const known = Object.fromEntries(Object.keys(schema.shape).filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]));
  const parsed = schema.safeParse(known, { error: englishMessages });
  // The variable's name, never its value: a value may be a secret (a Redis URL with its password).
  return parsed.success ? parsed.data : { problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
}
const failed = (result: object): result is { problems: string[] } => 'problems' in result && Array.isArray(result.problems);

/**
 * The core's configuration; `parts`: the parts' schemas, validated now too, so that every problem of the
 * whole configuration is said at once, before anything starts (main.ts passes them; a part reads its own later).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, parts: readonly PartConfigSchema[] = []): Config {
  const core = parseVariables(configSchema, env);
  const problems = [core, ...parts.map((schema) => parseVariables(schema, env))].flatMap((r) => (failed(r) ? r.problems : []));
  if (failed(core) || problems.length > 0) throw new ConfigError(problems);
  return { ...core, environment: env };
}

/** A part's own variables, from the environment the configuration was read from; its problems as a ConfigError. */
export function readPartConfig<S extends PartConfigSchema>(schema: S, config: Config): z.output<S> {
  const result = parseVariables(schema, config.environment);
  if (failed(result)) throw new ConfigError(result.problems);
  return result;
}
