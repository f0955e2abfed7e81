/**
 * A mock 医保 platform for delivery tests: accepts POSTed nhsa.settlements messages over HTTP and
 * answers the national output. Knobs: fail with 503 (`failing`), add latency, reject ids (infcode -1).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface MockPlatform {
  url: string;
  /** Bodies acknowledged, in arrival order (parsed JSON), with their ce-id. */
  received: Array<{ ceId: string; body: Record<string, unknown>; text: string }>;
  /** Every request seen (acknowledged or not). */
  attempts: number;
  failing: boolean;
  latencyMs: number;
  /** Native settlementIds whose messages are answered with infcode -1 (a content the platform refuses). */
  rejecting: Set<string>;
  /**
   * The platform's side of the region's security: checks a post's signature and headers and answers the
   * body in the clear, or the refusal (answered infcode -1 and kept in `refused`). Absent: taken as sent.
   */
  open: ((headers: IncomingHttpHeaders, text: string) => { text: string } | { refusal: string }) | undefined;
  refused: string[];
  stop(): Promise<void>;
}

export async function startMockPlatform(): Promise<MockPlatform> {
  const platform: Omit<MockPlatform, 'url' | 'stop'> = { received: [], attempts: 0, failing: false, latencyMs: 0, rejecting: new Set(), open: undefined, refused: [] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      platform.attempts++;
      const ceId = String(req.headers['ce-id'] ?? '');
      setTimeout(() => {
        if (platform.failing) { res.statusCode = 503; res.end('unavailable'); return; }
        res.setHeader('content-type', 'application/json');
        const opened = platform.open ? platform.open(req.headers, Buffer.concat(chunks).toString('utf8')) : { text: Buffer.concat(chunks).toString('utf8') };
        if ('refusal' in opened) { platform.refused.push(opened.refusal); res.end(JSON.stringify({ infcode: -1, err_msg: opened.refusal })); return; }
        const body = JSON.parse(opened.text) as Record<string, unknown>;
        if (platform.rejecting.has(String(body.settlementId))) { res.end(JSON.stringify({ infcode: -1, err_msg: '结算信息校验不通过' })); return; }
        platform.received.push({ ceId, body, text: opened.text });
        res.end(JSON.stringify({ infcode: 0, err_msg: '', output: {} }));
      }, platform.latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(platform, {
    url: `http://127.0.0.1:${port}/settlements`,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}
