/**
 * One function per transaction (infno): parse its input, act through the stay store and the same
 * settlement service as /v1, answer its output. The envelope, auth and msgid replay are the router's.
 */
import type { z } from 'zod';
import { settlementRequest, type Split } from '../../schemas/settlement.js';
import type { Settlement2304 } from '../../schemas/nhsa.js';
import { GatewayError } from '../../gateway/errors.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { chinaTime, ulid } from '../../gateway/service/ids.js';
import { currentSplit, type SettlementService } from '../../gateway/service/settlements.js';
import { fenOf, fenText } from './amounts.js';
import { faultOfGatewayError, issuesFault, NhsaFault } from './fault.js';
import { checkClasses, checkRefund, resultRow, rowsTotalFen } from './fee-rows.js';
import { input2301, input2302, input2303, input2305, input2401, input2402, input3201, input3202, LIMITS, type Envelope, type FeeRow, type Input2303 } from './inputs.js';
import { nativeRequestOf, settlementIdOf, type NativeCall } from './native-request.js';
import { applyFilters, compareDetail, compareTotals, detailRows, hospitalRows, totalsOf, type Filters } from './reconcile.js';
import { reversal2305Of, settlement2304Of, type Mapping2304Options } from './settlement-2304.js';
import { statementRows } from './statements.js';
import type { Stay, Stays } from './stays.js';

export interface CallContext {
  envelope: Envelope;
  stays: Stays;
  service: SettlementService;
  ledger: LedgerPort;
  mapping: Mapping2304Options;
  clock: () => Date;
}

export interface CallAnswer { output: unknown; warn_msg?: string }
export type Call = (ctx: CallContext) => Promise<CallAnswer>;

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw issuesFault(parsed.error.issues, ['input']);
  return parsed.data;
}

function samePerson(stay: Stay, psnNo: string, path: string): void {
  if (stay.mdtrtinfo.psn_no !== psnNo) throw new NhsaFault(`${path}：人员编号与就诊登记（2401）的人员编号不一致`);
}

function activeSettlement(stay: Stay) {
  return stay.settlements.find((s) => s.status === 'settled');
}

function notSettled(stay: Stay, path: string): void {
  const active = activeSettlement(stay);
  if (active) throw new NhsaFault(`${path}：该就诊已结算（setl_id=${active.setl_id}），请先撤销结算（2305）`);
}

/** 2401 入院办理: opens the stay and answers its mdtrt_id. */
const admit: Call = async ({ envelope, stays, clock }) => {
  const input = parse(input2401, envelope.input);
  if (!envelope.insuplc_admdvs) throw new NhsaFault('insuplc_admdvs：参保地医保区划必填（入院办理需确定参保地）');
  const now = clock();
  const stay: Stay = {
    v: 1, mdtrt_id: ulid(now.getTime()), fixmedins_code: envelope.fixmedins_code, mdtrtarea_admvs: envelope.mdtrtarea_admvs,
    insuplc_admdvs: envelope.insuplc_admdvs, mdtrtinfo: input.mdtrtinfo, diseinfo: input.diseinfo, ext: input.ext, settlements: [], admitted_at: chinaTime(now),
  };
  await stays.create(stay);
  return { output: { result: { mdtrt_id: stay.mdtrt_id, psn_no: stay.mdtrtinfo.psn_no, ipt_otp_no: stay.mdtrtinfo.ipt_no } } };
};

/** 2301 住院费用明细上传: rows added all or none, each answered with its classes. */
const uploadFees: Call = async ({ envelope, stays, clock }) => {
  const { feedetail } = parse(input2301, envelope.input);
  const mdtrtId = feedetail[0]!.mdtrt_id;
  const other = feedetail.findIndex((r) => r.mdtrt_id !== mdtrtId);
  if (other !== -1) throw new NhsaFault(`input.feedetail[${other}].mdtrt_id：一次上传的明细应属于同一就诊`);
  const stay = await stays.get(mdtrtId, envelope.fixmedins_code, 'input.feedetail[0].mdtrt_id');
  feedetail.forEach((r, i) => samePerson(stay, r.psn_no, `input.feedetail[${i}].psn_no`));
  notSettled(stay, 'input.feedetail[0].mdtrt_id');
  const existing = await stays.rows(mdtrtId);
  if (existing.length + feedetail.length > LIMITS.feeRowsPerStay) throw new NhsaFault(`input.feedetail：该就诊的费用明细超过 ${LIMITS.feeRowsPerStay} 条`);
  const known = new Map<string, FeeRow>(existing.map((r) => [r.feedetl_sn, r]));
  const refunded = new Map<string, number>();
  for (const r of existing) if (r.init_feedetl_sn) refunded.set(r.init_feedetl_sn, (refunded.get(r.init_feedetl_sn) ?? 0) - r.det_item_fee_sumamt);
  feedetail.forEach((row, i) => {
    if (known.has(row.feedetl_sn)) throw new NhsaFault(`input.feedetail[${i}].feedetl_sn：费用明细流水号 ${row.feedetl_sn} 已上传`);
    checkClasses(row, i);
    checkRefund(row, i, row.init_feedetl_sn ? known.get(row.init_feedetl_sn) : undefined, row.init_feedetl_sn ? (refunded.get(row.init_feedetl_sn) ?? 0) : 0);
    if (row.init_feedetl_sn) refunded.set(row.init_feedetl_sn, (refunded.get(row.init_feedetl_sn) ?? 0) - row.det_item_fee_sumamt);
    known.set(row.feedetl_sn, row);
  });
  const base = clock().getTime() * 1000;
  const added: FeeRow[] = [];
  for (const [i, row] of feedetail.entries()) {
    if (!(await stays.addRow(row, base + i))) {
      // Another upload took this feedetl_sn meanwhile: take back what this call added (all or none).
      for (const a of added) await stays.removeRow(mdtrtId, a.feedetl_sn);
      throw new NhsaFault(`input.feedetail[${i}].feedetl_sn：费用明细流水号 ${row.feedetl_sn} 已上传`);
    }
    added.push(row);
  }
  return { output: { result: feedetail.map(resultRow) } };
};

/** 2302 住院费用明细撤销: one row, or every row with feedetl_sn 0000. */
const revokeFees: Call = async ({ envelope, stays }) => {
  const { data } = parse(input2302, envelope.input);
  const stay = await stays.get(data.mdtrt_id, envelope.fixmedins_code, 'input.data.mdtrt_id');
  samePerson(stay, data.psn_no, 'input.data.psn_no');
  notSettled(stay, 'input.data.mdtrt_id');
  const rows = await stays.rows(data.mdtrt_id);
  if (data.feedetl_sn === '0000') {
    for (const r of rows) await stays.removeRow(data.mdtrt_id, r.feedetl_sn);
    return { output: {} };
  }
  if (!rows.some((r) => r.feedetl_sn === data.feedetl_sn)) throw new NhsaFault(`input.data.feedetl_sn：费用明细流水号 ${data.feedetl_sn} 不存在`);
  if (rows.some((r) => r.init_feedetl_sn === data.feedetl_sn)) throw new NhsaFault(`input.data.feedetl_sn：明细 ${data.feedetl_sn} 已有退费明细，请先撤销退费明细`);
  await stays.removeRow(data.mdtrt_id, data.feedetl_sn);
  return { output: {} };
};

/** 2402 出院办理. */
const discharge: Call = async ({ envelope, stays }) => {
  const { dscginfo, diseinfo } = parse(input2402, envelope.input);
  const stay = await stays.get(dscginfo.mdtrt_id, envelope.fixmedins_code, 'input.dscginfo.mdtrt_id');
  samePerson(stay, dscginfo.psn_no, 'input.dscginfo.psn_no');
  notSettled(stay, 'input.dscginfo.mdtrt_id');
  if (dscginfo.endtime < stay.mdtrtinfo.begntime) throw new NhsaFault('input.dscginfo.endtime：出院时间早于入院时间');
  await stays.save({ ...stay, dscginfo, ...(diseinfo && diseinfo.length > 0 ? { dscg_diseinfo: diseinfo } : {}) });
  return { output: {} };
};

interface Prepared { stay: Stay; call: NativeCall; input: Input2303; n: number }

/** What 2303 and 2304 share: the stay, the medfee_sumamt check against the uploaded rows, the native request. */
async function prepare(ctx: CallContext): Promise<Prepared> {
  const input = parse(input2303, ctx.envelope.input);
  const { data } = input;
  if (data.mid_setl_flag === '1') throw new NhsaFault('input.data.mid_setl_flag：暂不支持中途结算，请出院后结算');
  const stay = await ctx.stays.get(data.mdtrt_id, ctx.envelope.fixmedins_code, 'input.data.mdtrt_id');
  samePerson(stay, data.psn_no, 'input.data.psn_no');
  notSettled(stay, 'input.data.mdtrt_id');
  const rows = await ctx.stays.rows(data.mdtrt_id);
  const uploadedFen = rowsTotalFen(rows);
  if (data.medfee_sumamt !== uploadedFen) {
    throw new NhsaFault(`input.data.medfee_sumamt：医疗费总额 ${fenText(data.medfee_sumamt)} 与已上传费用明细合计 ${fenText(uploadedFen)} 不符`);
  }
  const n = stay.settlements.length + 1;
  return { stay, input, n, call: nativeRequestOf(stay, rows, input, settlementIdOf(stay.mdtrt_id, n), ctx.envelope.msgid) };
}

/** Native errors in Chinese, items.N translated to the fee row it came from. */
function translate(error: unknown, call: NativeCall): never {
  if (!(error instanceof GatewayError)) throw error;
  throw faultOfGatewayError(error, (path) => {
    const item = /^items\.(\d+)/.exec(path);
    if (item) return `input.feedetail（feedetl_sn=${call.rowOfItem[Number(item[1])] ?? '?'}）`;
    if (path.startsWith('patient') || path.startsWith('hospital')) return `input.ext（${path}）`;
    if (path.startsWith('upstream')) return `input.ext.upstream（${path}）`;
    return `input（${path}）`;
  });
}

/** Where the HIS's own class totals disagree with the gateway's: a warning, not a refusal (rounding of refunds may differ by a fen). */
function classWarnings(input: Input2303, s: Settlement2304): string | undefined {
  const fields = ['fulamt_ownpay_amt', 'overlmt_selfpay', 'preselfpay_amt', 'inscp_scp_amt'] as const;
  const differ = fields.filter((f) => input.data[f] !== undefined && input.data[f] !== fenOf(s.setlinfo[f]));
  return differ.length > 0 ? differ.map((f) => `${f} 医院 ${fenText(input.data[f]!)}，中心 ${s.setlinfo[f]}`).join('；') + '（以中心计算为准）' : undefined;
}

/** 2303 预结算: the split, committed nowhere. */
const preSettle: Call = async (ctx) => {
  const p = await prepare(ctx);
  const split = await ctx.service.preview(p.call.body).catch((e: unknown) => translate(e, p.call));
  const s = settlement2304Of(split, settlementRequest.parse(p.call.body), ctx.mapping);
  const { setl_id: _previewHasNoSetlId, ...setlinfo } = s.setlinfo;
  const warn = classWarnings(p.input, s);
  return { output: { setlinfo, setldetail: s.setldetail, ext: s.ext }, ...(warn ? { warn_msg: warn } : {}) };
};

/**
 * A native settlement of this stay the stay does not know of: the process stopped between the commit
 * and recording it here. Adopted on the next 2304 (a settled one is answered as is; a reversed one
 * moves the counter on), so a HIS retrying with a new msgid never settles a stay twice.
 */
async function adoptOrphans(ctx: CallContext, stay: Stay): Promise<{ stay: Stay; settled: Split | null }> {
  let current = stay;
  for (let n = current.settlements.length + 1; n <= current.settlements.length + 10; n++) {
    const record = await ctx.ledger.getSettlement(current.fixmedins_code, settlementIdOf(current.mdtrt_id, n));
    if (!record) return { stay: current, settled: null };
    const entry = { setl_id: record.gatewayId, settlement_id: record.settlementId, status: record.status, msgid: ctx.envelope.msgid };
    current = { ...current, settlements: [...current.settlements, entry] };
    await ctx.stays.putSetl({ setl_id: record.gatewayId, mdtrt_id: current.mdtrt_id, fixmedins_code: current.fixmedins_code, settlement_id: record.settlementId, psn_no: current.mdtrtinfo.psn_no, msgid: ctx.envelope.msgid });
    await ctx.stays.save(current);
    if (record.status === 'settled') return { stay: current, settled: currentSplit(record) };
  }
  return { stay: current, settled: null };
}

/** 2304 结算: settles through the service (idempotent per native settlementId) and records setl_id ↔ stay. */
const settle: Call = async (ctx) => {
  let p = await prepare(ctx);
  const orphan = await adoptOrphans(ctx, p.stay);
  if (orphan.settled) {
    const record = await ctx.service.get(p.stay.fixmedins_code, orphan.settled.settlementId);
    const s = settlement2304Of(orphan.settled, settlementRequest.parse(JSON.parse(record.requestJson)), ctx.mapping);
    return { output: s, warn_msg: `该就诊已结算（setl_id=${s.setlinfo.setl_id}），返回原结算结果` };
  }
  if (orphan.stay !== p.stay) p = await prepare(ctx);
  const outcome = await ctx.service.settle(p.call.body).catch((e: unknown) => translate(e, p.call));
  const split: Split = currentSplit(outcome.record);
  const s = settlement2304Of(split, settlementRequest.parse(p.call.body), ctx.mapping);
  await ctx.stays.putSetl({ setl_id: split.gatewayId, mdtrt_id: p.stay.mdtrt_id, fixmedins_code: p.stay.fixmedins_code, settlement_id: split.settlementId, psn_no: p.stay.mdtrtinfo.psn_no, msgid: ctx.envelope.msgid });
  await ctx.stays.save({ ...p.stay, settlements: [...p.stay.settlements.filter((x) => x.setl_id !== split.gatewayId), { setl_id: split.gatewayId, settlement_id: split.settlementId, status: 'settled', msgid: ctx.envelope.msgid }] });
  const warn = classWarnings(p.input, s);
  return { output: s, ...(warn ? { warn_msg: warn } : {}) };
};

/** 2305 结算撤销: reverses the native settlement; answers the negated 2304 output. */
const reverse: Call = async (ctx) => {
  const { data } = parse(input2305, ctx.envelope.input);
  const setl = await ctx.stays.getSetl(data.setl_id);
  if (!setl || setl.fixmedins_code !== ctx.envelope.fixmedins_code || setl.mdtrt_id !== data.mdtrt_id) {
    throw new NhsaFault(`input.data.setl_id：结算ID ${data.setl_id} 不存在或不属于就诊 ${data.mdtrt_id}`);
  }
  if (setl.psn_no !== data.psn_no) throw new NhsaFault('input.data.psn_no：人员编号与结算记录不一致');
  const split = await ctx.service.reverse(setl.fixmedins_code, setl.settlement_id).catch((e: unknown) => {
    if (e instanceof GatewayError) throw faultOfGatewayError(e, (p) => `input.data（${p}）`);
    throw e;
  });
  const record = await ctx.service.get(setl.fixmedins_code, setl.settlement_id);
  const settled = JSON.parse(record.splitJson) as Split;
  const s = settlement2304Of(settled, settlementRequest.parse(JSON.parse(record.requestJson)), ctx.mapping);
  if (!setl.reversal_msgid) await ctx.stays.putSetl({ ...setl, reversal_msgid: ctx.envelope.msgid });
  const stay = await ctx.stays.get(setl.mdtrt_id, setl.fixmedins_code, 'input.data.mdtrt_id');
  await ctx.stays.save({ ...stay, settlements: stay.settlements.map((x) => (x.setl_id === setl.setl_id ? { ...x, status: 'reversed' as const } : x)) });
  return { output: reversal2305Of(s, split.reversedAt) };
};

async function periodRows(ctx: CallContext, data: { stmt_begndate: string; stmt_enddate: string }, filters: Filters) {
  const rows = await statementRows(ctx.ledger, ctx.stays, ctx.mapping, ctx.envelope.fixmedins_code, data.stmt_begndate, data.stmt_enddate);
  return applyFilters(rows, filters);
}

/** 3201 对总账: the hospital's totals of a period against the gateway's records. */
const statementTotals: Call = async (ctx) => {
  const { data } = parse(input3201, ctx.envelope.input);
  const rows = await periodRows(ctx, data, data);
  const gateway = totalsOf(rows);
  const result = compareTotals({ count: data.fixmedins_setl_cnt, medfee_sumamt: data.medfee_sumamt, fund_pay_sumamt: data.fund_pay_sumamt, acct_pay: data.acct_pay }, gateway);
  return { output: { stmtinfo: { setl_optins: data.setl_optins ?? '', ...result } } };
};

/** 3202 明细对账: the gateway's rows of the period; with the hospital's detail file, the row-by-row comparison. */
const statementDetail: Call = async (ctx) => {
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

/** The transactions the gateway answers; any other infno is answered -1. */
export const CALLS: Record<string, { call: Call; roles: ReadonlyArray<'desk' | 'admin' | 'auditor'>; name: string }> = {
  '2401': { call: admit, roles: ['desk'], name: '入院办理' },
  '2301': { call: uploadFees, roles: ['desk'], name: '住院费用明细上传' },
  '2302': { call: revokeFees, roles: ['desk'], name: '住院费用明细撤销' },
  '2402': { call: discharge, roles: ['desk'], name: '出院办理' },
  '2303': { call: preSettle, roles: ['desk'], name: '住院预结算' },
  '2304': { call: settle, roles: ['desk'], name: '住院结算' },
  '2305': { call: reverse, roles: ['desk'], name: '住院结算撤销' },
  '3201': { call: statementTotals, roles: ['desk', 'admin', 'auditor'], name: '医药机构费用结算对总账' },
  '3202': { call: statementDetail, roles: ['desk', 'admin', 'auditor'], name: '医药机构费用结算对明细账' },
};
