/** 2303 预结算, 2304 结算, 2305 结算撤销: through the same settlement service as /v1. */
import { settlementRequest, type Split } from '../../../schemas/settlement.js';
import type { Settlement2304 } from '../../../schemas/nhsa.js';
import { GatewayError } from '../../../gateway/errors.js';
import { fenOf, fenText } from '../amounts.js';
import { faultOfGatewayError, NhsaFault } from '../fault.js';
import { rowsTotalFen } from '../fee-rows.js';
import { input2303, input2305, type Input2303 } from '../inputs.js';
import { nativeRequestOf, personIdOf, settlementIdOf, type NativeCall } from '../native-request.js';
import { reversal2305Of, settlement2304Of } from '../settlement-2304.js';
import type { SetlDoc, Stay } from '../stays.js';
import { dischargeDayOf, notSettled, parse, samePerson, type Call, type CallContext } from './context.js';

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
  // Every row by the catalogue in force on the discharge day (the HIS's own class fields recorded, not used, when one is loaded).
  const classified = (await ctx.classifier.classify(stay.fixmedins_code, rows, dischargeDayOf(stay))).map((c) => c.row);
  const call = nativeRequestOf(await withRosterCategories(ctx, stay), classified, input, settlementIdOf(stay.mdtrt_id, n), ctx.envelope.msgid);
  return { stay, input, n, call };
}

/**
 * A stay whose 2401 named no categories (national code sends no ext) is settled with the person's categories on the
 * gateway's rosters on the discharge day — read at settlement, so a roster loaded after admission counts. Categories
 * the HIS gave are taken as given.
 */
async function withRosterCategories(ctx: CallContext, stay: Stay): Promise<Stay> {
  if (stay.ext.categories !== undefined) return stay;
  const day = (stay.dscginfo?.endtime ?? stay.mdtrtinfo.begntime).slice(0, 10);
  const rows = (await ctx.rosterRows(personIdOf(stay))).filter((r) => r.from <= day && day <= r.to);
  return { ...stay, ext: { ...stay.ext, categories: [...new Set(rows.flatMap((r) => r.categories))] } };
}

/** The fee row's field a native item's field came from (native-request.ts, fee-rows.ts netItems). */
const ROW_FIELD_OF_ITEM_FIELD: Readonly<Record<string, string>> = {
  code: 'med_list_codg', name: 'medins_list_name', amount: 'det_item_fee_sumamt', class: 'chrgitm_lv', selfPayRatio: 'selfpay_prop', overLimit: 'overlmt_amt',
};

/** Native errors in Chinese, items.N.field translated to the fee row, and its field, it came from. */
function translate(error: unknown, call: NativeCall): never {
  if (!(error instanceof GatewayError)) throw error;
  throw faultOfGatewayError(error, (path) => {
    const item = /^items\.(\d+)(?:\.(\w+))?/.exec(path);
    if (item) {
      const field = item[2] === undefined ? undefined : ROW_FIELD_OF_ITEM_FIELD[item[2]];
      return `input.feedetail（feedetl_sn=${call.rowOfItem[Number(item[1])] ?? '?'}）${field ? `.${field}` : ''}`;
    }
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
export const preSettle: Call = async (ctx) => {
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
export async function adoptOrphans(ctx: CallContext, stay: Stay): Promise<{ stay: Stay; settled: Split | null }> {
  let current = stay;
  for (let n = current.settlements.length + 1; n <= current.settlements.length + 10; n++) {
    const record = await ctx.ledger.getSettlement(current.fixmedins_code, settlementIdOf(current.mdtrt_id, n));
    if (!record) return { stay: current, settled: null };
    // The msgid of the 2304 that made it (its answer lost): a 2601 of that msgid finds it by it.
    const msgid = record.request.nhsa?.medins_setl_id ?? ctx.envelope.msgid;
    current = await recordSettlement(ctx, current, { gatewayId: record.gatewayId, settlementId: record.settlementId, status: record.status }, msgid);
    if (record.status === 'settled') return { stay: current, settled: record.split };
  }
  return { stay: current, settled: null };
}

/** Records a native settlement of the stay under its setl_id (nhsa.setl) and in the stay; answers the stay as saved. */
export async function recordSettlement(ctx: CallContext, stay: Stay, split: { gatewayId: string; settlementId: string; status: 'settled' | 'reversed' }, msgid: string): Promise<Stay> {
  await ctx.stays.putSetl({ setl_id: split.gatewayId, mdtrt_id: stay.mdtrt_id, fixmedins_code: stay.fixmedins_code, settlement_id: split.settlementId, psn_no: stay.mdtrtinfo.psn_no, msgid });
  const saved: Stay = { ...stay, settlements: [...stay.settlements.filter((x) => x.setl_id !== split.gatewayId), { setl_id: split.gatewayId, settlement_id: split.settlementId, status: split.status, msgid }] };
  await ctx.stays.save(saved);
  return saved;
}

/**
 * Reverses the native settlement a setl_id names and records it (the reversing msgid on nhsa.setl, the stay's entry
 * reversed: the stay may settle again). Answers the settlement's own 2304 figures and when it was reversed.
 */
export async function reverseSettlement(ctx: CallContext, setl: SetlDoc, msgid: string): Promise<{ settled: Settlement2304; reversedAt: string | undefined }> {
  const split = await ctx.service.reverse(setl.fixmedins_code, setl.settlement_id, {}, ctx.call).catch((e: unknown) => {
    if (e instanceof GatewayError) throw faultOfGatewayError(e, (p) => `input.data（${p}）`);
    throw e;
  });
  const record = await ctx.service.get(setl.fixmedins_code, setl.settlement_id);
  const settled = settlement2304Of(record.split, record.request, ctx.mapping);
  if (!setl.reversal_msgid) await ctx.stays.putSetl({ ...setl, reversal_msgid: msgid });
  const stay = await ctx.stays.get(setl.mdtrt_id, setl.fixmedins_code, 'input.data.mdtrt_id');
  await ctx.stays.save({ ...stay, settlements: stay.settlements.map((x) => (x.setl_id === setl.setl_id ? { ...x, status: 'reversed' as const } : x)) });
  return { settled, reversedAt: split.reversedAt };
}

/** 2304 结算: settles through the service (idempotent per native settlementId) and records setl_id ↔ stay. */
export const settle: Call = async (ctx) => {
  let p = await prepare(ctx);
  const orphan = await adoptOrphans(ctx, p.stay);
  if (orphan.settled) {
    const record = await ctx.service.get(p.stay.fixmedins_code, orphan.settled.settlementId);
    const s = settlement2304Of(orphan.settled, record.request, ctx.mapping);
    return { output: s, warn_msg: `该就诊已结算（setl_id=${s.setlinfo.setl_id}），返回原结算结果`, undo: { infno: '2304', setl_id: s.setlinfo.setl_id } };
  }
  if (orphan.stay !== p.stay) p = await prepare(ctx);
  const outcome = await ctx.service.settle(p.call.body, ctx.call).catch((e: unknown) => translate(e, p.call));
  const split: Split = outcome.record.split;
  const s = settlement2304Of(split, settlementRequest.parse(p.call.body), ctx.mapping);
  await recordSettlement(ctx, p.stay, { gatewayId: split.gatewayId, settlementId: split.settlementId, status: 'settled' }, ctx.envelope.msgid);
  const warn = classWarnings(p.input, s);
  return { output: s, ...(warn ? { warn_msg: warn } : {}), undo: { infno: '2304', setl_id: split.gatewayId } };
};

/** 2305 结算撤销: reverses the native settlement; answers the negated 2304 output. */
export const reverse: Call = async (ctx) => {
  const { data } = parse(input2305, ctx.envelope.input);
  const setl = await ctx.stays.getSetl(data.setl_id);
  if (!setl || setl.fixmedins_code !== ctx.envelope.fixmedins_code || setl.mdtrt_id !== data.mdtrt_id) {
    throw new NhsaFault(`input.data.setl_id：结算ID ${data.setl_id} 不存在或不属于就诊 ${data.mdtrt_id}`);
  }
  if (setl.psn_no !== data.psn_no) throw new NhsaFault('input.data.psn_no：人员编号与结算记录不一致');
  // One 冲销 per settlement: another 2305 under a new msgid would have the HIS book a second refund. The same
  // msgid again (its answer lost and not remembered) still answers the reversal it made.
  if (setl.reversal_msgid && setl.reversal_msgid !== ctx.envelope.msgid) {
    throw new NhsaFault(`input.data.setl_id：结算ID ${data.setl_id} 已撤销（撤销报文ID ${setl.reversal_msgid}），不能再次撤销`);
  }
  const { settled, reversedAt } = await reverseSettlement(ctx, setl, ctx.envelope.msgid);
  return { output: reversal2305Of(settled, reversedAt), undo: { infno: '2305', setl_id: setl.setl_id } };
};
