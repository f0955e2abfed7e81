/** The reconciliation report of a period as the API answers it (JSON and CSV). */
import { parseFen } from '../../gateway/engine/money.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { split as splitSchema } from '../../schemas/settlement.js';
import type { ClaimsStore, ClaimView } from './claims-store.js';
import { chinaDay } from './days.js';
import { classify, filedClaimsOf, OUTCOME_LABELS, OUTCOMES, paidLinesOf, signedYuan, type Outcome, type Totals } from './reconciliation.js';
import type { Payment, StatementsStore } from './statements.js';

export interface ReportTotals { count: number; gatewayAmount: string; expectedAmount: string; insurerAmount: string; difference: string }

export interface ReconciliationReport {
  insurerCode: string;
  from: string;
  to: string;
  hospitalId?: string;
  statements: string[];
  /**
   * The gateway's own side proven complete: the claims the ledger's settlements of the period owe this
   * insurer against the claims the adapter took in. `notYetTaken` (at most 1000 listed) are still on
   * their way (Kafka) or lost — never silently missing from the report.
   */
  completeness: { ledgerClaims: number; ledgerAmount: string; takenClaims: number; notYetTaken: Array<{ claimId: string; hospitalId: string; settledAt?: string }> };
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

/** What the ledger's settlements of the period owe the insurer's programmes, claim by claim. */
async function ledgerClaims(ledger: LedgerPort, programmes: readonly string[], q: { from: string; to: string; hospitalId?: string }): Promise<Array<{ claimId: string; hospitalId: string; amountFen: number; settledAt?: string }>> {
  const owed: Array<{ claimId: string; hospitalId: string; amountFen: number; settledAt?: string }> = [];
  const dayAfter = chinaDay(Date.parse(`${q.to}T00:00:00+08:00`) + 86_400_000);
  for await (const record of ledger.listSettlements({ from: q.from, to: dayAfter, by: 'settledAt', ...(q.hospitalId ? { hospitalId: q.hospitalId } : {}) })) {
    const split = splitSchema.parse(JSON.parse(record.splitJson));
    for (const line of split.lines) {
      if (line.layer !== 'supplementary' || line.amount === '0.00' || !programmes.includes(line.programme)) continue;
      owed.push({ claimId: `clm_${split.gatewayId}_${line.programme}`, hospitalId: split.hospitalId, amountFen: parseFen(line.amount) ?? 0, ...(split.settledAt ? { settledAt: split.settledAt } : {}) });
    }
  }
  return owed;
}

export async function reconciliationReport(deps: { claims: ClaimsStore; statements: StatementsStore; ledger: LedgerPort; programmes: readonly string[] }, insurerCode: string, q: { from: string; to: string; hospitalId?: string }): Promise<ReconciliationReport> {
  const views: ClaimView[] = [];
  for await (const v of deps.claims.all(insurerCode, q)) views.push(v);
  const payments: Payment[] = [];
  for await (const p of deps.statements.payments(insurerCode, q)) payments.push(p);
  const { rows, totals } = classify(filedClaimsOf(views), paidLinesOf(payments));
  const owed = await ledgerClaims(deps.ledger, deps.programmes, q);
  const taken = new Set(views.filter((v) => v.kind === 'claim').map((v) => v.claimId));
  const notYetTaken = owed.filter((o) => !taken.has(o.claimId));
  const order = new Map(OUTCOMES.map((o, i) => [o, i]));
  rows.sort((a, b) => order.get(a.outcome)! - order.get(b.outcome)! || a.settledOn.localeCompare(b.settledOn) || a.claimId.localeCompare(b.claimId));
  return {
    insurerCode, from: q.from, to: q.to, ...(q.hospitalId ? { hospitalId: q.hospitalId } : {}),
    statements: [...new Set(payments.map((p) => p.statementNo))].sort(),
    completeness: {
      ledgerClaims: owed.length, ledgerAmount: signedYuan(owed.reduce((sum, o) => sum + o.amountFen, 0)), takenClaims: taken.size,
      notYetTaken: notYetTaken.slice(0, NOT_YET_TAKEN_LISTED_MAX).map((o) => ({ claimId: o.claimId, hospitalId: o.hospitalId, ...(o.settledAt ? { settledAt: o.settledAt } : {}) })),
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
  rows.push(['账本核对', '', `账本应有理赔 ${report.completeness.ledgerClaims} 笔 ${report.completeness.ledgerAmount}`, `已接收 ${report.completeness.takenClaims} 笔`, `未接收 ${report.completeness.notYetTaken.length} 笔`]);
  for (const n of report.completeness.notYetTaken) rows.push(['未接收', '', n.claimId, n.hospitalId, '', '', '', n.settledAt ?? '']);
  rows.push([]);
  rows.push(['合计', '结果代码', '笔数', '', '', '', '', '', '', '', '申报金额', '应付金额', '保险公司支付', '差额']);
  for (const o of [...OUTCOMES, 'all'] as const) {
    const t = report.totals[o];
    rows.push([o === 'all' ? '总计' : OUTCOME_LABELS[o], o, String(t.count), '', '', '', '', '', '', '', t.gatewayAmount, t.expectedAmount, t.insurerAmount, t.difference]);
  }
  return rows;
}
