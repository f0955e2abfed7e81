/**
 * A settlement of nhsa.settlements as a national call to the 医保 platform (NHSA_DELIVERY_FORMAT=national):
 * a settlement as 2304 结算, a reversal as 2305 结算撤销, each in the national common envelope with a msgid
 * of its own. Pure but for the msgid, which is claimed once per event in the document store so that a retry,
 * a redelivery after a crash or a replay sends the same msgid (the platform answers a known msgid with its
 * first answer instead of settling twice) and two events never share one.
 *
 * Readings (adapters/nhsa/README.md, "Delivery as national calls"):
 * - msgid = fixmedins_code (its first 12 characters) + the event's time (yyyyMMddHHmmss, China time) + a
 *   4-digit sequence: the national form, stable per event because the time is the event's, not the call's.
 * - 2304's input is the national `data` node a HIS sends (the settled figures: medfee_sumamt and the four
 *   classes, mdtrt_id, psn_no, insutype…) beside the gateway's 2304-shaped result: setlinfo and setldetail
 *   as the 2304 answer states them, and `ext` (the supplementary lines the national shape has no field for).
 * - 2305's input is `data` { psn_no, mdtrt_id, setl_id }: the setl_id the platform answered to the settlement's
 *   2304 (platform-request.ts remembers it), or the gateway's own when it answered none.
 * - mdtrtarea_admvs (就医地) is the hospital's region from HOSPITALS_FILE, or else the insured place
 *   (setlinfo.clr_optins): a local settlement's two are the same. The operator is the gateway itself
 *   (opter_type 2, a terminal acting without a clerk): the clerk's settlement was the HIS's call.
 */
import * as z from 'zod';
import type { NhsaSettlement } from '../../schemas/messages.js';
import { setlExt, setldetailRow, setlinfo } from '../../schemas/nhsa.js';
import { fenOf } from './amounts.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';

/** The 2304-shaped nodes of a message read losslessly: amounts as their exact two-decimal text. */
export const nationalNodes = z.object({ setlinfo, setldetail: z.array(setldetailRow), ext: setlExt.optional() });

/** A message that can be sent as a national call: one carrying its 2304-shaped nodes. */
export type NationalSettlement = Pick<NhsaSettlement, 'kind' | 'hospitalId'> & z.infer<typeof nationalNodes>;

/** The receiving system's code in the envelope: the platform's settlement service. */
const RECER_SYS_CODE = 'FSI_LOCAL';
const INFVER = 'V1.0';
/** 经办人类别 2: a terminal (the gateway) acting without a clerk. */
const OPTER_TYPE = '2';
const OPTER = 'gateway';
const OPTER_NAME = '一站式结算网关';
/** 个人结算方式 01: 按项目结算. */
const PSN_SETLWAY = '01';

/** msgid claims, msgid → the ce_id it belongs to; never deleted (a platform remembers msgids for good). */
const MSGID_CLAIMS = 'nhsa.delivery-msgids';
const SEQUENCES = 10_000;

interface CallParties {
  msgid: string;
  /** The call's own time (inf_time), yyyy-MM-dd HH:mm:ss China time. */
  infTime: string;
  mdtrtareaAdmvs: string;
  fixmedinsName?: string | undefined;
  /** 2305: the platform's setl_id of the settlement taken back, when its 2304 answer gave one. */
  setlId?: string;
}

/** "2024-03-10T09:12:44.123+08:00" or any ISO instant → yyyyMMddHHmmss in China time. */
function chinaStamp(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().replace(/[-T:]/g, '').slice(0, 14);
}

/** The call for one message: 2304 for a settlement, 2305 for its reversal. */
export function nationalCallOf(settlement: NationalSettlement, parties: CallParties): Record<string, unknown> {
  const info = settlement.setlinfo;
  const reversal = settlement.kind === 'reversed';
  const input = reversal
    ? { data: { psn_no: info.psn_no, mdtrt_id: info.mdtrt_id, setl_id: parties.setlId ?? info.setl_id } }
    : {
      data: {
        psn_no: info.psn_no, mdtrt_cert_type: info.mdtrt_cert_type, mdtrt_cert_no: info.certno, med_type: info.med_type,
        medfee_sumamt: info.medfee_sumamt, psn_setlway: PSN_SETLWAY, mdtrt_id: info.mdtrt_id, insutype: info.insutype,
        acct_used_flag: fenOf(info.acct_pay) > 0 ? '1' : '0', mid_setl_flag: '0',
        fulamt_ownpay_amt: info.fulamt_ownpay_amt, overlmt_selfpay: info.overlmt_selfpay, preselfpay_amt: info.preselfpay_amt, inscp_scp_amt: info.inscp_scp_amt,
      },
      setlinfo: info,
      setldetail: settlement.setldetail,
      ...(settlement.ext ? { ext: settlement.ext } : {}),
    };
  return {
    infno: reversal ? '2305' : '2304',
    msgid: parties.msgid,
    mdtrtarea_admvs: parties.mdtrtareaAdmvs,
    insuplc_admdvs: info.clr_optins,
    recer_sys_code: RECER_SYS_CODE,
    infver: INFVER,
    opter_type: OPTER_TYPE,
    opter: OPTER,
    opter_name: OPTER_NAME,
    inf_time: parties.infTime,
    fixmedins_code: settlement.hospitalId,
    ...(parties.fixmedinsName ? { fixmedins_name: parties.fixmedinsName } : {}),
    input,
  };
}

/**
 * The msgid of an event: the first sequence of its hospital and second that is free or already its own.
 * Claims are written only if absent, so two gateways delivering at once never share a msgid, and the same
 * event always finds its own again (the scan meets its claim before any free sequence after it).
 */
export async function claimMsgid(store: DocumentStore, hospitalId: string, eventTime: string, eventId: string): Promise<string> {
  const prefix = `${hospitalId.slice(0, 12)}${chinaStamp(eventTime)}`;
  for (let sequence = 0; sequence < SEQUENCES; sequence++) {
    const msgid = `${prefix}${String(sequence).padStart(4, '0')}`;
    if (await store.put(MSGID_CLAIMS, msgid, JSON.stringify({ eventId }), { ifAbsent: true })) return msgid;
    const owner = await store.get(MSGID_CLAIMS, msgid);
    if (owner !== null && owner === JSON.stringify({ eventId })) return msgid;
  }
  throw new Error(`no msgid left for ${hospitalId} in the second of ${eventTime}`);
}
