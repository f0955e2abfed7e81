/**
 * Calls an insurer makes to the gateway (its claim-outcome callbacks, its statement uploads), verified
 * when its configuration has `signing`: the scheme of signature.ts, under the insurer's callback key. A
 * call signed with a timestamp further than `maxSkewSeconds` from our clock, or with a nonce already
 * used, is refused (401, a stable code each), before anything is read or written.
 */
import type { Request } from 'express';
import { GatewayError } from '../../gateway/errors.js';
import { PROBLEM_TYPES } from '../../gateway/problem-types.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import type { Insurer } from './config.js';
import { macMatches, NONCE_PATTERN, SIGNATURE_HEADERS, signatureOf } from './signature.js';

type SignatureProblem = 'signature-invalid' | 'signature-expired' | 'nonce-replayed';

export class SignatureRefused extends GatewayError {
  readonly status = 401;
  readonly title: string;
  override readonly problemType: SignatureProblem;
  constructor(problemType: SignatureProblem, message: string, path: string) {
    super(message, [{ path, message }]);
    this.problemType = problemType;
    this.title = PROBLEM_TYPES[problemType].title;
  }
}

/** Nonces pruned per accepted call at most: a bounded amount of work, and the backlog still drains. */
const PRUNE_MAX = 100;

/**
 * Nonces seen, per insurer, in the store the gateways share (so a call replayed to another gateway is
 * refused too). A nonce need only be remembered while its timestamp could still pass the skew check:
 * older ones are pruned as calls arrive.
 */
export class NonceLedger {
  constructor(private readonly store: DocumentStore) {}

  /** True the first time a nonce is presented; false ever after (within the window). */
  async claim(code: string, nonce: string, timestampSeconds: number, nowSeconds: number, windowSeconds: number): Promise<boolean> {
    const collection = `insurer.${code}.nonces`;
    const fresh = await this.store.put(collection, nonce, JSON.stringify({ t: timestampSeconds }), { ifAbsent: true, index: { t: timestampSeconds } });
    if (fresh) {
      const stale = await this.store.range(collection, 't', 0, nowSeconds - 2 * windowSeconds, { limit: PRUNE_MAX });
      for (const id of stale) await this.store.delete(collection, id);
    }
    return fresh;
  }
}

/**
 * Verifies a call as the insurer signed it: method, the path as called (with its query), timestamp,
 * nonce, and the body's exact bytes. Throws SignatureRefused; answers when the call may proceed.
 */
export async function verifySignedCall(req: Request, body: Buffer, insurer: Insurer, nonces: NonceLedger, nowMs: number): Promise<void> {
  const signing = insurer.signer;
  if (!signing) return;
  const timestamp = req.header(SIGNATURE_HEADERS.timestamp) ?? '';
  const nonce = req.header(SIGNATURE_HEADERS.nonce) ?? '';
  const signature = req.header(SIGNATURE_HEADERS.signature) ?? '';
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureRefused('signature-invalid', `保险公司 ${insurer.code} 的调用须签名：缺少或无效的 X-Timestamp（Unix 秒）`, 'X-Timestamp');
  if (!NONCE_PATTERN.test(nonce)) throw new SignatureRefused('signature-invalid', '缺少或无效的 X-Nonce（16–64 位字母、数字、_ 或 -）', 'X-Nonce');
  const [algorithm, mac = ''] = signature.split('=', 2);
  if (algorithm !== signing.algorithm) throw new SignatureRefused('signature-invalid', `缺少或无效的 X-Signature：应为 ${signing.algorithm}=<十六进制>`, 'X-Signature');
  const expected = signatureOf(signing.algorithm, signing.callbackKey, { method: req.method, path: req.originalUrl, timestamp, nonce, body });
  if (!macMatches(expected, mac)) throw new SignatureRefused('signature-invalid', '签名与请求内容不符（方法、路径、时间戳、随机数或请求体被改动，或密钥不对）', 'X-Signature');
  const nowSeconds = Math.floor(nowMs / 1000);
  const skew = Number(timestamp) - nowSeconds;
  if (Math.abs(skew) > signing.maxSkewSeconds) {
    throw new SignatureRefused('signature-expired', `请求时间戳与网关时钟相差 ${Math.abs(skew)} 秒，超过允许的 ${signing.maxSkewSeconds} 秒：请校准时钟并重新签名`, 'X-Timestamp');
  }
  if (!(await nonces.claim(insurer.code, nonce, Number(timestamp), nowSeconds, signing.maxSkewSeconds))) {
    throw new SignatureRefused('nonce-replayed', `随机数 ${nonce} 已使用过：重放的请求不予受理，每次调用须用新的随机数`, 'X-Nonce');
  }
}
