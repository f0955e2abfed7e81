/** 2401 入院办理, 2402 出院办理, and their cancellations 2404 出院撤销, 2405 入院撤销. */
import { chinaTime, ulid } from '../../../gateway/service/ids.js';
import { NhsaFault } from '../fault.js';
import { input2401, input2402, inputStayCancel } from '../inputs.js';
import { personIdOf, SCHEME_OF_INSUTYPE } from '../native-request.js';
import type { Stay } from '../stays.js';
import { notSettled, parse, samePerson, type Call } from './context.js';

/** 2401 入院办理: opens the stay and answers its mdtrt_id. */
export const admit: Call = async ({ envelope, stays, clock, hospitalOf }) => {
  const input = parse(input2401, envelope.input);
  if (!envelope.insuplc_admdvs) throw new NhsaFault('insuplc_admdvs：参保地医保区划必填（入院办理需确定参保地）');
  // What 2303/2304 would refuse, said at admission, where the HIS can still register the stay right.
  const { insutype, med_type: medType } = input.mdtrtinfo;
  if (!SCHEME_OF_INSUTYPE[insutype]) throw new NhsaFault(`input.mdtrtinfo.insutype：险种类型 ${insutype} 暂不支持（支持 310 职工基本医疗保险、390 城乡居民基本医疗保险）`);
  if (!medType.startsWith('2')) throw new NhsaFault(`input.mdtrtinfo.med_type：医疗类别 ${medType} 不是住院类（2 开头）；本接口只办理住院结算`);
  // The level (and ownership) the national 2401 does not carry: the HIS's ext when it sends one, else the gateway's own
  // HOSPITALS_FILE. A level known nowhere is refused here, where the HIS can still send it, not at 2304.
  const hospital = hospitalOf(envelope.fixmedins_code);
  const level = input.ext?.hosp_lv ?? hospital?.level;
  if (level === undefined) {
    throw new NhsaFault(`input.ext.hosp_lv：医院等级未知（定点医药机构 ${envelope.fixmedins_code} 未在 HOSPITALS_FILE 中登记等级）；请运维在 HOSPITALS_FILE 中登记 level，或在扩展节点 ext.hosp_lv 中填写 1、2 或 3`);
  }
  const drgPublic = input.ext?.drg_public ?? hospital?.drgPublic;
  const ext = { ...input.ext, hosp_lv: level, ...(drgPublic === undefined ? {} : { drg_public: drgPublic }) };
  const now = clock();
  const stay: Stay = {
    v: 1, mdtrt_id: ulid(now.getTime()), fixmedins_code: envelope.fixmedins_code, mdtrtarea_admvs: envelope.mdtrtarea_admvs,
    insuplc_admdvs: envelope.insuplc_admdvs, mdtrtinfo: input.mdtrtinfo, diseinfo: input.diseinfo, ext, settlements: [], admitted_at: chinaTime(now),
  };
  await stays.create(stay);
  const certno = personIdOf(stay);
  if (certno !== stay.mdtrtinfo.psn_no) await stays.notePerson(stay.fixmedins_code, certno, stay.mdtrtinfo.psn_no);
  return { output: { result: { mdtrt_id: stay.mdtrt_id, psn_no: stay.mdtrtinfo.psn_no, ipt_otp_no: stay.mdtrtinfo.ipt_no } } };
};

/** 2402 出院办理. */
export const discharge: Call = async ({ envelope, stays }) => {
  const { dscginfo, diseinfo } = parse(input2402, envelope.input);
  const stay = await stays.get(dscginfo.mdtrt_id, envelope.fixmedins_code, 'input.dscginfo.mdtrt_id');
  samePerson(stay, dscginfo.psn_no, 'input.dscginfo.psn_no');
  notSettled(stay, 'input.dscginfo.mdtrt_id');
  if (dscginfo.endtime < stay.mdtrtinfo.begntime) throw new NhsaFault('input.dscginfo.endtime：出院时间早于入院时间');
  await stays.save({ ...stay, dscginfo, ...(diseinfo && diseinfo.length > 0 ? { dscg_diseinfo: diseinfo } : {}) });
  return { output: {} };
};

/** 2404 出院撤销: the stay is in hospital again (not once settled: reverse the settlement first). */
export const cancelDischarge: Call = async ({ envelope, stays }) => {
  const { data } = parse(inputStayCancel, envelope.input);
  const stay = await stays.get(data.mdtrt_id, envelope.fixmedins_code, 'input.data.mdtrt_id');
  samePerson(stay, data.psn_no, 'input.data.psn_no');
  notSettled(stay, 'input.data.mdtrt_id');
  if (!stay.dscginfo) throw new NhsaFault('input.data.mdtrt_id：该就诊尚未办理出院（2402），无需撤销');
  const { dscginfo: _discharge, dscg_diseinfo: _diagnoses, ...inHospital } = stay;
  await stays.save(inHospital);
  return { output: {} };
};

/** 2405 入院撤销: a stay opened by mistake, only while it has no fee rows and was never settled. */
export const cancelAdmission: Call = async ({ envelope, stays }) => {
  const { data } = parse(inputStayCancel, envelope.input);
  const stay = await stays.get(data.mdtrt_id, envelope.fixmedins_code, 'input.data.mdtrt_id');
  samePerson(stay, data.psn_no, 'input.data.psn_no');
  if (stay.settlements.length > 0) throw new NhsaFault('input.data.mdtrt_id：该就诊已有结算记录，不能撤销入院');
  if ((await stays.rows(data.mdtrt_id)).length > 0) throw new NhsaFault('input.data.mdtrt_id：该就诊已上传费用明细，请先撤销明细（2302）');
  await stays.remove(stay);
  return { output: {} };
};
