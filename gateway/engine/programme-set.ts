/** The programmes the engine may apply: packs and disease catalogues, indexed for fast selection. */
import type { Catalogue, Pack } from '../../schemas/pack.js';
import type { RosterRow } from '../../schemas/roster.js';
import type { Layer, SettlementRequest } from '../../schemas/settlement.js';
import { layerConflicts } from './pack-overlaps.js';

export class ProgrammeSet {
  private readonly byLayer = new Map<Layer, Pack[]>();
  private readonly catalogueIcd = new Map<string, Map<number, string[]>>();
  private readonly headings = new WeakMap<Pack, string>();
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
    for (const pack of this.packs) {
      const list = this.byLayer.get(pack.layer) ?? [];
      list.push(pack);
      this.byLayer.set(pack.layer, list);
    }
    for (const c of catalogues) {
      this.catalogueIcd.set(c.id, new Map(c.entries.map((e) => [e.entry, e.icd10.map(normaliseIcd)])));
    }
  }

  get(id: string): Pack | undefined {
    return this.packs.find((p) => p.id === id);
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
    for (const p of this.byLayer.get(layer) ?? []) {
      if (!inTermFor(p, request)) continue;
      if (inRegion(p, request.patient) || onDecidingRoster(p, request.patient.id, rosters)) found.push(p);
    }
    return found;
  }

  /** "name（id version）", the heading of a pack's explanation, written once per pack. */
  heading(pack: Pack): string {
    let text = this.headings.get(pack);
    if (text === undefined) this.headings.set(pack, (text = `${pack.name}（${pack.id} ${pack.version}）`));
    return text;
  }

  /** Roster ids the engine will consult for this request: the shell loads the person's rows of these. */
  rosterIds(request: SettlementRequest): string[] {
    const ids = new Set<string>();
    for (const pack of this.byLayer.get('supplementary') ?? []) {
      const roster = pack.eligibility.roster;
      if (!roster || !inTermFor(pack, request)) continue;
      // A roster that decides the region must be read before we know whether the pack is in force.
      if (pack.eligibility.rosterOverridesInsuredRegion?.value || inRegion(pack, request.patient)) ids.add(roster.id);
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

/** Active, discharged within the term, and for the person's scheme. */
function inTermFor(pack: Pack, request: SettlementRequest): boolean {
  const date = request.encounter.dischargedOn;
  return pack.status === 'active' && date >= pack.term.from && date <= pack.term.to && pack.schemes.includes(request.patient.scheme);
}

/** Insured in the pack's regions, or (for a pack judging by 户籍) with a 户籍 the request states there. */
function inRegion(pack: Pack, patient: SettlementRequest['patient']): boolean {
  if (pack.insuredRegions.value.some((prefix) => patient.insuredRegion.startsWith(prefix))) return true;
  const hukou = patient.hukouRegion;
  return hukou !== undefined && (pack.eligibility.hukouRegions?.value.some((prefix) => hukou.startsWith(prefix)) ?? false);
}

/** The person has a row on a roster that decides the programme whatever the insured region. */
function onDecidingRoster(pack: Pack, personId: string, rosters: Readonly<Record<string, readonly RosterRow[]>>): boolean {
  const roster = pack.eligibility.roster;
  if (!roster || !pack.eligibility.rosterOverridesInsuredRegion?.value) return false;
  return (rosters[roster.id] ?? []).some((row) => row.personId === personId);
}
