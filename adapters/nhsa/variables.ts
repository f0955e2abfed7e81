/**
 * The 医保 adapter's environment variables, validated with the core's at start-up (gateway/config.ts,
 * loadConfig) and read by the part (readPartConfig). The platform's token is a secret reference.
 */
import * as z from 'zod';
import { ConfigError } from '../../gateway/config.js';
import { readSecret, secretRefText } from '../../gateway/secrets.js';

const ms = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

export const nhsaVariables = z.object({
  /** The 医保 platform's endpoint receiving nhsa.settlements (POST, one message each); absent → delivery disabled (logged at start-up). */
  NHSA_PLATFORM_URL: z.string().url().optional(),
  /** The bearer token the platform expects, if any, by reference: {"env":"NAME"} or {"file":"/run/secrets/nhsa-token"}. */
  NHSA_PLATFORM_TOKEN_SECRET: secretRefText.optional(),
  /**
   * The token as plain text: accepted outside production only, with a warning (releases before the secret
   * reference read it so); refused in production, where a token must not sit in a manifest.
   */
  NHSA_PLATFORM_TOKEN: z.string().optional(),
  /** One post to the platform slower than this fails (and is retried). */
  NHSA_DELIVERY_TIMEOUT_MS: ms(100, 120_000, 10_000),
  /** Transient failures of one message before it is dead-lettered to nhsa.settlements.dlq (a rejection dead-letters at once). */
  NHSA_DELIVERY_MAX_ATTEMPTS: ms(1, 1000, 10),
  /** Retry backoff: capped exponential with full jitter. */
  NHSA_DELIVERY_BACKOFF_MS: ms(1, 60_000, 500),
  NHSA_DELIVERY_BACKOFF_MAX_MS: ms(1, 600_000, 60_000),
  /** How long the breaker stays open before a half-open probe. */
  NHSA_BREAKER_RESET_MS: ms(10, 600_000, 30_000),
  /**
   * What is delivered (platform-request.ts): `gateway`, the nhsa.settlements message as it is (native fields beside
   * the 2304-shaped nodes); `national`, each settlement as a national 2304 call and each reversal as a 2305 call in
   * the common envelope, with a msgid of its own per event.
   */
  NHSA_DELIVERY_FORMAT: z.enum(['gateway', 'national']).default('gateway'),
  /** Consumer group of the delivery. */
  NHSA_DELIVERY_GROUP: z.string().regex(/^[A-Za-z0-9._-]+$/).default('nhsa-delivery'),
  /**
   * 9001 签到's sign_no on the national interface (sign-in.ts): off | when-given (a sign_no sent must be the
   * operator's live one; none is accepted, so a HIS that never signs in works) | required (every call but 9001).
   */
  NHSA_SIGN_IN: z.enum(['off', 'when-given', 'required']).default('when-given'),
  /** fund_pay_type table (JSON, merged over the defaults of fund-pay-types.ts). */
  NHSA_FUND_PAY_TYPES: z.string().optional(),
  /**
   * The region's 医保目录 files, comma-separated (CSV with the national field names as header, or JSON; `sample` = the
   * embedded sample). Set: every 2301 row classifies by it (the HIS's chrgitm_lv… recorded, not used); unset: by the
   * HIS's row extension. Read at start-up; a file that does not read refuses the start, naming file, line and field.
   */
  NHSA_CATALOGUE_FILES: z.string().optional(),
  /** 目录对照 published as a file (the 1317 download: fixmedins_code, fixmedins_hilist_id, …, med_list_codg, begndate, enddate); 3301 calls win. */
  NHSA_CATALOGUE_MAPPINGS_FILE: z.string().optional(),
  /**
   * The region's security of /nhsa/{infno} and of delivery (security/config.ts): JSON or YAML naming the mode
   * (none | paas-headers | sm2 | sm2-sm4), the skew window and every key by reference; absent → none.
   */
  NHSA_SECURITY_FILE: z.string().optional(),
});
export type NhsaVariables = z.output<typeof nhsaVariables>;

/**
 * The platform's bearer token: by reference (NHSA_PLATFORM_TOKEN_SECRET). The plain NHSA_PLATFORM_TOKEN of
 * earlier releases is still read outside production, with a warning, so a developer's set-up keeps working;
 * in production it refuses the start, as a token in a manifest is read by whoever reads the manifest.
 * Secrets live in the process's environment (`env`) or in files, as the Redis password's and insurers' do.
 */
export function platformTokenOf(vars: NhsaVariables, how: { production: boolean; warn: (message: string) => void; env: NodeJS.ProcessEnv }): string | undefined {
  if (vars.NHSA_PLATFORM_TOKEN !== undefined && vars.NHSA_PLATFORM_TOKEN_SECRET) throw new ConfigError(['NHSA_PLATFORM_TOKEN: give the token in one place, NHSA_PLATFORM_TOKEN_SECRET']);
  if (vars.NHSA_PLATFORM_TOKEN !== undefined) {
    if (how.production) throw new ConfigError(['NHSA_PLATFORM_TOKEN: a token in plain text is refused in production; give it by reference in NHSA_PLATFORM_TOKEN_SECRET ({"file":"/run/secrets/…"} or {"env":"NAME"})']);
    how.warn('nhsa: NHSA_PLATFORM_TOKEN is a token in plain text; give it by reference in NHSA_PLATFORM_TOKEN_SECRET (refused in production)');
    return vars.NHSA_PLATFORM_TOKEN;
  }
  if (!vars.NHSA_PLATFORM_TOKEN_SECRET) return undefined;
  try {
    return readSecret(vars.NHSA_PLATFORM_TOKEN_SECRET, how.env);
  } catch (error) {
    throw new ConfigError([`NHSA_PLATFORM_TOKEN_SECRET: ${error instanceof Error ? error.message : String(error)}`]);
  }
}
