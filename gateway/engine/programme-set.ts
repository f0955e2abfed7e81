/** The programmes the engine may apply: packs and disease catalogues, indexed for fast selection. */
import type { Catalogue, Pack } from '../../schemas/pack.js';
import type { RosterRow } from '../../schemas/roster.js';
import type { Layer, SettlementRequest } from '../../schemas/settlement.js';
import { dayNumber } from './days.js';
import { layerConflicts } from './pack-overlaps.js';
import { counterKey, periodsOf, periodWord } from './counter-keys.js';
import { prepareRule, type PreparedRule } from './rules/registry.js';

/** A limit over several rules of a pack (pack.limits). */
export type PackLimit = Pack['limits'][number];

/** Counter keys of one period: per rule (in order) counter → key, and per limit id its `paid` key. */
export interface PeriodKeys {
  readonly rules: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly limits: Readonly<Record<string, string>>;
}

/**
 * A pack made ready once, when the programmes are loaded: its heading, its rules bound to their kinds, the
 * limits naming each rule, and every counter key its rules and limits may touch, per accumulation period. A
 * settlement only reads these.
 */
export interface PreparedPack {
  readonly heading: string;
  readonly rules: readonly PreparedRule[];
  /** Per rule (in order), the pack's limits that count its payments. */
  readonly limitsByRule: ReadonlyArray<readonly PackLimit[]>;
  counterKeys(period: string): PeriodKeys;
}

function preparePack(pack: Pack): PreparedPack {
  const rules = pack.rules.map((rule) => prepareRule(rule, { periodWord: periodWord(pack) }));
  const sharedDeductibleOf = new Map(pack.sharedDeductibles.flatMap((d) => d.rules.map((rule) => [rule, d.id] as const)));
  const keysOf = (period: string): PeriodKeys => ({
    // A rule in a shared deductible fills the shared counter, not one of its own.
    rules: rules.map((r) => Object.fromEntries(r.counters.map((c) => [c, counterKey(pack.id, period, c === 'deductibleUsed' ? sharedDeductibleOf.get(r.rule.id) ?? r.rule.id : r.rule.id, c)]))),
    limits: Object.fromEntries(pack.limits.map((l) => [l.id, counterKey(pack.id, period, l.id, 'paid')])),
  });
  const byPeriod = new Map(periodsOf(pack).map((period) => [period, keysOf(period)]));
  const limitsByRule = pack.rules.map((rule) => pack.limits.filter((l) => !l.rules || l.rules.includes(rule.id)));
  return { heading: `${pack.name}（${pack.id} ${pack.version}）`, rules, limitsByRule, counterKeys: (period) => byPeriod.get(period) ?? keysOf(period) };
}

export class ProgrammeSet {
  private readonly byLayer = new Map<Layer, Selector[]>();
  private readonly catalogueIcd = new Map<string, Map<number, string[]>>();
  private readonly preparedPacks = new Map<Pack, PreparedPack>();
  private readonly ranks = new Map<string, number>();
  readonly packs: readonly Pack[];

  constructor(packs: readonly Pack[], readonly catalogues: readonly Catalogue[]) {
    const ids = new Set<string>();
    for (const pack of packs) {
      if (ids.has(pack.id)) throw new Error(`programme ${pack.id} is loaded twice`);
      ids.add(pack.id);
    }
    // Never "the first wins": two packs of one public layer in force together is a load error.
    const conflicts = layerConflicts(packs);
    if (conflicts.length > 0) throw new Error(`programmes in conflict:\n  ${conflicts.join('\n  ')}`);
    this.packs = [...packs].sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
    this.packs.forEach((pack, rank) => this.ranks.set(pack.id, rank));
    for (const pack of this.packs) {
      const list = this.byLayer.get(pack.layer) ?? [];
      list.push(selector(pack));
      this.byLayer.set(pack.layer, list);
      this.preparedPacks.set(pack, preparePack(pack));
    }
    for (const c of catalogues) {
      this.catalogueIcd.set(c.id, new Map(c.entries.map((e) => [e.entry, e.icd10.map(normaliseIcd)])));
    }
  }

  get(id: string): Pack | undefined {
    return this.packs.find((p) => p.id === id);
  }

  /** Where the pack of this id stands in the set's order (packs' `order`, then id); the packs' count if none has it. */
  rankOf(id: string): number {
    const rank = this.ranks.get(id);
    return rank === undefined ? this.packs.length : rank;
  }

  /**
   * Packs of a layer in force for this person and stay, in their configured order: active, in term, for
   * the person's scheme, and for their region — the insured region, the 户籍 where the pack judges by it,
   * or, where the pack lets its paid-premium roster decide, any region when the person has a row on it
   * (004 三(二): 新市民 insured elsewhere buy 三明's programme). `rosters` are the person's rows as the
   * shell loaded them (see rosterIds).
   */
  inForce(layer: Layer, request: SettlementRequest, rosters: Readonly<Record<string, readonly RosterRow[]>> = {}): Pack[] {
    const found: Pack[] = [];
    const dischargedDay = dayNumber(request.encounter.dischargedOn);
    for (const s of this.byLayer.get(layer) ?? []) {
      if (!inTermFor(s, request, dischargedDay)) continue;
      if (inRegion(s, request.patient) || onDecidingRoster(s, request.patient.id, rosters)) found.push(s.pack);
    }
    return found;
  }

  /** The first pack of a layer in force (a public layer has at most one: pack-overlaps.ts), without building a list. */
  firstInForce(layer: Layer, request: SettlementRequest): Pack | undefined {
    const dischargedDay = dayNumber(request.encounter.dischargedOn);
    for (const s of this.byLayer.get(layer) ?? []) {
      if (inTermFor(s, request, dischargedDay) && inRegion(s, request.patient)) return s.pack;
    }
    return undefined;
  }

  /** "name（id version）", the heading of a pack's explanation, written once per pack. */
  heading(pack: Pack): string {
    return this.prepared(pack).heading;
  }

  /** The pack as prepared when the set was built (a pack of another set is prepared afresh). */
  prepared(pack: Pack): PreparedPack {
    return this.preparedPacks.get(pack) ?? preparePack(pack);
  }

  /** Roster ids the engine will consult for this request: the shell loads the person's rows of these. */
  rosterIds(request: SettlementRequest): string[] {
    const ids = new Set<string>();
    const dischargedDay = dayNumber(request.encounter.dischargedOn);
    for (const s of this.byLayer.get('supplementary') ?? []) {
      if (s.rosterId === null || !inTermFor(s, request, dischargedDay)) continue;
      // A roster that decides the region must be read before we know whether the pack is in force.
      if (s.rosterDecides || inRegion(s, request.patient)) ids.add(s.rosterId);
    }
    return [...ids];
  }

  /** Which entry of the catalogue the stay falls under, by primary diagnosis or asserted entry; null if none. */
  catalogueEntry(catalogueId: string, encounter: SettlementRequest['encounter']): { entry: number; by: string } | null {
    const entries = this.catalogueIcd.get(catalogueId);
    if (!entries) return null;
    const asserted = encounter.catalogEntries.find((c) => c.catalog === catalogueId && entries.has(c.entry));
    if (asserted) return { entry: asserted.entry, by: `医院申明属目录第${asserted.entry}项` };
    const primary = encounter.diagnoses.find((d) => d.primary) ?? encounter.diagnoses[0];
    if (!primary) return null;
    const code = normaliseIcd(primary.icd10);
    for (const [entry, prefixes] of entries) {
      if (prefixes.some((prefix) => code.startsWith(prefix))) return { entry, by: `主要诊断 ${primary.icd10}` };
    }
    return null;
  }

  catalogueName(catalogueId: string, entry: number): string {
    return this.catalogues.find((c) => c.id === catalogueId)?.entries.find((e) => e.entry === entry)?.name ?? `第${entry}项`;
  }
}

const normaliseIcd = (code: string): string => code.replace('.', '').toUpperCase();

/**
 * What choosing a pack reads, in one shape for every pack: packs differ in shape as their YAML does, and
 * reading the same fields from objects of many shapes is slow on the hot path (every layer of every settlement).
 */
interface Selector {
  readonly pack: Pack;
  readonly active: boolean;
  /** The term as day numbers (gateway/engine/days.ts): compared as numbers, not as text. */
  readonly fromDay: number;
  readonly toDay: number;
  readonly employee: boolean;
  readonly resident: boolean;
  readonly insuredRegions: readonly string[];
  /** 户籍 regions for a pack judging by them; empty otherwise. */
  readonly hukouRegions: readonly string[];
  readonly rosterId: string | null;
  /** A row on the roster puts the pack in force whatever the insured region. */
  readonly rosterDecides: boolean;
  /** The pack pays (or refuses with its reason) a stay across its term's edge: in force for any stay touching the term. */
  readonly straddles: boolean;
}

function selector(pack: Pack): Selector {
  return {
    pack,
    active: pack.status === 'active',
    fromDay: dayNumber(pack.term.from),
    toDay: dayNumber(pack.term.to),
    employee: pack.schemes.includes('employee'),
    resident: pack.schemes.includes('resident'),
    insuredRegions: pack.insuredRegions.value,
    hukouRegions: pack.eligibility.hukouRegions?.value ?? [],
    rosterId: pack.eligibility.roster?.id ?? null,
    rosterDecides: pack.eligibility.roster !== undefined && pack.eligibility.rosterOverridesInsuredRegion?.value === true,
    straddles: pack.cover !== undefined && pack.cover.straddle !== 'discharge',
  };
}

/** Active, discharged within the term (or, for a pack paying stays across its edge, in hospital during it), and for the person's scheme. */
function inTermFor(s: Selector, request: SettlementRequest, dischargedDay: number): boolean {
  if (!s.active || !(request.patient.scheme === 'employee' ? s.employee : s.resident)) return false;
  if (dischargedDay >= s.fromDay && dischargedDay <= s.toDay) return true;
  return s.straddles && dischargedDay > s.toDay && dayNumber(request.encounter.admittedOn) <= s.toDay;
}

/** Insured in the pack's regions, or (for a pack judging by 户籍) with a 户籍 the request states there. */
function inRegion(s: Selector, patient: SettlementRequest['patient']): boolean {
  const insured = patient.insuredRegion;
  for (const prefix of s.insuredRegions) if (insured.startsWith(prefix)) return true;
  const hukou = patient.hukouRegion;
  if (hukou === undefined) return false;
  for (const prefix of s.hukouRegions) if (hukou.startsWith(prefix)) return true;
  return false;
}

/** The person has a row on a roster that decides the programme whatever the insured region. */
function onDecidingRoster(s: Selector, personId: string, rosters: Readonly<Record<string, readonly RosterRow[]>>): boolean {
  if (!s.rosterDecides || s.rosterId === null) return false;
  return (rosters[s.rosterId] ?? []).some((row) => row.personId === personId);
}
