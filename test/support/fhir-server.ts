/**
 * A small FHIR server for the adapter's tests: reads of Patient and Coverage over HTTP (application/fhir+json),
 * with knobs for failure (answer 500, or drop the connection) and latency, and a count of reads served.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestFhirServer {
  baseUrl: string;
  /** resourceType/id → resource */
  resources: Map<string, Record<string, unknown>>;
  put(resource: Record<string, unknown> & { resourceType: string; id: string }): void;
  /** 'ok' | 'error' (HTTP 500 with an OperationOutcome) | 'drop' (connection destroyed). */
  mode: 'ok' | 'error' | 'drop';
  latencyMs: number;
  reads: number;
  /** The Authorization header of the last read (to check the gateway sends the configured token). */
  lastAuthorization: string | undefined;
  stop(): Promise<void>;
}

export async function startFhirServer(): Promise<TestFhirServer> {
  const state = { mode: 'ok' as TestFhirServer['mode'], latencyMs: 0, reads: 0, lastAuthorization: undefined as string | undefined };
  const resources = new Map<string, Record<string, unknown>>();
  const server: Server = createServer((req, res) => {
    state.reads++;
    state.lastAuthorization = req.headers.authorization;
    const answer = () => {
      if (state.mode === 'drop') { req.socket.destroy(); return; }
      const send = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/fhir+json' }); res.end(JSON.stringify(body)); };
      if (state.mode === 'error') return send(500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] });
      const match = /^\/fhir\/(Patient|Coverage)\/([A-Za-z0-9.-]+)$/.exec(req.url ?? '');
      if (req.method !== 'GET' || !match) return send(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported' }] });
      const found = resources.get(`${match[1]}/${match[2]}`);
      if (!found) return send(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
      send(200, found);
    };
    if (state.latencyMs > 0) setTimeout(answer, state.latencyMs); else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/fhir`,
    resources,
    put(resource) { resources.set(`${resource.resourceType}/${resource.id}`, resource); },
    get mode() { return state.mode; },
    set mode(m) { state.mode = m; },
    get latencyMs() { return state.latencyMs; },
    set latencyMs(ms) { state.latencyMs = ms; },
    get reads() { return state.reads; },
    set reads(n) { state.reads = n; },
    get lastAuthorization() { return state.lastAuthorization; },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
