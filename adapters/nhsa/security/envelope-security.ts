/**
 * The national interface's security, by the region's mode (config.ts), both ways:
 *
 * - **calls in** (`open`): `paas-headers` — the platform gateway's x-tif-paasid / x-tif-timestamp (Unix
 *   seconds) / x-tif-nonce / x-tif-signature = SHA-256 hex of timestamp ‖ paasToken ‖ nonce ‖ timestamp;
 *   `sm2` — `signtype` "SM2" and `cainfo` the HIS's SM2 signature (base64 or hex; DER or r‖s) over
 *   signed-text.ts of the envelope; `sm2-sm4` — the same, `input` being the SM4 ciphertext (base64) of the
 *   input's JSON: the signature is checked first (it covers the ciphertext), then `input` is decrypted.
 *   Then the time (x-tif-timestamp, or `inf_time` in China time) must lie within `maxSkewSeconds` of the
 *   gateway's clock, and the nonce (x-tif-nonce, or the signature itself: each sending is signed anew)
 *   is accepted once. A HIS retrying a call re-signs it; its msgid then answers the stored answer.
 * - **answers out** (`sealAnswer`): sm2 modes sign the common output (`signtype`, `cainfo` with the
 *   gateway's key); `sm2-sm4` sends `output` as the SM4 ciphertext of its JSON under the hospital's key.
 * - **delivery to the platform** (`sealDelivery`): the paas headers under the platform's paasId, or the
 *   body signed (and its `input` encrypted under the platform's key; a body that is not a national call
 *   — today's nhsa.settlements JSON — travels whole as that `input`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isLosslessNumber, parse, stringify } from 'lossless-json';
import type { DocumentStore } from '../../../gateway/ledger/documents/port.js';
import type { NhsaSecurityConfig, Party } from './config.js';
import { signedText } from './signed-text.js';
import { sm2Sign, sm2SignatureDer, sm2SignatureRs, sm2Verify } from './sm2.js';
import { sm4Decrypt, sm4Encrypt, sm4Seal } from './sm4.js';

/** Stable codes of a refused call (the answer's `err_code`, beside infcode -1 and the Chinese err_msg). */
export type SecurityCode = 'SIGNATURE_INVALID' | 'SIGNATURE_EXPIRED' | 'NONCE_REPLAYED' | 'DECRYPTION_FAILED';

export class SecurityRefused extends Error {
  constructor(readonly code: SecurityCode, message: string) { super(message); this.name = 'SecurityRefused'; }
}

const PAAS_HEADERS = { paasId: 'x-tif-paasid', timestamp: 'x-tif-timestamp', nonce: 'x-tif-nonce', signature: 'x-tif-signature' } as const;
const NONCE = /^[A-Za-z0-9_-]{8,64}$/;
const NONCES = 'nhsa.nonces';
/** Nonces pruned per accepted call at most: bounded work, and the backlog still drains. */
const PRUNE_MAX = 100;

/** The paas signature header: SHA-256 hex of timestamp ‖ token ‖ nonce ‖ timestamp. */
export function paasSignature(timestamp: string, token: string, nonce: string): string {
  return createHash('sha256').update(`${timestamp}${token}${nonce}${timestamp}`, 'utf8').digest('hex');
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v);

/** JSON read with every number kept as its digits (LosslessNumber), so re-writing it changes nothing. */
function readLossless(text: string): unknown {
  try { return parse(text); } catch { return undefined; }
}
function writeLossless(value: unknown): string {
  const text = stringify(value);
  if (text === undefined) throw new Error('nothing to write');
  return text;
}

/** base64 or hex, as HIS vendors' SM2 libraries write signatures. */
function signatureBytes(text: string): Buffer | null {
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 && (text.length === 128 || text.startsWith('30'))) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return Buffer.from(text, 'base64');
  return null;
}

/** "yyyy-MM-dd HH:mm:ss" in China time → epoch ms, or NaN. */
function chinaTimeMs(text: unknown): number {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return NaN;
  return Date.parse(`${text.replace(' ', 'T')}+08:00`);
}

export class NhsaSecurity {
  /** paasId → the hospital that presents it. */
  private readonly byPaasId: ReadonlyMap<string, string>;

  constructor(readonly config: NhsaSecurityConfig, private readonly store: DocumentStore) {
    this.byPaasId = new Map([...config.hospitals].flatMap(([code, h]) => (h.paasId ? [[h.paasId, code] as const] : [])));
  }

  get mode() { return this.config.mode; }

  /**
   * A call as it arrived → the envelope's text in the clear (unchanged unless `input` was decrypted).
   * Throws SecurityRefused; nothing is read or written before the call is accepted.
   */
  async open(text: string, header: (name: string) => string | undefined, now: Date): Promise<string> {
    const { mode } = this.config;
    if (mode === 'none') return text;
    const envelope = readLossless(text);
    const hospital = isObject(envelope) && typeof envelope.fixmedins_code === 'string' ? envelope.fixmedins_code : undefined;
    if (mode === 'paas-headers') {
      await this.openPaas(header, hospital, now);
      return text;
    }
    if (!isObject(envelope) || hospital === undefined) throw new SecurityRefused('SIGNATURE_INVALID', '报文不是可验签的通用输入（缺少 fixmedins_code）');
    const party = this.config.hospitals.get(hospital);
    if (!party?.publicKey) throw new SecurityRefused('SIGNATURE_INVALID', `fixmedins_code：未登记定点医药机构 ${hospital} 的 SM2 公钥，无法验签`);
    if (typeof envelope.signtype !== 'string' || envelope.signtype.toUpperCase() !== 'SM2') throw new SecurityRefused('SIGNATURE_INVALID', 'signtype：本地区要求 SM2 签名（signtype 应为 "SM2"）');
    const signature = typeof envelope.cainfo === 'string' ? signatureBytes(envelope.cainfo) : null;
    if (signature === null) throw new SecurityRefused('SIGNATURE_INVALID', 'cainfo：缺少 SM2 签名值（base64 或十六进制）');
    if (!sm2Verify(party.publicKey, Buffer.from(signedText(envelope), 'utf8'), signature, this.config.sm2Id)) {
      throw new SecurityRefused('SIGNATURE_INVALID', 'cainfo：SM2 签名与报文内容不符（报文被改动，或签名私钥与登记的公钥不对应）');
    }
    this.checkSkew(chinaTimeMs(envelope.inf_time), now, 'inf_time');
    // Keyed by (r, s) whatever its encoding: the same signature re-encoded (DER ↔ r‖s, base64 ↔ hex) is the same nonce.
    const rs = sm2SignatureRs(signature) ?? signature;
    await this.claim(`s.${createHash('sha256').update(rs).digest('hex')}`, chinaTimeMs(envelope.inf_time), now, 'cainfo：该签名已使用过：重放的报文不予受理，每次发送须重新签名（重试请沿用原 msgid）');
    if (mode === 'sm2') return text;
    return writeLossless({ ...envelope, input: this.decryptInput(envelope.input, party) });
  }

  private async openPaas(header: (name: string) => string | undefined, hospital: string | undefined, now: Date): Promise<void> {
    const paasId = header(PAAS_HEADERS.paasId) ?? '';
    const timestamp = header(PAAS_HEADERS.timestamp) ?? '';
    const nonce = header(PAAS_HEADERS.nonce) ?? '';
    const signature = (header(PAAS_HEADERS.signature) ?? '').toLowerCase();
    const code = this.byPaasId.get(paasId);
    const token = code === undefined ? undefined : this.config.hospitals.get(code)?.paasToken;
    if (code === undefined || token === undefined) throw new SecurityRefused('SIGNATURE_INVALID', `${PAAS_HEADERS.paasId}：缺少或未登记的 paasid`);
    if (!/^\d{1,12}$/.test(timestamp)) throw new SecurityRefused('SIGNATURE_INVALID', `${PAAS_HEADERS.timestamp}：缺少或无效（应为 Unix 秒）`);
    if (!NONCE.test(nonce)) throw new SecurityRefused('SIGNATURE_INVALID', `${PAAS_HEADERS.nonce}：缺少或无效（8–64 位字母、数字、_ 或 -）`);
    const expected = Buffer.from(paasSignature(timestamp, token, nonce), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SecurityRefused('SIGNATURE_INVALID', `${PAAS_HEADERS.signature}：签名与 paasid 的令牌、时间戳、随机数不符`);
    if (hospital !== code) throw new SecurityRefused('SIGNATURE_INVALID', `fixmedins_code：paasid ${paasId} 属于定点医药机构 ${code}，不能代表 ${hospital ?? '（缺失）'} 调用`);
    const at = Number(timestamp) * 1000;
    this.checkSkew(at, now, PAAS_HEADERS.timestamp);
    await this.claim(`p.${paasId}.${nonce}`, at, now, `${PAAS_HEADERS.nonce}：随机数 ${nonce} 已使用过：重放的请求不予受理，每次调用须用新的随机数`);
  }

  private checkSkew(atMs: number, now: Date, field: string): void {
    if (!Number.isFinite(atMs)) throw new SecurityRefused('SIGNATURE_INVALID', `${field}：缺少或无效的时间，无法校验时效`);
    const skew = Math.round(Math.abs(atMs - now.getTime()) / 1000);
    if (skew > this.config.maxSkewSeconds) {
      throw new SecurityRefused('SIGNATURE_EXPIRED', `${field}：报文时间与网关时钟相差 ${skew} 秒，超过允许的 ${this.config.maxSkewSeconds} 秒：请校准时钟并重新签名发送`);
    }
  }

  /** True once per nonce; nonces older than twice the window are pruned as calls arrive (they fail the skew check anyway). */
  private async claim(id: string, atMs: number, now: Date, refusal: string): Promise<void> {
    const seconds = Math.floor(atMs / 1000);
    const fresh = await this.store.put(NONCES, id, JSON.stringify({ t: seconds }), { ifAbsent: true, index: { t: seconds } });
    if (!fresh) throw new SecurityRefused('NONCE_REPLAYED', refusal);
    const stale = await this.store.range(NONCES, 't', 0, Math.floor(now.getTime() / 1000) - 2 * this.config.maxSkewSeconds, { limit: PRUNE_MAX });
    for (const old of stale) await this.store.delete(NONCES, old);
  }

  private decryptInput(input: unknown, party: Party): unknown {
    if (typeof input !== 'string' || !party.sm4Key) throw new SecurityRefused('DECRYPTION_FAILED', 'input：本地区要求 SM4 加密的 input（密文的 base64 文本）');
    let clear: unknown;
    try { clear = readLossless(sm4Decrypt(this.config.sm4, party.sm4Key, input)); } catch { clear = undefined; }
    if (!isObject(clear)) throw new SecurityRefused('DECRYPTION_FAILED', 'input：SM4 解密失败或解密后不是 JSON 对象（密钥、模式或填充不符）');
    return clear;
  }

  /** An answer (the common output, as stored under its msgid) as it is sent to the hospital's HIS. */
  sealAnswer(json: string, hospital: string | undefined): string {
    const { mode, gatewayKey } = this.config;
    if ((mode !== 'sm2' && mode !== 'sm2-sm4') || !gatewayKey) return json;
    const answer = readLossless(json);
    if (!isObject(answer)) return json;
    const sm4Key = hospital === undefined ? undefined : this.config.hospitals.get(hospital)?.sm4Key;
    // Encrypted only for a hospital whose key is known (a refusal before that carries an empty output).
    const output = mode === 'sm2-sm4' && sm4Key ? sm4Encrypt(this.config.sm4, sm4Key, writeLossless(answer.output ?? {})) : answer.output;
    return writeLossless(this.signed({ ...answer, output }));
  }

  /**
   * A file answered as bytes (9102): sm2 modes sign the bytes sent (headers `signtype`, `cainfo`);
   * `sm2-sm4` sends them SM4-encrypted under the hospital's key.
   */
  sealFile(content: Buffer, hospital: string): { content: Buffer; headers: Record<string, string> } {
    const { mode, gatewayKey } = this.config;
    if ((mode !== 'sm2' && mode !== 'sm2-sm4') || !gatewayKey) return { content, headers: {} };
    const sm4Key = this.config.hospitals.get(hospital)?.sm4Key;
    const sent = mode === 'sm2-sm4' && sm4Key ? sm4Seal(this.config.sm4, sm4Key, content) : content;
    const signature = sm2SignatureDer(sm2Sign(gatewayKey, sent, this.config.sm2Id));
    return { content: sent, headers: { signtype: 'SM2', cainfo: signature.toString('base64') } };
  }

  /** Why delivery cannot be sealed as the mode wants (a platform setting missing), or null: checked at start-up. */
  deliveryProblem(): string | null {
    const { mode, platform } = this.config;
    if (mode === 'paas-headers' && (!platform?.paasId || !platform.paasToken)) return 'mode paas-headers delivers with platform.paasId and platform.paasToken: set them';
    if (mode === 'sm2-sm4' && !platform?.sm4Key) return 'mode sm2-sm4 delivers with platform.sm4Key: set it';
    return null;
  }

  /** The delivery hook: a body and headers for the platform, sealed as the region wants them. */
  sealDelivery(body: string, headers: Record<string, string>, now: Date): { body: string; headers: Record<string, string> } {
    const { mode, platform } = this.config;
    if (mode === 'none') return { body, headers };
    if (mode === 'paas-headers') {
      if (!platform?.paasId || !platform.paasToken) throw new Error('sealDelivery: mode paas-headers needs platform.paasId and paasToken');
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const nonce = `${now.getTime().toString(16)}-${randomBytes(6).toString('hex')}`;
      return { body, headers: { ...headers, [PAAS_HEADERS.paasId]: platform.paasId, [PAAS_HEADERS.timestamp]: timestamp, [PAAS_HEADERS.nonce]: nonce, [PAAS_HEADERS.signature]: paasSignature(timestamp, platform.paasToken, nonce) } };
    }
    const message = readLossless(body);
    if (!isObject(message)) throw new Error('sealDelivery: the body is not a JSON object');
    let sealed: Json = message;
    if (mode === 'sm2-sm4') {
      if (!platform?.sm4Key) throw new Error('sealDelivery: mode sm2-sm4 needs platform.sm4Key');
      sealed = 'input' in message && 'infno' in message
        ? { ...message, input: sm4Encrypt(this.config.sm4, platform.sm4Key, writeLossless(message.input)) }
        : { input: sm4Encrypt(this.config.sm4, platform.sm4Key, body) };
    }
    return { body: writeLossless(this.signed(sealed)), headers };
  }

  private signed(value: Json): Json {
    const key = this.config.gatewayKey;
    if (!key) throw new Error('signing needs gateway.privateKey');
    const unsigned = { ...value, signtype: 'SM2' };
    const signature = sm2SignatureDer(sm2Sign(key, Buffer.from(signedText(unsigned), 'utf8'), this.config.sm2Id));
    return { ...unsigned, cainfo: signature.toString('base64') };
  }
}
