/**
 * 对账 (3201 totals, 3202 detail) — pure. A settlement counts once on the day it settled
 * (refd_setl_flag 0) and, if reversed, once more on the day it was reversed (refd_setl_flag 1, amounts
 * negated): the platform's own way of counting, so a period's totals are net and its count is of records.
 */
import * as z from 'zod';
import { parseCsv } from '../../gateway/csv.js';
import { fenText, signedFen } from './amounts.js';
import { NhsaFault } from './fault.js';

/** A 3202 detail row: the columns of the detail file, JSON or CSV. */
export const STATEMENT_COLUMNS = ['psn_no', 'mdtrt_id', 'setl_id', 'msgid', 'stmt_rslt', 'refd_setl_flag', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay'] as const;

export interface StatementRow {
  psn_no: string;
  mdtrt_id: string;
  setl_id: string;
  msgid: string;
  refd_setl_flag: '0' | '1';
  medfee_sumamt: number;
  fund_pay_sumamt: number;
  acct_pay: number;
  /** Filters of 3201/3202 (not columns of the file). */
  insutype: string;
  clr_type: string;
  setl_optins: string;
}

export interface Totals { count: number; medfee_sumamt: number; fund_pay_sumamt: number; acct_pay: number }

export function totalsOf(rows: readonly Pick<StatementRow, 'medfee_sumamt' | 'fund_pay_sumamt' | 'acct_pay'>[]): Totals {
  return rows.reduce<Totals>((t, r) => ({ count: t.count + 1, medfee_sumamt: t.medfee_sumamt + r.medfee_sumamt, fund_pay_sumamt: t.fund_pay_sumamt + r.fund_pay_sumamt, acct_pay: t.acct_pay + r.acct_pay }), { count: 0, medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0 });
}

const FIELD_NAMES = { medfee_sumamt: '医疗费总额', fund_pay_sumamt: '基金支付总额', acct_pay: '个人账户支出' } as const;

export interface StatementResult { stmt_rslt: '0' | '1'; stmt_rslt_dscr: string }

/** 3201: the hospital's totals against the gateway's; says what differs (count, which sums). */
export function compareTotals(hospital: Totals, gateway: Totals): StatementResult {
  const differences: string[] = [];
  if (hospital.count !== gateway.count) differences.push(`结算笔数不符：医院 ${hospital.count} 笔，中心 ${gateway.count} 笔`);
  for (const field of ['medfee_sumamt', 'fund_pay_sumamt', 'acct_pay'] as const) {
    if (hospital[field] !== gateway[field]) differences.push(`${FIELD_NAMES[field]}（${field}）不符：医院 ${fenText(hospital[field])}，中心 ${fenText(gateway[field])}，差额 ${fenText(hospital[field] - gateway[field])}`);
  }
  return differences.length === 0
    ? { stmt_rslt: '0', stmt_rslt_dscr: `对账平：${gateway.count} 笔，医疗费总额 ${fenText(gateway.medfee_sumamt)}，基金支付总额 ${fenText(gateway.fund_pay_sumamt)}，个人账户支出 ${fenText(gateway.acct_pay)}` }
    : { stmt_rslt: '1', stmt_rslt_dscr: `对账不平：${differences.join('；')}` };
}

export interface Filters { insutype?: string | undefined; clr_type?: string | undefined; setl_optins?: string | undefined; refd_setl_flag?: '0' | '1' | undefined }

export function applyFilters(rows: readonly StatementRow[], f: Filters): StatementRow[] {
  return rows.filter((r) => (!f.insutype || r.insutype === f.insutype) && (!f.clr_type || r.clr_type === f.clr_type) &&
    (!f.setl_optins || r.setl_optins === f.setl_optins) && (!f.refd_setl_flag || r.refd_setl_flag === f.refd_setl_flag));
}

const hospitalRow = z.object({
  psn_no: z.string().max(30).default(''),
  mdtrt_id: z.string().max(30).default(''),
  setl_id: z.string().min(1, '必填项缺失').max(30),
  msgid: z.string().max(30).default(''),
  refd_setl_flag: z.enum(['0', '1'], '应为 0 或 1').default('0'),
  medfee_sumamt: z.string(),
  fund_pay_sumamt: z.string(),
  acct_pay: z.string().default('0'),
});
export type HospitalRow = Pick<StatementRow, 'psn_no' | 'mdtrt_id' | 'setl_id' | 'msgid' | 'refd_setl_flag' | 'medfee_sumamt' | 'fund_pay_sumamt' | 'acct_pay'>;

/**
 * The hospital's detail file: a JSON array of rows (amounts as numbers — read losslessly — or strings),
 * or CSV text with a header naming STATEMENT_COLUMNS (stmt_rslt may be left empty). Errors name the row.
 */
export function hospitalRows(json: readonly unknown[] | undefined, csv: string | undefined, path: string, rowLabel: (index: number) => string = (index) => `[${index}]`): HospitalRow[] {
  let records: unknown[];
  if (csv !== undefined) {
    const [header, ...lines] = parseCsv(csv);
    if (!header) return [];
    const names = header.map((h) => h.trim());
    const missing = ['setl_id', 'medfee_sumamt', 'fund_pay_sumamt'].filter((c) => !names.includes(c));
    if (missing.length > 0) throw new NhsaFault(`${path}：明细文件表头缺少列 ${missing.join('、')}`);
    records = lines.map((fields) => Object.fromEntries(names.map((n, i) => [n, fields[i]?.trim() ?? ''])));
  } else records = [...(json ?? [])];
  return records.map((record, index) => {
    const normalised = typeof record === 'object' && record !== null
      ? Object.fromEntries(Object.entries(record).filter(([, v]) => v !== '' && v !== null).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]))
      : record;
    const parsed = hospitalRow.safeParse(normalised);
    if (!parsed.success) throw new NhsaFault(`${path}${rowLabel(index)}.${parsed.error.issues[0]?.path.join('.') ?? ''}：${parsed.error.issues[0]?.message ?? '格式不正确'}`);
    const amount = (field: 'medfee_sumamt' | 'fund_pay_sumamt' | 'acct_pay'): number => {
      const fen = signedFen(parsed.data[field]);
      if (fen === null) throw new NhsaFault(`${path}${rowLabel(index)}.${field}：金额格式不正确（最多两位小数）`);
      return fen;
    };
    return { ...parsed.data, medfee_sumamt: amount('medfee_sumamt'), fund_pay_sumamt: amount('fund_pay_sumamt'), acct_pay: amount('acct_pay') };
  });
}

export interface Mismatch { setl_id: string; refd_setl_flag: '0' | '1'; field: 'medfee_sumamt' | 'fund_pay_sumamt' | 'acct_pay'; hospital: string; gateway: string }
export interface Comparison {
  matched: number;
  /** In the gateway's records, absent from the hospital's file. */
  missing_in_hospital: HospitalRow[];
  /** In the hospital's file, absent from the gateway's records. */
  missing_in_gateway: HospitalRow[];
  mismatches: Mismatch[];
}

const keyOf = (r: Pick<StatementRow, 'setl_id' | 'refd_setl_flag'>) => `${r.setl_id}\u0000${r.refd_setl_flag}`;

/** 3202: row by row, matched on (setl_id, refd_setl_flag). */
export function compareDetail(hospital: readonly HospitalRow[], gateway: readonly HospitalRow[]): Comparison {
  const byKey = new Map(gateway.map((r) => [keyOf(r), r]));
  const seen = new Set<string>();
  const result: Comparison = { matched: 0, missing_in_hospital: [], missing_in_gateway: [], mismatches: [] };
  for (const h of hospital) {
    const key = keyOf(h);
    const g = byKey.get(key);
    if (!g || seen.has(key)) { result.missing_in_gateway.push(h); continue; }
    seen.add(key);
    const fields = (['medfee_sumamt', 'fund_pay_sumamt', 'acct_pay'] as const).filter((f) => h[f] !== g[f]);
    if (fields.length === 0) result.matched++;
    for (const field of fields) result.mismatches.push({ setl_id: h.setl_id, refd_setl_flag: h.refd_setl_flag, field, hospital: fenText(h[field]), gateway: fenText(g[field]) });
  }
  for (const g of gateway) if (!seen.has(keyOf(g))) result.missing_in_hospital.push(g);
  return result;
}

/** The gateway's rows with their per-row result (stmt_rslt 0 平, 1 不平 or missing in the hospital's file). */
export function detailRows(gateway: readonly HospitalRow[], comparison: Comparison | undefined) {
  const bad = new Set([...(comparison?.missing_in_hospital ?? []), ...(comparison?.mismatches ?? [])].map((r) => keyOf(r)));
  return gateway.map((r) => ({
    psn_no: r.psn_no, mdtrt_id: r.mdtrt_id, setl_id: r.setl_id, msgid: r.msgid,
    stmt_rslt: comparison ? (bad.has(keyOf(r)) ? '1' : '0') : '0',
    refd_setl_flag: r.refd_setl_flag,
    medfee_sumamt: fenText(r.medfee_sumamt), fund_pay_sumamt: fenText(r.fund_pay_sumamt), acct_pay: fenText(r.acct_pay),
  }));
}

/** The comparison as CSV rows for the clerk: a header, one line per difference, and a count of matched rows. */
export function comparisonRows(c: Comparison): Array<Array<string | number>> {
  const lines: Array<Array<string | number>> = [];
  for (const r of c.missing_in_hospital) lines.push(['missing_in_hospital', r.setl_id, r.refd_setl_flag, '', '', fenText(r.medfee_sumamt), r.psn_no, r.mdtrt_id]);
  for (const r of c.missing_in_gateway) lines.push(['missing_in_gateway', r.setl_id, r.refd_setl_flag, '', fenText(r.medfee_sumamt), '', r.psn_no, r.mdtrt_id]);
  for (const m of c.mismatches) lines.push(['mismatch', m.setl_id, m.refd_setl_flag, m.field, m.hospital, m.gateway, '', '']);
  lines.push(['matched', c.matched, '', '', '', '', '', '']);
  return [['result', 'setl_id', 'refd_setl_flag', 'field', 'hospital', 'gateway', 'psn_no', 'mdtrt_id'], ...lines];
}
