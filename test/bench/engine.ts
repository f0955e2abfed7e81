/**
 * Engine benchmark: settlements per second on one core, a 20-item bill, all five layers computed
 * (the demo region's four public layers) and two supplementary programmes in force.
 */
import { settle } from '../../gateway/engine/settle.js';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import type { Pack } from '../../schemas/pack.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { roster } from '../support/engine.js';
import { requestBody, twentyItemBill } from '../support/requests.js';

const builtin = loadProgrammes();
/** The Weihai ceiling and the Sanming responsibilities, re-homed to the demo region and year for the benchmark only. */
const rehome = (id: string, order: number): Pack => {
  const p = builtin.get(id)!;
  // Its own roster, so the original (三明's roster decides whatever the region) stays out of the demo region's stays.
  const eligibility = p.eligibility.roster ? { ...p.eligibility, roster: { ...p.eligibility.roster, id: `bench-${p.eligibility.roster.id}` } } : p.eligibility;
  return { ...p, id: `bench-${id}`, order, insuredRegions: { ...p.insuredRegions, value: ['99'] }, area: p.area && { ...p.area, value: ['99'] }, term: { ...p.term, from: '2024-01-01', to: '2024-12-31' }, eligibility };
};
const programmes = new ProgrammeSet([...builtin.packs, rehome('weihai-2020-medical', 1), rehome('sanming-2024-puhui', 2)], builtin.catalogues);

const PERSONS = 1000;
const requests = Array.from({ length: PERSONS }, (_, i) => settlementRequest.parse(requestBody({
  settlementId: `B${i}`,
  patient: { id: `99010019800101${String(i).padStart(4, '0')}`, categories: i % 3 === 0 ? ['dibao'] : i % 3 === 1 ? ['dibao-edge'] : [] },
  items: twentyItemBill(i),
})));
const rosters = Object.fromEntries(['bench-weihai-2020-poverty', 'bench-sanming-2024-puhui'].map((id) => [id, roster(requests.map((r) => ({ personId: r.patient.id, from: '2024-01-01', to: '2024-12-31' })))]));
const rostersByPerson = new Map(requests.map((r) => [r.patient.id, Object.fromEntries(Object.entries(rosters).map(([id, rows]) => [id, rows.filter((row) => row.personId === r.patient.id)]))]));
const accumulators = { 'demo-990000-2024-major-illness|2024|tiers.burdenAfterBasic': 1_200_000, 'demo-990000-2024-aid|2024|aid.deductibleUsed': 50_000 };

const sample = settle({ request: requests[0]!, programmes, rosters: rostersByPerson.get(requests[0]!.patient.id)!, accumulators });
const paying = sample.lines.filter((l) => l.amountFen > 0).map((l) => l.programme);
if (sample.lines.length !== 6 || paying.length < 5) throw new Error(`benchmark bill does not exercise every layer: ${paying.join(', ')}`);

/**
 * `perSecond` is by the wall clock; `perCpuSecond` by the CPU time the process got, which is what one
 * core does when the machine is shared (a loaded machine lowers the first, much less the second).
 */
/** The engine's inputs, built beforehand: the loop below measures the engine, not the harness. */
const inputs = requests.map((request) => ({ request, programmes, rosters: rostersByPerson.get(request.patient.id)!, accumulators }));

/** `explain` false: the engine as a replay runs it (what-if, pricing), without explanations. */
export function benchEngine(durationMs = 3000, explain = true): { perSecond: number; perCpuSecond: number; count: number } {
  const run = explain ? inputs : inputs.map((input) => ({ ...input, explain }));
  for (let i = 0; i < 20_000; i++) settle(run[i % PERSONS]!);
  let count = 0;
  const cpuStarted = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(durationMs) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 1000; i++) settle(run[(count + i) % PERSONS]!);
    count += 1000;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { perSecond: Math.round(count / seconds), perCpuSecond: Math.round(count / cpuSeconds), count };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const explain of [true, false]) {
    const { perSecond, perCpuSecond, count } = benchEngine(3000, explain);
    console.log(`engine${explain ? '' : ' without explanations (a replay)'}: ${perSecond.toLocaleString('en')} settlements/s on one core, ${perCpuSecond.toLocaleString('en')} per CPU-second (${count} settlements, 20 items, layers paying: ${paying.join(', ')})`);
  }
}
