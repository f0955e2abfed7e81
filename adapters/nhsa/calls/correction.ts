/**
 * 2601 冲正: takes back a call of this hospital by its msgid (`omsgid`) and infno (`oinfno`) — 2301, 2302, 2304, 2305 —
 * when the HIS could not finish its side (its answer lost, the HIS crashed). Idempotent: a 2601 of a msgid already
 * taken back answers what was done. Its own record is nhsa.corrections; the original's stored answer is marked, so a
 * retry of the original msgid is refused from then on instead of replaying an answer that no longer holds.
 *
 * 2304 is taken back by reversing the settlement (the outbox publishes the reversal as for 2305), so the stay may
 * settle again: a HIS that lost a 2304's answer and sends 2601 believes nothing was settled, and after this nothing is.
 */
import { nationalStamp } from '../wire.js';
import { chinaTime } from '../../../gateway/service/ids.js';
import { GatewayError } from '../../../gateway/errors.js';
import type { Undo } from '../answers.js';
import { faultOfGatewayError, NhsaFault } from '../fault.js';
import { input2601, type FeeRow } from '../inputs.js';
import { settlementIdOf } from '../native-request.js';
import type { Stay } from '../stays.js';
import { notSettled, parse, samePerson, type Call, type CallContext } from './context.js';
import { adoptOrphans, recordSettlement, reverseSettlement } from './settlement.js';

const CORRECTABLE = new Set(['2301', '2302', '2304', '2305']);
const AT = 'input.data.omsgid';

export const correct: Call = async (ctx) => {
  const { data } = parse(input2601, ctx.envelope.input);
  const code = ctx.envelope.fixmedins_code;
  if (!CORRECTABLE.has(data.oinfno)) throw new NhsaFault(`input.data.oinfno：交易 ${data.oinfno} 不支持冲正（支持 2301、2302、2304、2305）`);
  if (data.omsgid === ctx.envelope.msgid) throw new NhsaFault(`${AT}：原报文ID 不能是本冲正报文自己的报文ID`);

  const now = ctx.clock();
  const claim = { msgid: ctx.envelope.msgid, omsgid: data.omsgid, oinfno: data.oinfno, psn_no: data.psn_no, opter: ctx.envelope.opter, at: chinaTime(now), state: 'pending' as const };
  if (!(await ctx.answers.claimCorrection(code, claim))) {
    const earlier = await ctx.answers.correctionOf(code, data.omsgid);
    if (earlier?.state === 'done') {
      if (earlier.oinfno !== data.oinfno || earlier.psn_no !== data.psn_no) throw new NhsaFault(`${AT}：报文 ${data.omsgid} 已由 2601 报文 ${earlier.msgid} 冲正（交易 ${earlier.oinfno}），与本次的交易编号或人员编号不一致`);
      return { output: {}, warn_msg: `该交易已冲正（2601 报文ID ${earlier.msgid}）：${earlier.effect ?? ''}` };
    }
    throw new NhsaFault(`${AT}：报文 ${data.omsgid} 的冲正正在处理，请稍后使用原报文ID重试`, true);
  }
  try {
    const effect = await takeBack(ctx, data, nationalDay(now));
    await ctx.answers.finishCorrection(code, { ...claim, state: 'done', effect });
    return { output: {}, warn_msg: effect };
  } catch (error) {
    await ctx.answers.dropCorrection(code, data.omsgid);
    throw error;
  }
};

const nationalDay = (now: Date) => Number(nationalStamp(now).slice(0, 8));

async function takeBack(ctx: CallContext, data: { psn_no: string; omsgid: string; oinfno: string }, day: number): Promise<string> {
  const code = ctx.envelope.fixmedins_code;
  const original = await ctx.answers.get(code, data.omsgid);
  if (original === null) {
    // Never answered here — or a 2304 whose ledger write left and whose answer was lost (outcome unknown, not
    // remembered): that settlement is found by its msgid on the person's stay and reversed.
    const lost = data.oinfno === '2304' ? await settledUnder(ctx, data.psn_no, data.omsgid) : null;
    const effect = lost ? `已撤销该报文办理的结算（setl_id=${lost}），该就诊可重新结算` : '原交易未在本网关办理：已登记冲正，该报文ID 的交易此后不再办理';
    if (!(await ctx.answers.reserveReversed(code, data.omsgid, data.oinfno, ctx.envelope.msgid, day))) {
      throw new NhsaFault(`${AT}：原交易刚刚完成，请使用原报文ID重试冲正`, true);
    }
    return effect;
  }
  if (original.infno === undefined) throw new NhsaFault(`${AT}：报文 ${data.omsgid} 办理于冲正功能启用之前，其记录不足以冲正；请按业务撤销（2302、2305）`);
  if (original.infno !== data.oinfno) throw new NhsaFault(`input.data.oinfno：报文 ${data.omsgid} 办理的是 ${original.infno}，不是 ${data.oinfno}`);
  const effect = original.undo ? await undo(ctx, original.undo, data.psn_no) : '原交易未成功，无需冲正；该报文ID 此后不再办理';
  await ctx.answers.markReversed(code, data.omsgid, original, ctx.envelope.msgid, day);
  return effect;
}

/** A settlement of the person's latest stay made under this msgid (recorded, or committed and never recorded): its setl_id, reversed. */
async function settledUnder(ctx: CallContext, psnNo: string, msgid: string): Promise<string | null> {
  const latest = await ctx.stays.latestOf(ctx.envelope.fixmedins_code, psnNo);
  if (latest === null) return null;
  const { stay } = await adoptOrphans(ctx, latest);
  const entry = stay.settlements.find((s) => s.msgid === msgid && s.status === 'settled');
  if (!entry) return null;
  const setl = await ctx.stays.getSetl(entry.setl_id);
  if (!setl) return null;
  await reverseSettlement(ctx, setl, ctx.envelope.msgid);
  return setl.setl_id;
}

async function undo(ctx: CallContext, what: Undo, psnNo: string): Promise<string> {
  switch (what.infno) {
    case '2301': return undoUpload(ctx, await stayOf(ctx, what.mdtrt_id, psnNo), what.feedetl_sn);
    case '2302': return undoRevocation(ctx, await stayOf(ctx, what.mdtrt_id, psnNo), what.rows);
    case '2304': return undoSettlement(ctx, what.setl_id, psnNo);
    case '2305': return undoReversal(ctx, what.setl_id, psnNo);
  }
}

async function stayOf(ctx: CallContext, mdtrtId: string, psnNo: string): Promise<Stay> {
  const stay = await ctx.stays.get(mdtrtId, ctx.envelope.fixmedins_code, AT);
  samePerson(stay, psnNo, 'input.data.psn_no');
  notSettled(stay, AT);
  return stay;
}

/** 2301: its rows removed — unless a later row refunds one of them (take that back first). */
async function undoUpload(ctx: CallContext, stay: Stay, sns: readonly string[]): Promise<string> {
  const added = new Set(sns);
  const rows = await ctx.stays.rows(stay.mdtrt_id);
  const refund = rows.find((r) => r.init_feedetl_sn !== undefined && added.has(r.init_feedetl_sn) && !added.has(r.feedetl_sn));
  if (refund) throw new NhsaFault(`${AT}：明细 ${refund.init_feedetl_sn} 已有其后上传的退费明细 ${refund.feedetl_sn}，请先撤销（2302）或冲正该退费明细`);
  const present = rows.filter((r) => added.has(r.feedetl_sn));
  for (const r of present) await ctx.stays.removeRow(stay.mdtrt_id, r.feedetl_sn);
  return `已删除该报文上传的费用明细 ${present.length} 条`;
}

/** 2302: the rows it removed uploaded again, all or none — unless a feedetl_sn was used again since. */
async function undoRevocation(ctx: CallContext, stay: Stay, removed: readonly FeeRow[]): Promise<string> {
  const rows = await ctx.stays.rows(stay.mdtrt_id);
  const known = new Set(rows.map((r) => r.feedetl_sn));
  const reused = removed.find((r) => known.has(r.feedetl_sn));
  if (reused) throw new NhsaFault(`${AT}：费用明细流水号 ${reused.feedetl_sn} 撤销后已重新上传，不能冲正该撤销`);
  const restoring = new Set(removed.map((r) => r.feedetl_sn));
  const orphan = removed.find((r) => r.init_feedetl_sn !== undefined && !known.has(r.init_feedetl_sn) && !restoring.has(r.init_feedetl_sn));
  if (orphan) throw new NhsaFault(`${AT}：退费明细 ${orphan.feedetl_sn} 的原明细 ${orphan.init_feedetl_sn ?? ''} 已不存在，不能冲正该撤销`);
  const base = ctx.clock().getTime() * 1000;
  const added: FeeRow[] = [];
  for (const [i, row] of removed.entries()) {
    if (!(await ctx.stays.addRow(row, base + i))) {
      for (const a of added) await ctx.stays.removeRow(stay.mdtrt_id, a.feedetl_sn);
      throw new NhsaFault(`${AT}：费用明细流水号 ${row.feedetl_sn} 已重新上传，不能冲正该撤销`);
    }
    added.push(row);
  }
  return `已恢复该报文撤销的费用明细 ${removed.length} 条`;
}

/** 2304: the settlement reversed (and recorded as such), the stay open to settle again. */
async function undoSettlement(ctx: CallContext, setlId: string, psnNo: string): Promise<string> {
  const setl = await ctx.stays.getSetl(setlId);
  if (!setl || setl.fixmedins_code !== ctx.envelope.fixmedins_code) throw new NhsaFault(`${AT}：结算ID ${setlId} 不存在`);
  if (setl.psn_no !== psnNo) throw new NhsaFault('input.data.psn_no：人员编号与结算记录不一致');
  if (setl.reversal_msgid) return `该结算（setl_id=${setlId}）已由报文 ${setl.reversal_msgid} 撤销，无需再撤销`;
  await reverseSettlement(ctx, setl, ctx.envelope.msgid);
  return `已撤销该报文办理的结算（setl_id=${setlId}），该就诊可重新结算`;
}

/**
 * 2305: a reversal cannot be un-booked, so the stay is settled again from the very request the reversed settlement
 * stored (same bill, same identities and platform amounts), as the stay's next settlement. Its figures are those of
 * today's accumulators: equal to the reversed ones unless the person settled elsewhere in between — said if not.
 */
async function undoReversal(ctx: CallContext, setlId: string, psnNo: string): Promise<string> {
  const setl = await ctx.stays.getSetl(setlId);
  if (!setl || setl.fixmedins_code !== ctx.envelope.fixmedins_code) throw new NhsaFault(`${AT}：结算ID ${setlId} 不存在`);
  if (setl.psn_no !== psnNo) throw new NhsaFault('input.data.psn_no：人员编号与结算记录不一致');
  const stay = await stayOf(ctx, setl.mdtrt_id, psnNo);
  const record = await ctx.service.get(setl.fixmedins_code, setl.settlement_id);
  const stored = record.upgradedRequest();
  if (typeof stored !== 'object' || stored === null) throw new NhsaFault(`${AT}：原结算的请求无法读取，不能冲正该撤销`);
  const settlementId = settlementIdOf(stay.mdtrt_id, stay.settlements.length + 1);
  const outcome = await ctx.service.settle({ ...stored, settlementId }, ctx.call).catch((e: unknown) => {
    if (e instanceof GatewayError) throw faultOfGatewayError(e, (p) => `${AT}（${p}）`);
    throw e;
  });
  const split = outcome.record.split;
  await recordSettlement(ctx, stay, { gatewayId: split.gatewayId, settlementId: split.settlementId, status: 'settled' }, ctx.envelope.msgid);
  const before = record.split;
  const same = before.patientPays === split.patientPays && JSON.stringify(before.lines.map((l) => [l.programme, l.amount])) === JSON.stringify(split.lines.map((l) => [l.programme, l.amount]));
  return `原结算（setl_id=${setlId}）的撤销已冲正：已按原费用重新结算，新结算ID ${split.gatewayId}` +
    (same ? '，金额与原结算一致' : `；金额与原结算不同（个人负担 原 ${before.patientPays}，现 ${split.patientPays}），以 5203 查询为准`);
}
