/**
 * Insurers as configuration (INSURERS_FILE, JSON or YAML), validated once at start-up. Secrets are
 * never in the file: a credential or a hashing key is a reference to an environment variable or a
 * file (a Kubernetes secret mount), resolved here so a missing secret stops the start, not a delivery.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { identifier } from '../../schemas/primitives.js';
import { readSecret, secretRef } from '../../gateway/secrets.js';

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
}).strict().refine((c) => c.identifiers !== 'keyedHash' || c.identifierKey !== undefined, { message: 'keyedHash needs identifierKey', path: ['identifierKey'] });

export const insurersFile = z.object({ insurers: z.array(insurerConfig).max(200) }).strict()
  .refine((f) => new Set(f.insurers.map((i) => i.code)).size === f.insurers.length, { message: 'each insurer code once', path: ['insurers'] });

export type InsurerConfig = z.output<typeof insurerConfig>;

/** An insurer with its secrets read: what the delivery needs at run time. */
export interface Insurer extends InsurerConfig {
  bearerToken?: string;
  hashKey?: Buffer;
  cutoff: string;
}

/** Reads, validates and resolves INSURERS_FILE; checks every programme against the loaded packs. */
export function loadInsurers(file: string | undefined, programmes: ProgrammeSet, defaultCutoff: string, env: NodeJS.ProcessEnv = process.env): Insurer[] {
  if (!file) return [];
  const text = readFileSync(file, 'utf8');
  const raw: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  const parsed = insurersFile.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.insurers.map((config) => {
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
      };
    } catch (error) {
      throw new Error(`${file}: insurer ${config.code}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  });
}
