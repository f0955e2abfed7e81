/**
 * Where the time of `POST /v1/settlements` goes: the gateway on the in-memory ledger under a short
 * autocannon load (the HTTP bench's bodies and connections), run with `node --cpu-prof`; prints the
 * functions with the most self time. Not part of npm run bench.
 * Run: BENCH_SECONDS=10 npx tsx test/bench/profile-http.ts [top]; PROFILE_LEDGER=redis profiles it on a
 * real Redis started for the run (the HTTP bench's setting) instead; PROFILE_SERVER=lean profiles the lean
 * reference (test/bench/lean-server.ts, on such a Redis) under the same load, to set the two side by side.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { freePort } from '../support/ports.js';
import { load } from './http.js';
import { startRedis } from '../support/redis.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] }

const fileOf = (url: string): string => (url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url);

/** The module a frame belongs to: a package, a folder of the gateway, node's internals, or V8 itself. */
const areaOf = (file: string): string => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1]!;
  if (file.startsWith('node:')) return 'node internals';
  if (!file) return '(native: syscalls, GC)';
  return file.split('/').slice(0, 2).join('/');
};

/**
 * Self time by function, and by area, in ms, largest first. Project code runs through tsx, whose
 * frames carry no useful line, so a function is named by its name and file (anonymous ones of one file add up).
 * `fromUs`: samples before this instant (the profile's monotonic clock, µs) are left out — the start-up.
 */
export function selfTimes(profile: CpuProfile, fromUs = 0): { functions: Row[]; areas: Row[]; busyMs: number } {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  let at = profile.startTime;
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    const frame = byNode.get(id)!.callFrame;
    if (at < fromUs || frame.functionName === '(idle)') return;
    const file = fileOf(frame.url);
    const line = file.startsWith('gateway/') || file.startsWith('schemas/') || file.startsWith('adapters/') ? '' : `:${frame.lineNumber + 1}`;
    const where = `${frame.functionName || '(anonymous)'}${file ? ` ${file}${line}` : ''}`;
    const us = profile.timeDeltas[i] ?? 0;
    functions.set(where, (functions.get(where) ?? 0) + us);
    areas.set(areaOf(file), (areas.get(areaOf(file)) ?? 0) + us);
    busy += us;
  });
  const rows = (m: Map<string, number>) => [...m].map(([where, us]) => ({ where, ms: us / 1000, share: us / busy })).sort((a, b) => b.ms - a.ms);
  return { functions: rows(functions), areas: rows(areas), busyMs: busy / 1000 };
}

interface Row { where: string; ms: number; share: number }

async function main(top: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cpu-prof-'));
  const port = await freePort();
  const withoutDependencies = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REDIS_') && !name.startsWith('KAFKA_')));
  const lean = process.env.PROFILE_SERVER === 'lean';
  const redis = process.env.PROFILE_LEDGER === 'redis' || lean ? await startRedis() : undefined;
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', lean ? 'test/bench/lean-server.ts' : 'gateway/main.ts'], {
    // The in-memory ledger and bus unless PROFILE_LEDGER=redis: no other Redis or Kafka settings reach the child.
    env: { ...withoutDependencies, ...(redis ? { REDIS_URL: redis.url } : {}), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let ready = false; !ready;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`);
    ready = await fetch(`${url}${lean ? '/' : '/healthz'}`).then((r) => r.ok, () => false);
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  // V8's profile clock and process.hrtime are both the monotonic clock: the start-up is left out.
  const loadStartUs = Number(process.hrtime.bigint() / 1000n);
  const result = await load(url, lean ? '/lean' : '/v1/settlements');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  await redis?.stop();
  // The main thread's profile: tsx's loader thread writes one too (…0.002.cpuprofile), with the higher sequence number.
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()[0];
  if (!file) throw new Error('no profile written');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  console.log(`load: ${result.rps} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, errors ${result.errors + result.non2xx}; profile ${join(dir, file)}`);
  const { functions, areas, busyMs } = selfTimes(profile, loadStartUs);
  console.log(`busy (not idle) during the load: ${busyMs.toFixed(0)} ms of CPU, ${(busyMs / result.requests).toFixed(2)} ms per request; shares are of that`);
  const table = (title: string, rows: Row[]) => {
    console.log(`| ${title} | self ms | µs per request | share |\n|---|---|---|---|`);
    for (const row of rows.slice(0, top)) console.log(`| ${row.where} | ${row.ms.toFixed(0)} | ${((row.ms * 1000) / result.requests).toFixed(1)} | ${(row.share * 100).toFixed(1)} % |`);
  };
  table('function', functions);
  table('area', areas);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(Number(process.argv[2] ?? 20)).catch((error: unknown) => { console.error(error); process.exit(1); });
}
