/**
 * The national interface's inputs, field by field (snake_case, as the HIS sends them), and the
 * common envelope. Numbers arrive as their exact decimal text (wire.ts); amounts are parsed to fen here.
 * Messages are Chinese: they are answered in err_msg.
 */
import * as z from 'zod';
import { category, disabilityType } from '../../schemas/categories.js';
import { PLAIN_TEXT } from '../../schemas/primitives.js';
import { signedFen } from './amounts.js';

export const LIMITS = {
  feeRowsPerCall: 1000,
  /** Fee rows a stay may hold (refund rows included); the native bill takes at most 1000 items. */
  feeRowsPerStay: 2000,
  diagnosesPerStay: 50,
  detailRowsPerComparison: 100_000,
} as const;

/**
 * Every text of the national inputs is plain — checked once over the whole body (`plainTextIssues`), not per schema, so
 * that stays and rows stored by an earlier release, which did not check it, still read: a control or bidi character in
 * a name or code would be refused by the native request at 2304 (naming no field) or make a slip read backwards.
 */
const text = (max: number) => z.string().max(max, `长度不能超过 ${max}`);
const required = (max: number) => text(max).min(1, '必填项缺失');

const PLAIN_MESSAGE = '不得含控制字符或不可见的格式字符（如 U+0001、U+202E）';
/** Free text (memo, 病情描述, a CSV file) may hold line breaks and tabs, never another control or format character. */
const PROSE_FIELDS = new Set(['memo', 'adm_diag_dscr', 'main_cond_dscr', 'detail_csv']);
const PROSE_TEXT = /^(?:[\t\r\n]|[^\p{Cc}\p{Cf}\u2028\u2029])*$/u;

/** Every string of a national body, at any depth, that holds a control or format character: its path and why. */
export function plainTextIssues(value: unknown, path: Array<string | number> = [], field = ''): Array<{ code: 'custom'; path: Array<string | number>; message: string }> {
  if (typeof value === 'string') return (PROSE_FIELDS.has(field) ? PROSE_TEXT : PLAIN_TEXT).test(value) ? [] : [{ code: 'custom', path, message: PLAIN_MESSAGE }];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainTextIssues(v, [...path, i], field));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => plainTextIssues(v, [...path, k], k));
}
/** Ids that become store keys and native ids: letters, digits, . _ -. */
const idText = (max: number) => required(max).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, '只能包含字母、数字、点、下划线或连字符');
const admdvs = z.string().regex(/^\d{6}$/, '应为6位行政区划代码');
const calendarDay = z.iso.date();
/** A date (and time) of the national interface that exists on the calendar: 2024-13-01 and 2024-02-30 are refused. */
const calendarText = (pattern: RegExp, shape: string) => z.string().superRefine((value, ctx) => {
  if (!pattern.test(value)) ctx.addIssue({ code: 'custom', message: `应为 ${shape}` });
  else if (!calendarDay.safeParse(value.slice(0, 10)).success) ctx.addIssue({ code: 'custom', message: `日期 ${value.slice(0, 10)} 不存在` });
});
const dateTime = calendarText(/^\d{4}-\d{2}-\d{2} ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, 'yyyy-MM-dd HH:mm:ss');
/** yyyy-MM-dd, a day that exists (对账 periods; the clerk's /v1 statement queries read their dates with it too). */
export const date = calendarText(/^\d{4}-\d{2}-\d{2}$/, 'yyyy-MM-dd');
const flag = z.enum(['0', '1'], '应为 0 或 1');

/** An amount with at most two decimals, as text or number; to fen. `signed` admits refunds. */
const amountFen = (signed = false) => z.union([z.string(), z.number()]).transform((value, ctx) => {
  const fen = signedFen(String(value));
  if (fen === null || (!signed && fen < 0)) {
    ctx.addIssue({ code: 'custom', message: signed ? '金额格式不正确（最多两位小数）' : '金额格式不正确（非负，最多两位小数）' });
    return z.NEVER;
  }
  return fen;
});
/** A decimal quantity or ratio kept as text (cnt may be fractional: 0.5 支). */
const decimalText = z.union([z.string(), z.number()]).transform((v) => String(v)).pipe(z.string().regex(/^-?\d{1,12}(\.\d{1,6})?$/, '数值格式不正确'));
const ratioText = z.union([z.string(), z.number()]).transform((v) => String(v)).pipe(z.string().regex(/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/, '比例应在 0–1 之间'));

export const envelope = z.object({
  infno: z.string().regex(/^\d{4}$/, '交易编号应为4位数字'),
  msgid: idText(30),
  mdtrtarea_admvs: admdvs,
  insuplc_admdvs: admdvs.optional(),
  recer_sys_code: text(10).optional(),
  dev_no: text(100).optional(),
  dev_safe_info: text(2000).optional(),
  cainfo: text(1024).optional(),
  signtype: text(10).optional(),
  infver: text(6).optional(),
  opter_type: text(3),
  opter: text(30),
  opter_name: text(50),
  inf_time: dateTime,
  fixmedins_code: idText(30),
  fixmedins_name: text(200).optional(),
  sign_no: text(30).optional(),
  input: z.record(z.string(), z.unknown(), '应为对象'),
});
export type Envelope = z.infer<typeof envelope>;

export const diseRow = z.object({
  psn_no: text(30).optional(),
  diag_type: text(3).optional(),
  maindiag_flag: flag,
  diag_srt_no: decimalText.optional(),
  diag_code: required(20),
  diag_name: text(100).optional(),
  diag_dept: text(50).optional(),
  dise_dor_no: text(30).optional(),
  dise_dor_name: text(50).optional(),
  diag_time: text(19).optional(),
});
const diseinfo = z.array(diseRow).max(LIMITS.diagnosesPerStay, `诊断最多 ${LIMITS.diagnosesPerStay} 条`);

/**
 * What the national interface does not carry but the waterfall needs: the gateway's extension node, optional —
 * unmodified national code sends none. The hospital's level and ownership then come from HOSPITALS_FILE and the
 * person's categories from the rosters the gateway holds (calls/stay.ts, calls/settlement.ts); a value given here wins.
 */
export const admissionExt = z.object({
  certno: z.string().regex(/^[0-9A-Za-z]{1,32}$/, '证件号码只能包含字母和数字').optional(),
  psn_name: text(50).optional(),
  psn_type: text(6).optional(),
  /** 民族 and 公务员标志 of the platform's 1101 answer, passed through to 2304's setlinfo (nothing the gateway holds states them). */
  naty: text(3).optional(),
  cvlserv_flag: flag.optional(),
  /** 医院等级 1–3 (一/二/三级): the national 2401 does not carry it; absent, HOSPITALS_FILE's level of the hospital. */
  hosp_lv: z.union([z.literal(1), z.literal(2), z.literal(3), z.enum(['1', '2', '3'])], '医院等级应为 1、2 或 3').transform(Number).optional(),
  drg_public: z.boolean().optional(),
  categories: z.array(category).max(13).optional(),
  disability: z.object({ grade: z.int().min(1).max(4), type: disabilityType }).optional(),
  basic_insurance_active: z.boolean().optional(),
  /** 户籍地 (admdvs), for programmes whose eligibility is by 户籍 (闻喜). */
  hukou_region: admdvs.optional(),
  cause: z.enum(['disease', 'accident']).optional(),
  third_party_liable: z.boolean().optional(),
}, '应为对象');

export const input2401 = z.object({
  mdtrtinfo: z.object({
    psn_no: idText(30),
    insutype: required(6),
    coner_name: text(50).optional(),
    tel: text(50).optional(),
    begntime: dateTime,
    mdtrt_cert_type: required(3),
    mdtrt_cert_no: required(50),
    med_type: required(6),
    ipt_no: required(30),
    medrcdno: text(30).optional(),
    atddr_no: text(30).optional(),
    chfpdr_name: text(50).optional(),
    adm_diag_dscr: text(200).optional(),
    adm_dept_codg: text(30).optional(),
    adm_dept_name: text(100).optional(),
    adm_bed: text(30).optional(),
    dscg_maindiag_code: required(30),
    dscg_maindiag_name: text(300).optional(),
    main_cond_dscr: text(500).optional(),
    dise_codg: text(30).optional(),
    dise_name: text(500).optional(),
    oprn_oprt_code: text(30).optional(),
    oprn_oprt_name: text(500).optional(),
    dise_type_code: text(30).optional(),
  }),
  diseinfo: diseinfo.default([]),
  ext: admissionExt.optional(),
});
export type Input2401 = z.infer<typeof input2401>;

export const feeRow = z.object({
  feedetl_sn: idText(30),
  init_feedetl_sn: idText(30).optional(),
  mdtrt_id: idText(30),
  drord_no: text(30).optional(),
  psn_no: idText(30),
  med_type: text(6).optional(),
  fee_ocur_time: dateTime,
  /** 医疗目录编码 (national); may be left out where the hospital's 3301 目录对照 maps medins_list_codg (checked at 2301). */
  med_list_codg: text(50).optional(),
  medins_list_codg: required(150),
  det_item_fee_sumamt: amountFen(true),
  cnt: decimalText,
  pric: decimalText,
  bilg_dept_codg: text(30).optional(),
  bilg_dept_name: text(100).optional(),
  bilg_dr_codg: text(30).optional(),
  bilg_dr_name: text(50).optional(),
  hosp_appr_flag: text(3).optional(),
  memo: text(500).optional(),
  // Extensions (the national 2301 answers them; the gateway needs them from the hospital's catalogue mapping):
  /** 收费项目等级: 01 甲类, 02 乙类, 03 丙类 (自费). */
  chrgitm_lv: z.enum(['01', '02', '03'], '收费项目等级应为 01（甲类）、02（乙类）或 03（丙类）').optional(),
  /** 乙类先行自付比例 (0–1). */
  selfpay_prop: ratioText.optional(),
  /** 超限价金额 (refund rows: negative, at most the original's). */
  overlmt_amt: amountFen(true).optional(),
  medins_list_name: text(200).optional(),
  // Catalogue attributes of the 医保目录 item the gateway does not hold: passed through to the 2301 answer when the HIS has them.
  /** 定价上限金额 (per unit); absent, computed from an over-limit row. */
  pric_uplmt_amt: amountFen().optional(),
  /** 医疗收费项目类别 01–14; absent, read from the national code's class letter for drugs and materials. */
  med_chrgitm_type: z.string().regex(/^(0[1-9]|1[0-4])$/, '医疗收费项目类别应为 01–14').optional(),
  lmt_used_flag: flag.optional(),
  bas_medn_flag: flag.optional(),
  hi_nego_drug_flag: flag.optional(),
  chld_medc_flag: flag.optional(),
  list_sp_item_flag: flag.optional(),
  drt_reim_flag: flag.optional(),
});
export type FeeRow = z.infer<typeof feeRow>;

export const input2301 = z.object({ feedetail: z.array(feeRow).min(1, '费用明细不能为空').max(LIMITS.feeRowsPerCall, `一次最多上传 ${LIMITS.feeRowsPerCall} 条明细`) });

export const input2302 = z.object({
  data: z.object({ feedetl_sn: idText(30), mdtrt_id: idText(30), psn_no: idText(30) }),
});

export const input2402 = z.object({
  dscginfo: z.object({
    mdtrt_id: idText(30),
    psn_no: idText(30),
    insutype: text(6).optional(),
    endtime: dateTime,
    dise_codg: text(30).optional(),
    dise_name: text(500).optional(),
    dscg_way: required(3),
    dscg_dept_codg: text(30).optional(),
    dscg_dept_name: text(100).optional(),
    die_date: text(10).optional(),
  }),
  diseinfo: diseinfo.optional(),
});

/** 2404 出院撤销 and 2405 入院撤销. */
export const inputStayCancel = z.object({ data: z.object({ mdtrt_id: idText(30), psn_no: idText(30) }) });

const settlementExt = z.object({
  /** The platform's own amounts when it settled upstream (the layer is then taken as given). */
  upstream: z.object({ hifp_pay: amountFen(), hifmi_pay: amountFen(), hifob_pay: amountFen(), maf_pay: amountFen(), hosp_part_amt: amountFen() }).partial().optional(),
  /** 个人账户支出 when acct_used_flag is 1. */
  acct_pay: amountFen().optional(),
  balc: amountFen().optional(),
  act_pay_dedc: amountFen().optional(),
  pool_prop_selfpay: z.union([z.string(), z.number()]).transform((v) => String(v)).pipe(z.string().regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, '比例应在 0–1 之间，最多四位小数')).optional(),
});

export const input2303 = z.object({
  data: z.object({
    psn_no: idText(30),
    mdtrt_cert_type: required(3),
    mdtrt_cert_no: text(50).optional(),
    medfee_sumamt: amountFen(),
    psn_setlway: required(6),
    mdtrt_id: idText(30),
    insutype: required(6),
    acct_used_flag: flag,
    mid_setl_flag: flag,
    invono: text(20).optional(),
    fulamt_ownpay_amt: amountFen().optional(),
    overlmt_selfpay: amountFen().optional(),
    preselfpay_amt: amountFen().optional(),
    inscp_scp_amt: amountFen().optional(),
  }),
  ext: settlementExt.optional(),
});
export type Input2303 = z.infer<typeof input2303>;

export const input2305 = z.object({ data: z.object({ mdtrt_id: idText(30), setl_id: idText(30), psn_no: idText(30) }) });

const period = {
  setl_optins: text(6).optional(),
  stmt_begndate: date,
  stmt_enddate: date,
  insutype: text(6).optional(),
  clr_type: text(6).optional(),
};

export const input3201 = z.object({
  data: z.object({
    ...period,
    medfee_sumamt: amountFen(true),
    fund_pay_sumamt: amountFen(true),
    acct_pay: amountFen(true),
    fixmedins_setl_cnt: z.union([z.string(), z.number()]).transform((v) => String(v)).pipe(z.string().regex(/^\d{1,9}$/, '结算笔数应为非负整数')).transform(Number),
    refd_setl_flag: flag.optional(),
  }),
});
export type Input3201 = z.infer<typeof input3201>;

export const input3202 = z.object({
  data: z.object({
    ...period,
    /** The national form: the detail file uploaded by 9101; its totals (checked against the file's when given). */
    file_qury_no: idText(30).optional(),
    medfee_sumamt: amountFen(true).optional(),
    fund_pay_sumamt: amountFen(true).optional(),
    cash_payamt: amountFen(true).optional(),
    fixmedins_setl_cnt: z.union([z.string(), z.number()]).transform((v) => String(v)).pipe(z.string().regex(/^\d{1,9}$/, '结算笔数应为非负整数')).transform(Number).optional(),
    refd_setl_flag: flag.optional(),
  }),
  /** The gateway's own form: the hospital's detail rows (JSON), or `detail_csv`: the same columns as CSV text. */
  detail: z.array(z.unknown()).max(LIMITS.detailRowsPerComparison).optional(),
  detail_csv: z.string().optional(),
});

export type Input3202 = z.infer<typeof input3202>;

/** 9001 签到. */
export const input9001 = z.object({ signIn: z.object({ opter_no: required(30), mac: text(20).optional(), ip: text(15).optional() }) });
/** 9002 签退. */
export const input9002 = z.object({ signOut: z.object({ sign_no: required(30), opter_no: required(30) }) });

/** 2601 冲正: the call to take back, by its msgid and infno. */
export const input2601 = z.object({
  data: z.object({ psn_no: idText(30), omsgid: idText(30), oinfno: z.string().regex(/^\d{4}$/, '交易编号应为4位数字') }),
});

/** 5201 就诊信息查询. */
export const input5201 = z.object({
  data: z.object({ psn_no: idText(30), begntime: dateTime.optional(), endtime: dateTime.optional(), med_type: text(6).optional(), mdtrt_id: idText(30).optional() }),
});
/** 5203 结算信息查询 and 5204 费用明细查询 (5204 without setl_id: the rows of a stay not settled yet). */
export const input5203 = z.object({ data: z.object({ psn_no: idText(30), setl_id: idText(30), mdtrt_id: idText(30) }) });
export const input5204 = z.object({ data: z.object({ psn_no: idText(30), setl_id: idText(30).optional(), mdtrt_id: idText(30) }) });
/** 1101 人员信息获取: by 就诊凭证 (02 身份证: mdtrt_cert_no) or by certno. */
export const input1101 = z.object({
  data: z.object({
    mdtrt_cert_type: required(3), mdtrt_cert_no: text(50).optional(), card_sn: text(32).optional(), begntime: dateTime.optional(),
    psn_cert_type: text(6).optional(), certno: text(50).optional(), psn_name: text(50).optional(),
  }),
});
