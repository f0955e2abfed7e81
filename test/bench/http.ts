/**
 * HTTP benchmark: sustained settle throughput and latency against a real Redis, beside a bare express
 * endpoint that only parses the same body, same load, same run. Distinct persons, a 20-item bill.
 * Run: npm run bench (or npx tsx test/bench/http.ts). Not a test: it asserts nothing, it reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../support/ports.js';
import autocannon from 'autocannon';
import { startRedis } from '../support/redis.js';
import { requestBody, twentyItemBill } from '../support/requests.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);


/** Starts a server script on a free port and waits until it answers. */
async function startProcess(script: string, env: Record<string, string>, probePath: string): Promise<{ child: ChildProcess; port: number }> {
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

export async function load(url: string, path: string, durationS = DURATION_S): Promise<{ rps: number; requests: number; p50: number; p99: number; errors: number; non2xx: number }> {
  const result = await autocannon({
    url, connections: CONNECTIONS, duration: durationS,
    requests: [{ method: 'POST', path, headers: { 'content-type': 'application/json', authorization: 'Bearer dev-token' }, setupRequest: (req) => ({ ...req, body: nextBody() }) }],
  });
  return { rps: Math.round(result.requests.average), requests: result.requests.total, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx };
}

export async function benchHttp(): Promise<string[]> {
  const redis = await startRedis();
  const rows: string[] = [];
  const children: ChildProcess[] = [];
  try {
    const bare = await startProcess('test/bench/bare-server.ts', {}, '/');
    children.push(bare.child);
    const lean = await startProcess('test/bench/lean-server.ts', { REDIS_URL: redis.url }, '/');
    children.push(lean.child);
    const gatewayEnv = { HOST: '127.0.0.1', REDIS_URL: redis.url, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' };
    const memoryEnv = Object.fromEntries(Object.entries(gatewayEnv).filter(([name]) => name !== 'REDIS_URL'));
    const gateway = await startProcess('gateway/main.ts', gatewayEnv, '/healthz');
    children.push(gateway.child);
    const onMemory = await startProcess('gateway/main.ts', memoryEnv, '/healthz');
    children.push(onMemory.child);
    // Warm-up: each server's JIT and Redis's scripts, not counted.
    await load(`http://127.0.0.1:${gateway.port}`, '/v1/settlements', 3);
    await load(`http://127.0.0.1:${onMemory.port}`, '/v1/settlements', 3);
    await load(`http://127.0.0.1:${lean.port}`, '/lean', 3);
    await load(`http://127.0.0.1:${bare.port}`, '/bare', 3);
    const bareResult = await load(`http://127.0.0.1:${bare.port}`, '/bare');
    const leanResult = await load(`http://127.0.0.1:${lean.port}`, '/lean');
    const memoryResult = await load(`http://127.0.0.1:${onMemory.port}`, '/v1/settlements');
    const settleResult = await load(`http://127.0.0.1:${gateway.port}`, '/v1/settlements');
    for (const child of [gateway.child, onMemory.child, lean.child]) child.kill('SIGTERM');
    const clustered = await startProcess('gateway/main.ts', { ...gatewayEnv, CLUSTER_WORKERS: '2' }, '/healthz');
    children.push(clustered.child);
    await new Promise((r) => setTimeout(r, 1500)); // both workers listening
    const clusterResult = await load(`http://127.0.0.1:${clustered.port}`, '/v1/settlements');
    const line = (name: string, r: typeof bareResult) => `| ${name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors + r.non2xx} |`;
    rows.push(`HTTP, ${CONNECTIONS} connections, ${DURATION_S} s each, 20-item bills, distinct persons, Redis ${redis.url}:`);
    rows.push('| endpoint | req/s | p50 ms | p99 ms | errors |', '|---|---|---|---|---|');
    rows.push(
      line('bare express, parse only', bareResult),
      line('lean reference: express + zod + engine + one EVAL', leanResult),
      line('POST /v1/settlements, in-memory ledger', memoryResult),
      line('POST /v1/settlements, Redis', settleResult),
      line('POST /v1/settlements, Redis, cluster 2 workers', clusterResult),
    );
    const ofBare = (r: typeof bareResult) => `${(r.rps / bareResult.rps * 100).toFixed(0)}%`;
    rows.push(`of bare: lean ${ofBare(leanResult)}, gateway on memory ${ofBare(memoryResult)}, gateway on Redis ${ofBare(settleResult)}`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await redis.stop();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchHttp().then((rows) => console.log(rows.join('\n')), (error: unknown) => { console.error(error); process.exit(1); });
}
