/** Bill classification: what of each item is out of scope, over the price limit, pre-self-paid or compliant. */
import type { SettlementRequest } from '../../schemas/settlement.js';
import { Unprocessable, invariant, type FieldError } from '../errors.js';
import { fenTimesShare, formatFen, MAX_FEN } from './money.js';

export interface BillTotals {
  totalFen: number;
  /** 丙类: out of the catalogue, paid by the patient (全自费). */
  outOfScopeFen: number;
  /** 超限价自费: above the item's price limit. */
  overLimitFen: number;
  /** 乙类先行自付: amount × selfPayRatio, rounded per item. */
  preSelfPayFen: number;
  /** 政策范围内: what the insurance catalogue covers. */
  compliantFen: number;
}

/** What classification reads of an item: a stored request's item (gateway/ledger/stored.ts) is classified as a live one. */
export type ClassifiedItem = Pick<SettlementRequest['items'][number], 'amount' | 'class' | 'overLimit' | 'selfPayRatio'>;

/** An item's cost by part, in BILL_PARTS order (schemas/settlement.ts): compliant, preSelfPay, overLimit, outOfScope. */
export type PartsFen = [compliant: number, preSelfPay: number, overLimit: number, outOfScope: number];

/** 乙类先行自付 of an item: amount × selfPayRatio, rounded per item. */
const preSelfPayOf = (item: ClassifiedItem): number => (item.class === 'B' && item.selfPayRatio !== undefined ? fenTimesShare(item.amount, item.selfPayRatio) : 0);
const outOfScopeOf = (item: ClassifiedItem): number => (item.class === 'C' ? item.amount : 0);

/** The parts of one item (its compliant part may be negative for an invalid item: classifyBill refuses those). */
export function itemParts(item: ClassifiedItem): PartsFen {
  const overLimitFen = item.overLimit ?? 0;
  const outOfScopeFen = outOfScopeOf(item);
  const preSelfPayFen = preSelfPayOf(item);
  return [item.amount - overLimitFen - outOfScopeFen - preSelfPayFen, preSelfPayFen, overLimitFen, outOfScopeFen];
}

/** The bill's totals by part, in BILL_PARTS order. */
export const billParts = (bill: BillTotals): PartsFen => [bill.compliantFen, bill.preSelfPayFen, bill.overLimitFen, bill.outOfScopeFen];

export function classifyBill(items: readonly ClassifiedItem[]): BillTotals {
  const totals: BillTotals = { totalFen: 0, outOfScopeFen: 0, overLimitFen: 0, preSelfPayFen: 0, compliantFen: 0 };
  const errors: FieldError[] = [];
  items.forEach((item, index) => {
    // The parts as itemParts gives them, without an array per item (every item of every settlement).
    const overLimitFen = item.overLimit ?? 0;
    const outOfScopeFen = outOfScopeOf(item);
    const preSelfPayFen = preSelfPayOf(item);
    const selfPaidFen = overLimitFen + outOfScopeFen + preSelfPayFen;
    if (selfPaidFen > item.amount) {
      errors.push({
        path: `items.${index}`,
        message: `自付部分 ${formatFen(selfPaidFen)}（目录外 ${formatFen(outOfScopeFen)} + 超限价 ${formatFen(overLimitFen)} + 乙类先行自付 ${formatFen(preSelfPayFen)}）超过该项金额 ${formatFen(item.amount)}`,
      });
      return;
    }
    totals.totalFen += item.amount;
    totals.outOfScopeFen += outOfScopeFen;
    totals.overLimitFen += overLimitFen;
    totals.preSelfPayFen += preSelfPayFen;
    totals.compliantFen += item.amount - selfPaidFen;
  });
  if (errors.length > 0) throw new Unprocessable('有费用项的自付部分超过其金额', errors);
  if (totals.totalFen > MAX_FEN) throw new Unprocessable('账单总额超过上限', [{ path: 'items', message: `总额 ${formatFen(totals.totalFen)} 超过上限 ${formatFen(MAX_FEN)}` }]);
  invariant(
    totals.outOfScopeFen + totals.overLimitFen + totals.preSelfPayFen + totals.compliantFen === totals.totalFen,
    'bill classes do not add up to the total',
  );
  return totals;
}
