/**
 * The composition root: configuration → wiring → listen. Everything outside the engine is chosen here:
 * Redis or the in-memory ledger, Kafka or the in-memory bus, clients, programmes.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Server } from 'node:http';
import { Redis, Cluster } from 'ioredis';
import type { Logger } from 'pino';
import { loadConfig, type Config } from './config.js';
import { createApp, type AppExtension, type ReadinessCheck } from './http/app.js';
import { loadClients } from './http/auth.js';
import { createMetrics } from './http/metrics.js';
import { MemoryLedger } from './ledger/memory.js';
import type { LedgerPort } from './ledger/port.js';
import { RedisLedger } from './ledger/redis.js';
import { createLogger } from './log.js';
import { loadProgrammes } from './programmes/load.js';
import { SettlementService } from './service/settlements.js';
import type { GatewayPart, PartDeps } from './parts.js';
import { startOperations } from './operations/part.js';
import { createStore } from './store/create.js';
import { startDesk } from './desk/part.js';
import { startStreaming } from './streaming.js';
import { startInsurers } from '../adapters/insurer/index.js';
import { startNhsa } from '../adapters/nhsa/index.js';
import { startFhir } from '../adapters/fhir/index.js';

export const VERSION = '0.1.0';

/** Connection errors are expected while Redis is away: say so, once every 10 s, rather than per retry. */
function watchConnection(client: Redis | Cluster, log: Logger): Redis | Cluster {
  let lastLoggedMs = 0;
  client.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLoggedMs < 10_000) return;
    lastLoggedMs = now;
    log.warn({ err: error.message }, 'redis connection error (readiness fails until it recovers)');
  });
  return client;
}

function createLedger(config: Config, log: Logger): LedgerPort {
  const options = { prefix: config.REDIS_KEY_PREFIX };
  // Fail fast per command while Redis is away (one reconnect attempt, then the error): /readyz reports
  // it and calls answer 503 instead of hanging. The offline queue stays on so start-up does not race the connection.
  // Auto-pipelining batches the commands of concurrent requests into one socket write per tick.
  const redisOptions = { maxRetriesPerRequest: 1, connectTimeout: 2_000, enableAutoPipelining: true } as const;
  if (config.REDIS_CLUSTER_NODES) {
    log.info({ nodes: config.REDIS_CLUSTER_NODES }, 'ledger: Redis Cluster');
    const nodes = config.REDIS_CLUSTER_NODES.map((n) => { const [host, port] = n.split(':'); return { host: host ?? '127.0.0.1', port: Number(port ?? 6379) }; });
    return new RedisLedger(watchConnection(new Cluster(nodes, { redisOptions }), log), options);
  }
  if (config.REDIS_URL) {
    log.info({ url: config.REDIS_URL.replace(/\/\/[^@]*@/, '//***@') }, 'ledger: Redis');
    return new RedisLedger(watchConnection(new Redis(config.REDIS_URL, redisOptions), log), options);
  }
  if (config.NODE_ENV === 'production') throw new Error('REDIS_URL or REDIS_CLUSTER_NODES is required in production');
  log.warn('ledger: in memory (no REDIS_URL) — state is lost when the process stops; for development only');
  return new MemoryLedger();
}

export interface Gateway { server: Server; port: number; ledger: LedgerPort; stop(): Promise<void> }

export async function startGateway(config: Config = loadConfig(), log: Logger = createLogger(config.LOG_LEVEL)): Promise<Gateway> {
  const production = config.NODE_ENV === 'production';
  const { clients, development } = loadClients(config.GATEWAY_CLIENTS_FILE, production);
  if (development) log.warn('no GATEWAY_CLIENTS_FILE: the development client (token "dev-token", desk+admin, all hospitals) is active');
  const programmes = loadProgrammes(config.PROGRAMMES_DIR ?? []);
  log.info({ programmes: programmes.packs.map((p) => `${p.id}@${p.version}${p.status === 'template' ? ' (template)' : ''}`) }, 'programmes loaded');
  const ledger = createLedger(config, log);
  const metrics = createMetrics();
  const service = new SettlementService({ ledger, programmes, onCommitRetry: () => metrics.ledgerRetries.inc() });
  const streaming = await startStreaming({ config, ledger, service, programmes, metrics, log });
  const readiness: ReadinessCheck[] = [{ name: ledger.kind === 'redis' ? 'redis' : 'memory-ledger', check: () => ledger.ping() }, ...streaming.readiness];
  // Adapters and the desk start here, one line each (see GatewayPart): their routes, readiness and stop.
  const partDeps: PartDeps = { config, ledger, service, programmes, metrics, log, bus: streaming.bus, store: createStore(config, ledger) };
  const parts: GatewayPart[] = [
    await startInsurers(partDeps),
    await startNhsa(partDeps),
    await startFhir(partDeps),
    await startDesk(partDeps),
    await startOperations(partDeps),
  ];
  const extensions: AppExtension[] = parts.flatMap((p) => (p.extension ? [p.extension] : []));
  readiness.push(...parts.flatMap((p) => p.readiness ?? []));
  const app = createApp({
    service, ledger, programmes, clients, metrics, log, readiness, version: VERSION, extensions,
    bodyLimitBytes: config.BODY_LIMIT_BYTES, requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  });
  const server = await new Promise<Server>((resolve) => { const s = app.listen(config.PORT, config.HOST, () => resolve(s)); });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = config.REQUEST_TIMEOUT_MS * 2;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  log.info({ port, ledger: ledger.kind, bus: streaming.kind }, `settlement gateway listening on http://${config.HOST}:${port}`);
  return {
    server,
    port,
    ledger,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const part of parts) await part.stop?.();
      await streaming.stop();
      await ledger.close();
    },
  };
}

async function runCluster(config: Config, log: Logger): Promise<void> {
  const workers = config.CLUSTER_WORKERS === 'auto' ? availableParallelism() : config.CLUSTER_WORKERS;
  if (cluster.isPrimary) {
    if (!config.REDIS_URL && !config.REDIS_CLUSTER_NODES) throw new Error('cluster mode shares state through Redis: set REDIS_URL');
    log.info({ workers }, 'cluster mode: starting workers');
    let stopping = false;
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on('exit', (worker, code) => {
      if (stopping) return;
      log.error({ pid: worker.process.pid, code }, 'worker exited; starting another');
      cluster.fork();
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        stopping = true;
        log.info({ signal }, 'stopping workers');
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
      });
    }
    return;
  }
  await startGateway(config, log);
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isEntryPoint) {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const start = config.CLUSTER_WORKERS === 0 ? startGateway(config, log).then((g) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'stopping');
      g.stop().then(() => process.exit(0), (error: unknown) => { log.error({ err: error }, 'stop failed'); process.exit(1); });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  }) : runCluster(config, log);
  start.catch((error: unknown) => {
    log.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  });
}
