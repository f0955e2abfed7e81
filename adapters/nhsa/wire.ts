/**
 * JSON of the national interface, read and written without binary floats. Reading: every JSON number
 * becomes its exact decimal text ("12.30" stays "12.30"), so an amount is parsed digit by digit later.
 * Writing: amounts (two-decimal text inside the gateway) go out as JSON numbers with two decimals —
 * `"medfee_sumamt": 1500.00` — as the platform writes 数值型(16,2): HIS code written against the national
 * interface reads numbers there, and a string would break its deserialisers. Consumers that need every
 * digit read the wire with a lossless parser; the text is exact.
 */
import { LosslessNumber, parse, stringify } from 'lossless-json';

/** Fields written as numbers: the national amounts and ratios. Everything else stays as it is. */
const NUMERIC_FIELDS = new Set([
  'medfee_sumamt', 'fulamt_ownpay_amt', 'overlmt_selfpay', 'overlmt_amt', 'preselfpay_amt', 'inscp_scp_amt', 'act_pay_dedc', 'hifp_pay',
  'pool_prop_selfpay', 'cvlserv_pay', 'hifes_pay', 'hifmi_pay', 'hifob_pay', 'maf_pay', 'hosp_part_amt', 'oth_pay', 'fund_pay_sumamt',
  'psn_part_amt', 'acct_pay', 'psn_cash_pay', 'balc', 'acct_mulaid_pay', 'crt_payb_lmt_amt', 'fund_payamt', 'det_item_fee_sumamt',
  'pric', 'cnt', 'selfpay_prop', 'pric_uplmt_amt', 'amount', 'cash_payamt', 'age',
]);
const NUMBER_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Parses JSON text; numbers come back as their exact decimal text. Throws SyntaxError on bad JSON. */
export function readNational(text: string): unknown {
  return parse(text, null, (digits: string) => digits);
}

/** Writes a value as national JSON: NUMERIC_FIELDS holding decimal text become JSON numbers, digit for digit. */
export function writeNational(value: unknown): string {
  const text = stringify(value, (key: string, v: unknown) => (NUMERIC_FIELDS.has(key) && typeof v === 'string' && NUMBER_TEXT.test(v) ? new LosslessNumber(v) : v));
  if (text === undefined) throw new Error('writeNational: nothing to write');
  return text;
}


/**
 * The national inputs with every `""` field removed: HIS code written from the field tables serialises an
 * optional field it has no value for as `""`, which the tables read as absent. Done once, on the whole body, so
 * every schema sees an absent field (a required one is then 必填项缺失). Array elements are kept as they are.
 */
export function emptyAsAbsent(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(emptyAsAbsent);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== '').map(([k, v]) => [k, emptyAsAbsent(v)]));
}

/** yyyyMMddHHmmssSSS in China time (the common output's times; its first 8 digits index answers by day). */
export function nationalStamp(date: Date): string {
  return new Date(date.getTime() + 8 * 3_600_000).toISOString().replace(/[-T:.Z]/g, '').slice(0, 17);
}
