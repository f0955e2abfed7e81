/**
 * A city's year on the Redis ledger (issue 25, goal 3), not a test: `npx tsx test/bench/city-year.ts [settlements]`
 * (default BENCH_CITY_SETTLEMENTS or 20 000; persons a quarter of that, 1 % reversed). A synthetic 三明 year is
 * settled through the service into a Redis started here — by lanes of services side by side, each lane its
 * persons' discharges in order at their own instants (synthetic-year.ts), so 10⁶ are stored in minutes, every
 * record as one service settling them in turn writes it — then the operator's commands run against it as an
 * operator runs them, each a process of its own: a first report by person shard, which reads the records and
 * caches the day projections (day-projection.ts), then — reading the cache — the report and the what-if
 * (responsibility 1's deductible 5000 → 6000), each in one process and by person shard in as many as there are
 * cores, and pricing against the 3 % profit cap the premium (a figure the engine never reads: one replay) and
 * responsibility 1's deductible (a figure that moves the claims: a replay at each figure, several a pass). Each
 * row: wall time, settlements per second, and the peak RSS of the command's largest process and the CPU of all
 * its processes (GNU time; the shards' heaps are each bounded by --max-old-space-size), and the CPU the Redis
 * server spent meanwhile.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { BUILTIN_PACKS_DIR } from '../../gateway/programmes/load.js';
import { syntheticYearInLanes } from '../operations/synthetic-year.js';
import { startRedis } from '../support/redis.js';

const run = promisify(execFile);
const main = import.meta.url === `file://${process.argv[1]}`;
export const CITY_YEAR_SETTLEMENTS = Number((main ? process.argv[2] : undefined) ?? process.env.BENCH_CITY_SETTLEMENTS ?? 20_000);
const count = CITY_YEAR_SETTLEMENTS;
const persons = Math.max(1000, Math.round(count / 4));

export interface CityYearRow { what: string; seconds: number; perSecond: number; peakRssMb: number; cpuSeconds: number; redisCpuSeconds: number; /** The 1-minute load average as the row ended. */ load: number }

/** Lanes of services settling the year side by side: enough to keep Redis and this process busy at once. */
const SEED_LANES = 32;

/** CPU seconds a process has used so far (user + system, /proc; clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function benchCityYear(): Promise<CityYearRow[]> {
  const redis = await startRedis();
  const ledger = new RedisLedger(new Redis(redis.url), { prefix: 'gw' });
  const dir = mkdtempSync(join(tmpdir(), 'city-year-'));
  const rows: CityYearRow[] = [];
  try {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let redisBefore = processCpuSeconds(redis.pid);
    await syntheticYearInLanes(ledger, { seed: 2024, programme: 'sanming', settlements: count, persons, reversalShare: 0.01, keepAnswers: false, lanes: SEED_LANES });
    const stored = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    rows.push({
      what: `stored through the service into Redis (one process, ${SEED_LANES} lanes of services)`, seconds: stored, perSecond: count / stored,
      peakRssMb: process.resourceUsage().maxRSS / 1024, cpuSeconds: (cpu.user + cpu.system) / 1e6, redisCpuSeconds: processCpuSeconds(redis.pid) - redisBefore, load: loadavg()[0] ?? 0,
    });
    const yaml = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
    writeFileSync(join(dir, 'candidate.yaml'), yaml.replace('deductible: { amount: "5000", per: year, cite: "004 三(六)2：起付标准', 'deductible: { amount: "6000", per: year, cite: "004 三(六)2：起付标准'));
    // The synthetic year's claims are ~38 000 yuan a person, far above 三明's 150.00: priced at 44 500.00 a person, the
    // profit cap is met by a deductible of about 10 000 (at any size of the year: persons are a quarter of the settlements).
    const priced = yaml.replace('premiumPerPerson: { value: "150",', 'premiumPerPerson: { value: "44500",');
    if (priced === yaml) throw new Error('the 三明 pack no longer writes its premium as the bench expects');
    writeFileSync(join(dir, 'candidate-priced.yaml'), priced);
    const period = ['--from', '2024-01-01', '--to', '2025-01-01'];
    const cores = availableParallelism();
    const commands: Array<[string, string, string[]]> = [
      // The first pass over the year reads the records and caches the day projections (day-projection.ts); the passes after it read the cache.
      [`report, ${cores} processes by person shard, first pass (builds the day projections)`, 'gateway/operations/report-cli.ts', ['--programme', 'sanming-2024-puhui', ...period, '--workers', String(cores)]],
      ['report, one process', 'gateway/operations/report-cli.ts', ['--programme', 'sanming-2024-puhui', ...period, '--workers', '1']],
      [`report, ${cores} processes by person shard`, 'gateway/operations/report-cli.ts', ['--programme', 'sanming-2024-puhui', ...period, '--workers', String(cores)]],
      ['what-if, one process (each settlement replayed twice)', 'gateway/operations/whatif-cli.ts', ['--pack', join(dir, 'candidate.yaml'), ...period, '--workers', '1']],
      [`what-if, ${cores} processes by person shard`, 'gateway/operations/whatif-cli.ts', ['--pack', join(dir, 'candidate.yaml'), ...period, '--workers', String(cores)]],
      // The premium: a figure the engine never reads, so one replay of the year whatever the range (pricing.ts). The
      // deductible moves the claims: 21 samples, then interpolated passes of 3 figures.
      [`pricing the premium 1–100000 against the 3 % profit cap, ${cores} processes (all passes)`, 'gateway/operations/price-cli.ts', ['--pack', join(dir, 'candidate.yaml'), '--figure', 'operations.premiumPerPerson.value', '--unit', 'yuan', '--range', '1:100000', '--profit-cap', ...period, '--workers', String(cores)]],
      [`pricing responsibility 1's deductible 0–20000 against the 3 % profit cap (premium 44500), ${cores} processes (all passes)`, 'gateway/operations/price-cli.ts', ['--pack', join(dir, 'candidate-priced.yaml'), '--figure', 'rules.r1.deductible.amount', '--unit', 'yuan', '--range', '0:20000', '--profit-cap', ...period, '--workers', String(cores)]],
    ];
    for (const [what, script, args] of commands) {
      // As npm run starts it (gateway/launch.mjs: compiled when built, else through tsx), without npm: GNU time measures the command's own processes.
      redisBefore = processCpuSeconds(redis.pid);
      const { stderr } = await run('/usr/bin/time', ['-f', 'TIME %e %M %U %S', process.execPath, '--max-old-space-size=512', 'gateway/launch.mjs', script, ...args], {
        env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, maxBuffer: 64 << 20,
      });
      const [, seconds, kb, user, system] = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr) ?? [];
      const s = Number(seconds);
      rows.push({ what, seconds: s, perSecond: count / s, peakRssMb: Number(kb) / 1024, cpuSeconds: Number(user) + Number(system), redisCpuSeconds: processCpuSeconds(redis.pid) - redisBefore, load: loadavg()[0] ?? 0 });
      if (what.startsWith('pricing')) console.error(stderr.split('\n').filter((l) => l.startsWith('第') || l.includes('临界')).join('\n'));
    }
  } finally {
    await ledger.close();
    await redis.stop();
  }
  return rows;
}

if (main) {
  console.log(`city year: ${count.toLocaleString('en')} settlements of ${persons.toLocaleString('en')} persons (三明, 1 % reversed), Redis, load average ${loadavg()[0]?.toFixed(2) ?? '?'}`);
  for (const r of await benchCityYear()) {
    console.log(`| ${r.what} | ${r.seconds.toFixed(1)} s | ${Math.round(r.perSecond).toLocaleString('en')}/s | ${r.cpuSeconds.toFixed(1)} s + Redis ${r.redisCpuSeconds.toFixed(1)} s | ${Math.round(r.peakRssMb)} MB | load ${r.load.toFixed(1)} |`);
  }
}
