/** The reconciliation report of a period as the API answers it (JSON and CSV). */
import type { SettlementListing } from '../../gateway/ledger/port.js';
import type { ClaimsStore, ClaimView } from './claims-store.js';
import { completenessOf, ledgerClaims, type NotYetTaken } from './completeness.js';
import { classify, filedClaimsOf, OUTCOME_LABELS, OUTCOMES, paidLinesOf, signedYuan, type Outcome, type Totals } from './reconciliation.js';
import type { Payment, StatementsStore } from './statements-store.js';

export interface ReportTotals { count: number; gatewayAmount: string; expectedAmount: string; insurerAmount: string; difference: string }

export interface ReconciliationReport {
  insurerCode: string;
  from: string;
  to: string;
  hospitalId?: string;
  statements: string[];
  /**
   * The gateway's own side proven complete: the claims the ledger's settlements of the period owe this
   * insurer, and the reversals of those it holds as reversed, against the claims and reversals the
   * adapter took in. `notYetTaken` (at most 1000 listed) are still on their way (Kafka) or lost — never
   * silently missing from the report.
   */
  completeness: { ledgerClaims: number; ledgerAmount: string; ledgerReversals: number; takenClaims: number; takenReversals: number; notYetTaken: NotYetTaken[] };
  totals: Record<Outcome | 'all', ReportTotals>;
  rows: Array<{
    outcome: Outcome; claimId: string; gatewayId?: string; settlementId?: string; programme?: string; hospitalId: string; settledOn: string;
    claimState?: string; reversed: boolean; gatewayAmount: string; expectedAmount: string; insurerAmount: string; difference: string;
    payments: Array<{ statementNo: string; lineNo: number; amount: string; paidOn: string; paymentRef?: string }>;
  }>;
}

const totalsText = (t: Totals): ReportTotals => ({
  count: t.count, gatewayAmount: signedYuan(t.gatewayFen), expectedAmount: signedYuan(t.expectedFen), insurerAmount: signedYuan(t.insurerFen), difference: signedYuan(t.insurerFen - t.expectedFen),
});

const NOT_YET_TAKEN_LISTED_MAX = 1000;

export async function reconciliationReport(deps: { claims: ClaimsStore; statements: StatementsStore; ledger: Pick<SettlementListing, 'listSettlements'>; programmes: readonly string[] }, insurerCode: string, q: { from: string; to: string; hospitalId?: string }): Promise<ReconciliationReport> {
  const views: ClaimView[] = [];
  for await (const v of deps.claims.all(insurerCode, q)) views.push(v);
  const payments: Payment[] = [];
  for await (const p of deps.statements.payments(insurerCode, q)) payments.push(p);
  const complete = completenessOf(await ledgerClaims(deps.ledger, deps.programmes, q), views);
  const { rows, totals } = classify(filedClaimsOf(views, complete.reversedInLedger), paidLinesOf(payments));
  const order = new Map(OUTCOMES.map((o, i) => [o, i]));
  rows.sort((a, b) => order.get(a.outcome)! - order.get(b.outcome)! || a.settledOn.localeCompare(b.settledOn) || a.claimId.localeCompare(b.claimId));
  return {
    insurerCode, from: q.from, to: q.to, ...(q.hospitalId ? { hospitalId: q.hospitalId } : {}),
    statements: [...new Set(payments.map((p) => p.statementNo))].sort(),
    completeness: {
      ledgerClaims: complete.owed.length, ledgerAmount: signedYuan(complete.owed.reduce((sum, o) => sum + o.amountFen, 0)),
      ledgerReversals: complete.reversedInLedger.size, takenClaims: complete.takenClaims, takenReversals: complete.takenReversals,
      notYetTaken: complete.notYetTaken.slice(0, NOT_YET_TAKEN_LISTED_MAX),
    },
    totals: Object.fromEntries(Object.entries(totals).map(([k, t]) => [k, totalsText(t)])) as ReconciliationReport['totals'],
    rows: rows.map((r) => ({
      outcome: r.outcome, claimId: r.claimId, ...(r.gatewayId ? { gatewayId: r.gatewayId } : {}), ...(r.settlementId ? { settlementId: r.settlementId } : {}),
      ...(r.programme ? { programme: r.programme } : {}), hospitalId: r.hospitalId, settledOn: r.settledOn, ...(r.claimState ? { claimState: r.claimState } : {}),
      reversed: r.reversed, gatewayAmount: signedYuan(r.gatewayFen), expectedAmount: signedYuan(r.expectedFen), insurerAmount: signedYuan(r.insurerFen),
      difference: signedYuan(r.insurerFen - r.expectedFen),
      payments: r.payments.map((p) => ({ statementNo: p.statementNo, lineNo: p.lineNo, amount: signedYuan(p.amountFen), paidOn: p.paidOn, ...(p.paymentRef ? { paymentRef: p.paymentRef } : {}) })),
    })),
  };
}

export function reportCsv(report: ReconciliationReport): string[][] {
  const rows: string[][] = [['结果', '结果代码', '理赔号', '医院编码', '医院结算号', '网关结算号', '保障项目', '结算日期', '理赔状态', '已撤销', '申报金额', '应付金额', '保险公司支付', '差额', '对账单/行', '支付日期', '支付流水']];
  for (const r of report.rows) {
    rows.push([
      OUTCOME_LABELS[r.outcome], r.outcome, r.claimId, r.hospitalId, r.settlementId ?? '', r.gatewayId ?? '', r.programme ?? '', r.settledOn, r.claimState ?? '', r.reversed ? '是' : '否',
      r.gatewayAmount, r.expectedAmount, r.insurerAmount, r.difference,
      r.payments.map((p) => `${p.statementNo}/${p.lineNo}`).join(';'), r.payments.map((p) => p.paidOn).join(';'), r.payments.map((p) => p.paymentRef ?? '').join(';'),
    ]);
  }
  rows.push([]);
  const k = report.completeness;
  rows.push(['账本核对', '', `账本应有理赔 ${k.ledgerClaims} 笔 ${k.ledgerAmount}`, `已接收 ${k.takenClaims} 笔`, `账本应有撤销 ${k.ledgerReversals} 笔`, `已接收撤销 ${k.takenReversals} 笔`, `未接收 ${k.notYetTaken.length} 笔`]);
  for (const n of k.notYetTaken) rows.push(['未接收', n.kind, n.claimId, n.hospitalId, '', '', '', n.settledAt ?? '']);
  rows.push([]);
  rows.push(['合计', '结果代码', '笔数', '', '', '', '', '', '', '', '申报金额', '应付金额', '保险公司支付', '差额']);
  for (const o of [...OUTCOMES, 'all'] as const) {
    const t = report.totals[o];
    rows.push([o === 'all' ? '总计' : OUTCOME_LABELS[o], o, String(t.count), '', '', '', '', '', '', '', t.gatewayAmount, t.expectedAmount, t.insurerAmount, t.difference]);
  }
  return rows;
}
