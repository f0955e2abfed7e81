/**
 * The signature scheme against another implementation: openssl's command line computes the body's
 * digest and the HMAC (SHA-256 and SM3) of the signed text as an insurer's script would (the README's
 * recipe), and the gateway's signatures must equal them, for bodies with Chinese text, none, and binary.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { macMatches, signatureOf, signHeaders, type SignatureAlgorithm } from '../../../adapters/insurer/signature.js';

function openssl(args: string[], input: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { encoding: 'utf8', timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim().split(/\s+/).pop() ?? '')));
    child.stdin?.end(input);
  });
}

const DIGEST: Record<SignatureAlgorithm, string> = { 'hmac-sha256': '-sha256', 'hmac-sm3': '-sm3' };

describe('signature scheme', () => {
  const key = 'shared-key-0123456789';
  const bodies = [Buffer.from('{ "status": "rejected", "reason": "不属于保险责任" }'), Buffer.alloc(0), Buffer.from([0xef, 0xbb, 0xbf, 0x00, 0xff])];

  for (const algorithm of ['hmac-sha256', 'hmac-sm3'] as const) {
    it(`${algorithm}: equals openssl's HMAC over method, path, timestamp, nonce and the body's digest`, async () => {
      for (const body of bodies) {
        const parts = { method: 'POST', path: '/v1/claims/chinalife-weihai/clm_x/status?x=1', timestamp: '1764982800', nonce: '9f1c0b7e2d4a4e51b3a8c6d0e2f41a77', body };
        const digest = await openssl(['dgst', DIGEST[algorithm], '-hex'], body);
        const expected = await openssl(['dgst', DIGEST[algorithm], '-hmac', key, '-hex'], ['POST', parts.path, parts.timestamp, parts.nonce, digest].join('\n'));
        expect(signatureOf(algorithm, Buffer.from(key), parts)).toBe(expected);
      }
    });
  }

  it('signs each call with a fresh nonce and the whole-second timestamp, and compares MACs exactly', () => {
    const call = { method: 'POST', path: '/claims', body: Buffer.from('{}'), nowMs: 1_764_982_800_999 };
    const a = signHeaders('hmac-sm3', Buffer.from(key), call);
    const b = signHeaders('hmac-sm3', Buffer.from(key), call);
    expect(a['x-timestamp']).toBe('1764982800');
    expect(a['x-nonce']).not.toBe(b['x-nonce']);
    expect(a['x-signature']).toMatch(/^hmac-sm3=[0-9a-f]{64}$/);
    const mac = a['x-signature']!.slice('hmac-sm3='.length);
    expect(macMatches(mac, mac.toUpperCase())).toBe(true);
    expect(macMatches(mac, mac.slice(0, -1))).toBe(false);
    expect(macMatches(mac, `${mac.slice(0, -1)}${mac.endsWith('0') ? '1' : '0'}`)).toBe(false);
    expect(macMatches(mac, 'zz'.repeat(32))).toBe(false);
  });
});
