/**
 * TCP front end: size-prefixed framing, request header v1 decoding, and
 * strictly in-order request processing per connection (Kafka mutes a channel
 * while a request is in flight, and clients rely on responses arriving in
 * request order).
 */
import net from 'node:net';
import { Reader, Writer, ProtocolError } from './codec.js';
import { ApiKey, handlers, unsupportedApiVersions, type ApiHandler, type RequestContext } from './apis/index.js';
import type { BrokerState } from './state.js';

const MAX_FRAME = 100 * 1024 * 1024;
/** Set KAFKA_TEST_BROKER_DEBUG=1 to trace every request on stderr when a test misbehaves. */
const DEBUG = process.env.KAFKA_TEST_BROKER_DEBUG === '1';

export class KafkaServer {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly byKey = new Map<number, ApiHandler>(handlers.map((h) => [h.key, h]));
  private readonly supported = handlers.map((h) => ({ key: h.key, min: h.minVersion, max: h.maxVersion }));

  constructor(private readonly state: BrokerState) {}

  /** Listen on 127.0.0.1:port (0 = any free port) and return the bound port. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      server.once('error', reject);
      server.listen(port, this.state.config.host, () => {
        server.off('error', reject);
        this.server = server;
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** Stop accepting and drop every client connection, like a broker process dying. */
  close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const abort = new AbortController();
    let pending: Buffer = Buffer.alloc(0);
    let queue: Promise<void> = Promise.resolve();

    const kill = (): void => {
      abort.abort();
      this.sockets.delete(socket);
      socket.destroy();
    };
    socket.on('close', kill);
    socket.on('error', kill);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (size < 0 || size > MAX_FRAME) return kill();
        if (pending.length < 4 + size) break;
        const frame = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        queue = queue.then(() => this.process(frame, socket, abort.signal)).catch((err: unknown) => {
          // Malformed input or an internal bug: Kafka closes the connection; surface bugs on stderr.
          if (!(err instanceof ProtocolError)) console.error('[kafka-test-broker] request failed:', err);
          kill();
        });
      }
    });
  }

  private async process(frame: Buffer, socket: net.Socket, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const r = new Reader(frame);
    const apiKey = r.int16();
    const apiVersion = r.int16();
    const correlationId = r.int32();
    const clientId = r.nullableString();
    const ctx: RequestContext = { state: this.state, clientId, signal, supported: this.supported };
    const handler = this.byKey.get(apiKey);
    let body: Writer | null;
    if (!handler || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      // Only ApiVersions has a defined way to say "unsupported version"; for anything else Kafka drops the connection.
      if (apiKey !== ApiKey.ApiVersions) throw new ProtocolError(`unsupported api ${apiKey} v${apiVersion}`);
      body = unsupportedApiVersions(ctx);
    } else {
      body = await handler.handle(r, apiVersion, ctx);
    }
    if (DEBUG) console.error(`[kafka-test-broker] ${handler?.name ?? apiKey} v${apiVersion} from ${clientId ?? '?'}`);
    if (body === null || signal.aborted) return;
    const drop = this.state.faults.dropResponses.get(apiKey) ?? 0;
    if (drop > 0) {
      this.state.faults.dropResponses.set(apiKey, drop - 1);
      throw new ProtocolError('fault injection: response dropped');
    }
    const payload = body.toBuffer();
    const header = Buffer.allocUnsafe(8);
    header.writeInt32BE(payload.length + 4, 0);
    header.writeInt32BE(correlationId, 4);
    socket.write(Buffer.concat([header, payload]));
  }
}
