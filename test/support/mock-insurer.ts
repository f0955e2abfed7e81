/**
 * A mock of insurers' direct-pay endpoints over a real socket: POST /insurers/<code>/claims. Each
 * insurer can be made slow, answer 503, be down altogether (the port refuses connections), refuse a
 * claim (HTTP 400) or reject it as a decision (拒付, with a reason). It records every body it was sent,
 * byte for byte, and dedupes by Idempotency-Key like a real insurer would.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received { insurerCode: string; raw: string; json: Record<string, unknown>; headers: IncomingMessage['headers']; at: number }

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
  port = 0;

  static async start(): Promise<MockInsurer> {
    const mock = new MockInsurer();
    await mock.listen(0);
    return mock;
  }

  url(code: string): string { return `http://127.0.0.1:${this.port}/insurers/${code}/claims`; }

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
    const server = createServer((req, res) => { void this.answer(req, res); });
    server.on('connection', (socket) => { this.sockets.add(socket); socket.on('close', () => this.sockets.delete(socket)); });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.server = server;
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
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
    this.received.push({ insurerCode: code, raw, json, headers: req.headers, at: Date.now() });
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
