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

export type Cipher = 'sm4-ecb' | 'sm4-cbc';

/** SM4 of bytes: ECB, or CBC with a random IV before the ciphertext. */
export function sm4Bytes(mode: 'encrypt' | 'decrypt', key: Buffer, bytes: Buffer, cipher: Cipher = 'sm4-ecb'): Buffer {
  if (mode === 'encrypt') {
    const iv = cipher === 'sm4-cbc' ? randomBytes(16) : null;
    const c = createCipheriv(cipher, key, iv);
    return Buffer.concat([iv ?? Buffer.alloc(0), c.update(bytes), c.final()]);
  }
  const ivLength = cipher === 'sm4-cbc' ? 16 : 0;
  const d = createDecipheriv(cipher, key, cipher === 'sm4-cbc' ? bytes.subarray(0, 16) : null);
  return Buffer.concat([d.update(bytes.subarray(ivLength)), d.final()]);
}

/** SM4 of text, the ciphertext as base64. */
export function sm4(mode: 'encrypt' | 'decrypt', key: Buffer, text: string, cipher: Cipher = 'sm4-ecb'): string {
  return mode === 'encrypt'
    ? sm4Bytes('encrypt', key, Buffer.from(text, 'utf8'), cipher).toString('base64')
    : sm4Bytes('decrypt', key, Buffer.from(text, 'base64'), cipher).toString('utf8');
}

const sign = (key: Sm2PrivateKey, body: Record<string, unknown>): string => sm2Sign(key, Buffer.from(textToSign(body), 'utf8')).toString('base64');

export interface HisOptions { mode: Mode; privateHex?: string; sm4Key?: Buffer; cipher?: Cipher; paasId?: string; paasToken?: string; gatewayPublicHex?: string }

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
    if (mode === 'sm2-sm4') sent.input = sm4('encrypt', this.options.sm4Key!, JSON.stringify(envelope.input), this.options.cipher);
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
    if (this.options.mode === 'sm2-sm4' && typeof answer.output === 'string') answer.output = parse(sm4('decrypt', this.options.sm4Key!, answer.output, this.options.cipher));
    return { answer, verified };
  }

  /** A downloaded file (9102): the signature in its headers checked over the bytes sent, then decrypted (sm2-sm4). */
  openFile(bytes: Buffer, cainfo: string | null): { content: Buffer; verified: boolean } {
    const verified = cainfo !== null && sm2Verify(sm2PublicKeyOf(this.options.gatewayPublicHex!), bytes, Buffer.from(cainfo, 'base64'));
    return { content: this.options.mode === 'sm2-sm4' ? sm4Bytes('decrypt', this.options.sm4Key!, bytes, this.options.cipher) : bytes, verified };
  }
}
