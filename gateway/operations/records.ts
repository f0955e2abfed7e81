/**
 * The fields the operations read of a stored settlement, its split and request read by the record's
 * version (ledger/stored.ts); a record that cannot be read is counted as unreadable, never thrown.
 */
import { parseCounterKey } from '../engine/counter-keys.js';
import { InvariantViolation } from '../errors.js';
import { parseFen } from '../engine/money.js';
import type { PersonPart } from '../ledger/listing.js';
import type { SettlementListing } from '../ledger/port.js';
import type { DayProjections } from '../ledger/projection.js';
import type { StoredFigures, StoredSettlement } from '../ledger/stored.js';

/**
 * Where a pass's settlements come from: the ledger's listing, in time order, in bounded pages; and, where the
 * ledger keeps them (both do: `LedgerPort.projections`), the day projections a pass reads instead of the
 * records (day-projection.ts). A source without them (a test's patched listing) is read record by record.
 */
export type SettlementSource = Pick<SettlementListing, 'listSettlements'> & {
  readonly projections?: DayProjections;
  /** The part of the persons the listing is limited to (shards.ts): the pass reads the projections of the part's cells. */
  readonly part?: PersonPart;
};

/**
 * The parts of one record the reports, the second payout and the what-if read (amounts in fen): what a day
 * projection keeps of it (stored as columns and checked there, day-columns.ts).
 */
export interface ReadRecord {
  totalFen: number;
  outOfScopeFen: number;
  overLimitFen: number;
  patientPaysFen: number;
  lines: Array<{ layer: string; programme: string; amountFen: number }>;
  benefits: Array<{ programme: string; kind: string; amountFen: number }>;
  policyVersions: Record<string, string>;
  categories: string[];
  dischargedOn: string;
  /** The hospital's name as the request gave it, if it did (the slip prints it). */
  hospitalName?: string;
  /** YYYY-MM of settledAt, read in +08:00 as the ledger writes it. */
  settledMonth: string;
}

/** Amounts of a stored split, in fen: the split's reader already checked their form. */
const fen = (text: string): number => parseFen(text) ?? 0;

/** The record's fields, or null when its stored split or request cannot be read. */
export function readRecord(record: StoredSettlement): ReadRecord | null {
  let figures: StoredFigures;
  try {
    figures = record.figures();
  } catch (error) {
    if (error instanceof InvariantViolation) return null;
    throw error;
  }
  const { split, request } = figures;
  return {
    totalFen: fen(split.total),
    outOfScopeFen: fen(split.outOfScope),
    overLimitFen: fen(split.overLimit),
    patientPaysFen: fen(split.patientPays),
    lines: split.lines.map((l) => ({ layer: l.layer, programme: l.programme, amountFen: fen(l.amount) })),
    benefits: split.benefits.map((b) => ({ programme: b.programme, kind: b.kind, amountFen: fen(b.amount) })),
    policyVersions: split.policyVersions,
    categories: request.patient.categories,
    dischargedOn: request.encounter.dischargedOn,
    ...(request.hospital.name ? { hospitalName: request.hospital.name } : {}),
    settledMonth: record.settledAt.slice(0, 7),
  };
}

/** What one programme carried on one settlement: paid directly (its line) and as cash benefits. */
export function programmeShare(read: Pick<ReadRecord, 'lines' | 'benefits'>, programmeId: string): { directFen: number; benefitsFen: number } {
  let directFen = 0;
  let benefitsFen = 0;
  for (const l of read.lines) if (l.programme === programmeId && l.layer === 'supplementary') directFen += l.amountFen;
  for (const b of read.benefits) if (b.programme === programmeId) benefitsFen += b.amountFen;
  return { directFen, benefitsFen };
}

/**
 * Paid per rule of one programme, from the settlement's counter deltas: every rule that pays records
 * `<programme>|<period>|<rule>.paid` (or `<rule>.<group>.paid` for specific drugs), and `ruleOf` (`paidRuleOf`) reads
 * which. Rules that keep no counter (daily allowances) are found by their benefit kind.
 */
export function paidByRule(deltas: Readonly<Record<string, number>>, ruleOf: (key: string) => string | null, into: Map<string, number>): void {
  for (const key in deltas) {
    const rule = ruleOf(key);
    if (rule !== null) into.set(rule, (into.get(rule) ?? 0) + (deltas[key] ?? 0));
  }
}

/** The rule of the programme whose payments a counter key records (paidByRule's reading of one key); null for any other key. */
function paidRule(key: string, programmeId: string): string | null {
  return key.startsWith(`${programmeId}|`) ? (paidCounter(key)?.owner ?? null) : null;
}

/** paidRule of one programme, worked out once per key text: a pass meets the same few keys on every settlement. */
export function paidRuleOf(programmeId: string): (key: string) => string | null {
  const known = new Map<string, string | null>();
  return (key) => {
    let rule = known.get(key);
    if (rule === undefined) known.set(key, (rule = paidRule(key, programmeId)));
    return rule;
  };
}

/** The deltas paidByRule reads, of every programme: all a day projection keeps of a settlement's deltas. */
export function paidDeltas(deltas: Readonly<Record<string, number>>): Record<string, number> {
  const kept: Record<string, number> = {};
  for (const key in deltas) if (paidCounter(key)) kept[key] = deltas[key] ?? 0;
  return kept;
}

/** What a rule paid: its `paid`, or a group's `<group>.paid` — not a drug's own `<group>.drug-<code>.paid` (already in its group's). */
function paidCounter(key: string): { owner: string } | null {
  const parsed = parseCounterKey(key);
  return parsed && PAID_COUNTER.test(parsed.counter) ? parsed : null;
}

const PAID_COUNTER = /^(?:[^.]+\.)?paid$/;
