/**
 * SM2 digital signatures as GM/T 0003.2 (GB/T 32918.2) defines them, with the signer's ZA of GM/T 0009:
 * e = SM3(ZA ‖ M), ZA = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), ID "1234567812345678" by default.
 *
 * Why not Node's crypto: Node 20 (OpenSSL 3.0) loads SM2 keys and `crypto.sign(null, m, key)` answers
 * something, but not this: no distinguishing ID can be set, and on this machine its signatures neither
 * verify under OpenSSL's own `pkeyutl -pkeyopt distid:1234567812345678` nor does it verify the GM/T
 * 0003.5 example signature. SM3 (createHash('sm3')) and SM4 (sm4-ecb/sm4-cbc) are Node's and are used.
 * The curve arithmetic is BigInt over the recommended 256-bit curve (GM/T 0003.5); the secret scalar
 * is multiplied by a Montgomery ladder (one add and one double per bit, whatever the bit); verification's
 * public scalars by Shamir's trick. BigInt is
 * not constant-time: this is not hardened against an attacker timing the gateway's signing locally.
 * Verified in the tests against the GM/T 0003.5 example (key, k, r, s) and against OpenSSL's SM2.
 */
import { createHash, randomBytes } from 'node:crypto';

const P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFFn;
const A = P - 3n;
const B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93n;
const N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123n;
const GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7n;
const GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0n;

/** The default distinguishing ID of GM/T 0009 §10 (its bit length goes into ZA). */
export const DEFAULT_SM2_ID = '1234567812345678';

/** The SM2 curve's OID (1.2.156.10197.1.301) as it appears in DER keys. */
const SM2_OID = Buffer.from('06082a811ccf5501822d', 'hex');

interface Affine { x: bigint; y: bigint }
/** Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is the point at infinity. */
interface Jacobian { X: bigint; Y: bigint; Z: bigint }

const mod = (v: bigint, m: bigint): bigint => { const r = v % m; return r < 0n ? r + m : r; };

function powMod(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}
/** m is prime (p and n are): Fermat's inverse. */
const invMod = (v: bigint, m: bigint): bigint => powMod(v, m - 2n, m);

const INFINITY: Jacobian = { X: 1n, Y: 1n, Z: 0n };

function double(q: Jacobian): Jacobian {
  if (q.Z === 0n || q.Y === 0n) return INFINITY;
  // a = −3: alpha = 3(X − Z²)(X + Z²).
  const delta = (q.Z * q.Z) % P;
  const gamma = (q.Y * q.Y) % P;
  const beta = (q.X * gamma) % P;
  const alpha = mod(3n * (q.X - delta) * (q.X + delta), P);
  const X = mod(alpha * alpha - 8n * beta, P);
  const Z = mod((q.Y + q.Z) ** 2n - gamma - delta, P);
  const Y = mod(alpha * (4n * beta - X) - 8n * gamma * gamma, P);
  return { X, Y, Z };
}

function add(p: Jacobian, q: Jacobian): Jacobian {
  if (p.Z === 0n) return q;
  if (q.Z === 0n) return p;
  const z1z1 = (p.Z * p.Z) % P;
  const z2z2 = (q.Z * q.Z) % P;
  const u1 = (p.X * z2z2) % P;
  const u2 = (q.X * z1z1) % P;
  const s1 = (p.Y * q.Z * z2z2) % P;
  const s2 = (q.Y * p.Z * z1z1) % P;
  if (u1 === u2) return s1 === s2 ? double(p) : INFINITY;
  const h = mod(u2 - u1, P);
  const r = mod(s2 - s1, P);
  const hh = (h * h) % P;
  const hhh = (hh * h) % P;
  const X = mod(r * r - hhh - 2n * u1 * hh, P);
  const Y = mod(r * (u1 * hh - X) - s1 * hhh, P);
  const Z = (h * p.Z * q.Z) % P;
  return { X, Y, Z };
}

function affine(q: Jacobian): Affine | null {
  if (q.Z === 0n) return null;
  const zi = invMod(q.Z, P);
  const zi2 = (zi * zi) % P;
  return { x: (q.X * zi2) % P, y: (q.Y * zi2 * zi) % P };
}

const jacobian = (q: Affine): Jacobian => ({ X: q.x, Y: q.y, Z: 1n });

/** k·Q by a Montgomery ladder: the same operations for every bit of k (for the secret nonce). */
function multiply(k: bigint, q: Affine): Jacobian {
  let r0 = INFINITY;
  let r1 = jacobian(q);
  for (let i = 255; i >= 0; i--) {
    if ((k >> BigInt(i)) & 1n) { r0 = add(r0, r1); r1 = double(r1); } else { r1 = add(r0, r1); r0 = double(r0); }
  }
  return r0;
}

/**
 * a·G + b·Q in one pass (Shamir's trick: one doubling per bit, an add where either bit is set) — for
 * verification, whose scalars are public: about half the work of two ladders.
 */
function multiplyTwo(a: bigint, p: Affine, b: bigint, q: Affine): Jacobian {
  const pj = jacobian(p);
  const qj = jacobian(q);
  const both = add(pj, qj);
  let r = INFINITY;
  for (let i = 255; i >= 0; i--) {
    r = double(r);
    const bitA = (a >> BigInt(i)) & 1n;
    const bitB = (b >> BigInt(i)) & 1n;
    if (bitA && bitB) r = add(r, both); else if (bitA) r = add(r, pj); else if (bitB) r = add(r, qj);
  }
  return r;
}

function onCurve(q: Affine): boolean {
  return q.x < P && q.y < P && mod(q.y * q.y - (q.x * q.x * q.x + A * q.x + B), P) === 0n;
}

const G: Affine = { x: GX, y: GY };

const toBytes = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
const toBig = (bytes: Buffer): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`));
const sm3 = (...parts: Buffer[]): Buffer => { const h = createHash('sm3'); for (const p of parts) h.update(p); return h.digest(); };

/** An SM2 public key: the point, checked to lie on the curve. */
export interface Sm2PublicKey { readonly x: bigint; readonly y: bigint }
/** An SM2 private key d with its public point. */
export interface Sm2PrivateKey { readonly d: bigint; readonly publicKey: Sm2PublicKey }

/** ZA of GM/T 0009: the signer's identity and key, hashed before the message. */
export function sm2Za(publicKey: Sm2PublicKey, id: string = DEFAULT_SM2_ID): Buffer {
  const idBytes = Buffer.from(id, 'utf8');
  if (idBytes.length * 8 > 0xffff) throw new Error('SM2 ID too long');
  const entl = Buffer.from([(idBytes.length * 8) >> 8, (idBytes.length * 8) & 0xff]);
  return sm3(entl, idBytes, toBytes(A), toBytes(B), toBytes(GX), toBytes(GY), toBytes(publicKey.x), toBytes(publicKey.y));
}

/** e = SM3(ZA ‖ M) as an integer. */
export function sm2Digest(publicKey: Sm2PublicKey, message: Buffer, id: string = DEFAULT_SM2_ID): bigint {
  return toBig(sm3(sm2Za(publicKey, id), message));
}

/** A random k in [1, n−1]. */
function randomScalar(): bigint {
  for (;;) {
    const k = toBig(randomBytes(32));
    if (k > 0n && k < N) return k;
  }
}

/**
 * Signs a message: (r, s) as the 64 bytes r ‖ s. `nonce` is for the standard's worked example only
 * (a fixed k); every real signature draws its own.
 */
export function sm2Sign(key: Sm2PrivateKey, message: Buffer, id: string = DEFAULT_SM2_ID, nonce?: () => bigint): Buffer {
  const e = sm2Digest(key.publicKey, message, id);
  const inverse = invMod(1n + key.d, N);
  for (;;) {
    const k = nonce ? nonce() : randomScalar();
    const point = affine(multiply(k, G));
    if (point === null) continue;
    const r = mod(e + point.x, N);
    if (r === 0n || r + k === N) continue;
    const s = mod(inverse * (k - r * key.d), N);
    if (s === 0n) continue;
    return Buffer.concat([toBytes(r), toBytes(s)]);
  }
}

/** Verifies (r, s), given as r ‖ s (64 bytes) or as the DER SEQUENCE { r, s } of GM/T 0009. */
export function sm2Verify(publicKey: Sm2PublicKey, message: Buffer, signature: Buffer, id: string = DEFAULT_SM2_ID): boolean {
  const rs = signatureParts(signature);
  if (rs === null) return false;
  const [r, s] = rs;
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = mod(r + s, N);
  if (t === 0n) return false;
  const point = affine(multiplyTwo(s, G, t, publicKey));
  if (point === null) return false;
  return mod(sm2Digest(publicKey, message, id) + point.x, N) === r;
}

/**
 * A signature in its one form, r ‖ s (64 bytes), whichever encoding it came in: what identifies it (a replayed
 * signature re-encoded as DER, hex or with padded INTEGERs is the same signature). Null when it is neither form.
 */
export function sm2SignatureRs(signature: Buffer): Buffer | null {
  const rs = signatureParts(signature);
  return rs === null || rs[0] >= 1n << 256n || rs[1] >= 1n << 256n ? null : Buffer.concat([toBytes(rs[0]), toBytes(rs[1])]);
}

/** r ‖ s, or a DER SEQUENCE of two INTEGERs; null for anything else. */
function signatureParts(signature: Buffer): [bigint, bigint] | null {
  if (signature.length === 64) return [toBig(signature.subarray(0, 32)), toBig(signature.subarray(32))];
  if (signature[0] !== 0x30 || signature[1] !== signature.length - 2) return null;
  const integers: bigint[] = [];
  let at = 2;
  while (at < signature.length) {
    const length = signature[at + 1] ?? 0;
    if (signature[at] !== 0x02 || length === 0 || length > 33 || at + 2 + length > signature.length) return null;
    integers.push(toBig(signature.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  return integers.length === 2 ? [integers[0]!, integers[1]!] : null;
}

/** r ‖ s as the DER SEQUENCE { r INTEGER, s INTEGER } (GM/T 0009 SM2Signature). */
export function sm2SignatureDer(rs: Buffer): Buffer {
  const integer = (bytes: Buffer): Buffer => {
    let v = bytes;
    while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([integer(rs.subarray(0, 32)), integer(rs.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function publicPoint(x: bigint, y: bigint): Sm2PublicKey {
  const point = { x, y };
  if (!onCurve(point)) throw new Error('not a point of the SM2 curve');
  return point;
}

/**
 * The DER inside a PEM text, read here rather than by Node's KeyObject: exporting an SM2 key that
 * OpenSSL 3 loaded as type SM2 aborts the Node 20 process (an assertion in WritePrivateKey).
 */
function derOf(pem: string, kind: 'PRIVATE KEY' | 'PUBLIC KEY'): Buffer {
  // The key's block, not a parameters block before it (`openssl ecparam -genkey` writes "SM2 PARAMETERS" first).
  const body = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)].find((block) => block[1]!.endsWith(kind));
  if (!body) throw new Error(`no ${kind} block in the PEM text`);
  if (body[1]!.includes('ENCRYPTED')) throw new Error('an encrypted private key: give it unencrypted, by file or environment reference');
  const der = Buffer.from(body[2]!.replace(/\s+/g, ''), 'base64');
  if (!der.includes(SM2_OID)) throw new Error('the key is not an SM2 key (curve 1.2.156.10197.1.301)');
  return der;
}

/**
 * A public key as regions hand them out: PEM (SubjectPublicKeyInfo on the SM2 curve), or hex of the
 * uncompressed point 04 ‖ x ‖ y (130 digits; 128 without the 04).
 */
export function sm2PublicKeyOf(text: string): Sm2PublicKey {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    const der = derOf(trimmed, 'PUBLIC KEY');
    const point = der.subarray(der.length - 65);
    if (point[0] !== 0x04) throw new Error('the SM2 public key is not an uncompressed point');
    return publicPoint(toBig(point.subarray(1, 33)), toBig(point.subarray(33)));
  }
  const hex = /^(04)?([0-9a-fA-F]{128})$/.exec(trimmed);
  if (!hex) throw new Error('an SM2 public key is PEM, or hex of 04 ‖ x ‖ y');
  return publicPoint(BigInt(`0x${hex[2]!.slice(0, 64)}`), BigInt(`0x${hex[2]!.slice(64)}`));
}

/** A private key: PEM (PKCS#8 or SEC1 on the SM2 curve), or the 64 hex digits of d. */
export function sm2PrivateKeyOf(text: string): Sm2PrivateKey {
  const trimmed = text.trim();
  let d: bigint;
  if (trimmed.startsWith('-----BEGIN')) {
    // SEC1 ECPrivateKey, alone or inside PKCS#8: SEQUENCE { INTEGER 1, OCTET STRING d, … }.
    const der = derOf(trimmed, 'PRIVATE KEY');
    const at = der.indexOf(Buffer.from([0x02, 0x01, 0x01, 0x04]));
    const length = der[at + 4] ?? 0;
    if (at < 0 || length === 0 || length > 32) throw new Error('unreadable SM2 private key');
    d = toBig(der.subarray(at + 5, at + 5 + length));
  } else {
    if (!/^[0-9a-fA-F]{64}$/.test(trimmed)) throw new Error('an SM2 private key is PEM, or 64 hex digits');
    d = BigInt(`0x${trimmed}`);
  }
  if (d < 1n || d >= N - 1n) throw new Error('the SM2 private key is out of range');
  const point = affine(multiply(d, G));
  if (point === null) throw new Error('the SM2 private key is out of range');
  return { d, publicKey: point };
}
