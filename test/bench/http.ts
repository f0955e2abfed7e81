/**
 * HTTP benchmark: sustained throughput and latency of `POST /v1/settlements` (distinct persons, a
 * 20-item bill) beside three baselines, in one run on one machine — bare express parsing the same body
 * (the issue's 100 %), Node's http server alone doing the same (what express itself costs), and the
 * lean reference (express + the zod request schema + the engine + one Redis EVAL; lean-server.ts).
 * Every server is started first and the loads are interleaved over several rounds (every other round in
 * the opposite order), each figure the median of its rounds: on a shared machine whose speed drifts by
 * minutes, a ratio of two runs minutes apart would measure the drift. Each server's CPU per request (from /proc) is the figure to size a
 * deployment by. Run: npm run bench, or npx tsx test/bench/http.ts. Not a test: it reports.
 *
 * Then the open-loop row: bare express and the gateway on Redis at one fixed rate, half the gateway's own
 * median maximum, over 8 connections (BENCH_RATE_CONNECTIONS), rounds interleaved likewise. autocannon's
 * fixed rate is a quota per connection and second: each connection sends its share back to back from the
 * start of every second and then waits for the next, so the load comes in bursts (at 32 connections they
 * give bare express itself a p99 near 100 ms); and its latencies are corrected for coordinated omission
 * with an expected interval of 1 ms (ceil of 1/rate), so a response of n ms counts as n samples; a run of d
 * seconds holds up to d + 1 windows, so the row gives the rate served. Both servers are measured alike: the
 * ratio of their p99s is the figure, not either p99 alone.
 *
 * A/B: BENCH_BEFORE=<a checkout of the code before, its node_modules in place> adds the gateway on Redis
 * started from there, loaded in the same rounds beside today's; BENCH_ONLY=lean,redis,before (keys below)
 * loads only those targets.
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
const RATE_CONNECTIONS = Number(process.env.BENCH_RATE_CONNECTIONS ?? 8);
const BEFORE_DIR = process.env.BENCH_BEFORE;
const ONLY = process.env.BENCH_ONLY?.split(',');
/** Node flags of this checkout's gateways (not the lean reference's, bare express's or BENCH_BEFORE's). */
export const GATEWAY_FLAGS = process.env.BENCH_GATEWAY_FLAGS?.split(' ').filter(Boolean) ?? [];

interface Server { child: ChildProcess; port: number }

/** Starts a server script on a free port and waits until it answers. */
async function startProcess(script: string, env: Record<string, string>, probePath: string, cwd?: string, nodeFlags: readonly string[] = []): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script], { cwd, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
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
export function cpuMs(pid: number | undefined): number {
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

/** `rate`: a fixed overall rate (requests per second) over `connections`; absent, as fast as the server answers. */
export async function load(url: string, path: string, durationS = DURATION_S, rate?: { perSecond: number; connections: number }): Promise<LoadResult> {
  const result = await autocannon({
    url, connections: rate?.connections ?? CONNECTIONS, duration: durationS, ...(rate ? { overallRate: rate.perSecond } : {}),
    requests: [{ method: 'POST', path, headers: { 'content-type': 'application/json', authorization: 'Bearer dev-token' }, setupRequest: (req) => ({ ...req, body: nextBody() }) }],
  });
  return { rps: Math.round(result.requests.average), requests: result.requests.total, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx };
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

type Run = LoadResult & { cpuUsPerRequest: number; redisCpuUsPerRequest: number };
/** `redisPid`: the Redis the target writes to, whose CPU per request is counted too (it shares the machine's cores). */
interface Target { key: string; name: string; server: Server; path: string; cpu: boolean; redisPid?: number; runs: Run[]; atRate: Run[] }

/** One load of a target, with the server's and its Redis's CPU per request over it. */
async function measure(t: Target, rate?: { perSecond: number; connections: number }): Promise<Run> {
  const before = cpuMs(t.server.child.pid);
  const redisBefore = cpuMs(t.redisPid);
  const result = await load(`http://127.0.0.1:${t.server.port}`, t.path, DURATION_S, rate);
  const perRequestUs = (ms: number) => (ms / result.requests) * 1000;
  return { ...result, cpuUsPerRequest: perRequestUs(cpuMs(t.server.child.pid) - before), redisCpuUsPerRequest: perRequestUs(cpuMs(t.redisPid) - redisBefore) };
}

/** The rows as the README quotes them, and the gateway on Redis's median req/s (what the intake's rate is a share of). */
export async function benchHttp(): Promise<{ rows: string[]; gatewayRps: number }> {
  const redis = await startRedis();
  const servers: Server[] = [];
  const start = async (script: string, env: Record<string, string>, probe: string, cwd?: string, nodeFlags?: readonly string[]) => {
    const server = await startProcess(script, env, probe, cwd, nodeFlags);
    servers.push(server);
    return server;
  };
  try {
    const gatewayEnv = { HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' };
    const declared: Array<{ key: string; name: string; script: string; env: Record<string, string>; probe: string; path: string; cpu?: false; cwd?: string }> = [
      { key: 'bare', name: 'bare express 5, parse only', script: 'test/bench/bare-server.ts', env: {}, probe: '/', path: '/bare' },
      { key: 'node', name: 'node:http alone, parse only (no express)', script: 'test/bench/node-http-server.ts', env: {}, probe: '/', path: '/bare' },
      { key: 'lean', name: 'lean reference: express + zod + engine + one EVAL', script: 'test/bench/lean-server.ts', env: { REDIS_URL: redis.url }, probe: '/', path: '/lean' },
      { key: 'memory', name: 'gateway, in-memory ledger', script: 'gateway/main.ts', env: gatewayEnv, probe: '/healthz', path: '/v1/settlements' },
      ...(BEFORE_DIR ? [{ key: 'before', name: `gateway, Redis, before (${BEFORE_DIR})`, script: 'gateway/main.ts', env: { ...gatewayEnv, REDIS_URL: redis.url }, probe: '/healthz', path: '/v1/settlements', cwd: BEFORE_DIR }] : []),
      { key: 'redis', name: 'gateway, Redis', script: 'gateway/main.ts', env: { ...gatewayEnv, REDIS_URL: redis.url }, probe: '/healthz', path: '/v1/settlements' },
      // The primary only forks; its workers' CPU is not counted here.
      { key: 'cluster', name: 'gateway, Redis, cluster mode (2 workers)', script: 'gateway/main.ts', env: { ...gatewayEnv, REDIS_URL: redis.url, CLUSTER_WORKERS: '2' }, probe: '/healthz', path: '/v1/settlements', cpu: false },
    ];
    const targets: Target[] = [];
    for (const d of declared.filter((t) => !ONLY || ONLY.includes(t.key))) {
      const flags = d.script === 'gateway/main.ts' && !d.cwd ? GATEWAY_FLAGS : [];
      const redisPid = d.env.REDIS_URL ? redis.pid : undefined;
      targets.push({ key: d.key, name: d.name, server: await start(d.script, d.env, d.probe, d.cwd, flags), path: d.path, cpu: d.cpu ?? true, ...(redisPid ? { redisPid } : {}), runs: [], atRate: [] });
    }
    if (targets.some((t) => t.key === 'cluster')) await new Promise((r) => setTimeout(r, 1500)); // both cluster workers listening
    // Warm-up: each server's JIT and Redis's scripts, not counted.
    for (const t of targets) await load(`http://127.0.0.1:${t.server.port}`, t.path, 3);
    // Every other round in the opposite order: the server loaded second in a round fared worse by 5–10 % in
    // paired runs of 2026-12-06 (each slot favoured in turn when two checkouts swapped places).
    const inTurn = <T>(list: readonly T[], round: number): readonly T[] => (round % 2 === 0 ? list : [...list].reverse());
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of inTurn(targets, round)) t.runs.push(await measure(t));
    }
    // The open loop: half the gateway's own maximum, the same rate for every server that takes part.
    const gateway = targets.find((t) => t.key === 'redis');
    const atRate = targets.filter((t) => ['bare', 'before', 'redis'].includes(t.key));
    const perSecond = gateway ? Math.round(median(gateway.runs.map((r) => r.rps)) / 2) : 0;
    if (perSecond > 0) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const t of inTurn(atRate, round)) t.atRate.push(await measure(t, { perSecond, connections: RATE_CONNECTIONS }));
      }
    }
    const rows: string[] = [
      `HTTP, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION_S} s, 20-item bills, distinct persons (medians; req/s of each round in brackets):`,
      '| endpoint | req/s | of bare | of the lean reference | p50 ms | p99 ms | server CPU per request | Redis CPU per request | errors |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    const reference = (key: string) => targets.find((t) => t.key === key);
    const medianRps = (t: Target | undefined) => (t ? median(t.runs.map((r) => r.rps)) : NaN);
    const share = (rps: number, of: number) => (Number.isNaN(of) ? '' : `${Math.round((rps / of) * 100)} %`);
    const bareRps = medianRps(reference('bare'));
    const leanRps = medianRps(reference('lean'));
    const errorsOf = (runs: readonly LoadResult[]) => runs.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
    for (const t of targets) {
      const rps = median(t.runs.map((r) => r.rps));
      const cpu = t.cpu ? `${median(t.runs.map((r) => r.cpuUsPerRequest)).toFixed(0)} µs` : '—';
      const redisCpu = t.redisPid ? `${median(t.runs.map((r) => r.redisCpuUsPerRequest)).toFixed(0)} µs` : '—';
      rows.push(`| ${t.name} | ${rps} (${t.runs.map((r) => r.rps).join(', ')}) | ${share(rps, bareRps)} | ${share(rps, leanRps)} | ${median(t.runs.map((r) => r.p50))} | ${median(t.runs.map((r) => r.p99))} | ${cpu} | ${redisCpu} | ${errorsOf(t.runs)} |`);
    }
    if (perSecond > 0) {
      const bare = reference('bare');
      const bareP99 = bare ? median(bare.atRate.map((r) => r.p99)) : NaN;
      rows.push('', `Open loop: ${perSecond} req/s (half the gateway's median maximum above), ${RATE_CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION_S} s (medians; p99 of each round in brackets):`,
        '| endpoint | req/s | p50 ms | p99 ms | p99 of bare express\'s | server CPU per request | errors |', '|---|---|---|---|---|---|---|');
      for (const t of atRate) {
        const p99 = median(t.atRate.map((r) => r.p99));
        rows.push(`| ${t.name} | ${median(t.atRate.map((r) => r.rps))} | ${median(t.atRate.map((r) => r.p50))} | ${p99} (${t.atRate.map((r) => r.p99).join(', ')}) | ${Number.isNaN(bareP99) ? '' : `${(p99 / bareP99).toFixed(1)}×`} | ${median(t.atRate.map((r) => r.cpuUsPerRequest)).toFixed(0)} µs | ${errorsOf(t.atRate)} |`);
      }
    }
    return { rows, gatewayRps: medianRps(reference('redis')) };
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchHttp().then(({ rows }) => console.log(rows.join('\n')), (error: unknown) => { console.error(error); process.exit(1); });
}
