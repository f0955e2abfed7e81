/**
 * A HIS's (or the platform's) side of the region's security, written from adapters/nhsa/README.md
 * ("Security by region"), not from the gateway's code: the signed text, SM4 of input/output, the paas
 * headers. Only the SM2 arithmetic is shared (it is checked against the published vectors and OpenSSL).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isLosslessNumber, parse, stringify } from 'lossless-json';
import { sm2PrivateKeyOf, sm2PublicKeyOf, sm2Sign, sm2Verify, type Sm2PrivateKey } from '../../adapters/nhsa/security/sm2.js';

export type Mode = 'none' | 'paas-headers' | 'sm2' | 'sm2-sm4';

/** A fresh SM2 key pair as hex (d; 04‖x‖y), the form regions often hand out. */
export function sm2KeyPair(): { privateHex: string; publicHex: string } {
  for (;;) {
    const d = randomBytes(32).toString('hex');
    try {
      const key = sm2PrivateKeyOf(d);
      return { privateHex: d, publicHex: `04${key.publicKey.x.toString(16).padStart(64, '0')}${key.publicKey.y.toString(16).padStart(64, '0')}` };
    } catch { /* out of range: draw again */ }
  }
}

/** name=value&… over the sorted fields but cainfo, empty ones left out; objects as sorted compact JSON with the digits as sent. */
export function textToSign(body: Record<string, unknown>): string {
  const json = (v: unknown): string => {
    if (isLosslessNumber(v)) return v.toString();
    if (Array.isArray(v)) return `[${v.map(json).join(',')}]`;
    if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${json((v as Record<string, unknown>)[k])}`).join(',')}}`;
    return JSON.stringify(v);
  };
  return Object.keys(body).sort().filter((k) => k !== 'cainfo' && body[k] !== '' && body[k] !== null && body[k] !== undefined)
    .map((k) => `${k}=${typeof body[k] === 'string' ? String(body[k]) : json(body[k])}`).join('&');
}

export function sm4(mode: 'encrypt' | 'decrypt', key: Buffer, text: string): string {
  if (mode === 'encrypt') { const c = createCipheriv('sm4-ecb', key, null); return Buffer.concat([c.update(text, 'utf8'), c.final()]).toString('base64'); }
  const d = createDecipheriv('sm4-ecb', key, null);
  return Buffer.concat([d.update(Buffer.from(text, 'base64')), d.final()]).toString('utf8');
}

const sign = (key: Sm2PrivateKey, body: Record<string, unknown>): string => sm2Sign(key, Buffer.from(textToSign(body), 'utf8')).toString('base64');

export interface HisOptions { mode: Mode; privateHex?: string; sm4Key?: Buffer; paasId?: string; paasToken?: string; gatewayPublicHex?: string }

/** The HIS: seals its calls and opens the gateway's answers. */
export class HisClient {
  private readonly key: Sm2PrivateKey | undefined;
  constructor(readonly options: HisOptions) { this.key = options.privateHex ? sm2PrivateKeyOf(options.privateHex) : undefined; }

  /** The body and headers of a call, as the region wants them sent. */
  seal(envelope: Record<string, unknown>, now = new Date()): { body: string; headers: Record<string, string> } {
    const { mode } = this.options;
    if (mode === 'paas-headers') {
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const nonce = randomBytes(12).toString('hex');
      const signature = createHash('sha256').update(`${timestamp}${this.options.paasToken ?? ''}${nonce}${timestamp}`).digest('hex');
      return { body: JSON.stringify(envelope), headers: { 'x-tif-paasid': this.options.paasId ?? '', 'x-tif-timestamp': timestamp, 'x-tif-nonce': nonce, 'x-tif-signature': signature } };
    }
    if (mode === 'none') return { body: JSON.stringify(envelope), headers: {} };
    const sent: Record<string, unknown> = { ...envelope, signtype: 'SM2' };
    if (mode === 'sm2-sm4') sent.input = sm4('encrypt', this.options.sm4Key!, JSON.stringify(envelope.input));
    // The body is signed as it will be read: through JSON text (JS numbers have one spelling).
    const wire = parse(JSON.stringify(sent)) as Record<string, unknown>;
    return { body: stringify({ ...wire, cainfo: sign(this.key!, wire) })!, headers: {} };
  }

  /** An answer: its signature checked with the gateway's public key (sm2 modes), output decrypted; amounts as their digits. */
  open(text: string): { answer: Record<string, unknown>; verified: boolean } {
    const answer = parse(text) as Record<string, unknown>;
    if (this.options.mode !== 'sm2' && this.options.mode !== 'sm2-sm4') return { answer, verified: false };
    const verified = typeof answer.cainfo === 'string' && answer.signtype === 'SM2'
      && sm2Verify(sm2PublicKeyOf(this.options.gatewayPublicHex!), Buffer.from(textToSign(answer), 'utf8'), Buffer.from(answer.cainfo, 'base64'));
    if (this.options.mode === 'sm2-sm4' && typeof answer.output === 'string') answer.output = parse(sm4('decrypt', this.options.sm4Key!, answer.output));
    return { answer, verified };
  }
}
