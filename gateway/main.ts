/**
 * The composition root: configuration → wiring → listen. Everything outside the engine is chosen here:
 * Redis or the in-memory ledger, Kafka or the in-memory bus, clients, programmes.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createApp, type AppExtension, type ReadinessCheck } from './http/app.js';
import { loadClients } from './http/auth.js';
import { createMetrics } from './http/metrics.js';
import type { LedgerPort } from './ledger/port.js';
import { createLogger } from './log.js';
import { loadProgrammes, PackError } from './programmes/load.js';
import { SettlementService } from './service/settlements.js';
import { composeParts, type GatewayPart, type PartDefinition, type PartDeps } from './parts.js';
import { operationsPart } from './operations/part.js';
import { openStorage } from './storage.js';
import { deskPart } from './desk/part.js';
import { asyncApiOf, eventMapping, startStreaming } from './stream/wiring.js';
import { insurerPart } from '../adapters/insurer/index.js';
import { nhsaPart } from '../adapters/nhsa/index.js';
import { fhirPart } from '../adapters/fhir/index.js';

const VERSION = '0.1.0';

/**
 * The parts of the gateway, one line each: each brings its variables, its Kafka audiences and their topics, its
 * ACL grants, its routes, readiness and stop (gateway/parts.ts). A new payer adapter is its folder and a line here.
 */
export const PARTS: readonly PartDefinition[] = [insurerPart, nhsaPart, fhirPart, deskPart, operationsPart];

/** The parts put together (composeParts): what the core, the command-line tools and the deploy checks are given of them. */
export const COMPOSED = composeParts(PARTS);
export const { configurationVariables, configurationSchema } = COMPOSED;

export interface Gateway { server: Server; port: number; ledger: LedgerPort; stop(): Promise<void> }

const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * The HTTP server's own limits, so that a slow client cannot hold a socket: headers and the whole
 * request must arrive within the request timeout (plus a second, so the app's 503 answers first), and
 * Node checks for expired connections every second instead of every 30.
 */
export function serverTimeouts(requestTimeoutMs: number) {
  const requestTimeout = requestTimeoutMs + 1_000;
  return { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs) };
}

export async function startGateway(config: Config = loadConfig(), log: Logger = createLogger(config.LOG_LEVEL)): Promise<Gateway> {
  const production = config.NODE_ENV === 'production';
  const { clients, development } = loadClients(config.GATEWAY_CLIENTS_FILE, production);
  if (development) log.warn('no GATEWAY_CLIENTS_FILE: the development client (token "dev-token", desk+admin, all hospitals) is active');
  const programmes = loadProgrammes(config.PROGRAMMES_DIR ?? []);
  log.info({ programmes: programmes.packs.map((p) => `${p.id}@${p.version}${p.status === 'active' ? '' : ` (${p.status})`}`) }, 'programmes loaded');
  const { ledger, store } = await openStorage(config, log);
  const metrics = createMetrics({ ledgerMemory: () => ledger.memory() });
  const service = new SettlementService({ ledger, programmes, onCommitRetry: () => metrics.ledgerRetries.inc() });
  const audiences = COMPOSED.audiences({ config, programmes });
  const streaming = await startStreaming({ config, ledger, service, metrics, log, audiences });
  const readiness: ReadinessCheck[] = [{ name: ledger.kind === 'redis' ? 'redis' : 'memory-ledger', check: () => ledger.ping() }, ...streaming.readiness];
  // The parts start in their order (PARTS): their routes, readiness and stop.
  const partDeps: PartDeps = { config, ledger, service, programmes, metrics, log, bus: streaming.bus, mapping: eventMapping(config, audiences), store };
  const parts: GatewayPart[] = [];
  for (const part of PARTS) parts.push(await part.start(partDeps));
  const extensions: AppExtension[] = parts.flatMap((p) => (p.extension ? [p.extension] : []));
  readiness.push(...parts.flatMap((p) => p.readiness ?? []));
  const app = createApp({
    service, ledger, programmes, clients, metrics, log, readiness, version: VERSION, extensions, asyncApi: asyncApiOf(config, audiences, VERSION),
    bodyLimitBytes: config.BODY_LIMIT_BYTES, requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  });
  const server = createServer(serverTimeouts(config.REQUEST_TIMEOUT_MS), app);
  // Idle keep-alive connections outlive a load balancer's idle timeout (60 s by default on most), so it never reuses a closing one.
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(config.PORT, config.HOST, () => { server.off('error', reject); resolve(); }); });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  log.info({ port, ledger: ledger.kind, bus: streaming.kind }, `settlement gateway listening on http://${config.HOST}:${port}`);
  return {
    server,
    port,
    ledger,
    async stop() {
      await drain(server, config.REQUEST_TIMEOUT_MS);
      for (const part of parts) await part.stop?.();
      await streaming.stop();
      await ledger.close();
    },
  };
}

/** The primary forks workers and answers null; a worker starts its gateway. */
async function runCluster(config: Config, log: Logger): Promise<Gateway | null> {
  const workers = config.CLUSTER_WORKERS === 'auto' ? availableParallelism() : config.CLUSTER_WORKERS;
  if (cluster.isPrimary) {
    if (!config.REDIS_URL && !config.REDIS_CLUSTER_NODES) throw new ConfigError(['CLUSTER_WORKERS: cluster mode shares state through Redis: set REDIS_URL']);
    log.info({ workers }, 'cluster mode: starting workers');
    let stopping = false;
    // A worker keeps its index across restarts: its Kafka identities (and the relay, on worker 0) carry on.
    const indexOf = new Map<number, number>();
    const fork = (index: number) => indexOf.set(cluster.fork({ GATEWAY_WORKER_INDEX: String(index) }).id, index);
    for (let i = 0; i < workers; i++) fork(i);
    cluster.on('exit', (worker, code) => {
      const index = indexOf.get(worker.id) ?? 0;
      indexOf.delete(worker.id);
      if (stopping) return;
      log.error({ pid: worker.process.pid, code, index }, 'worker exited; starting another');
      fork(index);
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        stopping = true;
        log.info({ signal }, 'stopping workers');
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
      });
    }
    return null;
  }
  return startGateway(config, log);
}

/**
 * Stops taking connections and lets the requests in flight finish: idle keep-alive connections are
 * closed at once and as each request ends; whatever is still open after the request timeout (and a
 * second for its answer to go out) is cut, so a stop is bounded.
 */
async function drain(server: Server, requestTimeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), requestTimeoutMs + 1_000);
  try {
    await closed;
  } finally {
    clearInterval(idle);
    clearTimeout(deadline);
  }
}

/** Start-up failed: a configuration problem is one line per problem and exit 1; anything else is logged with its stack. */
function failStart(error: unknown, log?: Logger): never {
  if (error instanceof ConfigError || error instanceof PackError) {
    const problems = error instanceof ConfigError ? error.problems : error.message.split('\n').filter((l) => l.trim() !== '').map((l) => l.trim());
    for (const problem of problems) process.stderr.write(`configuration error: ${problem}\n`);
  } else if (log) {
    log.fatal({ err: error }, 'start-up failed');
  } else {
    process.stderr.write(`start-up failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  }
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    // Every part's variables are judged with the core's, so every problem is said before anything starts.
    config = loadConfig(process.env, COMPOSED.variables);
  } catch (error) {
    failStart(error);
  }
  const log = createLogger(config.LOG_LEVEL);
  try {
    const gateway = config.CLUSTER_WORKERS === 0 ? await startGateway(config, log) : await runCluster(config, log);
    // The cluster primary has no gateway of its own: it passes the signal on to its workers (runCluster).
    if (!gateway) return;
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping: draining requests in flight');
      gateway.stop().then(() => process.exit(0), (error: unknown) => { log.error({ err: error }, 'stop failed'); process.exit(1); });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  } catch (error) {
    failStart(error, log);
  }
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isEntryPoint) void main();
