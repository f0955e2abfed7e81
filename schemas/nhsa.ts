/**
 * The national interface's (国家医疗保障信息平台) shapes the gateway writes: the stay identity a settlement
 * carries when it came through /nhsa, and the 2304 结算 output (setlinfo, setldetail) published on
 * nhsa.settlements. Field names are the national snake_case ones.
 *
 * Money: inside the gateway the 2304-shaped nodes hold amounts as two-decimal text ("1500.00", a
 * reversal's negative "-1500.00"); on the wire (the 2304 answer, nhsa.settlements) the same digits are
 * written as JSON numbers (1500.00), as the platform itself writes 数值型(16,2) — see adapters/nhsa/wire.ts.
 */
import * as z from 'zod';

/** Two-decimal yuan, signed (a reversal row of 对账 is negative). */
export const nationalMoneyText = z.string().regex(/^-?\d+\.\d{2}$/);
/** As a consumer reading the wire with JSON.parse sees it: a number, or (lossless readers) its text. */
export const nationalMoneyWire = z.union([z.number(), nationalMoneyText]);
/** A ratio (5,4), e.g. pool_prop_selfpay "0.7"; a number on the wire. */
export const nationalRatioText = z.string().regex(/^[01](\.\d{1,4})?$/);
export const nationalRatioWire = z.union([z.number(), nationalRatioText]);

/**
 * The national identifiers of a stay, carried (optionally) on a native settlement request so that the
 * 2304-shaped output of that settlement names the stay as the hospital's HIS knows it.
 */
export const nhsaStayIdentity = z.object({
  psn_no: z.string().min(1).max(30),
  mdtrt_id: z.string().min(1).max(30),
  insutype: z.string().min(1).max(6),
  med_type: z.string().min(1).max(6),
  mdtrt_cert_type: z.string().max(3).optional(),
  psn_type: z.string().max(6).optional(),
  psn_cert_type: z.string().max(6).optional(),
  certno: z.string().max(50).optional(),
  /** 民族 and 公务员标志 as the platform's person record (1101) gave them to the HIS; nothing else states them. */
  naty: z.string().max(3).optional(),
  cvlserv_flag: z.enum(['0', '1']).optional(),
  /** 个人账户支出 the request asked for (acct_used_flag 1); never more than what the patient pays. */
  acct_pay: nationalMoneyText.optional(),
  /** 余额 of the personal account after this settlement, when the platform gave it. */
  balc: nationalMoneyText.optional(),
  /** 医药机构结算ID: the msgid of the 2304 call. */
  medins_setl_id: z.string().max(30).optional(),
  /** 清算经办机构 (admdvs of the insured place). */
  clr_optins: z.string().max(6).optional(),
  clr_way: z.string().max(6).optional(),
  clr_type: z.string().max(6).optional(),
  /** Figures the native split does not carry, given by the platform when it settled upstream. */
  act_pay_dedc: nationalMoneyText.optional(),
  pool_prop_selfpay: nationalRatioText.optional(),
});
export type NhsaStayIdentity = z.infer<typeof nhsaStayIdentity>;

export const setlinfo = z.object({
  setl_id: z.string(), mdtrt_id: z.string(), psn_no: z.string(), psn_name: z.string(), psn_cert_type: z.string(), certno: z.string(),
  /** 性别 (1 男, 2 女), 出生日期, 年龄 (周岁 on the discharge day): written when certno is an 18-digit ID number whose check digit holds. */
  gend: z.enum(['1', '2']).optional(), brdy: z.string().optional(), age: z.string().optional(),
  /** 民族, 公务员标志: passed through when the HIS gave them at 2401 (from the platform's 1101); else not written. */
  naty: z.string().optional(), cvlserv_flag: z.enum(['0', '1']).optional(),
  insutype: z.string(), psn_type: z.string(), med_type: z.string(), mdtrt_cert_type: z.string(),
  setl_time: z.string().meta({ description: 'yyyy-MM-dd HH:mm:ss, China time' }),
  medfee_sumamt: nationalMoneyText, fulamt_ownpay_amt: nationalMoneyText, overlmt_selfpay: nationalMoneyText, preselfpay_amt: nationalMoneyText,
  inscp_scp_amt: nationalMoneyText, act_pay_dedc: nationalMoneyText, hifp_pay: nationalMoneyText,
  pool_prop_selfpay: nationalRatioText, cvlserv_pay: nationalMoneyText, hifes_pay: nationalMoneyText, hifmi_pay: nationalMoneyText,
  hifob_pay: nationalMoneyText, maf_pay: nationalMoneyText, hosp_part_amt: nationalMoneyText, oth_pay: nationalMoneyText,
  fund_pay_sumamt: nationalMoneyText, psn_part_amt: nationalMoneyText, acct_pay: nationalMoneyText, psn_cash_pay: nationalMoneyText,
  balc: nationalMoneyText, acct_mulaid_pay: nationalMoneyText, medins_setl_id: z.string(), clr_optins: z.string(), clr_way: z.string(), clr_type: z.string(),
});
export type Setlinfo = z.infer<typeof setlinfo>;

export const setldetailRow = z.object({
  fund_pay_type: z.string(), inscp_scp_amt: nationalMoneyText, crt_payb_lmt_amt: nationalMoneyText, fund_payamt: nationalMoneyText,
  fund_pay_type_name: z.string(), setl_proc_info: z.string(),
});
export type SetldetailRow = z.infer<typeof setldetailRow>;

/**
 * What the national shape has no field for: each supplementary (commercial) programme's line, and the
 * cash benefits paid to the patient later. Their sum over `suppl` is setlinfo.oth_pay.
 */
export const setlExt = z.object({
  gateway_id: z.string(),
  settlement_id: z.string().meta({ description: "the native settlementId (mdtrt_id, or mdtrt_id-N after a reversal)" }),
  suppl: z.array(z.object({ programme: z.string(), payer: z.string(), insurer_code: z.string().optional(), fund_pay_type: z.string(), mode: z.enum(['given', 'computed']), amount: nationalMoneyText })),
  benefits: z.array(z.object({ programme: z.string(), kind: z.string(), amount: nationalMoneyText, paid_to: z.literal('patient') })),
});
export type SetlExt = z.infer<typeof setlExt>;

/** The 2304 output's nodes (a type only: the mapping writes them, nothing parses them here). */
export interface Settlement2304 { setlinfo: z.infer<typeof setlinfo>; setldetail: z.infer<typeof setldetailRow>[]; ext: z.infer<typeof setlExt> }
