/**
 * `node --expose-gc --import tsx test/bench/operations.ts [settlements]` (default 100 000): a synthetic
 * 三明 year of stored settlements in the in-memory ledger, then the programme report and a what-if
 * (responsibility 1's deductible 5000 → 6000) over all of it: time and memory of each pass. Memory: the
 * live heap's growth over the pass (a full collection before each sample, every 20 s, its time not counted)
 * and the process's peak RSS. First, the memory ledger's heap per stored settlement: the live heap's growth
 * over a year settled into it, with the outbox's entries pending (no relay here) and once acknowledged —
 * measured from a function that keeps nothing but the ledger (the answers would outweigh it).
 * The memory ledger's listing collects the period's records before yielding them (the Redis ledger
 * pages them 500 at a time), so the figures here include that array; see the README.
 * The city's year on Redis, on both cores: test/bench/city-year.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCandidatePack } from '../../gateway/operations/candidate.js';
import { programmeView } from '../../gateway/operations/programme-view.js';
import { whatIf } from '../../gateway/operations/whatif.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { MemoryStore } from '../../gateway/ledger/documents/memory.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { syntheticYear } from '../operations/synthetic-year.js';

const count = Number(process.argv[2] ?? 100_000);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function measure<T>(name: string, pass: () => Promise<T>): Promise<T> {
  // Live heap, not garbage: a full collection before each sample (node --expose-gc), every 20 s (a full collection of the memory ledger's heap is costly); the
  // time of those forced collections is taken out of the pass's time.
  let sampledMs = 0;
  const live = () => { const t = performance.now(); global.gc?.(); const used = process.memoryUsage().heapUsed; sampledMs += performance.now() - t; return used; };
  const before = live();
  sampledMs = 0;
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, live()); }, 20_000);
  const started = performance.now();
  const result = await pass();
  clearInterval(timer);
  const ms = performance.now() - started - sampledMs;
  console.log(`${name}: ${(ms / 1000).toFixed(2)} s (${Math.round(count / (ms / 1000)).toLocaleString('en')} settlements/s), heap +${mb(peak - before)} at peak, peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
  return result;
}

// The heap and the buffers: the memory ledger keeps each record's texts in a buffer outside the heap (packed-record.ts).
const liveHeap = () => { global.gc?.(); const { heapUsed, arrayBuffers } = process.memoryUsage(); return heapUsed + arrayBuffers; };
// Returns the ledger alone: the year's answers (bodies, splits) become garbage before the heap is measured.
const settleYear = async (): Promise<MemoryLedger> => (await syntheticYear({ seed: 1, programme: 'sanming', settlements: count, persons: Math.max(1000, Math.round(count / 4)), reversalShare: 0.01, keepAnswers: false })).ledger;
const warm = async (): Promise<void> => { await syntheticYear({ seed: 2, programme: 'sanming', settlements: 500, persons: 200, keepAnswers: false }); };
await warm(); // modules, packs and compiled code are not the ledger's
const heapBefore = liveHeap();
const generated = performance.now();
const year = { ledger: await settleYear() };
const storedSeconds = (performance.now() - generated) / 1000;
const pending = liveHeap() - heapBefore;
for (;;) { const entries = await year.ledger.readOutbox('bench', 1000, 0); if (entries.length === 0) break; await year.ledger.ackOutbox(entries.map((e) => e.entryId)); }
console.log(`memory ledger: ${Math.round(pending / count).toLocaleString('en')} bytes of heap and buffers per stored settlement with its outbox entry pending, ${Math.round((liveHeap() - heapBefore) / count).toLocaleString('en')} once acknowledged`);
console.log(`stored ${count.toLocaleString('en')} settlements of ${Math.max(1000, Math.round(count / 4)).toLocaleString('en')} persons in ${storedSeconds.toFixed(1)} s (memory ledger, node ${process.version})`);
const programmes = loadProgrammes();
const pack = programmes.get('sanming-2024-puhui');
if (!pack) throw new Error('pack');
const period = { from: '2024-01-01', to: '2025-01-01' };
const report = await measure('report', () => programmeView({ ledger: year.ledger, store: new MemoryStore() }, pack, period));
console.log(`  ${report.settlements} settlements judged, ${report.persons.paid} persons paid, total ${report.paid.total}`);
const yaml = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
const candidate = parseCandidatePack(yaml.replace('deductible: { amount: "5000", per: year, cite: "004 三(六)2：起付标准为5000元', 'deductible: { amount: "6000", per: year, cite: "004 三(六)2：起付标准为5000元'));
const result = await measure('what-if', () => whatIf({ programmes, candidate, source: year.ledger, ledger: year.ledger, period }));
console.log(`  ${result.settlements.replayed} replayed (twice each: baseline and candidate), difference ${result.totals.difference}, ${result.settlements.storedMismatches} differ from the stored answer (settled after a later-reversed one)`);
