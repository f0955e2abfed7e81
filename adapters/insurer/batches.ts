/**
 * Daily batches (机构交单): per insurer, hospital and day, the claims and reversals handed in that day.
 * A batch closes at the cut-off; what the gateway takes in afterwards goes to the next open batch
 * (see days.ts batchDayOf), so a closed batch never changes — its claims' states still move on.
 */
import { parseFen } from '../../gateway/engine/money.js';
import { invariant } from '../../gateway/errors.js';
import type { ClaimState } from './claim-states.js';
import type { ClaimView } from './claims-store.js';
import { batchClosesAt, dayNumber } from './days.js';
import { signedYuan } from './reconciliation.js';

export interface BatchEntry {
  claimId: string; kind: 'claim' | 'reversal'; originalClaimId?: string; gatewayId: string; settlementId: string; programme: string;
  settledAt?: string; reversedAt?: string; amount: string; state: ClaimState;
}

export interface Batch {
  batchNo: string;
  insurerCode: string;
  hospitalId: string;
  date: string;
  status: 'open' | 'closed';
  closesAt: string;
  currency: 'CNY';
  /** Claims (positive) and reversals (each cancelling a claim) in the batch. */
  claimCount: number;
  claimTotal: string;
  reversalCount: number;
  reversalTotal: string;
  /** claimTotal − reversalTotal: what the hospital asks of the insurer for the day (may be negative). */
  total: string;
  claims: BatchEntry[];
}

function batchNoOf(insurerCode: string, hospitalId: string, day: string): string {
  return `${insurerCode}-${hospitalId}-${dayNumber(day)}`;
}

export function buildBatches(insurerCode: string, day: string, cutoff: string, entries: readonly ClaimView[], nowMs: number): Batch[] {
  const closesAtMs = batchClosesAt(day, cutoff);
  const byHospital = new Map<string, ClaimView[]>();
  for (const e of entries) {
    invariant(e.batchDay === day, 'a batch holds only its own day');
    byHospital.set(e.hospitalId, [...(byHospital.get(e.hospitalId) ?? []), e]);
  }
  return [...byHospital.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([hospitalId, views]) => {
    let claimFen = 0; let reversalFen = 0; let claimCount = 0; let reversalCount = 0;
    const claims = [...views].sort((a, b) => a.takenAt.localeCompare(b.takenAt) || a.claimId.localeCompare(b.claimId)).map((v): BatchEntry => {
      const fen = parseFen(v.amount) ?? 0;
      if (v.kind === 'claim') { claimFen += fen; claimCount++; } else { reversalFen += fen; reversalCount++; }
      return {
        claimId: v.claimId, kind: v.kind, ...(v.originalClaimId ? { originalClaimId: v.originalClaimId } : {}), gatewayId: v.gatewayId, settlementId: v.settlementId,
        programme: v.programme, ...(v.settledAt ? { settledAt: v.settledAt } : {}), ...(v.reversedAt ? { reversedAt: v.reversedAt } : {}), amount: v.amount, state: v.state,
      };
    });
    return {
      batchNo: batchNoOf(insurerCode, hospitalId, day), insurerCode, hospitalId, date: day,
      status: nowMs >= closesAtMs ? 'closed' : 'open', closesAt: new Date(closesAtMs).toISOString(), currency: 'CNY',
      claimCount, claimTotal: signedYuan(claimFen), reversalCount, reversalTotal: signedYuan(reversalFen), total: signedYuan(claimFen - reversalFen), claims,
    };
  });
}

export function batchesCsv(batches: readonly Batch[]): string[][] {
  const rows: string[][] = [['批次号', '医院编码', '交单日期', '理赔号', '类型', '原理赔号', '医院结算号', '网关结算号', '保障项目', '金额', '状态']];
  for (const b of batches) {
    for (const c of b.claims) {
      rows.push([b.batchNo, b.hospitalId, b.date, c.claimId, c.kind === 'claim' ? '理赔' : '撤销', c.originalClaimId ?? '', c.settlementId, c.gatewayId, c.programme, c.kind === 'claim' ? c.amount : `-${c.amount}`, c.state]);
    }
    rows.push([b.batchNo, b.hospitalId, b.date, '合计', `理赔 ${b.claimCount} 笔 ${b.claimTotal}；撤销 ${b.reversalCount} 笔 ${b.reversalTotal}`, '', '', '', '', b.total, b.status === 'closed' ? '已截止' : '未截止']);
  }
  return rows;
}
