/**
 * Signed calls between the gateway and an insurer, the same scheme both ways: the caller sends a
 * timestamp, a nonce and a keyed MAC over the method, the path, the timestamp, the nonce and the body's
 * digest. The MAC proves the sender holds the shared key and that nothing of the call was altered; the
 * timestamp bounds how long a captured call stays usable, and the nonce makes it usable once.
 *
 *   X-Timestamp: 1764982800                 (Unix seconds)
 *   X-Nonce:     9f1c0b7e2d4a4e51b3a8c6d0e2f41a77   (16–64 of A–Z a–z 0–9 _ -)
 *   X-Signature: hmac-sha256=<hex>          (or hmac-sm3=<hex>, as the insurer's configuration says)
 *
 *   signed text = METHOD \n path?query \n timestamp \n nonce \n hex digest of the body bytes
 *                 (SHA-256 for hmac-sha256, SM3 for hmac-sm3; the digest of zero bytes for no body)
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_ALGORITHMS = ['hmac-sha256', 'hmac-sm3'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export const SIGNATURE_HEADERS = { timestamp: 'x-timestamp', nonce: 'x-nonce', signature: 'x-signature' } as const;
export const NONCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{15,63}$/;

/** Node's (OpenSSL's) name of each algorithm's hash. */
const HASH_OF: Record<SignatureAlgorithm, string> = { 'hmac-sha256': 'sha256', 'hmac-sm3': 'sm3' };

export interface SignedParts { method: string; path: string; timestamp: string; nonce: string; body: Buffer }

function signedText(algorithm: SignatureAlgorithm, p: SignedParts): string {
  const digest = createHash(HASH_OF[algorithm]).update(p.body).digest('hex');
  return `${p.method.toUpperCase()}\n${p.path}\n${p.timestamp}\n${p.nonce}\n${digest}`;
}

export function signatureOf(algorithm: SignatureAlgorithm, key: Buffer, p: SignedParts): string {
  return createHmac(HASH_OF[algorithm], key).update(signedText(algorithm, p), 'utf8').digest('hex');
}

/** The headers of a call the gateway signs (a fresh nonce each call). */
export function signHeaders(algorithm: SignatureAlgorithm, key: Buffer, call: { method: string; path: string; body: Buffer; nowMs: number }): Record<string, string> {
  const timestamp = String(Math.floor(call.nowMs / 1000));
  const nonce = randomBytes(16).toString('hex');
  const mac = signatureOf(algorithm, key, { method: call.method, path: call.path, timestamp, nonce, body: call.body });
  return { [SIGNATURE_HEADERS.timestamp]: timestamp, [SIGNATURE_HEADERS.nonce]: nonce, [SIGNATURE_HEADERS.signature]: `${algorithm}=${mac}` };
}

/** Compares in constant time, so the answer's timing tells nothing about how much of a guess was right. */
export function macMatches(expectedHex: string, givenHex: string): boolean {
  if (!/^[0-9a-f]+$/i.test(givenHex) || givenHex.length !== expectedHex.length) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(givenHex.toLowerCase(), 'hex'));
}
