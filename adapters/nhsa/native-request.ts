/**
 * A stay of the national interface → the native settlement request (CONTRACT.md), for 2303 (preview)
 * and 2304 (settle) through the same service path as /v1. Pure.
 */
import type { SettlementRequestInput } from '../../schemas/settlement.js';
import type { NhsaStayIdentity } from '../../schemas/nhsa.js';
import { fenText } from './amounts.js';
import { NhsaFault } from './fault.js';
import { netItems, type ClassifiedRow } from './fee-rows.js';
import type { Input2303 } from './inputs.js';
import type { Stay } from './stays.js';

export const SCHEME_OF_INSUTYPE: Record<string, 'employee' | 'resident'> = { '310': 'employee', '390': 'resident' };
const ICD10 = /^[A-Z]\d{2}(\.[0-9A-Za-z+*]{1,10})?$/;

/** The native person id: the ID number when known (rosters and accumulators are keyed by it), else psn_no. */
export function personIdOf(stay: Stay): string {
  if (stay.ext.certno) return stay.ext.certno;
  const info = stay.mdtrtinfo;
  if (info.mdtrt_cert_type === '02' && /^[0-9A-Za-z]{1,32}$/.test(info.mdtrt_cert_no)) return info.mdtrt_cert_no;
  return info.psn_no;
}

/** The native settlementId of the stay's n-th settlement (1-based): mdtrt_id, then mdtrt_id-2 after a reversal… */
export const settlementIdOf = (mdtrtId: string, n: number): string => (n === 1 ? mdtrtId : `${mdtrtId}-${n}`);

/** yyyy-MM-dd HH:mm:ss → yyyy-MM-dd. */
const dateOf = (dateTime: string): string => dateTime.slice(0, 10);

export interface NativeCall {
  body: SettlementRequestInput;
  /** items[i] came from the fee row with this feedetl_sn. */
  rowOfItem: string[];
}

export function nativeRequestOf(stay: Stay, rows: readonly ClassifiedRow[], input: Input2303, settlementId: string, msgid: string): NativeCall {
  const { data, ext } = input;
  const info = stay.mdtrtinfo;
  const scheme = SCHEME_OF_INSUTYPE[data.insutype];
  if (!scheme) throw new NhsaFault(`input.data.insutype：险种类型 ${data.insutype} 暂不支持（支持 310 职工基本医疗保险、390 城乡居民基本医疗保险）`);
  // The stay was registered (2401) under one 险种; settling it under another would pay it from the other fund by its rules.
  if (data.insutype !== info.insutype) throw new NhsaFault(`input.data.insutype：险种类型 ${data.insutype} 与入院办理（2401）登记的 ${info.insutype} 不一致`);
  // 01 按项目结算 is what the gateway computes; 02 按定额结算 (单病种、定额) is not computed by item and is refused, not settled otherwise.
  if (data.psn_setlway === '02') throw new NhsaFault('input.data.psn_setlway：暂不支持按定额结算（02），请按项目结算（01）');
  if (data.psn_setlway !== '01') throw new NhsaFault(`input.data.psn_setlway：个人结算方式 ${data.psn_setlway} 不在字典内（01 按项目结算、02 按定额结算）`);
  if (!info.med_type.startsWith('2')) throw new NhsaFault(`input.mdtrtinfo.med_type：医疗类别 ${info.med_type} 不是住院类（2 开头）`);
  if (!stay.dscginfo) throw new NhsaFault('input.data.mdtrt_id：该就诊尚未办理出院（2402），不能结算');
  const diseases = stay.dscg_diseinfo ?? stay.diseinfo;
  const diagnoses = diseases.length > 0
    ? diseases.map((d) => ({ icd10: d.diag_code, primary: d.maindiag_flag === '1' }))
    : [{ icd10: info.dscg_maindiag_code, primary: true }];
  const badCode = diagnoses.find((d) => !ICD10.test(d.icd10));
  if (badCode) throw new NhsaFault(`input.diseinfo.diag_code：诊断代码 ${badCode.icd10} 不是 ICD-10 编码（如 C34.900x003）`);
  const { items, rowOfItem } = netItems(rows);
  if (items.length === 0) throw new NhsaFault('input.data.mdtrt_id：该就诊没有可结算的费用明细（2301）');
  if (items.length > 1000) throw new NhsaFault('input.data.mdtrt_id：费用明细（冲销后）超过 1000 条，请合并上传');

  const upstream = ext?.upstream;
  const major = upstream ? (upstream.hifmi_pay ?? 0) + (upstream.hifob_pay ?? 0) : 0;
  const acctUsed = data.acct_used_flag === '1';
  const nhsa: NhsaStayIdentity = {
    psn_no: info.psn_no,
    mdtrt_id: stay.mdtrt_id,
    insutype: data.insutype,
    med_type: info.med_type,
    mdtrt_cert_type: data.mdtrt_cert_type,
    ...(stay.ext.psn_type ? { psn_type: stay.ext.psn_type } : {}),
    ...(stay.ext.naty ? { naty: stay.ext.naty } : {}),
    ...(stay.ext.cvlserv_flag ? { cvlserv_flag: stay.ext.cvlserv_flag } : {}),
    certno: personIdOf(stay),
    ...(acctUsed && ext?.acct_pay !== undefined ? { acct_pay: fenText(ext.acct_pay) } : {}),
    ...(ext?.balc !== undefined ? { balc: fenText(ext.balc) } : {}),
    medins_setl_id: msgid,
    clr_optins: stay.insuplc_admdvs,
    ...(ext?.act_pay_dedc !== undefined ? { act_pay_dedc: fenText(ext.act_pay_dedc) } : {}),
    ...(ext?.pool_prop_selfpay !== undefined ? { pool_prop_selfpay: ext.pool_prop_selfpay } : {}),
  };
  const body: SettlementRequestInput = {
    settlementId,
    hospital: { id: stay.fixmedins_code, region: stay.mdtrtarea_admvs, level: stay.ext.hosp_lv, drgPublic: stay.ext.drg_public ?? false },
    patient: {
      id: personIdOf(stay),
      ...(stay.ext.psn_name ? { name: stay.ext.psn_name } : {}),
      insuredRegion: stay.insuplc_admdvs,
      scheme,
      categories: stay.ext.categories ?? [],
      basicInsuranceActive: stay.ext.basic_insurance_active ?? true,
      ...(stay.ext.disability ? { disability: stay.ext.disability } : {}),
      ...(stay.ext.hukou_region ? { hukouRegion: stay.ext.hukou_region } : {}),
    },
    encounter: {
      kind: 'inpatient',
      admittedOn: dateOf(info.begntime),
      dischargedOn: dateOf(stay.dscginfo.endtime),
      diagnoses,
      cause: stay.ext.cause ?? 'disease',
      thirdPartyLiable: stay.ext.third_party_liable ?? false,
    },
    items,
    ...(upstream ? {
      upstream: {
        ...(upstream.hifp_pay !== undefined ? { basic: fenText(upstream.hifp_pay) } : {}),
        ...(upstream.hifmi_pay !== undefined || upstream.hifob_pay !== undefined ? { majorIllness: fenText(major) } : {}),
        ...(upstream.hosp_part_amt !== undefined ? { waiver: fenText(upstream.hosp_part_amt) } : {}),
        ...(upstream.maf_pay !== undefined ? { aid: fenText(upstream.maf_pay) } : {}),
      },
    } : {}),
    nhsa,
  };
  return { body, rowOfItem };
}
