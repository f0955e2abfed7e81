/** 3201 对总账 and 3202 对明细账, from the gateway's own records. */
import { decodeCsvUpload } from '../../../gateway/csv.js';
import { fenText } from '../amounts.js';
import { NhsaFault } from '../fault.js';
import { input3201, input3202, type Input3202 } from '../inputs.js';
import { applyFilters, compareDetail, compareTotals, detailRows, hospitalRows, totalsOf, type Comparison, type Filters, type HospitalRow, type StatementResult } from '../reconcile.js';
import { statementRows } from '../statements.js';
import { parse, type Call, type CallContext } from './context.js';
import { detailFileRows, resultFileText } from './files-3202.js';
import { unzipOne, zipOne } from './files-zip.js';

async function periodRows(ctx: CallContext, data: { stmt_begndate: string; stmt_enddate: string }, filters: Filters) {
  const rows = await statementRows(ctx.ledger, ctx.stays, ctx.mapping, ctx.envelope.fixmedins_code, data.stmt_begndate, data.stmt_enddate);
  return applyFilters(rows, filters);
}

/** 3201 对总账: the hospital's totals of a period against the gateway's records. */
export const statementTotals: Call = async (ctx) => {
  const { data } = parse(input3201, ctx.envelope.input);
  const rows = await periodRows(ctx, data, data);
  const gateway = totalsOf(rows);
  const result = compareTotals({ count: data.fixmedins_setl_cnt, medfee_sumamt: data.medfee_sumamt, fund_pay_sumamt: data.fund_pay_sumamt, acct_pay: data.acct_pay }, gateway);
  return { output: { stmtinfo: { setl_optins: data.setl_optins ?? '', ...result } } };
};

/** A 3202's result: the totals compared, and 不平 when they agree but rows do not. */
function detailResult(hospital: readonly HospitalRow[], rows: readonly HospitalRow[], comparison: Comparison): StatementResult {
  const result = compareTotals(totalsOf(hospital), totalsOf(rows));
  return result.stmt_rslt === '0' && (comparison.mismatches.length > 0 || comparison.missing_in_gateway.length > 0)
    ? { stmt_rslt: '1', stmt_rslt_dscr: `对账不平：总额相符但明细不符（${comparison.mismatches.length} 笔金额不符，${comparison.missing_in_gateway.length} 笔中心无记录，${comparison.missing_in_hospital.length} 笔医院无记录）` }
    : result;
}

/** A zip holding more than this once inflated is refused (100 000 lines of a detail file are about 12 MB). */
const DETAIL_TEXT_MAX_BYTES = 32 * 1024 * 1024;

/**
 * 3202 对明细账, the national form: the detail file 9101 uploaded (`file_qury_no`) against the gateway's rows;
 * answers `fileinfo` of the result file (for 9102) and, beside it, `stmtinfo`. The totals the HIS states in
 * `data` are checked against its own file: a difference is said in warn_msg (the file is what is compared).
 */
async function nationalDetail(ctx: CallContext, data: Input3202['data'], fileQuryNo: string) {
  const path = 'input.data.file_qury_no';
  const upload = await ctx.files.get(ctx.envelope.fixmedins_code, fileQuryNo, ctx.clock(), path);
  if (upload.kind !== 'upload') throw new NhsaFault(`${path}：文件查询号 ${fileQuryNo} 是对账结果文件，不是上传（9101）的明细文件`);
  const { content } = unzipOne(upload.bytes, DETAIL_TEXT_MAX_BYTES, path);
  const hospital = detailFileRows(decodeCsvUpload(content).text, path);
  const rows = await periodRows(ctx, data, data);
  const comparison = compareDetail(hospital, rows);
  const declared = totalsOf(hospital);
  const warnings = [
    ...(data.fixmedins_setl_cnt !== undefined && data.fixmedins_setl_cnt !== declared.count ? [`fixmedins_setl_cnt ${data.fixmedins_setl_cnt} 与明细文件 ${declared.count} 笔不符`] : []),
    ...(['medfee_sumamt', 'fund_pay_sumamt'] as const).flatMap((f) => (data[f] !== undefined && data[f] !== declared[f] ? [`${f} ${fenText(data[f])} 与明细文件合计 ${fenText(declared[f])} 不符`] : [])),
  ];
  const name = `${fileQuryNo}_3202_result.txt`;
  const fileinfo = await ctx.files.put(ctx.envelope.fixmedins_code, 'result', `${name}.zip`, zipOne(name, Buffer.from(resultFileText(rows, comparison), 'utf8')), ctx.clock());
  return {
    output: { fileinfo, stmtinfo: { setl_optins: data.setl_optins ?? '', ...detailResult(hospital, rows, comparison) } },
    ...(warnings.length > 0 ? { warn_msg: `医院所报总数与其明细文件不符（以明细文件对账）：${warnings.join('；')}` } : {}),
  };
}

/**
 * 3202 对明细账: with `data.file_qury_no`, the national form (nationalDetail); else the gateway's own form —
 * the gateway's rows of the period and, with the hospital's rows (`detail` or `detail_csv`), the comparison.
 */
export const statementDetail: Call = async (ctx) => {
  const input = parse(input3202, ctx.envelope.input);
  if (input.data.file_qury_no !== undefined) return nationalDetail(ctx, input.data, input.data.file_qury_no);
  const rows = await periodRows(ctx, input.data, input.data);
  const given = input.detail !== undefined || input.detail_csv !== undefined;
  const hospital = given ? hospitalRows(input.detail, input.detail_csv, input.detail_csv !== undefined ? 'input.detail_csv' : 'input.detail') : undefined;
  const comparison = hospital ? compareDetail(hospital, rows) : undefined;
  const stmtinfo = hospital && comparison ? detailResult(hospital, rows, comparison) : undefined;
  return {
    output: {
      ...(stmtinfo ? { stmtinfo: { setl_optins: input.data.setl_optins ?? '', ...stmtinfo } } : {}),
      detail: detailRows(rows, comparison),
      ...(comparison ? {
        comparison: {
          matched: comparison.matched,
          missing_in_hospital: comparison.missing_in_hospital.map((r) => ({ ...r, medfee_sumamt: fenText(r.medfee_sumamt), fund_pay_sumamt: fenText(r.fund_pay_sumamt), acct_pay: fenText(r.acct_pay) })),
          missing_in_gateway: comparison.missing_in_gateway.map((r) => ({ ...r, medfee_sumamt: fenText(r.medfee_sumamt), fund_pay_sumamt: fenText(r.fund_pay_sumamt), acct_pay: fenText(r.acct_pay) })),
          mismatches: comparison.mismatches,
        },
      } : {}),
    },
  };
};
