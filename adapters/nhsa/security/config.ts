/**
 * The region's security of the national interface (NHSA_SECURITY_FILE, JSON or YAML), validated and its
 * secrets read once at start-up, so a missing or malformed key stops the start, not a call. Keys are
 * references (`{ env }` or `{ file }`, gateway/secrets.ts), never inline: the file can be read and diffed.
 *
 * ```yaml
 * mode: sm2-sm4                # none | paas-headers | sm2 | sm2-sm4
 * maxSkewSeconds: 300          # a call's time (x-tif-timestamp, or inf_time) this far from the gateway's clock is refused
 * sm4: sm4-ecb                 # sm2-sm4: sm4-ecb (as regions commonly specify) | sm4-cbc (random IV before the ciphertext)
 * gateway: { privateKey: { file: /run/secrets/nhsa-gateway-sm2.pem } }     # sm2, sm2-sm4: signs answers and deliveries
 * hospitals:                   # per fixmedins_code: what its HIS presents
 *   H99000000001: { paasId: his-h1, paasToken: { env: NHSA_PAAS_H1 }, publicKey: { file: /run/secrets/h1-sm2.pub }, sm4Key: { env: NHSA_SM4_H1 } }
 * platform: { paasId: gw-990100, paasToken: { env: NHSA_PAAS_PLATFORM }, sm4Key: { env: NHSA_SM4_PLATFORM } }   # delivery
 * ```
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { readSecret, secretRef } from '../../../gateway/secrets.js';
import { DEFAULT_SM2_ID, sm2PrivateKeyOf, sm2PublicKeyOf, type Sm2PrivateKey, type Sm2PublicKey } from './sm2.js';
import { SM4_MODES, sm4KeyOf, type Sm4Mode } from './sm4.js';

const SECURITY_MODES = ['none', 'paas-headers', 'sm2', 'sm2-sm4'] as const;
export type SecurityMode = (typeof SECURITY_MODES)[number];

const paasId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, '1–64 letters, digits, . _ -');

const party = z.object({
  /** paas-headers: the x-tif-paasid this party presents, and its token (the shared secret of the signature header). */
  paasId: paasId.optional(),
  paasToken: secretRef.optional(),
  /** sm2, sm2-sm4: the party's SM2 public key (PEM, or hex 04‖x‖y) — a hospital's HIS signs its calls with the private half. */
  publicKey: secretRef.optional(),
  /** sm2-sm4: the SM4 key (32 hex digits) of `input` and `output`. */
  sm4Key: secretRef.optional(),
}).strict();

const securityFile = z.object({
  mode: z.enum(SECURITY_MODES),
  maxSkewSeconds: z.int().min(5).max(3_600).default(300),
  sm4: z.enum(SM4_MODES).default('sm4-ecb'),
  /** The SM2 distinguishing ID of ZA (GM/T 0009's default unless a region says otherwise). */
  sm2Id: z.string().min(1).max(64).default(DEFAULT_SM2_ID),
  gateway: z.object({ privateKey: secretRef }).strict().optional(),
  hospitals: z.record(z.string().regex(/^[A-Za-z0-9]{1,30}$/, 'a fixmedins_code'), party).default({}),
  platform: party.optional(),
}).strict();

/** A party with its secrets read and its keys parsed. */
export interface Party { paasId?: string; paasToken?: string; publicKey?: Sm2PublicKey; sm4Key?: Buffer }

export interface NhsaSecurityConfig {
  mode: SecurityMode;
  maxSkewSeconds: number;
  sm4: Sm4Mode;
  sm2Id: string;
  gatewayKey?: Sm2PrivateKey;
  hospitals: ReadonlyMap<string, Party>;
  platform?: Party;
}

const NO_SECURITY: NhsaSecurityConfig = { mode: 'none', maxSkewSeconds: 300, sm4: 'sm4-ecb', sm2Id: DEFAULT_SM2_ID, hospitals: new Map() };

/** What each mode needs of a party (`what` names it in the error). */
function requireFor(mode: SecurityMode, value: z.output<typeof party>, what: string): void {
  const missing = [
    ...(mode === 'paas-headers' && (!value.paasId || !value.paasToken) ? ['paasId and paasToken'] : []),
    ...((mode === 'sm2' || mode === 'sm2-sm4') && what !== 'platform' && !value.publicKey ? ['publicKey'] : []),
    ...(mode === 'sm2-sm4' && !value.sm4Key ? ['sm4Key'] : []),
  ];
  if (missing.length > 0) throw new Error(`${what}: mode ${mode} needs ${missing.join(', ')}`);
}

function resolveParty(value: z.output<typeof party>, env: NodeJS.ProcessEnv): Party {
  return {
    ...(value.paasId ? { paasId: value.paasId } : {}),
    ...(value.paasToken ? { paasToken: readSecret(value.paasToken, env) } : {}),
    ...(value.publicKey ? { publicKey: sm2PublicKeyOf(readSecret(value.publicKey, env)) } : {}),
    ...(value.sm4Key ? { sm4Key: sm4KeyOf(readSecret(value.sm4Key, env)) } : {}),
  };
}

/** Reads, validates and resolves the file; absent → mode none. Throws naming the file and the field, never a secret. */
export function loadSecurity(file: string | undefined, env: NodeJS.ProcessEnv = process.env): NhsaSecurityConfig {
  if (!file) return NO_SECURITY;
  const text = readFileSync(file, 'utf8');
  const parsed = securityFile.safeParse(file.endsWith('.json') ? JSON.parse(text) : parseYaml(text));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const config = parsed.data;
  const at = (what: string, resolve: () => void): void => {
    try { resolve(); } catch (error) { throw new Error(`${file}: ${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }); }
  };
  const signs = config.mode === 'sm2' || config.mode === 'sm2-sm4';
  let gatewayKey: Sm2PrivateKey | undefined;
  at('gateway.privateKey', () => {
    if (signs && !config.gateway) throw new Error(`mode ${config.mode} needs the gateway's SM2 private key`);
    if (config.gateway) gatewayKey = sm2PrivateKeyOf(readSecret(config.gateway.privateKey, env));
  });
  const hospitals = new Map<string, Party>();
  for (const [code, value] of Object.entries(config.hospitals)) {
    at(`hospitals.${code}`, () => { requireFor(config.mode, value, `hospitals.${code}`); hospitals.set(code, resolveParty(value, env)); });
  }
  const paasIds = [...hospitals.values()].flatMap((h) => (h.paasId ? [h.paasId] : []));
  if (new Set(paasIds).size !== paasIds.length) throw new Error(`${file}: hospitals: each paasId once (it names the hospital that calls)`);
  let platform: Party | undefined;
  if (config.platform) {
    const value = config.platform;
    at('platform', () => { requireFor(config.mode, value, 'platform'); platform = resolveParty(value, env); });
  }
  return {
    mode: config.mode, maxSkewSeconds: config.maxSkewSeconds, sm4: config.sm4, sm2Id: config.sm2Id, hospitals,
    ...(gatewayKey ? { gatewayKey } : {}), ...(platform ? { platform } : {}),
  };
}
