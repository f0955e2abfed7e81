/**
 * Stored settlement records read tolerantly: only the fields the operations need, each checked, so a
 * record written by an older or newer version of the gateway still counts (or is counted as unreadable,
 * never throws). The live request schema is not used here on purpose: stored records outlive it.
 */
import { parseCounterKey } from '../engine/counter-keys.js';
import { z } from 'zod';
import { parseFen } from '../engine/money.js';
import type { LedgerPort, SettlementRecord } from '../ledger/port.js';

/** Where the records come from: the ledger's listing, in time order, in bounded pages. */
export type SettlementSource = Pick<LedgerPort, 'listSettlements'>;

const amount = z.string().transform((text, ctx) => {
  const fen = parseFen(text);
  if (fen === null) { ctx.addIssue({ code: 'custom', message: 'not an amount' }); return z.NEVER; }
  return fen;
});

const storedSplit = z.object({
  total: amount,
  outOfScope: amount.catch(0),
  overLimit: amount.catch(0),
  patientPays: amount,
  lines: z.array(z.object({ layer: z.string(), programme: z.string(), amount })),
  benefits: z.array(z.object({ programme: z.string(), kind: z.string(), amount })).catch([]),
  policyVersions: z.record(z.string(), z.string()).catch({}),
});

const storedRequest = z.object({
  hospital: z.object({ name: z.string().min(1).optional() }).catch({}),
  patient: z.object({ categories: z.array(z.string()).catch([]) }).catch({ categories: [] }),
  encounter: z.object({ admittedOn: z.string().catch(''), dischargedOn: z.string() }),
});

/** The parts of one record the reports, the second payout and the what-if read. Amounts in fen. */
export interface ReadRecord {
  record: SettlementRecord;
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

function parseJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return undefined; }
}

/** The record's fields, or null when its stored split or request cannot be read. */
export function readRecord(record: SettlementRecord): ReadRecord | null {
  const split = storedSplit.safeParse(parseJson(record.splitJson));
  const request = storedRequest.safeParse(parseJson(record.requestJson));
  if (!split.success || !request.success) return null;
  const s = split.data;
  return {
    record,
    totalFen: s.total,
    outOfScopeFen: s.outOfScope,
    overLimitFen: s.overLimit,
    patientPaysFen: s.patientPays,
    lines: s.lines.map((l) => ({ layer: l.layer, programme: l.programme, amountFen: l.amount })),
    benefits: s.benefits.map((b) => ({ programme: b.programme, kind: b.kind, amountFen: b.amount })),
    policyVersions: s.policyVersions,
    categories: request.data.patient.categories,
    dischargedOn: request.data.encounter.dischargedOn,
    ...(request.data.hospital.name ? { hospitalName: request.data.hospital.name } : {}),
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
 * `<programme>|<period>|<rule>.paid` (or `<rule>.<group>.paid` for specific drugs). Rules that keep no
 * counter (daily allowances) are found by their benefit kind.
 */
export function paidByRule(deltas: Readonly<Record<string, number>>, programmeId: string, into: Map<string, number>): void {
  const prefix = `${programmeId}|`;
  for (const key in deltas) {
    if (!key.startsWith(prefix)) continue;
    const parsed = parseCounterKey(key);
    // What a rule paid: its `paid`, or a group's `<group>.paid` — not a drug's own `<group>.drug-<code>.paid` (already in its group's).
    if (!parsed || !PAID_COUNTER.test(parsed.counter)) continue;
    into.set(parsed.owner, (into.get(parsed.owner) ?? 0) + (deltas[key] ?? 0));
  }
}

const PAID_COUNTER = /^(?:[^.]+\.)?paid$/;
