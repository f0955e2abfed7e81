/** 2401 入院办理 and 2402 出院办理. */
import { chinaTime, ulid } from '../../../gateway/service/ids.js';
import { NhsaFault } from '../fault.js';
import { input2401, input2402 } from '../inputs.js';
import type { Stay } from '../stays.js';
import { notSettled, parse, samePerson, type Call } from './context.js';

/** 2401 入院办理: opens the stay and answers its mdtrt_id. */
export const admit: Call = async ({ envelope, stays, clock }) => {
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
