/**
 * Insurers as configuration (INSURERS_FILE, JSON or YAML), validated once at start-up. Secrets are
 * never in the file: a credential or a hashing key is a reference to an environment variable or a
 * file (a Kubernetes secret mount), resolved here so a missing secret stops the start, not a delivery.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import type { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { identifier } from '../../schemas/primitives.js';
import { readSecret, secretRef } from '../../gateway/secrets.js';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './signature.js';

/**
 * How the insured person's id number travels to this insurer:
 * `masked` 37************1234 (the default: the least personal data — enough for a clerk to recognise,
 * not to identify); `keyedHash` HMAC-SHA256 under a key shared with the insurer (it matches its own
 * roster without receiving the number); `full` the number itself, only where the contract requires it.
 */
export const IDENTIFIER_POLICIES = ['masked', 'keyedHash', 'full'] as const;

const cutoff = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM, 00:00–24:00');

export const insurerConfig = z.object({
  code: identifier(64),
  name: z.string().min(1).max(100),
  /** Programme ids this insurer underwrites; each pack must name this code as its payer.insurerCode. */
  programmes: z.array(identifier(64)).min(1),
  /** Where claims and reversals are POSTed (https in production). */
  endpoint: z.url(),
  /** Sent as `Authorization: Bearer <secret>`; absent → no Authorization header. */
  credential: secretRef.optional(),
  timeoutMs: z.int().min(100).max(120_000).default(5_000),
  rateLimit: z.object({ perSecond: z.number().positive().max(10_000), burst: z.int().min(1).max(10_000) }).strict().default({ perSecond: 20, burst: 20 }),
  identifiers: z.enum(IDENTIFIER_POLICIES).default('masked'),
  /** The HMAC key of `keyedHash`, shared with the insurer. */
  identifierKey: secretRef.optional(),
  retry: z.object({
    initialMs: z.int().min(1).max(60_000).default(200),
    maxMs: z.int().min(1).max(600_000).default(30_000),
    /** Attempts for a claim the insurer refuses (4xx, unreadable answer) before it is dead-lettered. */
    maxAttempts: z.int().min(1).max(100).default(3),
    /**
     * How long an outage is waited out: once the insurer has answered nothing for this long, the claims
     * at the head go to the dead-letter topic (reason: unreachable) instead of holding their partitions
     * forever. Default one day.
     */
    deadLetterAfterMs: z.int().min(100).max(30 * 86_400_000).default(86_400_000),
  }).strict().default({ initialMs: 200, maxMs: 30_000, maxAttempts: 3, deadLetterAfterMs: 86_400_000 }),
  breaker: z.object({
    resetMs: z.int().min(10).max(600_000).default(30_000),
    errorThresholdPercentage: z.int().min(1).max(100).default(50),
    volumeThreshold: z.int().min(1).max(1000).default(5),
  }).strict().default({ resetMs: 30_000, errorThresholdPercentage: 50, volumeThreshold: 5 }),
  /** This insurer's daily batch cut-off (default INSURER_BATCH_CUTOFF). */
  batchCutoff: cutoff.optional(),
  /**
   * Mutual TLS to the endpoint (https): the gateway's client certificate and key for this insurer, and the
   * CA that signed the insurer's server certificate (absent → the system's CAs). PEM text, each by reference.
   */
  tls: z.object({ cert: secretRef, key: secretRef, ca: secretRef.optional() }).strict().optional(),
  /**
   * Signed calls both ways (signature.ts): what the gateway POSTs carries a MAC under `key`; the insurer's
   * callbacks and uploads must carry one under `callbackKey` (default `key`), within `maxSkewSeconds` of
   * the gateway's clock, each nonce once.
   */
  signing: z.object({
    algorithm: z.enum(SIGNATURE_ALGORITHMS),
    key: secretRef,
    callbackKey: secretRef.optional(),
    maxSkewSeconds: z.int().min(5).max(3_600).default(300),
  }).strict().optional(),
}).strict()
  .refine((c) => c.identifiers !== 'keyedHash' || c.identifierKey !== undefined, { message: 'keyedHash needs identifierKey', path: ['identifierKey'] })
  .refine((c) => c.tls === undefined || c.endpoint.startsWith('https://'), { message: 'mutual TLS needs an https:// endpoint', path: ['endpoint'] });

const insurersFile = z.object({
  insurers: z.array(insurerConfig).max(200),
  /**
   * The key of the index of persons held behind a dead letter (an HMAC of their id number, so the index
   * cannot be searched by hashing candidate numbers). Required in production.
   */
  holdIndexKey: secretRef.optional(),
}).strict()
  .refine((f) => new Set(f.insurers.map((i) => i.code)).size === f.insurers.length, { message: 'each insurer code once', path: ['insurers'] });

export type InsurerConfig = z.output<typeof insurerConfig>;

/** An insurer with its secrets read: what the delivery needs at run time. */
export interface Insurer extends InsurerConfig {
  bearerToken?: string;
  hashKey?: Buffer;
  cutoff: string;
  /** PEM text of `tls`, read. */
  tlsMaterial?: { cert: string; key: string; ca?: string };
  /** `signing` with its keys read. */
  signer?: { algorithm: SignatureAlgorithm; key: Buffer; callbackKey: Buffer; maxSkewSeconds: number };
}

export interface InsurersSetup { insurers: Insurer[]; holdIndexKey?: Buffer }

function resolveSigner(signing: NonNullable<InsurerConfig['signing']>, env: NodeJS.ProcessEnv): NonNullable<Insurer['signer']> {
  const key = Buffer.from(readSecret(signing.key, env), 'utf8');
  return { algorithm: signing.algorithm, key, callbackKey: signing.callbackKey ? Buffer.from(readSecret(signing.callbackKey, env), 'utf8') : key, maxSkewSeconds: signing.maxSkewSeconds };
}

/** Reads, validates and resolves INSURERS_FILE; checks every programme against the loaded packs. */
export function loadInsurers(file: string | undefined, programmes: ProgrammeSet, defaultCutoff: string, env: NodeJS.ProcessEnv = process.env, production = false): InsurersSetup {
  if (!file) return { insurers: [] };
  const text = readFileSync(file, 'utf8');
  const raw: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  const parsed = insurersFile.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const insurers = parsed.data.insurers.map((config): Insurer => {
    for (const programmeId of config.programmes) {
      const pack = programmes.get(programmeId);
      if (!pack) throw new Error(`${file}: insurer ${config.code} underwrites ${programmeId}, which is not a loaded programme`);
      if (pack.payer.insurerCode !== config.code) throw new Error(`${file}: programme ${programmeId} names insurer ${pack.payer.insurerCode ?? '(none)'}, not ${config.code}`);
    }
    try {
      return {
        ...config,
        cutoff: config.batchCutoff ?? defaultCutoff,
        ...(config.credential ? { bearerToken: readSecret(config.credential, env) } : {}),
        ...(config.identifierKey ? { hashKey: Buffer.from(readSecret(config.identifierKey, env), 'utf8') } : {}),
        ...(config.tls ? { tlsMaterial: { cert: readSecret(config.tls.cert, env), key: readSecret(config.tls.key, env), ...(config.tls.ca ? { ca: readSecret(config.tls.ca, env) } : {}) } } : {}),
        ...(config.signing ? { signer: resolveSigner(config.signing, env) } : {}),
      };
    } catch (error) {
      throw new Error(`${file}: insurer ${config.code}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  });
  if (production && insurers.length > 0 && !parsed.data.holdIndexKey) throw new Error(`${file}: holdIndexKey: required in production (the index of persons held behind a dead letter is keyed by it)`);
  let holdIndexKey: Buffer | undefined;
  try {
    if (parsed.data.holdIndexKey) holdIndexKey = Buffer.from(readSecret(parsed.data.holdIndexKey, env), 'utf8');
  } catch (error) {
    throw new Error(`${file}: holdIndexKey: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { insurers, ...(holdIndexKey ? { holdIndexKey } : {}) };
}
