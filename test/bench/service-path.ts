/**
 * The settle path in process, without HTTP: the lossless parse of the body text, then `service.settle`
 * (zod, fingerprint, per-person queue, engine, split, record, commit) on the in-memory ledger or a real
 * Redis (`SERVICE_LEDGER=redis`, started for the run), N settlements of distinct persons, `IN_FLIGHT` at
 * once (`SERVICE_PATH=lean`: the lean reference's own steps instead). Prints CPU µs per settlement and the garbage collections seen (perf_hooks);
 * on Redis also the server's CPU per settlement and its commands' calls and time (INFO commandstats). Deterministic enough
 * for `valgrind --tool=callgrind` instruction counts of one change against another. HEAP_PROFILE=<file> samples what is
 * allocated, by area; with HEAP_MINOR=0 only what survives a young collection (what is held across a settlement's awaits).
 * Run: npx tsx test/bench/service-path.ts [n] ; not part of npm run bench.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { parseJsonText } from '../../gateway/service/json-text.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { settle } from '../../gateway/engine/settle.js';
import { toSplit } from '../../gateway/engine/split.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { requestBody, twentyItemBill } from '../support/requests.js';
import { startRedis } from '../support/redis.js';
import { cpuMs } from './http.js';

const N = Number(process.argv[2] ?? 4000);
const WARMUP = Number(process.env.WARMUP ?? 2000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 32);
const onRedis = process.env.SERVICE_LEDGER === 'redis';
const onLean = process.env.SERVICE_PATH === 'lean';

const items = Array.from({ length: 50 }, (_, i) => twentyItemBill(i));
let sequence = 0;
function nextBody(): string {
  const n = ++sequence;
  return JSON.stringify(requestBody({
    settlementId: `SP${n}`,
    patient: { id: `9901${String(n).padStart(14, '0')}`, categories: n % 3 === 0 ? ['dibao'] : [] },
    items: items[n % items.length]!,
  }));
}

const redis = onRedis ? await startRedis() : null;
const client = redis ? new Redis(redis.url, { enableAutoPipelining: true }) : null;
const ledger = client ? new RedisLedger(client) : new MemoryLedger();
const service = new SettlementService({ ledger, programmes: loadProgrammes() });

const programmes = loadProgrammes();
/** The lean reference's own steps (test/bench/lean-server.ts without express): JSON.parse, zod, engine, split, its JSON, one EVAL. */
async function lean(text: string): Promise<void> {
  const request = settlementRequest.parse(JSON.parse(text));
  const engine = settle({ request, programmes, rosters: {}, accumulators: {} });
  const split = toSplit(engine, { gatewayId: 'stl_lean', settlementId: request.settlementId, hospitalId: request.hospital.id, personId: request.patient.id, status: 'settled', settledAt: '2024-03-10T09:12:00+08:00' });
  const splitJson = JSON.stringify(split);
  if (client) await client.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, `lean:${request.hospital.id}:${request.settlementId}`, splitJson);
}

async function run(count: number): Promise<void> {
  // Each body is made when its turn comes (as a request arrives), so none outlives its settlement.
  let left = count;
  const lane = async (): Promise<void> => {
    while (left-- > 0) {
      if (onLean) { await lean(nextBody()); continue; }
      const outcome = await service.settle(parseJsonText(nextBody(), { lossless: true }), undefined);
      if (outcome.replay) throw new Error('a new settlement answered as a replay');
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

interface HeapNode { callFrame: { url: string }; selfSize: number; children: HeapNode[] }

/** KB allocated per settlement by area (a package, a folder of the project, node, or V8's natives), largest first. */
function allocatedByArea(head: HeapNode, settlements: number): string {
  const areas = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode): void => {
    const url = node.callFrame.url;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const area = pkg ? pkg[1]! : url.startsWith('node:') ? 'node' : url ? url.replace(/^file:\/\/[^]*?\/(gateway|schemas|test)\//, '$1/') : '(native: JSON, strings, buffers)';
    areas.set(area, (areas.get(area) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(head);
  const kb = (bytes: number) => (bytes / settlements / 1024).toFixed(1);
  return [`  allocated: ${kb(total)} KB per settlement`, ...[...areas].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([area, bytes]) => `    ${kb(bytes).padStart(6)} KB  ${area}`)].join('\n');
}

await run(WARMUP);
// HEAP_PROFILE=<file>: V8's sampling heap profile of the measured settlements, collected objects included (what allocates, not what stays).
const heapProfile = process.env.HEAP_PROFILE;
const inspector = heapProfile ? new Session() : null;
if (inspector) {
  inspector.connect();
  await inspector.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.HEAP_MINOR !== '0' });
}
let gcMs = 0;
let gcs = 0;
const byKind = new Map<number, { count: number; ms: number }>();
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMs += entry.duration; gcs++;
    // Node's GC entries carry { kind } as `detail`, which @types/node's PerformanceEntry does not declare.
    const detail: unknown = Reflect.get(entry, 'detail');
    const kind = typeof detail === 'object' && detail !== null && 'kind' in detail && typeof detail.kind === 'number' ? detail.kind : 0;
    const k = byKind.get(kind) ?? { count: 0, ms: 0 };
    k.count++; k.ms += entry.duration; byKind.set(kind, k);
  }
});
observer.observe({ entryTypes: ['gc'] });
// Redis's side of the measured settlements: its CPU, and each command's calls and time (INFO commandstats).
await client?.config('RESETSTAT');
const redisCpuBefore = redis ? cpuMs(redis.pid) : 0;
const cpu = process.cpuUsage();
const wall = performance.now();
await run(N);
const used = process.cpuUsage(cpu);
const wallMs = performance.now() - wall;
const redisCpuUs = redis ? (cpuMs(redis.pid) - redisCpuBefore) * 1000 : 0;
const commandStats = client ? String(await client.info('commandstats')).split('\n').filter((line) => line.startsWith('cmdstat_')).map((line) => {
  const [name, fields] = line.trim().replace('cmdstat_', '').split(':');
  const stat = Object.fromEntries((fields ?? '').split(',').map((kv) => kv.split('=')));
  return `    ${name}: ${(Number(stat.calls) / N).toFixed(1)} calls, ${(Number(stat.usec) / N).toFixed(1)} µs per settlement`;
}) : [];
await new Promise((r) => setTimeout(r, 10));
observer.disconnect();
const cpuUs = used.user + used.system;
let heapSummary = '';
if (inspector && heapProfile) {
  const { profile } = await inspector.post('HeapProfiler.stopSampling');
  writeFileSync(heapProfile, JSON.stringify(profile));
  inspector.disconnect();
  heapSummary = allocatedByArea(profile.head, N);
}
client?.disconnect();
await redis?.stop();
// Written last, Redis already stopped: a reader that closes the pipe early (| head -1) leaves no server behind.
console.log([
  `${onLean ? 'lean ' : ''}${onRedis ? 'redis' : 'memory'}: ${N} settlements, ${(cpuUs / N).toFixed(1)} µs CPU each (${((wallMs * 1000) / N).toFixed(1)} µs wall), GC ${gcs} times, ${((gcMs * 1000) / N).toFixed(1)} µs of pauses per settlement`,
  `  GC by kind (1 minor, 2 major, 4 incremental, 8 weak): ${[...byKind].map(([k, v]) => `${k}: ${v.count}× ${v.ms.toFixed(1)} ms`).join(', ')}`,
  ...(redis ? [`  Redis: ${(redisCpuUs / N).toFixed(1)} µs CPU per settlement; by command (time inside scripts counted in their EVALSHA too):`, ...commandStats] : []),
  ...(heapSummary ? [heapSummary] : []),
].join('\n'));
