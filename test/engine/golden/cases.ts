/**
 * Random stays for the golden fixture: seeded, so the same seed gives the same cases. Each case is one
 * person's year (rosters, counters carried in, one to four stays), drawn across every pack's region and
 * term, with bills, categories, dates and upstream amounts spread wide enough to reach every rule's
 * branches (caps, deductibles, preferential rates, ineligibility, 422s).
 */
import { CATEGORY_NAMES, DISABILITY_TYPES } from '../../../schemas/categories.js';
import type { SettlementRequestInput } from '../../../schemas/settlement.js';
import type { ProgrammeSet } from '../../../gateway/engine/programme-set.js';
import { counterNames } from '../../../gateway/engine/rules/registry.js';
import { GOLDEN_DRUGS } from './programmes.js';

export interface RosterRowInput { personId: string; from: string; to: string; categories: string[]; preExisting: boolean }

export interface GoldenCase {
  scenario: string;
  rosters: Record<string, RosterRowInput[]>;
  accumulators: Record<string, number>;
  stays: SettlementRequestInput[];
}

interface Scenario {
  name: string;
  regions: string[];
  /** The first day of the year stays fall in (the pack's term). */
  yearFrom: string;
  rosterIds: string[];
  packIds: string[];
}

const SCENARIOS: Scenario[] = [
  { name: 'demo', regions: ['990100', '990102', '990200'], yearFrom: '2024-01-01', rosterIds: ['golden-weihai-2020-poverty', 'golden-sanming-2024-puhui'], packIds: ['demo-990000-2024-basic', 'demo-990000-2024-major-illness', 'demo-990000-2024-waiver', 'demo-990000-2024-aid', 'golden-weihai-2020-medical', 'golden-sanming-2024-puhui'] },
  { name: 'weihai', regions: ['371002', '371082', '371003'], yearFrom: '2020-01-01', rosterIds: ['weihai-2020-poverty'], packIds: ['weihai-2020-medical', 'weihai-2020-accident'] },
  { name: 'nantong', regions: ['320602', '320611', '320681'], yearFrom: '2022-01-01', rosterIds: [], packIds: ['nantong-2022-dibubao'] },
  { name: 'sanming', regions: ['350402', '350403', '350102'], yearFrom: '2024-01-01', rosterIds: ['sanming-2024-puhui'], packIds: ['sanming-2024-puhui'] },
  { name: 'wenxi', regions: ['140823', '140802'], yearFrom: '2023-01-01', rosterIds: ['wenxi-2023-disabled'], packIds: ['wenxi-2023-disabled'] },
  { name: 'changsha', regions: ['430102', '430121', '430602'], yearFrom: '2025-04-01', rosterIds: ['hunan-county-disabled-accident'], packIds: ['changsha-2025-disabled-accident'] },
];

const CATEGORIES = Object.keys(CATEGORY_NAMES);
const DISABILITY = Object.keys(DISABILITY_TYPES);
const DIAGNOSES = ['C34.9', 'C16.0', 'I21.0', 'I69.3', 'N18.5', 'K72.0', 'D33.0', 'J18.9', 'S72.0', 'E11.9', 'Z94.0', 'G35', 'C92.000x001'];
const SHARES = ['0.10', '0.2', '0.05', '0.333333', '0.1234567890123', '0.5', '0', '1', 0.15];

/** mulberry32: a small seeded generator, enough for test data. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[int(0, list.length - 1)]!;
  const chance = (p: number): boolean => next() < p;
  const some = <T>(list: readonly T[], max: number): T[] => [...new Set(Array.from({ length: int(0, max) }, () => pick(list)))];
  return { int, pick, chance, some };
}
type Random = ReturnType<typeof generator>;

const DAY_MS = 86_400_000;
const addDays = (iso: string, days: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const yuan = (fen: number): string => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

function amount(r: Random): number {
  const size = r.int(0, 9);
  if (size < 5) return r.int(1, 300_000);
  if (size < 8) return r.int(300_000, 3_000_000);
  return r.int(3_000_000, 60_000_000);
}

function items(r: Random): SettlementRequestInput['items'] {
  const list: SettlementRequestInput['items'] = Array.from({ length: r.chance(0.3) ? r.int(1, 4) : r.int(5, 25) }, (_, i) => {
    const fen = amount(r);
    const cls = r.pick(['A', 'A', 'B', 'B', 'C'] as const);
    const drug = r.chance(0.15) ? r.pick(GOLDEN_DRUGS).code : undefined;
    const item: SettlementRequestInput['items'][number] = { code: drug ?? `X${i}`, name: `项目${i}`, amount: r.chance(0.1) ? fen / 100 : yuan(fen), class: cls };
    if (cls === 'B' && r.chance(0.8)) item.selfPayRatio = r.pick(SHARES);
    if (cls === 'A' && r.chance(0.2)) item.overLimit = yuan(r.int(0, Math.floor(fen / 3)));
    return item;
  });
  // Now and then an item whose self-paid parts exceed its amount: a 422 naming it.
  if (r.chance(0.03)) {
    const broken = r.pick(list);
    broken.overLimit = yuan(60_000_001); // above any amount drawn
    broken.class = 'A';
  }
  return list;
}

function stay(r: Random, s: Scenario, personId: string, index: number, patient: SettlementRequestInput['patient']): SettlementRequestInput {
  const admittedOn = addDays(s.yearFrom, r.int(-10, 370));
  const length = r.chance(0.02) ? r.pick([-1, 400, 1097]) : r.chance(0.1) ? r.int(0, 0) : r.int(1, 40);
  const diagnoses = r.some(DIAGNOSES, 3).map((icd10, i) => ({ icd10, primary: i === 0 && r.chance(0.8) }));
  const upstream: NonNullable<SettlementRequestInput['upstream']> = {};
  if (r.chance(0.2)) for (const layer of r.some(['basic', 'majorIllness', 'waiver', 'aid'] as const, 3)) upstream[layer] = yuan(r.int(0, 2_000_000));
  return {
    settlementId: `G${personId}-${index}`,
    hospital: { id: `H${index}`, region: r.chance(0.8) ? r.pick(s.regions) : r.pick(['110101', '350102', '371002', '140823']), level: r.int(1, 3), drgPublic: r.chance(0.5) },
    patient,
    encounter: {
      kind: r.chance(0.85) ? 'inpatient' : 'outpatientSpecial',
      admittedOn,
      dischargedOn: addDays(admittedOn, length),
      diagnoses,
      catalogEntries: r.chance(0.1) ? [{ catalog: 'nantong-55', entry: r.int(1, 60) }] : [],
      cause: r.chance(0.3) ? 'accident' : 'disease',
      thirdPartyLiable: r.chance(0.1),
    },
    items: items(r),
    ...(Object.keys(upstream).length > 0 || r.chance(0.05) ? { upstream } : {}),
  };
}

function rosterRows(r: Random, s: Scenario, people: string[]): RosterRowInput[] {
  const rows: RosterRowInput[] = [];
  for (const personId of people) {
    if (!r.chance(0.7)) continue;
    for (let n = r.int(1, 2); n > 0; n--) {
      const from = r.chance(0.6) ? s.yearFrom : addDays(s.yearFrom, r.int(0, 300));
      const to = r.chance(0.6) ? addDays(s.yearFrom, 364) : addDays(from, r.int(0, 200));
      rows.push({ personId, from, to, categories: r.some(CATEGORIES, 2), preExisting: r.chance(0.3) });
    }
  }
  return rows;
}

/** Counters carried in from earlier in the year: random amounts under the keys the scenario's packs use. */
function accumulators(r: Random, s: Scenario, programmes: ProgrammeSet): Record<string, number> {
  const out: Record<string, number> = {};
  if (!r.chance(0.4)) return out;
  for (const id of s.packIds) {
    const pack = programmes.get(id);
    if (!pack) throw new Error(`no pack ${id}`);
    const period = pack.accumulation === 'term' ? pack.term.from : s.yearFrom.slice(0, 4);
    for (const name of pack.rules.flatMap(counterNames)) {
      if (r.chance(0.5)) out[`${id}|${period}|${name}`] = name.endsWith('days') ? r.int(0, 200) : amount(r);
    }
  }
  return out;
}

export function goldenCases(seed: number, count: number, programmes: ProgrammeSet): GoldenCase[] {
  const r = generator(seed);
  return Array.from({ length: count }, (_, n) => {
    const s = SCENARIOS[n % SCENARIOS.length]!;
    const people = Array.from({ length: 3 }, (_, i) => `${s.regions[0]}19800101${String(n).padStart(4, '0')}${i}`);
    const personId = r.pick(people);
    const rosters = Object.fromEntries(s.rosterIds.map((id) => [id, rosterRows(r, s, people)]));
    const patient: SettlementRequestInput['patient'] = {
      id: personId,
      insuredRegion: r.chance(0.85) ? r.pick(s.regions) : r.pick(['110101', '350102', '990100', '140823']),
      scheme: r.chance(0.75) ? 'resident' : 'employee',
      categories: r.some(CATEGORIES, 2) as SettlementRequestInput['patient']['categories'],
      basicInsuranceActive: r.chance(0.9),
      ...(r.chance(0.3) ? { hukouRegion: r.chance(0.7) ? r.pick(s.regions) : '110101' } : {}),
      ...(r.chance(s.name === 'wenxi' || s.name === 'changsha' ? 0.7 : 0.1) ? { disability: { grade: r.int(1, 4), type: r.pick(DISABILITY) as 'physical' } } : {}),
    };
    return {
      scenario: s.name,
      rosters,
      accumulators: accumulators(r, s, programmes),
      stays: Array.from({ length: r.int(1, 4) }, (_, i) => stay(r, s, personId, i, patient)),
    };
  });
}
