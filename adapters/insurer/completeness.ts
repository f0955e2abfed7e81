/**
 * The gateway's own side of a reconciliation proven complete: what the ledger's settlements of the
 * period owe this insurer — a claim per paying supplementary line, and a reversal of it when the
 * settlement is reversed — against what the adapter took in from Kafka. The ledger's status is the
 * truth about reversals: a reversal committed there but still on its way (an insurer down holds its
 * partition) is listed as not yet taken, and its claim counts as reversed in the rows meanwhile.
 */
import { parseFen } from '../../gateway/engine/money.js';
import type { SettlementListing } from '../../gateway/ledger/port.js';
import type { ClaimView } from './claims-store.js';
import { chinaDay } from './days.js';

/** One claim of the ledger's, with its reversal's id when the ledger holds the settlement as reversed. */
export interface LedgerClaim {
  claimId: string;
  hospitalId: string;
  amountFen: number;
  settledAt?: string;
  reversal?: { claimId: string; reversedAt?: string };
}

export interface NotYetTaken { kind: 'claim' | 'reversal'; claimId: string; hospitalId: string; settledAt?: string; reversedAt?: string }

export interface Completeness {
  owed: LedgerClaim[];
  /** Claim ids whose settlement the ledger holds as reversed. */
  reversedInLedger: ReadonlySet<string>;
  takenClaims: number;
  takenReversals: number;
  notYetTaken: NotYetTaken[];
}

/** What the ledger's settlements of the period owe the insurer's programmes, claim by claim. */
export async function ledgerClaims(ledger: Pick<SettlementListing, 'listSettlements'>, programmes: readonly string[], q: { from: string; to: string; hospitalId?: string }): Promise<LedgerClaim[]> {
  const owed: LedgerClaim[] = [];
  const dayAfter = chinaDay(Date.parse(`${q.to}T00:00:00+08:00`) + 86_400_000);
  for await (const record of ledger.listSettlements({ from: q.from, to: dayAfter, by: 'settledAt', ...(q.hospitalId ? { hospitalId: q.hospitalId } : {}) })) {
    const split = record.split;
    for (const line of split.lines) {
      if (line.layer !== 'supplementary' || line.amount === '0.00' || !programmes.includes(line.programme)) continue;
      owed.push({
        claimId: `clm_${split.gatewayId}_${line.programme}`, hospitalId: split.hospitalId, amountFen: parseFen(line.amount) ?? 0,
        ...(split.settledAt ? { settledAt: split.settledAt } : {}),
        // The split is stored as first answered (settled); the record's status says whether it was reversed since.
        ...(record.status === 'reversed' ? { reversal: { claimId: `rev_${split.gatewayId}_${line.programme}`, ...(record.reversedAt ? { reversedAt: record.reversedAt } : {}) } } : {}),
      });
    }
  }
  return owed;
}

/** The ledger's claims and reversals against the claims and reversals taken in (the period's views). */
export function completenessOf(owed: readonly LedgerClaim[], views: readonly ClaimView[]): Completeness {
  const taken = new Set(views.map((v) => v.claimId));
  const notYetTaken: NotYetTaken[] = [];
  for (const o of owed) {
    const settled = o.settledAt ? { settledAt: o.settledAt } : {};
    if (!taken.has(o.claimId)) notYetTaken.push({ kind: 'claim', claimId: o.claimId, hospitalId: o.hospitalId, ...settled });
    if (o.reversal && !taken.has(o.reversal.claimId)) {
      notYetTaken.push({ kind: 'reversal', claimId: o.reversal.claimId, hospitalId: o.hospitalId, ...settled, ...(o.reversal.reversedAt ? { reversedAt: o.reversal.reversedAt } : {}) });
    }
  }
  return {
    owed: [...owed],
    reversedInLedger: new Set(owed.flatMap((o) => (o.reversal ? [o.claimId] : []))),
    takenClaims: views.filter((v) => v.kind === 'claim').length,
    takenReversals: views.filter((v) => v.kind === 'reversal').length,
    notYetTaken,
  };
}
