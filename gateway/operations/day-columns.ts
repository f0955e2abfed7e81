/**
 * A day projection's figures as columns (format 2 of day-projection.ts): every settlement of one (cell, day) as a
 * position in arrays of integers and texts, not as an object of its own. Why: format 1 held one object per
 * settlement (with its lines, benefits, versions and deltas inside), which JSON.parse allocated, zod checked and
 * copied field by field and the collector then swept — a city-year report took twice the CPU it takes now
 * (docs/benchmarks-history.md). Here an entry is a few dozen arrays whatever its size, each checked by one loop
 * (`integers`, `texts`) and the whole by one consistency check (`inconsistency`), and a pass reads the numbers
 * where they lie (`DayColumns`).
 *
 * Layout: `texts` holds every repeated text of the entry once (hospitals, programmes, layers, benefit kinds, policy
 * versions, categories, counter keys, dates); the columns named for them hold indexes into it. A settlement's lines,
 * benefits, policy versions, categories and counter deltas are runs of flat columns: the run of settlement i ends
 * (exclusive) at `<run>End[i]` and starts where settlement i − 1's ended.
 */
import * as z from 'zod';
import { invariant } from '../errors.js';
import type { ReadRecord } from './records.js';

/** What a pass reads of one stored settlement, as one object (the second payout's form: `DayColumns.settlement`). */
export interface ProjectedSettlement {
  personId: string;
  hospitalId: string;
  settlementId: string;
  settledAt: string;
  status: 'settled' | 'reversed';
  /** As readRecord reads the record; null when its split or request cannot be read (counted as unreadable). */
  figures: ReadRecord | null;
  /** The deltas of rules' `paid` counters (records.ts paidDeltas): what paid-by-rule reads. */
  paidDeltas: Record<string, number>;
}

/** What a settlement paid, as `DayColumns.paidAlike` compares it (an engine result is one). */
export interface PaidAmounts {
  patientPaysFen: number;
  lines: ReadonlyArray<{ programme: string; amountFen: number }>;
  benefits: ReadonlyArray<{ programme: string; amountFen: number }>;
}

/** One check per column: an array of integers exact in a double (amounts in fen, indexes, flags). */
const integers = z.custom<number[]>((value) => Array.isArray(value) && value.every((n) => Number.isSafeInteger(n)), 'an array of integers');
/** One check per column: an array of texts. */
const texts = z.custom<string[]>((value) => Array.isArray(value) && value.every((s) => typeof s === 'string'), 'an array of texts');

/** The runs of flat columns a settlement has, each with the flat columns that hold its items. */
const RUNS = {
  lineEnd: ['lineLayer', 'lineProgramme', 'lineFen'],
  benefitEnd: ['benefitProgramme', 'benefitKind', 'benefitFen'],
  versionEnd: ['versionProgramme', 'version'],
  categoryEnd: ['category'],
  deltaEnd: ['deltaKey', 'deltaFen'],
} as const;
const RUN_ENDS = ['lineEnd', 'benefitEnd', 'versionEnd', 'categoryEnd', 'deltaEnd'] as const;
/** Columns of one value per settlement. */
const PER_SETTLEMENT = [
  'settlementId', 'settledAt', 'hospitalId', 'reversed', 'readable', 'totalFen', 'outOfScopeFen', 'overLimitFen', 'patientPaysFen',
  'dischargedOn', 'hospitalName', ...RUN_ENDS,
] as const;
/** Columns of indexes into `texts`; those that may hold −1 (none: an unreadable record's discharge date, a request without a hospital name) apart. */
const TEXT_INDEXES = ['hospitalId', 'lineLayer', 'lineProgramme', 'benefitProgramme', 'benefitKind', 'versionProgramme', 'version', 'category', 'deltaKey'] as const;
const OPTIONAL_TEXT_INDEXES = ['dischargedOn', 'hospitalName'] as const;

const columnsShape = z.object({
  texts,
  personId: texts, settlementId: texts, settledAt: texts, hospitalId: integers,
  /** 1 reversed, 0 standing. */
  reversed: integers,
  /** 0 when the record's split or request could not be read (its figures are null): only identity, status and deltas hold. */
  readable: integers,
  totalFen: integers, outOfScopeFen: integers, overLimitFen: integers, patientPaysFen: integers,
  dischargedOn: integers, hospitalName: integers,
  lineEnd: integers, lineLayer: integers, lineProgramme: integers, lineFen: integers,
  benefitEnd: integers, benefitProgramme: integers, benefitKind: integers, benefitFen: integers,
  versionEnd: integers, versionProgramme: integers, version: integers,
  categoryEnd: integers, category: integers,
  deltaEnd: integers, deltaKey: integers, deltaFen: integers,
});
type Columns = z.infer<typeof columnsShape>;

/** What makes the columns one entry: equal lengths, runs that tile their flat columns, indexes that name texts, flags 0 or 1. */
function inconsistency(c: Columns): string | null {
  const count = c.personId.length;
  for (const name of PER_SETTLEMENT) if (c[name].length !== count) return `${name} has ${c[name].length} values for ${count} settlements`;
  for (const name of ['reversed', 'readable'] as const) if (!c[name].every((flag) => flag === 0 || flag === 1)) return `${name} holds other than 0 and 1`;
  for (const end of RUN_ENDS) {
    let last = 0;
    for (const at of c[end]) {
      if (at < last) return `${end} goes back`;
      last = at;
    }
    for (const item of RUNS[end]) if (c[item].length !== last) return `${item} has ${c[item].length} values for runs ending at ${last}`;
  }
  const textCount = c.texts.length;
  for (const name of TEXT_INDEXES) if (!c[name].every((k) => k >= 0 && k < textCount)) return `${name} names no text`;
  for (const name of OPTIONAL_TEXT_INDEXES) if (!c[name].every((k) => k >= -1 && k < textCount)) return `${name} names no text`;
  if (c.dischargedOn.some((k, i) => k < 0 && c.readable[i] === 1)) return 'a readable settlement has no discharge date';
  return null;
}

/** The figures field of a format-2 entry: the columns, checked as a whole once. */
export const dayColumns = columnsShape.superRefine((c, ctx) => {
  const problem = inconsistency(c);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The columns of no settlement. */
function emptyColumns(): Columns {
  return {
    texts: [], personId: [], settlementId: [], settledAt: [], hospitalId: [], reversed: [], readable: [],
    totalFen: [], outOfScopeFen: [], overLimitFen: [], patientPaysFen: [], dischargedOn: [], hospitalName: [],
    lineEnd: [], lineLayer: [], lineProgramme: [], lineFen: [], benefitEnd: [], benefitProgramme: [], benefitKind: [], benefitFen: [],
    versionEnd: [], versionProgramme: [], version: [], categoryEnd: [], category: [], deltaEnd: [], deltaKey: [], deltaFen: [],
  };
}

/** Settlements added in order, their texts each stored once. */
export class DayColumnsBuilder {
  private readonly c = emptyColumns();
  private readonly textIndex = new Map<string, number>();

  private text(value: string): number {
    let k = this.textIndex.get(value);
    if (k === undefined) {
      k = this.c.texts.push(value) - 1;
      this.textIndex.set(value, k);
    }
    return k;
  }

  add(s: ProjectedSettlement): void {
    const { c } = this;
    const f = s.figures;
    c.personId.push(s.personId);
    c.settlementId.push(s.settlementId);
    c.settledAt.push(s.settledAt);
    c.hospitalId.push(this.text(s.hospitalId));
    c.reversed.push(s.status === 'reversed' ? 1 : 0);
    c.readable.push(f ? 1 : 0);
    c.totalFen.push(f?.totalFen ?? 0);
    c.outOfScopeFen.push(f?.outOfScopeFen ?? 0);
    c.overLimitFen.push(f?.overLimitFen ?? 0);
    c.patientPaysFen.push(f?.patientPaysFen ?? 0);
    c.dischargedOn.push(f ? this.text(f.dischargedOn) : -1);
    c.hospitalName.push(f?.hospitalName ? this.text(f.hospitalName) : -1);
    for (const l of f?.lines ?? []) { c.lineLayer.push(this.text(l.layer)); c.lineProgramme.push(this.text(l.programme)); c.lineFen.push(l.amountFen); }
    c.lineEnd.push(c.lineFen.length);
    for (const b of f?.benefits ?? []) { c.benefitProgramme.push(this.text(b.programme)); c.benefitKind.push(this.text(b.kind)); c.benefitFen.push(b.amountFen); }
    c.benefitEnd.push(c.benefitFen.length);
    for (const [programme, version] of Object.entries(f?.policyVersions ?? {})) { c.versionProgramme.push(this.text(programme)); c.version.push(this.text(version)); }
    c.versionEnd.push(c.version.length);
    for (const category of f?.categories ?? []) c.category.push(this.text(category));
    c.categoryEnd.push(c.category.length);
    for (const [key, fen] of Object.entries(s.paidDeltas)) { c.deltaKey.push(this.text(key)); c.deltaFen.push(fen); }
    c.deltaEnd.push(c.deltaFen.length);
  }

  /** The columns as stored (JSON) and as read. */
  columns(): DayColumns { return new DayColumns(this.c); }
}

/** A checked value of a column: the consistency check made every index used here valid. */
function at<T>(column: readonly T[], i: number): T {
  const value = column[i];
  invariant(value !== undefined, 'a day projection column read past its end');
  return value;
}

/**
 * One entry's settlements read in place, by position 0 … count − 1 (in the listing's time order); a text is
 * compared by its index in the entry (`textIndex`), so a pass looks a programme or layer up once an entry.
 */
export class DayColumns {
  readonly count: number;
  constructor(private readonly c: Columns) { this.count = c.personId.length; }

  /** The columns to store: `JSON.stringify` of them is the entry's figures field. */
  toJSON(): Columns { return this.c; }

  /** The index of a text in this entry, −1 when none of its settlements carries it. */
  textIndex(value: string): number { return this.c.texts.indexOf(value); }
  text(k: number): string { return at(this.c.texts, k); }

  personId(i: number): string { return at(this.c.personId, i); }
  settlementId(i: number): string { return at(this.c.settlementId, i); }
  settledAt(i: number): string { return at(this.c.settledAt, i); }
  hospitalId(i: number): string { return this.text(at(this.c.hospitalId, i)); }
  reversed(i: number): boolean { return at(this.c.reversed, i) === 1; }
  /** False when the record's split or request could not be read: only identity, status and deltas are known. */
  readable(i: number): boolean { return at(this.c.readable, i) === 1; }
  dischargedOn(i: number): string { return this.text(at(this.c.dischargedOn, i)); }
  /** The hospital's name as the request gave it, if it did. */
  hospitalName(i: number): string | undefined { const k = at(this.c.hospitalName, i); return k < 0 ? undefined : this.text(k); }

  /** Where settlement i's run of a flat column group starts and ends (exclusive). */
  private start(end: readonly number[], i: number): number { return i === 0 ? 0 : at(end, i - 1); }

  /** Whether the settlement carries a policy version of the programme (by its text index): the programme was in force for it. */
  judgedBy(i: number, programme: number): boolean {
    const { versionEnd, versionProgramme } = this.c;
    for (let k = this.start(versionEnd, i), end = at(versionEnd, i); k < end; k++) if (versionProgramme[k] === programme) return true;
    return false;
  }

  /** What the programme paid on its lines of a layer (text indexes), in fen. */
  linesFen(i: number, programme: number, layer: number): number {
    const { lineEnd, lineProgramme, lineLayer, lineFen } = this.c;
    let fen = 0;
    for (let k = this.start(lineEnd, i), end = at(lineEnd, i); k < end; k++) if (lineProgramme[k] === programme && lineLayer[k] === layer) fen += at(lineFen, k);
    return fen;
  }

  /** The settlement's benefits are positions `benefitsFrom(i)` … `benefitsTo(i)` − 1 of `benefit…` (below); its categories and deltas likewise. */
  benefitsFrom(i: number): number { return this.start(this.c.benefitEnd, i); }
  benefitsTo(i: number): number { return at(this.c.benefitEnd, i); }
  benefitProgramme(k: number): number { return at(this.c.benefitProgramme, k); }
  benefitKind(k: number): string { return this.text(at(this.c.benefitKind, k)); }
  benefitFen(k: number): number { return at(this.c.benefitFen, k); }

  /** What the programme (its text index) paid as cash benefits, in fen. */
  benefitsFen(i: number, programme: number): number {
    const { benefitEnd, benefitProgramme, benefitFen } = this.c;
    let fen = 0;
    for (let k = this.start(benefitEnd, i), end = at(benefitEnd, i); k < end; k++) if (benefitProgramme[k] === programme) fen += at(benefitFen, k);
    return fen;
  }

  categoriesFrom(i: number): number { return this.start(this.c.categoryEnd, i); }
  categoriesTo(i: number): number { return at(this.c.categoryEnd, i); }
  category(k: number): string { return this.text(at(this.c.category, k)); }

  deltasFrom(i: number): number { return this.start(this.c.deltaEnd, i); }
  deltasTo(i: number): number { return at(this.c.deltaEnd, i); }
  /** The counter key's index in `texts` (a pass resolves each key once an entry). */
  deltaKey(k: number): number { return at(this.c.deltaKey, k); }
  deltaFen(k: number): number { return at(this.c.deltaFen, k); }

  /**
   * Whether settlement i paid every line and benefit exactly as `paid` does (a replay's result: the what-if's
   * check of its baseline against the stored answer), each by programme and amount in order; never if unreadable.
   */
  paidAlike(i: number, paid: PaidAmounts): boolean {
    const { c } = this;
    if (!this.readable(i) || at(c.patientPaysFen, i) !== paid.patientPaysFen) return false;
    const lines = this.start(c.lineEnd, i);
    const benefits = this.benefitsFrom(i);
    if (at(c.lineEnd, i) - lines !== paid.lines.length || this.benefitsTo(i) - benefits !== paid.benefits.length) return false;
    return paid.lines.every((l, j) => this.text(at(c.lineProgramme, lines + j)) === l.programme && at(c.lineFen, lines + j) === l.amountFen)
      && paid.benefits.every((b, j) => this.text(this.benefitProgramme(benefits + j)) === b.programme && this.benefitFen(benefits + j) === b.amountFen);
  }

  /** Settlement i as one object, as format 1 held it (the second payout reads it so). */
  settlement(i: number): ProjectedSettlement {
    const { c } = this;
    const texts = (column: readonly number[], first: number, end: number): string[] => column.slice(first, end).map((k) => this.text(k));
    const paidDeltas: Record<string, number> = {};
    for (let k = this.deltasFrom(i), end = this.deltasTo(i); k < end; k++) paidDeltas[this.text(this.deltaKey(k))] = this.deltaFen(k);
    const base = { personId: this.personId(i), hospitalId: this.hospitalId(i), settlementId: this.settlementId(i), settledAt: this.settledAt(i), status: this.reversed(i) ? 'reversed' as const : 'settled' as const };
    if (!this.readable(i)) return { ...base, figures: null, paidDeltas };
    const lines = { first: this.start(c.lineEnd, i), end: at(c.lineEnd, i) };
    const versions = { first: this.start(c.versionEnd, i), end: at(c.versionEnd, i) };
    const b = { first: this.benefitsFrom(i), end: this.benefitsTo(i) };
    const hospitalName = this.hospitalName(i);
    const policyVersions: Record<string, string> = {};
    for (let k = versions.first; k < versions.end; k++) policyVersions[this.text(at(c.versionProgramme, k))] = this.text(at(c.version, k));
    return {
      ...base,
      figures: {
        totalFen: at(c.totalFen, i), outOfScopeFen: at(c.outOfScopeFen, i), overLimitFen: at(c.overLimitFen, i), patientPaysFen: at(c.patientPaysFen, i),
        lines: Array.from({ length: lines.end - lines.first }, (_, j) => ({ layer: this.text(at(c.lineLayer, lines.first + j)), programme: this.text(at(c.lineProgramme, lines.first + j)), amountFen: at(c.lineFen, lines.first + j) })),
        benefits: Array.from({ length: b.end - b.first }, (_, j) => ({ programme: this.text(this.benefitProgramme(b.first + j)), kind: this.benefitKind(b.first + j), amountFen: this.benefitFen(b.first + j) })),
        policyVersions,
        categories: texts(c.category, this.categoriesFrom(i), this.categoriesTo(i)),
        dischargedOn: this.dischargedOn(i),
        ...(hospitalName ? { hospitalName } : {}),
        settledMonth: this.settledAt(i).slice(0, 7),
      },
      paidDeltas,
    };
  }
}
