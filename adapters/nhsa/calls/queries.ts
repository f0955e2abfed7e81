/**
 * The queries a HIS uses to recover after a crash — 5201 就诊信息, 5203 结算信息, 5204 费用明细 — and 1101 人员信息获取,
 * answered from what the gateway itself knows (its stays, settlements, rosters), never guessed: what it does not know
 * is said so.
 */
import { CATEGORY_NAMES } from '../../../schemas/vocabulary.js';
import { NhsaFault } from '../fault.js';
import { resultRow } from '../fee-rows.js';
import { ageOn, idFactsOf } from '../id-number.js';
import { input1101, input5201, input5203, input5204 } from '../inputs.js';
import { personIdOf } from '../native-request.js';
import { settlement2304Of } from '../settlement-2304.js';
import type { SetlDoc, Stay } from '../stays.js';
import { dischargeDayOf, parse, samePerson, type Call, type CallContext } from './context.js';

/** The stay as 5201 lists it; `ext` says where it stands at the gateway (no national field carries that). */
function mdtrtRow(stay: Stay) {
  const info = stay.mdtrtinfo;
  const active = stay.settlements.find((s) => s.status === 'settled');
  return {
    mdtrt_id: stay.mdtrt_id, psn_no: info.psn_no, fixmedins_code: stay.fixmedins_code, insutype: info.insutype, med_type: info.med_type,
    begntime: info.begntime, endtime: stay.dscginfo?.endtime ?? '', ipt_otp_no: info.ipt_no, mdtrt_cert_type: info.mdtrt_cert_type,
    dscg_maindiag_code: info.dscg_maindiag_code, dscg_maindiag_name: info.dscg_maindiag_name ?? '', adm_dept_codg: info.adm_dept_codg ?? '',
    adm_dept_name: info.adm_dept_name ?? '', dscg_way: stay.dscginfo?.dscg_way ?? '', insuplc_admdvs: stay.insuplc_admdvs, mdtrtarea_admvs: stay.mdtrtarea_admvs,
    ext: {
      state: active ? 'settled' : stay.dscginfo ? 'discharged' : 'in_hospital',
      setl_id: active?.setl_id ?? '',
      settlements: stay.settlements.map((s) => ({ setl_id: s.setl_id, status: s.status, msgid: s.msgid })),
    },
  };
}

/**
 * 5201 就诊信息查询: the stay named by mdtrt_id, or else the person's latest stay at this hospital (the gateway keeps
 * one pointer per person and hospital, not a history), within begntime…endtime and med_type when given.
 */
export const queryStays: Call = async ({ envelope, stays }) => {
  const { data } = parse(input5201, envelope.input);
  const stay = data.mdtrt_id
    ? await stays.get(data.mdtrt_id, envelope.fixmedins_code, 'input.data.mdtrt_id')
    : await stays.latestOf(envelope.fixmedins_code, data.psn_no);
  if (stay && data.mdtrt_id) samePerson(stay, data.psn_no, 'input.data.psn_no');
  const within = stay !== null && (!data.begntime || stay.mdtrtinfo.begntime >= data.begntime) && (!data.endtime || stay.mdtrtinfo.begntime <= data.endtime)
    && (!data.med_type || stay.mdtrtinfo.med_type === data.med_type);
  return { output: { mdtrtinfo: within ? [mdtrtRow(stay)] : [] } };
};

async function setlOf(ctx: CallContext, setlId: string, mdtrtId: string, psnNo: string): Promise<SetlDoc> {
  const setl = await ctx.stays.getSetl(setlId);
  if (!setl || setl.fixmedins_code !== ctx.envelope.fixmedins_code || setl.mdtrt_id !== mdtrtId) throw new NhsaFault(`input.data.setl_id：结算ID ${setlId} 不存在或不属于就诊 ${mdtrtId}`);
  if (setl.psn_no !== psnNo) throw new NhsaFault('input.data.psn_no：人员编号与结算记录不一致');
  return setl;
}

/** 5203 结算信息查询: the settlement as 2304 answered it (setlinfo, setldetail); `ext.status` says whether it was reversed since. */
export const querySettlement: Call = async (ctx) => {
  const { data } = parse(input5203, ctx.envelope.input);
  const setl = await setlOf(ctx, data.setl_id, data.mdtrt_id, data.psn_no);
  const record = await ctx.service.get(setl.fixmedins_code, setl.settlement_id);
  const split = record.split;
  const s = settlement2304Of(split, record.request, ctx.mapping);
  return {
    output: {
      setlinfo: s.setlinfo, setldetail: s.setldetail,
      ext: { ...s.ext, status: split.status, reversed_at: split.reversedAt ?? '', msgid: setl.msgid, reversal_msgid: setl.reversal_msgid ?? '' },
    },
  };
};

/** 5204 费用明细查询: the stay's rows as uploaded, each with the classes 2301 answered (a list, as the national output is). */
export const queryFees: Call = async (ctx) => {
  const { data } = parse(input5204, ctx.envelope.input);
  const stay = await ctx.stays.get(data.mdtrt_id, ctx.envelope.fixmedins_code, 'input.data.mdtrt_id');
  samePerson(stay, data.psn_no, 'input.data.psn_no');
  if (data.setl_id) await setlOf(ctx, data.setl_id, data.mdtrt_id, data.psn_no);
  const rows = await ctx.stays.rows(data.mdtrt_id);
  const classified = await ctx.classifier.classify(stay.fixmedins_code, rows, dischargeDayOf(stay));
  return {
    output: rows.map((row, i) => ({
      ...resultRow(classified[i]!.row, classified[i]!.memo),
      mdtrt_id: row.mdtrt_id, setl_id: data.setl_id ?? '', psn_no: row.psn_no, med_type: row.med_type ?? stay.mdtrtinfo.med_type, fee_ocur_time: row.fee_ocur_time,
      rx_drord_no: row.drord_no ?? '', init_feedetl_sn: row.init_feedetl_sn ?? '', med_list_codg: classified[i]!.nationalCode ?? '', medins_list_codg: row.medins_list_codg,
      medins_list_name: row.medins_list_name ?? '', bilg_dept_codg: row.bilg_dept_codg ?? '', bilg_dept_name: row.bilg_dept_name ?? '',
      bilg_dr_codg: row.bilg_dr_codg ?? '', bilg_dr_name: row.bilg_dr_name ?? '', hosp_appr_flag: row.hosp_appr_flag ?? '',
      memo: row.memo ?? classified[i]!.memo,
    })),
  };
};

/**
 * 1101 人员信息获取: from what the gateway knows of an ID number — the stays this hospital registered it under (psn_no,
 * name, 险种, 参保地), its rosters (identities), and what the 18-digit number itself states (sex, birth date, age).
 * Neither a stay nor a roster row: "not known here" (the platform's own 1101 answers it).
 */
export const queryPerson: Call = async (ctx) => {
  const { data } = parse(input1101, ctx.envelope.input);
  const certno = data.certno ?? (data.mdtrt_cert_type === '02' ? data.mdtrt_cert_no : undefined);
  if (!certno) throw new NhsaFault('input.data.certno：本网关只能按身份证号查询人员（certno，或 mdtrt_cert_type 02 时的 mdtrt_cert_no）；电子凭证、社保卡请向医保平台获取（1101）');
  const code = ctx.envelope.fixmedins_code;
  const psnNo = await ctx.stays.psnNoOf(code, certno);
  const stay = psnNo === null ? null : await ctx.stays.latestOf(code, psnNo);
  const known = stay !== null && personIdOf(stay) === certno ? stay : null;
  const rosterRows = await ctx.rosterRows(certno);
  if (!known && rosterRows.length === 0) {
    throw new NhsaFault(`input.data.certno：人员信息在本网关未知（本院未以该证件号办理过入院，名单中也没有该人员），请向医保平台获取（1101）`);
  }
  const facts = idFactsOf(certno);
  const day = (data.begntime ?? ctx.envelope.inf_time).slice(0, 10);
  return {
    output: {
      baseinfo: {
        psn_no: known?.mdtrtinfo.psn_no ?? '', psn_cert_type: '01', certno, psn_name: known?.ext.psn_name ?? '',
        gend: facts?.gend ?? '', naty: known?.ext.naty ?? '', brdy: facts?.brdy ?? '', age: facts ? String(ageOn(facts.brdy, day)) : '',
      },
      insuinfo: known ? [{
        // The account balance and the insurance dates are the platform's: not known here, so empty rather than a false 0.
        balc: '', insutype: known.mdtrtinfo.insutype, psn_type: known.ext.psn_type ?? '', psn_insu_stas: known.ext.basic_insurance_active === true ? '1' : '',
        psn_insu_date: '', paus_insu_date: '', cvlserv_flag: known.ext.cvlserv_flag ?? '', insuplc_admdvs: known.insuplc_admdvs, emp_name: '',
      }] : [],
      idetinfo: rosterRows.flatMap((r) => r.categories.map((c) => ({ psn_idet_type: c, psn_type_lv: '', memo: CATEGORY_NAMES[c], begntime: `${r.from} 00:00:00`, endtime: `${r.to} 23:59:59` }))),
    },
  };
};
