/**
 * Slow clients (issue 8, item 13): a body trickled at one byte a step, or headers never finished, must
 * not hold a socket open beyond the configured request timeout. Raw TCP sockets; the bound is derived
 * from the configuration (request timeout + the server's own margin + one connection check), not a speed.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverTimeouts } from '../../gateway/main.js';
import { startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';

const REQUEST_TIMEOUT_MS = 1_000;
const { requestTimeout, connectionsCheckingInterval } = serverTimeouts(REQUEST_TIMEOUT_MS);
/** The latest a well-behaved server closes such a socket: its request timeout, one check later, plus slack for a loaded machine. */
const CLOSE_BOUND_MS = requestTimeout + connectionsCheckingInterval + 2_000;

/** Sends `head`, then one byte of `trickle` every 100 ms until the server closes the socket (bounded by `giveUpMs`). */
function trickle(port: number, head: string, trickleText: string, giveUpMs: number): Promise<{ closedAfterMs: number | null; received: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    let index = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closedAfterMs: number | null) => { clearInterval(timer); clearTimeout(giveUp); socket.destroy(); resolve({ closedAfterMs, received }); };
    const giveUp = setTimeout(() => finish(null), giveUpMs);
    socket.on('data', (chunk: Buffer) => { received += chunk.toString('utf8'); });
    socket.on('close', () => finish(Date.now() - started));
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => { if (!socket.destroyed && index < trickleText.length) socket.write(trickleText[index++]!); }, 100);
    });
  });
}

describe('slow clients', () => {
  let gw: TestGateway;
  let port: number;
  beforeAll(async () => {
    gw = await startTestGateway({ RELAY_ENABLED: 'false', REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
    port = gw.gateway.port;
  });
  afterAll(async () => { await gw?.stop(); });

  it('closes the socket of a trickled body once the 503 is out', async () => {
    const body = '{"settlementId":"' + 'x'.repeat(500) + '"}';
    const head = `POST /v1/settlements HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.deskA}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { closedAfterMs, received } = await trickle(port, head, body, CLOSE_BOUND_MS + 5_000);
    expect(received).toMatch(/^HTTP\/1\.1 503/);
    expect(closedAfterMs, 'the socket was still open').not.toBeNull();
    expect(closedAfterMs!).toBeLessThanOrEqual(CLOSE_BOUND_MS);
  }, 20_000);

  it('closes the socket of headers that never finish', async () => {
    const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\n';
    const { closedAfterMs } = await trickle(port, head, 'X-Slow: ' + 'y'.repeat(400), CLOSE_BOUND_MS + 5_000);
    expect(closedAfterMs, 'the socket was still open').not.toBeNull();
    expect(closedAfterMs!).toBeLessThanOrEqual(CLOSE_BOUND_MS);
  }, 20_000);
});
