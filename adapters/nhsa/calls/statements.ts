/** 3201 对总账 and 3202 对明细账, from the gateway's own records. */
import { fenText } from '../amounts.js';
import { input3201, input3202 } from '../inputs.js';
import { applyFilters, compareDetail, compareTotals, detailRows, hospitalRows, totalsOf, type Filters } from '../reconcile.js';
import { statementRows } from '../statements.js';
import { parse, type Call, type CallContext } from './context.js';

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

/** 3202 明细对账: the gateway's rows of the period; with the hospital's detail file, the row-by-row comparison. */
export const statementDetail: Call = async (ctx) => {
  const input = parse(input3202, ctx.envelope.input);
  const rows = await periodRows(ctx, input.data, input.data);
  const given = input.detail !== undefined || input.detail_csv !== undefined;
  const hospital = given ? hospitalRows(input.detail, input.detail_csv, input.detail_csv !== undefined ? 'input.detail_csv' : 'input.detail') : undefined;
  const comparison = hospital ? compareDetail(hospital, rows) : undefined;
  const result = hospital ? compareTotals(totalsOf(hospital), totalsOf(rows)) : undefined;
  const stmtinfo = result && comparison && result.stmt_rslt === '0' && (comparison.mismatches.length > 0 || comparison.missing_in_gateway.length > 0)
    ? { stmt_rslt: '1' as const, stmt_rslt_dscr: `对账不平：总额相符但明细不符（${comparison.mismatches.length} 笔金额不符，${comparison.missing_in_gateway.length} 笔中心无记录，${comparison.missing_in_hospital.length} 笔医院无记录）` }
    : result;
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
