/**
 * A synthetic programme year, generated from a seed: persons of 南通 (低补保) and 三明 (普惠医联保, with
 * its roster), a few thousand discharges over the year settled through the service in date order, a
 * few reversed. Everything the reports should say is kept beside it (the answers as returned), so that
 * tests can compute each figure independently of the ledger's records.
 */
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import type { StoredSettlement } from '../../gateway/ledger/stored.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import type { RosterRow } from '../../schemas/roster.js';
import { ROSTER_LIMITS, rosterRow } from '../../schemas/roster.js';
import type { SettlementRequestInput, Split } from '../../schemas/settlement.js';

/** mulberry32: a small, well-known 32-bit PRNG; the same seed gives the same year. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Settled { body: SettlementRequestInput; split: Split; record: StoredSettlement; reversed: boolean }

export interface SyntheticYear {
  ledger: MemoryLedger;
  service: SettlementService;
  settled: Settled[];
  sanmingRoster: RosterRow[];
}

const NANTONG_CATEGORIES = ['dibao', 'tekun', 'dibao-edge', 'expenditure-hardship', 'children-in-difficulty', 'former-registered-poor'] as const;
const NANTONG_HOSPITALS = ['H32060200001', 'H32068100002', 'H32061200003', 'H32068200004'];
const SANMING_HOSPITALS = ['H35040200001', 'H35042600002', 'H35040300003'];
const DIAGNOSES = ['C34.9', 'E11.9', 'I21.9', 'J18.9', 'K35.8', 'C50.9'];

const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
const pad = (n: number, w: number) => String(n).padStart(w, '0');

export interface YearOptions {
  seed: number; programme: 'nantong' | 'sanming'; persons?: number; settlements?: number; reversalShare?: number;
  /** false: the answers are not kept (a benchmark's year of 10⁵ settlements, where they would outweigh the ledger). */
  keepAnswers?: boolean;
}

/** The programme year each generated year falls in (the packs' terms). */
export const YEAR = { nantong: 2022, sanming: 2024 } as const;
export const PROGRAMME_ID = { nantong: 'nantong-2022-dibubao', sanming: 'sanming-2024-puhui' } as const;

export async function syntheticYear(o: YearOptions): Promise<SyntheticYear> {
  const ledger = new MemoryLedger();
  return { ledger, ...(await syntheticYearInto(ledger, o)) };
}

/** One discharge of the year: the request, the instant it settles, and whether the desk reverses it the same day. */
interface Discharge { body: SettlementRequestInput; at: Date; reverse: boolean }

/** The year's persons, roster and discharges, drawn from the seed in one order whoever settles them. */
function drawYear(o: YearOptions): { sanmingRoster: RosterRow[]; personCount: number; laneOf: (personId: string) => number; discharges: Generator<Discharge> } {
  const random = prng(o.seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const year = YEAR[o.programme];
  const nantongPersons = o.programme === 'nantong' ? o.persons ?? 600 : 0;
  const sanmingPersons = o.programme === 'sanming' ? o.persons ?? 600 : 0;
  const count = o.settlements ?? 3000;

  const persons = [
    ...Array.from({ length: nantongPersons }, (_, i) => ({
      id: `3206${pad(i, 14)}`, index: i, region: pick(['320602', '320681', '320612']), programme: 'nantong' as const,
      categories: random() < 0.9 ? [pick(NANTONG_CATEGORIES)] : random() < 0.5 ? ['institution-supported' as const, 'dibao' as const] : [],
    })),
    ...Array.from({ length: sanmingPersons }, (_, i) => ({
      id: `3504${pad(i, 14)}`, index: nantongPersons + i, region: pick(['350402', '350426', '350403']), programme: 'sanming' as const,
      categories: random() < 0.15 ? ['aid-recipient' as const] : [],
    })),
  ];
  const sanmingRoster = persons.filter((p) => p.programme === 'sanming' && random() < 0.85).map((p) => rosterRow.parse({
    personId: p.id, from: `${year}-01-01`, to: `${year}-12-31`, categories: p.categories, preExisting: random() < 0.3,
  }));
  const indexOf = new Map(persons.map((p) => [p.id, p.index]));

  function* discharges(): Generator<Discharge> {
    const yearMs = Date.UTC(year + 1, 0, 1) - Date.UTC(year, 0, 1);
    for (let n = 0; n < count; n++) {
      // Discharges spread over the year in order; each settles on its discharge day.
      const at = new Date(Date.UTC(year, 0, 1, 1) + Math.floor(((n + random()) / count) * (yearMs - 86_400_000)));
      const dischargedOn = at.toISOString().slice(0, 10);
      const admitted = new Date(at.getTime() - int(1, 20) * 86_400_000).toISOString().slice(0, 10);
      const person = pick(persons);
      const nantong = person.programme === 'nantong';
      const accident = random() < 0.15;
      const aFen = int(50_000, 6_000_000);
      const items: SettlementRequestInput['items'] = [{ code: 'A1', name: '甲类项目', amount: yuan(aFen), class: 'A' }];
      if (random() < 0.7) items.push({ code: 'B1', name: '乙类药品', amount: yuan(int(10_000, 1_500_000)), class: 'B', selfPayRatio: '0.10' });
      if (random() < 0.6) items.push({ code: 'C1', name: '目录外耗材', amount: yuan(int(1_000, 800_000)), class: 'C' });
      if (random() < 0.3) items.push({ code: 'BED', name: '床位费', amount: yuan(int(10_000, 50_000)), class: 'A', overLimit: yuan(int(100, 5_000)) });
      const basicFen = Math.floor(aFen * (0.4 + random() * 0.3));
      const majorFen = random() < 0.3 ? Math.floor(aFen * 0.1) : 0;
      const aidFen = person.categories.length && random() < 0.5 ? Math.floor(aFen * 0.05) : 0;
      const outOfArea = random() < 0.1;
      const hospitalId = nantong ? pick(NANTONG_HOSPITALS) : pick(SANMING_HOSPITALS);
      const body: SettlementRequestInput = {
        settlementId: `ZY${year}${pad(n, 7)}`,
        hospital: { id: hospitalId, region: outOfArea ? (nantong ? '320106' : '350102') : (nantong ? '320602' : '350402'), level: pick([2, 3, 3]), drgPublic: random() < 0.8 },
        patient: { id: person.id, insuredRegion: person.region, scheme: pick(['resident', 'resident', 'employee']), categories: [...person.categories], basicInsuranceActive: random() < 0.97 },
        encounter: {
          kind: !nantong && random() < 0.15 ? 'outpatientSpecial' : 'inpatient', admittedOn: admitted, dischargedOn,
          diagnoses: [{ icd10: pick(DIAGNOSES), primary: true }], cause: accident ? 'accident' : 'disease', thirdPartyLiable: accident && random() < 0.3,
        },
        items,
        upstream: { basic: yuan(basicFen), ...(majorFen ? { majorIllness: yuan(majorFen) } : {}), ...(aidFen ? { aid: yuan(aidFen) } : {}) },
      };
      // The desk reverses it the same day (a corrected bill); accumulators go back exactly.
      yield { body, at, reverse: o.reversalShare ? random() < o.reversalShare : false };
    }
  }
  return { sanmingRoster, personCount: persons.length, laneOf: (personId) => indexOf.get(personId) ?? 0, discharges: discharges() };
}

/** The roster merged in as many calls as the ledger's bound per call asks (a city's 2×10⁵ rows). */
async function putRoster(ledger: LedgerPort, rows: readonly RosterRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROSTER_LIMITS.rowsPerCall) await ledger.putRoster('sanming-2024-puhui', rows.slice(i, i + ROSTER_LIMITS.rowsPerCall), false);
}

/** A service whose clock reads the instant the caller sets: the discharge's. */
function clockedService(ledger: LedgerPort, programmes: ReturnType<typeof loadProgrammes>): { service: SettlementService; setNow(at: Date): void } {
  let now = new Date(0);
  return { service: new SettlementService({ ledger, programmes, clock: () => now }), setNow: (at) => { now = at; } };
}

async function settleOne(lane: ReturnType<typeof clockedService>, d: Discharge): Promise<Settled> {
  lane.setNow(d.at);
  const { split, record } = await lane.service.settle(d.body, undefined);
  if (d.reverse) await lane.service.reverse(d.body.hospital.id, d.body.settlementId, {}, undefined);
  return { body: d.body, split, record, reversed: d.reverse };
}

/** The same year settled into any ledger (the benchmark's Redis), one settlement after another. */
export async function syntheticYearInto(ledger: LedgerPort, o: YearOptions): Promise<Omit<SyntheticYear, 'ledger'>> {
  const drawn = drawYear(o);
  const programmes = loadProgrammes();
  const lane = clockedService(ledger, programmes);
  await putRoster(ledger, drawn.sanmingRoster);
  const settled: Settled[] = [];
  for (const d of drawn.discharges) {
    const entry = await settleOne(lane, d);
    if (o.keepAnswers !== false) settled.push(entry);
  }
  return { service: lane.service, settled, sanmingRoster: drawn.sanmingRoster };
}

/**
 * The same year settled by `lanes` services side by side (a benchmark's year of 10⁶): persons are dealt to
 * lanes, each lane settles its persons' discharges in the year's order through the service, at each one's
 * own instant — so every record, accumulator and counter is what one service settling them in turn writes;
 * only the order in which different persons' commits reach the ledger differs (as at a busy desk). Only
 * this process's `part` of the persons (by their index) is settled, so several processes can share a year.
 * The answers are not kept.
 */
export async function syntheticYearInLanes(ledger: LedgerPort, o: YearOptions & { lanes: number; part?: { index: number; count: number } }): Promise<{ settled: number }> {
  const drawn = drawYear(o);
  const programmes = loadProgrammes();
  const part = o.part ?? { index: 0, count: 1 };
  if (part.index === 0) await putRoster(ledger, drawn.sanmingRoster);
  const LANE_QUEUE = 64;
  const lanes = Array.from({ length: o.lanes }, () => ({ ...clockedService(ledger, programmes), queue: [] as Discharge[], wake: null as (() => void) | null, done: false }));
  let settled = 0;
  let failure: unknown = null;
  let roomFor: (() => void) | null = null;
  const work = lanes.map(async (lane) => {
    for (;;) {
      const d = lane.queue.shift();
      if (!d) {
        if (lane.done) return;
        await new Promise<void>((resolve) => { lane.wake = resolve; });
        continue;
      }
      roomFor?.();
      try { await settleOne(lane, d); settled += 1; } catch (error) { failure ??= error; roomFor?.(); return; }
    }
  });
  for (const d of drawn.discharges) {
    if (failure) break;
    const personIndex = drawn.laneOf(d.body.patient.id);
    if (personIndex % part.count !== part.index) continue;
    const lane = lanes[Math.floor(personIndex / part.count) % o.lanes];
    if (!lane) throw new Error('lane out of range');
    while (lane.queue.length >= LANE_QUEUE && !failure) await new Promise<void>((resolve) => { roomFor = resolve; });
    roomFor = null;
    lane.queue.push(d);
    lane.wake?.(); lane.wake = null;
  }
  for (const lane of lanes) { lane.done = true; lane.wake?.(); lane.wake = null; }
  await Promise.all(work);
  if (failure) throw failure;
  return { settled };
}
