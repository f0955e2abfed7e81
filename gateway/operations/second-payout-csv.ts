/** A second payout (planned or committed) as CSV: one row per person paid, with the explanation. */
import { CSV_BOM, csvRows } from '../csv.js';
import type { SecondPayoutPlan } from './second-payout.js';

export function payoutCsv(plan: SecondPayoutPlan): string {
  return CSV_BOM + csvRows([
    ['personId', 'coveredStays', 'eligibleSelfPay', 'cap', 'amount', 'capped', 'explanation'],
    ...plan.payments.map((p) => [p.personId, p.coveredStays, p.eligibleSelfPay, p.cap, p.amount, p.capped, p.explanation.join('；')]),
  ]);
}
