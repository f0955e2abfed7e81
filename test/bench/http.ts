/**
 * HTTP benchmark: sustained throughput and latency of `POST /v1/settlements` (distinct persons, a
 * 20-item bill) beside three baselines, in one run on one machine — bare express parsing the same body
 * (the 100 %), Node's http server alone doing the same (what express itself costs), and the
 * lean reference (express + the zod request schema + the engine + one Redis EVAL; lean-server.ts).
 * Every server is started first and the loads are interleaved over several rounds, each figure the
 * median of its rounds: on a shared machine whose speed drifts by minutes, a ratio of two runs minutes
 * apart would measure the drift. Each server's CPU per request (from /proc) is the figure to size a
 * deployment by. Run: npm run bench, or npx tsx test/bench/http.ts. Not a test: it reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { freePort } from '../support/ports.js';
import { startRedis } from '../support/redis.js';
import { requestBody, twentyItemBill } from '../support/requests.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Server { child: ChildProcess; port: number }

/** Starts a server script on a free port and waits until it answers. */
async function startProcess(script: string, env: Record<string, string>, probePath: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}${probePath}`);
      if (response.status < 500) return { child, port };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`${script} did not start`);
}

/** CPU time (user + system) a process has used so far, in ms; Linux only. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

let sequence = 0;
const bodies = Array.from({ length: 50 }, (_, i) => twentyItemBill(i));
export function nextBody(): string {
  const n = ++sequence;
  return JSON.stringify(requestBody({
    settlementId: `BENCH${process.pid}x${n}`,
    patient: { id: `9901${String(process.pid).padStart(6, '0')}${String(n).padStart(8, '0')}`, categories: n % 3 === 0 ? ['dibao'] : [] },
    items: bodies[n % bodies.length]!,
  }));
}

export interface LoadResult { rps: number; requests: number; p50: number; p99: number; errors: number; non2xx: number }

export async function load(url: string, path: string, durationS = DURATION_S): Promise<LoadResult> {
  const result = await autocannon({
    url, connections: CONNECTIONS, duration: durationS,
    requests: [{ method: 'POST', path, headers: { 'content-type': 'application/json', authorization: 'Bearer dev-token' }, setupRequest: (req) => ({ ...req, body: nextBody() }) }],
  });
  return { rps: Math.round(result.requests.average), requests: result.requests.total, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx };
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Target { name: string; server: Server; path: string; cpu: boolean; runs: Array<LoadResult & { cpuUsPerRequest: number }> }

export async function benchHttp(): Promise<string[]> {
  const redis = await startRedis();
  const servers: Server[] = [];
  const start = async (script: string, env: Record<string, string>, probe: string) => {
    const server = await startProcess(script, env, probe);
    servers.push(server);
    return server;
  };
  try {
    const gatewayEnv = { HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' };
    const targets: Target[] = [
      { name: 'bare express 5, parse only', server: await start('test/bench/bare-server.ts', {}, '/'), path: '/bare', cpu: true, runs: [] },
      { name: 'node:http alone, parse only (no express)', server: await start('test/bench/node-http-server.ts', {}, '/'), path: '/bare', cpu: true, runs: [] },
      { name: 'lean reference: express + zod + engine + one EVAL', server: await start('test/bench/lean-server.ts', { REDIS_URL: redis.url }, '/'), path: '/lean', cpu: true, runs: [] },
      { name: 'gateway, in-memory ledger', server: await start('gateway/main.ts', gatewayEnv, '/healthz'), path: '/v1/settlements', cpu: true, runs: [] },
      { name: 'gateway, Redis', server: await start('gateway/main.ts', { ...gatewayEnv, REDIS_URL: redis.url }, '/healthz'), path: '/v1/settlements', cpu: true, runs: [] },
      // The primary only forks; its workers' CPU is not counted here.
      { name: 'gateway, Redis, cluster mode (2 workers)', server: await start('gateway/main.ts', { ...gatewayEnv, REDIS_URL: redis.url, CLUSTER_WORKERS: '2' }, '/healthz'), path: '/v1/settlements', cpu: false, runs: [] },
    ];
    await new Promise((r) => setTimeout(r, 1500)); // both cluster workers listening
    // Warm-up: each server's JIT and Redis's scripts, not counted.
    for (const t of targets) await load(`http://127.0.0.1:${t.server.port}`, t.path, 3);
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const before = cpuMs(t.server.child.pid);
        const result = await load(`http://127.0.0.1:${t.server.port}`, t.path);
        t.runs.push({ ...result, cpuUsPerRequest: ((cpuMs(t.server.child.pid) - before) / result.requests) * 1000 });
      }
    }
    const rows: string[] = [
      `HTTP, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION_S} s, 20-item bills, distinct persons (medians; req/s of each round in brackets):`,
      '| endpoint | req/s | of bare | p50 ms | p99 ms | server CPU per request | errors |',
      '|---|---|---|---|---|---|---|',
    ];
    const bareRps = median(targets[0]!.runs.map((r) => r.rps));
    for (const t of targets) {
      const rps = median(t.runs.map((r) => r.rps));
      const cpu = t.cpu ? `${median(t.runs.map((r) => r.cpuUsPerRequest)).toFixed(0)} µs` : '—';
      const errors = t.runs.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
      rows.push(`| ${t.name} | ${rps} (${t.runs.map((r) => r.rps).join(', ')}) | ${Math.round((rps / bareRps) * 100)} % | ${median(t.runs.map((r) => r.p50))} | ${median(t.runs.map((r) => r.p99))} | ${cpu} | ${errors} |`);
    }
    return rows;
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchHttp().then((rows) => console.log(rows.join('\n')), (error: unknown) => { console.error(error); process.exit(1); });
}
