/** 2301 住院费用明细上传 and 2302 住院费用明细撤销. */
import { NhsaFault } from '../fault.js';
import { checkClasses, checkRefund, resultRow } from '../fee-rows.js';
import { input2301, input2302, LIMITS, type FeeRow } from '../inputs.js';
import { dischargeDayOf, notSettled, parse, samePerson, type Call } from './context.js';

/** 2301 住院费用明细上传: rows added all or none, each answered with its classes. */
export const uploadFees: Call = async ({ envelope, stays, clock, classifier }) => {
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
  // As the platform classifies them: by the catalogue in force on the stay's discharge day, else on each fee's day.
  const classified = await classifier.classify(envelope.fixmedins_code, feedetail, dischargeDayOf(stay));
  for (const r of existing) if (r.init_feedetl_sn) refunded.set(r.init_feedetl_sn, (refunded.get(r.init_feedetl_sn) ?? 0) - r.det_item_fee_sumamt);
  feedetail.forEach((row, i) => {
    if (known.has(row.feedetl_sn)) throw new NhsaFault(`input.feedetail[${i}].feedetl_sn：费用明细流水号 ${row.feedetl_sn} 已上传`);
    // med_list_codg may be left out only where the hospital's 3301 目录对照 names the national code (the platform refuses it otherwise).
    if (classified[i]!.nationalCode === undefined) {
      throw new NhsaFault(`input.feedetail[${i}].med_list_codg：必填项缺失（医疗机构目录编码 ${row.medins_list_codg} 在 ${(dischargeDayOf(stay) ?? row.fee_ocur_time).slice(0, 10)} 无目录对照，请上传医保目录编码或先做目录对照 3301）`);
    }
    checkClasses(classified[i]!.row, i);
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
  return { output: { result: classified.map((c) => resultRow(c.row, c.memo)) }, undo: { infno: '2301', mdtrt_id: mdtrtId, feedetl_sn: added.map((r) => r.feedetl_sn) } };
};

/** 2302 住院费用明细撤销: one row, or every row with feedetl_sn 0000. */
export const revokeFees: Call = async ({ envelope, stays }) => {
  const { data } = parse(input2302, envelope.input);
  const stay = await stays.get(data.mdtrt_id, envelope.fixmedins_code, 'input.data.mdtrt_id');
  samePerson(stay, data.psn_no, 'input.data.psn_no');
  notSettled(stay, 'input.data.mdtrt_id');
  const rows = await stays.rows(data.mdtrt_id);
  if (data.feedetl_sn === '0000') {
    for (const r of rows) await stays.removeRow(data.mdtrt_id, r.feedetl_sn);
    return { output: {}, undo: { infno: '2302', mdtrt_id: data.mdtrt_id, rows } };
  }
  const row = rows.find((r) => r.feedetl_sn === data.feedetl_sn);
  if (!row) throw new NhsaFault(`input.data.feedetl_sn：费用明细流水号 ${data.feedetl_sn} 不存在`);
  if (rows.some((r) => r.init_feedetl_sn === data.feedetl_sn)) throw new NhsaFault(`input.data.feedetl_sn：明细 ${data.feedetl_sn} 已有退费明细，请先撤销退费明细`);
  await stays.removeRow(data.mdtrt_id, data.feedetl_sn);
  return { output: {}, undo: { infno: '2302', mdtrt_id: data.mdtrt_id, rows: [row] } };
};
