/**
 * Fee rows (2301 feedetail) → what the 2301 answer says of each row, and the stay's net rows → the
 * native bill's items. Pure. The classification is the engine's own (gateway/engine/bill.ts): 丙类 is
 * 全自费, 超限价 is out of scope, 乙类 pays selfpay_prop × amount first, the rest is 政策范围内.
 */
import type { SettlementRequestInput } from '../../schemas/settlement.js';
import { Decimal } from 'decimal.js';
import { fenTimesShare } from '../../gateway/engine/money.js';
import { fenText } from './amounts.js';
import { NhsaFault } from './fault.js';
import type { FeeRow } from './inputs.js';

const CLASS_OF_LEVEL = { '01': 'A', '02': 'B', '03': 'C' } as const;

export interface RowClasses { fulamtOwnpayFen: number; overlmtFen: number; preselfpayFen: number; inscpFen: number }

/**
 * The four classes of one row, exactly as the engine classifies an item (丙类 wholly 全自费 and never
 * over-limit; 乙类 pre-self-pays selfpay_prop × the whole amount); a refund row's are those of its
 * absolute amount, negated.
 */
export function classesOf(row: FeeRow): RowClasses {
  const sign = row.det_item_fee_sumamt < 0 ? -1 : 1;
  const amountFen = Math.abs(row.det_item_fee_sumamt);
  const level = row.chrgitm_lv ?? '03';
  const overlmtFen = level === '03' ? 0 : Math.abs(row.overlmt_amt ?? 0);
  const fulamtOwnpayFen = level === '03' ? amountFen : 0;
  const preselfpayFen = level === '02' && row.selfpay_prop !== undefined ? fenTimesShare(amountFen, row.selfpay_prop) : 0;
  const inscpFen = amountFen - overlmtFen - fulamtOwnpayFen - preselfpayFen;
  // `|| 0`: no negative zero for the parts a refund row does not have.
  return { fulamtOwnpayFen: sign * fulamtOwnpayFen || 0, overlmtFen: sign * overlmtFen || 0, preselfpayFen: sign * preselfpayFen || 0, inscpFen: sign * inscpFen || 0 };
}

/** A row whose over-limit and pre-self-pay parts exceed its amount is refused at upload (the engine would refuse the bill). */
export function checkClasses(row: FeeRow, index: number): void {
  if (classesOf(row).inscpFen * (row.det_item_fee_sumamt < 0 ? -1 : 1) < 0) {
    throw new NhsaFault(`input.feedetail[${index}].overlmt_amt：超限价金额与先行自付金额之和超过明细金额`);
  }
}

/** Price arithmetic (a limit per unit from a total and a decimal count, and back): exact, rounded once, half-up. */
const PriceDecimal = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_UP });

/** What a price cap allows for a row: cap × |cnt|, to the fen, half-up (cnt may be fractional: 0.5 支). */
export const limitTimesCountFen = (capFen: number, cnt: string): number => new PriceDecimal(capFen).times(new PriceDecimal(cnt).abs()).toDecimalPlaces(0).toNumber();

/**
 * 定价上限金额 per unit: the HIS's when it sends it; else, for a row over the limit, what the limit must be —
 * (det_item_fee_sumamt − overlmt_amt) ÷ |cnt|, to the fen; else unknown (a row within its limit does not state it).
 */
function priceLimitFen(row: FeeRow): number | undefined {
  if (row.pric_uplmt_amt !== undefined) return row.pric_uplmt_amt;
  const overFen = Math.abs(row.overlmt_amt ?? 0);
  const count = new PriceDecimal(row.cnt).abs();
  if (overFen === 0 || count.isZero()) return undefined;
  return new PriceDecimal(Math.abs(row.det_item_fee_sumamt) - overFen).dividedBy(count).toDecimalPlaces(0).toNumber();
}

/**
 * 医疗收费项目类别: the HIS's when it sends it; else what the national code's class letter states — X 西药 09,
 * Z 中成药 11, T 中药饮片 10, C 医用耗材 08; a 医疗服务项目 (digits) could be any of 01–07, 12–14: not stated.
 */
const CHRGITM_TYPE_OF_LETTER: Readonly<Record<string, string>> = { X: '09', Z: '11', T: '10', C: '08' };
const chrgitmTypeOf = (row: FeeRow): string | undefined => row.med_chrgitm_type ?? CHRGITM_TYPE_OF_LETTER[row.med_list_codg?.[0] ?? ''];

/** A row as classified (catalogue/classify.ts): the code its native item carries is always known. */
export type ClassifiedRow = FeeRow & { med_list_codg: string };

const PASSED_FLAGS = ['lmt_used_flag', 'bas_medn_flag', 'hi_nego_drug_flag', 'chld_medc_flag', 'list_sp_item_flag', 'drt_reim_flag'] as const;

/**
 * The 2301 answer's row: every field of the national output table the gateway knows; the others are left out, not
 * invented. `row` is the row as classified (catalogue/classify.ts), `memo` what the classification says of it.
 */
export function resultRow(row: FeeRow, memo: string) {
  const c = classesOf(row);
  const limitFen = priceLimitFen(row);
  const chrgitmType = chrgitmTypeOf(row);
  return {
    feedetl_sn: row.feedetl_sn,
    det_item_fee_sumamt: fenText(row.det_item_fee_sumamt),
    cnt: row.cnt,
    pric: row.pric,
    selfpay_prop: row.chrgitm_lv === '02' ? (row.selfpay_prop ?? '0') : row.chrgitm_lv === '03' ? '1' : '0',
    fulamt_ownpay_amt: fenText(c.fulamtOwnpayFen),
    overlmt_amt: fenText(c.overlmtFen),
    preselfpay_amt: fenText(c.preselfpayFen),
    inscp_scp_amt: fenText(c.inscpFen),
    chrgitm_lv: row.chrgitm_lv ?? '03',
    memo,
    ...(limitFen !== undefined ? { pric_uplmt_amt: fenText(limitFen) } : {}),
    ...(chrgitmType !== undefined ? { med_chrgitm_type: chrgitmType } : {}),
    ...Object.fromEntries(PASSED_FLAGS.flatMap((f) => (row[f] !== undefined ? [[f, row[f]]] : []))),
  };
}

/** Checks of a refund row against the rows already uploaded: its original exists and is not over-refunded. */
export function checkRefund(row: FeeRow, index: number, original: FeeRow | undefined, refundedBeforeFen: number): void {
  const at = `input.feedetail[${index}]`;
  if (row.det_item_fee_sumamt >= 0) {
    if (row.init_feedetl_sn) throw new NhsaFault(`${at}.det_item_fee_sumamt：退费明细（有 init_feedetl_sn）的金额应为负数`);
    if (row.cnt.startsWith('-')) throw new NhsaFault(`${at}.cnt：数量为负数时金额也应为负数，并填写原明细流水号 init_feedetl_sn`);
    return;
  }
  if (!row.init_feedetl_sn) throw new NhsaFault(`${at}.init_feedetl_sn：退费明细（金额为负数）必须填写原费用明细流水号`);
  if (!original) throw new NhsaFault(`${at}.init_feedetl_sn：原费用明细 ${row.init_feedetl_sn} 不存在`);
  if (original.det_item_fee_sumamt < 0) throw new NhsaFault(`${at}.init_feedetl_sn：原费用明细 ${row.init_feedetl_sn} 本身是退费明细`);
  if (refundedBeforeFen + -row.det_item_fee_sumamt > original.det_item_fee_sumamt) {
    throw new NhsaFault(`${at}.det_item_fee_sumamt：退费合计超过原费用明细 ${row.init_feedetl_sn} 的金额`);
  }
}

/** The sum of det_item_fee_sumamt of the rows, refunds included: what medfee_sumamt must equal. */
export const rowsTotalFen = (rows: readonly FeeRow[]): number => rows.reduce((s, r) => s + r.det_item_fee_sumamt, 0);

export interface NetItems {
  items: SettlementRequestInput['items'];
  /** items[i] came from the row with this feedetl_sn (for error messages). */
  rowOfItem: string[];
}

/**
 * The stay's rows netted: each original row less its refunds (same class; over-limit reduced by the
 * refunds' own over-limit), rows refunded in full dropped. Amounts as two-decimal text for the native request.
 */
export function netItems(rows: readonly ClassifiedRow[]): NetItems {
  const refunds = new Map<string, { amountFen: number; overlmtFen: number }>();
  for (const r of rows) {
    if (r.det_item_fee_sumamt >= 0 || !r.init_feedetl_sn) continue;
    const seen = refunds.get(r.init_feedetl_sn) ?? { amountFen: 0, overlmtFen: 0 };
    seen.amountFen += -r.det_item_fee_sumamt;
    seen.overlmtFen += Math.abs(r.overlmt_amt ?? 0);
    refunds.set(r.init_feedetl_sn, seen);
  }
  const items: SettlementRequestInput['items'] = [];
  const rowOfItem: string[] = [];
  for (const r of rows) {
    if (r.det_item_fee_sumamt < 0) continue;
    const refund = refunds.get(r.feedetl_sn) ?? { amountFen: 0, overlmtFen: 0 };
    const netFen = r.det_item_fee_sumamt - refund.amountFen;
    if (netFen <= 0) continue;
    const level = r.chrgitm_lv ?? '03';
    const overlmtFen = level === '03' ? 0 : Math.min(Math.max((r.overlmt_amt ?? 0) - refund.overlmtFen, 0), netFen);
    items.push({
      code: r.med_list_codg,
      name: r.medins_list_name ?? r.medins_list_codg,
      amount: fenText(netFen),
      class: CLASS_OF_LEVEL[level],
      ...(level === '02' && r.selfpay_prop !== undefined ? { selfPayRatio: r.selfpay_prop } : {}),
      ...(overlmtFen > 0 ? { overLimit: fenText(overlmtFen) } : {}),
    });
    rowOfItem.push(r.feedetl_sn);
  }
  return { items, rowOfItem };
}
