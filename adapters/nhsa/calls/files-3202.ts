/**
 * The files of the national 3202 (pure): the hospital's detail file, as a HIS packs it for 9101 — a text
 * file, one settlement per line, fields separated by a tab, no header (a first line naming the columns is
 * skipped) — and the result file 9102 downloads, one line per settlement with its stmt_rslt and a memo
 * saying what differs. Column orders as commonly implemented from the national tables (not confirmed here).
 */
import { fenText } from '../amounts.js';
import { NhsaFault } from '../fault.js';
import { LIMITS } from '../inputs.js';
import { hospitalRows, type Comparison, type HospitalRow } from '../reconcile.js';

/** The detail file's columns, in order. */
const DETAIL_FILE_COLUMNS = ['setl_id', 'mdtrt_id', 'psn_no', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay', 'refd_setl_flag'] as const;

/** The detail file's rows; an error names the line (counted from 1, as an editor shows it) and the field. */
export function detailFileRows(text: string, path: string): HospitalRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line, i) => ({ line, number: i + 1 })).filter(({ line }) => line.trim() !== '');
  const body = lines[0]?.line.split('\t')[0]?.trim() === 'setl_id' ? lines.slice(1) : lines;
  if (body.length > LIMITS.detailRowsPerComparison) throw new NhsaFault(`${path}：明细文件超过 ${LIMITS.detailRowsPerComparison} 行`);
  const records = body.map(({ line, number }) => {
    const fields = line.split('\t');
    if (fields.length !== DETAIL_FILE_COLUMNS.length) {
      throw new NhsaFault(`${path}：明细文件第 ${number} 行应有 ${DETAIL_FILE_COLUMNS.length} 个以制表符分隔的字段（${DETAIL_FILE_COLUMNS.join('、')}），实有 ${fields.length} 个`);
    }
    return Object.fromEntries(DETAIL_FILE_COLUMNS.map((c, i) => [c, fields[i]!.trim()]));
  });
  return hospitalRows(records, undefined, `${path}：明细文件`, (index) => `第 ${body[index]!.number} 行`);
}

const memoOf = (comparison: Comparison) => {
  const memos = new Map<string, string[]>();
  const add = (r: { setl_id: string; refd_setl_flag: string }, text: string) => {
    const key = `${r.setl_id}\u0000${r.refd_setl_flag}`;
    memos.set(key, [...(memos.get(key) ?? []), text]);
  };
  for (const m of comparison.mismatches) add(m, `${m.field} 医院 ${m.hospital} 中心 ${m.gateway}`);
  for (const r of comparison.missing_in_hospital) add(r, '医院明细中无此结算');
  return (r: HospitalRow) => memos.get(`${r.setl_id}\u0000${r.refd_setl_flag}`)?.join('；') ?? '';
};

/**
 * The result file: every settlement of the gateway's period (stmt_rslt 0 平 / 1 不平, the memo saying
 * why), then every line of the hospital's file the gateway has no record of (stmt_rslt 1, 中心无此结算).
 */
export function resultFileText(gateway: readonly HospitalRow[], comparison: Comparison): string {
  const memo = memoOf(comparison);
  // The result file's columns, in order: psn_no, mdtrt_id, setl_id, msgid, stmt_rslt, refd_setl_flag, memo, medfee_sumamt, fund_pay_sumamt, acct_pay.
  const line = (r: HospitalRow, rslt: '0' | '1', text: string) => [r.psn_no, r.mdtrt_id, r.setl_id, r.msgid, rslt, r.refd_setl_flag, text, fenText(r.medfee_sumamt), fenText(r.fund_pay_sumamt), fenText(r.acct_pay)].join('\t');
  const lines = [
    ...gateway.map((r) => { const text = memo(r); return line(r, text === '' ? '0' : '1', text); }),
    ...comparison.missing_in_gateway.map((r) => line(r, '1', '中心无此结算')),
  ];
  return lines.map((l) => `${l}\r\n`).join('');
}
