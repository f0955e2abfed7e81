/**
 * The national-interface crypto against published test vectors and OpenSSL: SM3 (GB/T 32905 examples),
 * SM4 (GM/T 0002 / GB/T 32907 example), SM2 signatures with ZA (GM/T 0003.5 example on the recommended
 * curve: public key, e, and (r, s) from the fixed k), round trips, and OpenSSL 3's own SM2 both ways.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createCipheriv, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sm2Digest, sm2PrivateKeyOf, sm2PublicKeyOf, sm2Sign, sm2SignatureDer, sm2Verify, sm2Za } from '../../../../adapters/nhsa/security/sm2.js';
import { sm4Decrypt, sm4Encrypt, sm4KeyOf } from '../../../../adapters/nhsa/security/sm4.js';
import { signedText } from '../../../../adapters/nhsa/security/signed-text.js';
import { parse } from 'lossless-json';

// GM/T 0003.5-2012, the signature example on the recommended curve (message "message digest", ID 1234567812345678).
const D = '3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8';
const PUBLIC = '04' + '09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020' + 'CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13';
const K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21n;
const E = 'F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640';
const R = 'F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3';
const S = 'B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA';
const MESSAGE = Buffer.from('message digest');

describe('SM3 (Node)', () => {
  it('hashes the GB/T 32905 examples', () => {
    expect(createHash('sm3').update('abc').digest('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    expect(createHash('sm3').update('abcd'.repeat(16)).digest('hex')).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  });
});

describe('SM4 (Node sm4-ecb / sm4-cbc)', () => {
  const key = sm4KeyOf('0123456789abcdeffedcba9876543210');
  it('encrypts the GM/T 0002 example block', () => {
    const cipher = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
    expect(Buffer.concat([cipher.update(key), cipher.final()]).toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
  });

  it('round-trips text in both modes; CBC draws a fresh IV each time; a wrong key or a cut text is refused', () => {
    const text = JSON.stringify({ data: { psn_no: '99000000000000001234', medfee_sumamt: 1500.0, 名称: '住院' } });
    for (const mode of ['sm4-ecb', 'sm4-cbc'] as const) {
      const sealed = sm4Encrypt(mode, key, text);
      expect(sm4Decrypt(mode, key, sealed)).toBe(text);
      expect(() => sm4Decrypt(mode, sm4KeyOf('00'.repeat(16)), sealed)).toThrow();
      expect(() => sm4Decrypt(mode, key, sealed.slice(0, 20))).toThrow();
    }
    expect(sm4Encrypt('sm4-ecb', key, text)).toBe(sm4Encrypt('sm4-ecb', key, text));
    expect(sm4Encrypt('sm4-cbc', key, text)).not.toBe(sm4Encrypt('sm4-cbc', key, text));
    expect(() => sm4KeyOf('0123')).toThrow('32 hex digits');
  });
});

describe('SM2 signatures with ZA (GM/T 0003.2, 0003.5, 0009)', () => {
  const key = sm2PrivateKeyOf(D);

  it('derives the example public key and e = SM3(ZA ‖ M)', () => {
    expect(key.publicKey).toEqual(sm2PublicKeyOf(PUBLIC));
    expect(sm2Digest(key.publicKey, MESSAGE).toString(16).toUpperCase()).toBe(E);
    expect(sm2Za(key.publicKey)).toHaveLength(32);
  });

  it('signs the example to its published (r, s) with the example k, and verifies it', () => {
    const signature = sm2Sign(key, MESSAGE, undefined, () => K);
    expect(signature.toString('hex').toUpperCase()).toBe(R + S);
    expect(sm2Verify(sm2PublicKeyOf(PUBLIC), MESSAGE, Buffer.from(R + S, 'hex'))).toBe(true);
    expect(sm2Verify(sm2PublicKeyOf(PUBLIC), MESSAGE, sm2SignatureDer(Buffer.from(R + S, 'hex')))).toBe(true);
  });

  it('refuses a changed message, another ID, another key, and a changed or malformed signature', () => {
    const signature = Buffer.from(R + S, 'hex');
    const publicKey = sm2PublicKeyOf(PUBLIC);
    expect(sm2Verify(publicKey, Buffer.from('message digesT'), signature)).toBe(false);
    expect(sm2Verify(publicKey, MESSAGE, signature, 'ALICE123@YAHOO.COM')).toBe(false);
    expect(sm2Verify(sm2PrivateKeyOf('11'.repeat(32)).publicKey, MESSAGE, signature)).toBe(false);
    const flipped = Buffer.from(signature); flipped.writeUInt8(flipped.readUInt8(63) ^ 1, 63);
    expect(sm2Verify(publicKey, MESSAGE, flipped)).toBe(false);
    expect(sm2Verify(publicKey, MESSAGE, Buffer.alloc(64))).toBe(false);
    expect(sm2Verify(publicKey, MESSAGE, Buffer.from('3003020101', 'hex'))).toBe(false);
  });

  it('round-trips random signatures (a fresh k each time) over texts of every length', () => {
    for (let i = 0; i < 12; i++) {
      const message = Buffer.from('签名'.repeat(i * 7) + String(i));
      const first = sm2Sign(key, message);
      expect(sm2Sign(key, message).equals(first)).toBe(false);
      expect(sm2Verify(key.publicKey, message, first)).toBe(true);
    }
  });

  it('reads keys as OpenSSL writes them: ecparam -genkey (a parameters block first), SEC1 ("SM2 PRIVATE KEY"), and the public half', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sm2-keys-'));
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['ecparam', '-name', 'SM2', '-genkey', '-out', key]);
    const withParameters = readFileSync(key, 'utf8');
    expect(withParameters).toContain('PARAMETERS-----');
    const sec1 = execFileSync('openssl', ['ec', '-in', key, '-outform', 'PEM'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const pub = execFileSync('openssl', ['ec', '-in', key, '-pubout'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const fromPkcs8 = sm2PrivateKeyOf(withParameters);
    expect(sm2PrivateKeyOf(sec1).d).toBe(fromPkcs8.d);
    expect(sm2PublicKeyOf(pub)).toEqual(fromPkcs8.publicKey);
  });

  it('refuses keys that are not SM2 or not on the curve', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(() => sm2PublicKeyOf(p256.publicKey.export({ format: 'pem', type: 'spki' }).toString())).toThrow('not an SM2 key');
    expect(() => sm2PublicKeyOf('04' + '11'.repeat(64))).toThrow('not a point of the SM2 curve');
    expect(() => sm2PrivateKeyOf('00'.repeat(32))).toThrow('out of range');
  });

  it('interoperates with OpenSSL 3: its SM2 (distid 1234567812345678) verifies ours and we verify its', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sm2-'));
    const file = (name: string) => join(dir, name);
    const pair = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    writeFileSync(file('key.pem'), pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(file('pub.pem'), pair.publicKey.export({ format: 'pem', type: 'spki' }));
    writeFileSync(file('msg'), '{"infno":"2304","签名":"原文"}');
    const ours = sm2PrivateKeyOf(readFileSync(file('key.pem'), 'utf8'));
    expect(ours.publicKey).toEqual(sm2PublicKeyOf(readFileSync(file('pub.pem'), 'utf8')));
    writeFileSync(file('ours.der'), sm2SignatureDer(sm2Sign(ours, readFileSync(file('msg')))));
    const openssl = (...args: string[]) => execFileSync('openssl', ['pkeyutl', ...args, '-rawin', '-in', file('msg'), '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678'], { encoding: 'utf8' });
    expect(openssl('-verify', '-pubin', '-inkey', file('pub.pem'), '-sigfile', file('ours.der'))).toContain('Signature Verified Successfully');
    openssl('-sign', '-inkey', file('key.pem'), '-out', file('theirs.der'));
    expect(sm2Verify(ours.publicKey, readFileSync(file('msg')), readFileSync(file('theirs.der')))).toBe(true);
  });
});

describe('the signed text of an envelope', () => {
  it('is every field but cainfo, sorted, empty ones left out, objects as canonical JSON with the digits sent', () => {
    const envelope = parse('{"msgid":"M1","infno":"3201","cainfo":"xyz","sign_no":"","input":{"data":{"b":1500.00,"a":"甲\\"乙"}},"signtype":"SM2"}') as Record<string, unknown>;
    expect(signedText(envelope)).toBe('infno=3201&input={"data":{"a":"甲\\"乙","b":1500.00}}&msgid=M1&signtype=SM2');
  });
});
