/**
 * A mock of insurers' direct-pay endpoints over a real socket: POST /insurers/<code>/claims. Each
 * insurer can be made slow, answer 503, be down altogether (the port refuses connections), refuse a
 * claim (HTTP 400) or reject it as a decision (拒付, with a reason). It records every body it was sent,
 * byte for byte, and dedupes by Idempotency-Key like a real insurer would.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * `clientCertificate`: the CN of the certificate the caller presented (TLS mode only); `signature`:
 * whether the call's X-Signature checked out under the insurer's key (only for insurers that sign).
 */
export interface Received { insurerCode: string; raw: string; json: Record<string, unknown>; headers: IncomingMessage['headers']; at: number; clientCertificate?: string; signature?: 'valid' | 'invalid' }

/**
 * TLS mode: the server's certificate and key, and the CA whose client certificates it accepts — a caller
 * without one is refused in the handshake (mutual TLS), as an insurer's gateway does.
 */
export interface MockTls { cert: string; key: string; ca: string }
/** An insurer that expects signed calls: its algorithm and the key it shares with the hospital. */
export interface MockSigning { algorithm: 'hmac-sha256' | 'hmac-sm3'; key: string }

/**
 * The insurer's own reading of the signature scheme (adapters/insurer/README.md), written apart from the
 * gateway's code on purpose: a test against the gateway's own functions would agree with any mistake.
 */
export function insurerSignature(signing: MockSigning, call: { method: string; path: string; timestamp: string; nonce: string; body: Buffer | string }): string {
  const hash = signing.algorithm === 'hmac-sm3' ? 'sm3' : 'sha256';
  const digest = createHash(hash).update(call.body).digest('hex');
  return createHmac(hash, signing.key).update([call.method, call.path, call.timestamp, call.nonce, digest].join('\n')).digest('hex');
}

/** What the insurer answers one call; `delayMs` makes that one answer slow. */
export type Decision = (
  | { status: 'received' | 'accepted' }
  | { status: 'rejected'; reason: string }
  | { http: number; body?: string }
) & { delayMs?: number };

export interface InsurerKnobs {
  latencyMs: number;
  /** Every call answers 503. */
  unavailable: boolean;
  /** Decides each claim (default: received). */
  decide: (claim: Record<string, unknown>) => Decision;
}

export class MockInsurer {
  readonly received: Received[] = [];
  private readonly knobs = new Map<string, InsurerKnobs>();
  private readonly receipts = new Map<string, string>();
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private receiptSeq = 0;
  private readonly signing = new Map<string, MockSigning>();
  port = 0;

  private constructor(private readonly tls?: MockTls) {}

  static async start(options: { tls?: MockTls } = {}): Promise<MockInsurer> {
    const mock = new MockInsurer(options.tls);
    await mock.listen(0);
    return mock;
  }

  url(code: string): string { return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}/insurers/${code}/claims`; }

  /** From now on this insurer answers 401 to a call whose signature does not check out. */
  expectSignatures(code: string, signing: MockSigning): void { this.signing.set(code, signing); }

  set(code: string, knobs: Partial<InsurerKnobs>): void {
    this.knobs.set(code, { ...this.knobsOf(code), ...knobs });
  }

  /** Bodies accepted with a receipt (2xx), per insurer, in arrival order, first arrival of each claim only. */
  delivered(code: string): Array<Record<string, unknown>> {
    const seen = new Set<string>();
    return this.received.filter((r) => r.insurerCode === code && this.receipts.has(`${code}/${String(r.json.claimId)}`) && !seen.has(String(r.json.claimId)) && seen.add(String(r.json.claimId))).map((r) => r.json);
  }

  /** The port refuses connections until `up()`; open connections are cut. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async up(): Promise<void> { await this.listen(this.port); }

  async stop(): Promise<void> { await this.down(); }

  private knobsOf(code: string): InsurerKnobs {
    return this.knobs.get(code) ?? { latencyMs: 0, unavailable: false, decide: () => ({ status: 'received' }) };
  }

  private listen(port: number): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => { void this.answer(req, res); };
    const server: Server = this.tls
      ? createTlsServer({ cert: readFileSync(this.tls.cert), key: readFileSync(this.tls.key), ca: readFileSync(this.tls.ca), requestCert: true, rejectUnauthorized: true }, handler)
      : createServer(handler);
    server.on(this.tls ? 'secureConnection' : 'connection', (socket) => { this.sockets.add(socket); socket.on('close', () => this.sockets.delete(socket)); });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.server = server;
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private signatureChecks(signing: MockSigning, req: IncomingMessage, body: Buffer): boolean {
    const header = (name: string) => String(req.headers[name] ?? '');
    const [algorithm, mac] = header('x-signature').split('=');
    const expected = insurerSignature(signing, { method: req.method ?? '', path: req.url ?? '', timestamp: header('x-timestamp'), nonce: header('x-nonce'), body });
    const ageSeconds = Math.abs(Date.now() / 1000 - Number(header('x-timestamp')));
    return algorithm === signing.algorithm && mac === expected && ageSeconds < 300 && header('x-nonce').length >= 16;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/insurers\/([^/]+)\/claims$/.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!match || req.method !== 'POST') { res.writeHead(404).end(); return; }
    const code = match[1]!;
    const knobs = this.knobsOf(code);
    const raw = Buffer.concat(chunks).toString('utf8');
    const json = JSON.parse(raw) as Record<string, unknown>;
    const peer = this.tls ? (req.socket as TLSSocket).getPeerCertificate() : undefined;
    const signing = this.signing.get(code);
    const signature = signing ? (this.signatureChecks(signing, req, Buffer.concat(chunks)) ? 'valid' : 'invalid') : undefined;
    this.received.push({ insurerCode: code, raw, json, headers: req.headers, at: Date.now(), ...(peer?.subject ? { clientCertificate: String(peer.subject.CN) } : {}), ...(signature ? { signature } : {}) });
    if (signature === 'invalid') { res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad signature' })); return; }
    if (knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, knobs.latencyMs));
    // The caller gave up (its timeout): like a real server, the work may be done, but no receipt reached it.
    if (res.destroyed || req.socket.destroyed) return;
    if (knobs.unavailable) { res.writeHead(503, { 'content-type': 'text/plain' }).end('维护中'); return; }
    const { delayMs, ...decision } = knobs.decide(json);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    if (res.destroyed || req.socket.destroyed) return;
    if ('http' in decision) { res.writeHead(decision.http, { 'content-type': 'application/json' }).end(decision.body ?? JSON.stringify({ error: 'refused' })); return; }
    const key = `${code}/${String(req.headers['idempotency-key'])}`;
    let receiptNo = this.receipts.get(key);
    if (!receiptNo) { receiptNo = `R${String(++this.receiptSeq).padStart(6, '0')}`; this.receipts.set(key, receiptNo); }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ receiptNo, ...decision }));
  }
}
