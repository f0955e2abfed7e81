/**
 * Reconciliation (对账): the gateway's claims of a period against what the insurer's statements say
 * it paid. Every claim and every payment lands in exactly one row, so the totals per outcome add up to
 * the gateway's claims on one side and the statements' payments on the other.
 *
 * Outcomes, per claim (or per unknown claim id on the insurer's side):
 *   matched            paid once, the amount filed — or nothing owed (reversed or rejected) and nothing paid
 *   missingAtInsurer   filed, in force, not rejected, and no payment
 *   unknownToGateway   paid for a claim id the gateway never filed
 *   amountMismatch     paid once, another amount
 *   reversedButPaid    the settlement was reversed, yet the insurer paid
 *   rejectedButPaid    the insurer rejected the claim, yet paid it
 *   paidTwice          two or more payments for one claim (across statements too)
 * A row is `matched` only when what was paid is what is owed: money paid that is not owed is always
 * a difference to settle with the insurer, never 一致.
 */
import { formatFen, parseFen } from '../../gateway/engine/money.js';
import { invariant } from '../../gateway/errors.js';
import type { ClaimState } from './claim-states.js';
import type { ClaimView } from './claims-store.js';
import type { Payment } from './statements-store.js';

export const OUTCOMES = ['matched', 'missingAtInsurer', 'unknownToGateway', 'amountMismatch', 'reversedButPaid', 'rejectedButPaid', 'paidTwice'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const OUTCOME_LABELS: Record<Outcome, string> = {
  matched: '一致', missingAtInsurer: '保险公司未支付', unknownToGateway: '网关无此理赔', amountMismatch: '金额不符', reversedButPaid: '已撤销仍支付', rejectedButPaid: '已拒付仍支付', paidTwice: '重复支付',
};

/** A filed claim as reconciliation needs it (amounts in fen). */
export interface FiledClaim {
  claimId: string; gatewayId: string; settlementId: string; hospitalId: string; programme: string; settledOn: string;
  amountFen: number; state: ClaimState; reversed: boolean;
}
export interface PaidLine { claimId: string; statementNo: string; lineNo: number; hospitalId: string; settledOn: string; amountFen: number; paidOn: string; paymentRef?: string }

export interface Row {
  outcome: Outcome;
  claimId: string;
  gatewayId?: string;
  settlementId?: string;
  programme?: string;
  hospitalId: string;
  settledOn: string;
  claimState?: ClaimState;
  reversed: boolean;
  gatewayFen: number;
  expectedFen: number;
  insurerFen: number;
  payments: PaidLine[];
}

export interface Totals { count: number; gatewayFen: number; expectedFen: number; insurerFen: number }

export function classify(filed: readonly FiledClaim[], paid: readonly PaidLine[]): { rows: Row[]; totals: Record<Outcome | 'all', Totals> } {
  const byClaim = new Map<string, PaidLine[]>();
  for (const p of paid) byClaim.set(p.claimId, [...(byClaim.get(p.claimId) ?? []), p]);
  const rows: Row[] = [];
  for (const c of filed) {
    const payments = byClaim.get(c.claimId) ?? [];
    byClaim.delete(c.claimId);
    const insurerFen = payments.reduce((s, p) => s + p.amountFen, 0);
    const owed = !c.reversed && c.state !== 'rejected';
    const expectedFen = owed ? c.amountFen : 0;
    let outcome: Outcome;
    if (c.reversed && insurerFen > 0) outcome = 'reversedButPaid';
    else if (c.state === 'rejected' && insurerFen > 0) outcome = 'rejectedButPaid';
    else if (payments.length >= 2) outcome = 'paidTwice';
    else if (payments.length === 0) outcome = owed ? 'missingAtInsurer' : 'matched';
    else outcome = insurerFen === expectedFen ? 'matched' : 'amountMismatch';
    rows.push({
      outcome, claimId: c.claimId, gatewayId: c.gatewayId, settlementId: c.settlementId, programme: c.programme, hospitalId: c.hospitalId,
      settledOn: c.settledOn, claimState: c.state, reversed: c.reversed, gatewayFen: c.amountFen, expectedFen, insurerFen, payments,
    });
  }
  for (const [claimId, payments] of byClaim) {
    const first = payments[0]!;
    rows.push({
      outcome: 'unknownToGateway', claimId, hospitalId: first.hospitalId, settledOn: first.settledOn, reversed: false,
      gatewayFen: 0, expectedFen: 0, insurerFen: payments.reduce((s, p) => s + p.amountFen, 0), payments,
    });
  }
  const empty = (): Totals => ({ count: 0, gatewayFen: 0, expectedFen: 0, insurerFen: 0 });
  const totals = Object.fromEntries([...OUTCOMES, 'all'].map((o) => [o, empty()])) as Record<Outcome | 'all', Totals>;
  for (const r of rows) {
    for (const t of [totals[r.outcome], totals.all]) { t.count++; t.gatewayFen += r.gatewayFen; t.expectedFen += r.expectedFen; t.insurerFen += r.insurerFen; }
  }
  // The promise of the report, asserted where it is made: nothing counted twice, nothing dropped.
  invariant(totals.all.gatewayFen === filed.reduce((s, c) => s + c.amountFen, 0), 'reconciliation rows carry every filed claim once');
  invariant(totals.all.insurerFen === paid.reduce((s, p) => s + p.amountFen, 0), 'reconciliation rows carry every payment once');
  invariant(totals.matched.insurerFen === totals.matched.expectedFen, 'a matched row was paid what it is owed');
  return { rows, totals };
}

/**
 * The gateway's claims of the period (claims and their reversals, as the store lists them) → filed
 * claims. A claim is reversed when its reversal was taken in, or when the ledger holds its settlement
 * as reversed (`reversedInLedger`, claim ids): the ledger is the truth, and a reversal still waiting on
 * Kafka must not leave a paid claim looking owed.
 */
export function filedClaimsOf(views: readonly ClaimView[], reversedInLedger: ReadonlySet<string> = new Set()): FiledClaim[] {
  const reversed = new Set(views.filter((v) => v.kind === 'reversal' && v.originalClaimId).map((v) => v.originalClaimId!));
  return views.filter((v) => v.kind === 'claim').map((v) => ({
    claimId: v.claimId, gatewayId: v.gatewayId, settlementId: v.settlementId, hospitalId: v.hospitalId, programme: v.programme, settledOn: v.settledOn,
    amountFen: fen(v.amount), state: v.state, reversed: reversed.has(v.claimId) || reversedInLedger.has(v.claimId),
  }));
}

export function paidLinesOf(payments: readonly Payment[]): PaidLine[] {
  return payments.map((p) => ({
    claimId: p.claimId, statementNo: p.statementNo, lineNo: p.lineNo, hospitalId: p.hospitalId, settledOn: p.settledOn, amountFen: fen(p.amount), paidOn: p.paidOn,
    ...(p.paymentRef ? { paymentRef: p.paymentRef } : {}),
  }));
}

function fen(text: string): number {
  const value = parseFen(text);
  invariant(value !== null, `stored amount ${text} is money`);
  return value;
}

/** A signed amount in yuan text: differences may be negative. */
export const signedYuan = (fen: number): string => (fen < 0 ? `-${formatFen(-fen)}` : formatFen(fen));
