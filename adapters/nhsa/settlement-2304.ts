/**
 * The native split → the 2304 结算 output (setlinfo, setldetail, ext). Pure: the same split and request
 * always give the same output, so the 2304 answer and the nhsa.settlements message agree, and a
 * re-publish after a crash carries the same content.
 *
 * Invariants (asserted here on every call, property-tested in test/adapters/nhsa/settlement-2304.test.ts):
 *   medfee_sumamt = total
 *   fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt = medfee_sumamt
 *   hifp_pay + cvlserv_pay + hifes_pay + hifmi_pay + hifob_pay + maf_pay + oth_pay = fund_pay_sumamt
 *   Σ setldetail.fund_payamt = fund_pay_sumamt;  oth_pay = Σ ext.suppl.amount
 *   fund_pay_sumamt + hosp_part_amt + psn_part_amt = medfee_sumamt
 *   psn_part_amt = patientPays = acct_pay + psn_cash_pay (acct_pay 0 unless the request asked for it)
 */
import { nationalMoneyText, setlExt, setldetailRow, setlinfo as setlinfoSchema, type Settlement2304, type SetldetailRow, type Setlinfo } from '../../schemas/nhsa.js';
import type { SettlementRequest, Split, SplitLine } from '../../schemas/settlement.js';
import { invariant } from '../../gateway/errors.js';
import { fenOf, fenText } from './amounts.js';
import type { BasicTermsOf } from './basic-terms.js';
import type { FundPayTypeTable } from './fund-pay-types.js';
import { ageOn, idFactsOf } from './id-number.js';

/** setl_proc_info is 字符型(4000). */
const PROC_INFO_MAX_CHARS = 4000;

const insutypeOfScheme = (scheme: SettlementRequest['patient']['scheme']): string => (scheme === 'employee' ? '310' : '390');
const medTypeOfKind = (kind: SettlementRequest['encounter']['kind']): string => (kind === 'inpatient' ? '21' : '14');
/** clr_type 清算类别: 21 住院, 14 门诊慢特病 (the same codes as med_type for these two). */
const clrTypeOfKind = (kind: SettlementRequest['encounter']['kind']): string => (kind === 'inpatient' ? '21' : '14');

/** "2024-03-10T09:12:44+08:00" → "2024-03-10 09:12:44" (the gateway writes every instant in +08:00). */
export function nationalTime(iso: string | undefined): string {
  return iso ? iso.slice(0, 19).replace('T', ' ') : '';
}

export interface Mapping2304Options {
  fundPayTypes: FundPayTypeTable;
  insurerCodeOf?: (programme: string) => string | undefined;
  /** The basic pack's deductible and ratio (basic-terms.ts): act_pay_dedc and pool_prop_selfpay of a computed basic line. */
  basicTermsOf?: BasicTermsOf;
}

/**
 * What the 2304 mapping reads of a request: a live one, or a stored one read by its version's reader
 * (gateway/ledger/stored.ts) — never a stored one re-checked against today's request schema.
 */
export interface Request2304 {
  hospital: Pick<SettlementRequest['hospital'], 'level'>;
  patient: Pick<SettlementRequest['patient'], 'scheme' | 'name' | 'insuredRegion' | 'categories'>;
  encounter: Pick<SettlementRequest['encounter'], 'kind' | 'dischargedOn'>;
  nhsa?: SettlementRequest['nhsa'];
}

export function settlement2304Of(split: Split, request: Request2304, options: Mapping2304Options): Settlement2304 {
  const { fundPayTypes } = options;
  const scheme = request.patient.scheme;
  const id = request.nhsa;
  const sum = (lines: readonly SplitLine[]) => lines.reduce((s, l) => s + fenOf(l.amount), 0);
  const of = (layer: SplitLine['layer']) => split.lines.filter((l) => l.layer === layer);

  const basicFen = sum(of('basic'));
  const majorFen = sum(of('majorIllness'));
  const waiverFen = sum(of('waiver'));
  const aidFen = sum(of('aid'));
  const supplLines = of('supplementary');
  const supplFen = sum(supplLines);
  const totalFen = fenOf(split.total);
  const patientPaysFen = fenOf(split.patientPays);
  const fundFen = basicFen + majorFen + aidFen + supplFen;
  // 实际支付起付线 and the 统筹 ratio: the platform's own (ext) when it settled upstream, else the pack's terms when the
  // gateway computed the one basic line — the deductible borne is at most the compliant amount it is taken from.
  const basicLines = of('basic');
  const terms = basicLines.length === 1 && basicLines[0]!.mode === 'computed'
    ? options.basicTermsOf?.(basicLines[0]!.programme, request.hospital.level, request.patient.categories) : undefined;
  const actPayDedc = id?.act_pay_dedc ?? (terms ? fenText(Math.min(terms.deductibleFen, fenOf(split.compliant))) : '0.00');
  const poolProp = id?.pool_prop_selfpay ?? terms?.ratioText ?? '0';
  // 性别, 出生日期, 年龄 (周岁 on the discharge day) as an 18-digit ID number states them; nothing when it does not hold.
  const certno = id?.certno ?? split.personId;
  const facts = idFactsOf(certno);
  // The personal account pays only when the request said so (acct_used_flag 1), and never more than the patient's part.
  const acctFen = Math.min(id?.acct_pay ? fenOf(id.acct_pay) : 0, patientPaysFen);

  const setlinfo: Setlinfo = {
    setl_id: split.gatewayId,
    mdtrt_id: id?.mdtrt_id ?? split.settlementId,
    psn_no: id?.psn_no ?? split.personId,
    psn_name: request.patient.name ?? '',
    psn_cert_type: id?.psn_cert_type ?? '01',
    certno,
    ...(facts ? { gend: facts.gend, brdy: facts.brdy, age: String(ageOn(facts.brdy, request.encounter.dischargedOn)) } : {}),
    ...(id?.naty ? { naty: id.naty } : {}),
    // 公务员 or not, as the platform said; the gateway has no 公务员医疗补助 layer, so cvlserv_pay stays 0.00 either way.
    ...(id?.cvlserv_flag ? { cvlserv_flag: id.cvlserv_flag } : {}),
    insutype: id?.insutype ?? insutypeOfScheme(scheme),
    psn_type: id?.psn_type ?? '',
    med_type: id?.med_type ?? medTypeOfKind(request.encounter.kind),
    mdtrt_cert_type: id?.mdtrt_cert_type ?? '02',
    setl_time: nationalTime(split.settledAt),
    medfee_sumamt: split.total,
    fulamt_ownpay_amt: split.outOfScope,
    overlmt_selfpay: split.overLimit,
    preselfpay_amt: split.preSelfPay,
    inscp_scp_amt: split.compliant,
    act_pay_dedc: actPayDedc,
    hifp_pay: fenText(basicFen),
    pool_prop_selfpay: poolProp,
    cvlserv_pay: '0.00',
    hifes_pay: '0.00',
    // 大病/大额: residents' 大病保险 is hifmi_pay, employees' 大额补助 hifob_pay.
    hifmi_pay: fenText(scheme === 'resident' ? majorFen : 0),
    hifob_pay: fenText(scheme === 'employee' ? majorFen : 0),
    maf_pay: fenText(aidFen),
    hosp_part_amt: fenText(waiverFen),
    oth_pay: fenText(supplFen),
    fund_pay_sumamt: fenText(fundFen),
    psn_part_amt: split.patientPays,
    acct_pay: fenText(acctFen),
    psn_cash_pay: fenText(patientPaysFen - acctFen),
    balc: id?.balc ?? '0.00',
    acct_mulaid_pay: '0.00',
    medins_setl_id: id?.medins_setl_id ?? split.settlementId,
    clr_optins: id?.clr_optins ?? request.patient.insuredRegion,
    clr_way: id?.clr_way ?? '1',
    clr_type: id?.clr_type ?? clrTypeOfKind(request.encounter.kind),
  };

  // 符合范围金额 of each fund: the 政策范围内 amount still unpaid when its layer came down the waterfall. Every layer
  // takes the compliant part first (gateway/engine/settle.ts pay; only a coinsurance base may take another part first,
  // and the public layers have none), so it is the compliant amount less what the lines before it paid. The
  // supplementary programmes, which may pay 自费 parts first, are each given what the public layers left.
  const compliantBeforeFen = new Map<SplitLine, number>();
  let compliantLeftFen = fenOf(split.compliant);
  for (const line of split.lines) {
    compliantBeforeFen.set(line, compliantLeftFen);
    if (line.layer !== 'supplementary') compliantLeftFen = Math.max(0, compliantLeftFen - fenOf(line.amount));
  }
  const detailRow = (fundPayType: { code: string; name: string }, lines: readonly SplitLine[]): SetldetailRow => ({
    fund_pay_type: fundPayType.code,
    inscp_scp_amt: fenText(compliantBeforeFen.get(lines[0]!) ?? fenOf(split.compliant)),
    // The engine applies caps inside the rule; what the fund could pay at most this time is what it paid.
    crt_payb_lmt_amt: fenText(sum(lines)),
    fund_payamt: fenText(sum(lines)),
    fund_pay_type_name: fundPayType.name,
    setl_proc_info: lines.flatMap((l) => l.explanation).join('；').slice(0, PROC_INFO_MAX_CHARS),
  });
  const supplType = (programme: string) => fundPayTypes.supplementary[programme] ?? fundPayTypes.supplementary.default;
  const setldetail: SetldetailRow[] = [];
  if (basicFen > 0) setldetail.push(detailRow(fundPayTypes.basic[scheme], of('basic')));
  if (majorFen > 0) setldetail.push(detailRow(fundPayTypes.majorIllness[scheme], of('majorIllness')));
  if (aidFen > 0) setldetail.push(detailRow(fundPayTypes.aid, of('aid')));
  for (const line of supplLines) if (fenOf(line.amount) > 0) setldetail.push(detailRow(supplType(line.programme), [line]));

  const result: Settlement2304 = {
    setlinfo,
    setldetail,
    ext: {
      gateway_id: split.gatewayId,
      settlement_id: split.settlementId,
      suppl: supplLines.map((l) => {
        const insurerCode = options.insurerCodeOf?.(l.programme);
        return { programme: l.programme, payer: l.payer, ...(insurerCode ? { insurer_code: insurerCode } : {}), fund_pay_type: supplType(l.programme).code, mode: l.mode, amount: l.amount };
      }),
      benefits: split.benefits.map((b) => ({ programme: b.programme, kind: b.kind, amount: b.amount, paid_to: 'patient' as const })),
    },
  };
  assert2304(result, totalFen, patientPaysFen);
  return result;
}

function assert2304(r: Settlement2304, totalFen: number, patientPaysFen: number): void {
  const s = r.setlinfo;
  const f = (text: string) => fenOf(text);
  invariant(f(s.medfee_sumamt) === totalFen, 'medfee_sumamt is the total');
  invariant(f(s.fulamt_ownpay_amt) + f(s.overlmt_selfpay) + f(s.preselfpay_amt) + f(s.inscp_scp_amt) === totalFen, 'the four classes add up to medfee_sumamt');
  const funds = f(s.hifp_pay) + f(s.cvlserv_pay) + f(s.hifes_pay) + f(s.hifmi_pay) + f(s.hifob_pay) + f(s.maf_pay) + f(s.oth_pay);
  invariant(funds === f(s.fund_pay_sumamt), 'the funds add up to fund_pay_sumamt');
  invariant(r.setldetail.reduce((sum, d) => sum + f(d.fund_payamt), 0) === f(s.fund_pay_sumamt), 'setldetail adds up to fund_pay_sumamt');
  invariant(r.ext.suppl.reduce((sum, l) => sum + f(l.amount), 0) === f(s.oth_pay), 'oth_pay is the supplementary programmes');
  invariant(f(s.fund_pay_sumamt) + f(s.hosp_part_amt) + f(s.psn_part_amt) === totalFen, 'funds + hospital + person = medfee_sumamt');
  invariant(f(s.psn_part_amt) === patientPaysFen && f(s.acct_pay) + f(s.psn_cash_pay) === patientPaysFen && f(s.psn_cash_pay) >= 0, 'the person pays patientPays, from the account or in cash');
}

const negate = (text: string): string => (text === '0.00' || text.startsWith('-') ? text.replace(/^-/, '') : `-${text}`);
/** The amount fields of the national nodes, as their schemas declare them. */
const AMOUNT_FIELDS = new Set([setlinfoSchema, setldetailRow, setlExt.shape.suppl.element, setlExt.shape.benefits.element]
  .flatMap((node) => Object.entries(node.shape).filter(([, field]) => field === nationalMoneyText).map(([name]) => name)));

/**
 * The 2305 撤销 answer: the settlement's 2304 output with every amount negated (冲销) and the reversal's
 * time; the setl_id stays the settlement's own (a reversal is told apart by refd_setl_flag in 对账).
 */
export function reversal2305Of(settlement: Settlement2304, reversedAt: string | undefined): Settlement2304 {
  const flip = <T extends Record<string, unknown>>(row: T): T =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && AMOUNT_FIELDS.has(k) ? negate(v) : v])) as T;
  return {
    setlinfo: { ...flip(settlement.setlinfo), setl_time: nationalTime(reversedAt) },
    setldetail: settlement.setldetail.map(flip),
    ext: { ...settlement.ext, suppl: settlement.ext.suppl.map(flip), benefits: settlement.ext.benefits.map(flip) },
  };
}
