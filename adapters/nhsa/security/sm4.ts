/**
 * SM4 (GB/T 32907) as Node's OpenSSL offers it: `sm4-ecb` (what regional platforms commonly specify) or
 * `sm4-cbc` with a fresh random IV sent before the ciphertext; PKCS#7 padding. Text travels as base64 of
 * the ciphertext; a file (9102) as the ciphertext's bytes. A 128-bit key, given as 32 hex digits.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const SM4_MODES = ['sm4-ecb', 'sm4-cbc'] as const;
export type Sm4Mode = (typeof SM4_MODES)[number];

/** A key from its 32 hex digits. */
export function sm4KeyOf(text: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error('an SM4 key is 32 hex digits (128 bits)');
  return Buffer.from(hex, 'hex');
}

/** Encrypts bytes: the ciphertext (cbc: IV ‖ ciphertext). */
export function sm4Seal(mode: Sm4Mode, key: Buffer, plain: Buffer): Buffer {
  const iv = mode === 'sm4-cbc' ? randomBytes(16) : null;
  const cipher = createCipheriv(mode, key, iv);
  return Buffer.concat([iv ?? Buffer.alloc(0), cipher.update(plain), cipher.final()]);
}

/** Decrypts what sm4Seal wrote; throws on a wrong key, bad padding or a length that is not whole blocks. */
function sm4Open(mode: Sm4Mode, key: Buffer, sealed: Buffer): Buffer {
  const ivLength = mode === 'sm4-cbc' ? 16 : 0;
  if (sealed.length <= ivLength || (sealed.length - ivLength) % 16 !== 0) throw new Error('not whole SM4 blocks');
  const decipher = createDecipheriv(mode, key, mode === 'sm4-cbc' ? sealed.subarray(0, 16) : null);
  return Buffer.concat([decipher.update(sealed.subarray(ivLength)), decipher.final()]);
}

/** Encrypts UTF-8 text: base64 of the ciphertext. */
export function sm4Encrypt(mode: Sm4Mode, key: Buffer, plain: string): string {
  return sm4Seal(mode, key, Buffer.from(plain, 'utf8')).toString('base64');
}

/** Decrypts what sm4Encrypt wrote; throws also when the text is not base64 or the plaintext not UTF-8. */
export function sm4Decrypt(mode: Sm4Mode, key: Buffer, text: string): string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new Error('not base64');
  return new TextDecoder('utf-8', { fatal: true }).decode(sm4Open(mode, key, Buffer.from(text, 'base64')));
}
