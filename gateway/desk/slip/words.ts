/** How the slip says things to a patient: amounts in 大写, times as a person reads them, explanations without internals. */
import type { SplitLine } from '../../../schemas/settlement.js';
import { NO_PROGRAMME } from '../../../schemas/programme-ids.js';

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'] as const;
const SMALL_UNITS = ['', '拾', '佰', '仟'] as const;
const BIG_UNITS = ['', '万', '亿'] as const;

/** One group of four digits (0–9999) in 大写, with the zeros a cheque writer would write inside it. */
function groupWords(group: number): string {
  let words = '';
  let pendingZero = false;
  for (let position = 3; position >= 0; position--) {
    const digit = Math.floor(group / 10 ** position) % 10;
    if (digit === 0) { if (words) pendingZero = true; continue; }
    if (pendingZero) { words += '零'; pendingZero = false; }
    words += `${DIGITS[digit]}${SMALL_UNITS[position]}`;
  }
  return words;
}

/**
 * An amount in fen as the 大写金额 of Chinese financial writing: 2766.82 → 贰仟柒佰陆拾陆元捌角贰分,
 * 100.00 → 壹佰元整, 10005.07 → 壹万零伍元零柒分. Integer arithmetic only; up to 9 999 9999 9999.99.
 */
export function amountInWords(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not an amount in fen: ${fen}`);
  const yuan = Math.floor(fen / 100);
  const jiao = Math.floor(fen / 10) % 10;
  const fenDigit = fen % 10;
  let yuanWords = '';
  const groups: number[] = [];
  for (let rest = yuan; rest > 0; rest = Math.floor(rest / 10_000)) groups.push(rest % 10_000);
  if (groups.length > BIG_UNITS.length) throw new RangeError(`amount too large for words: ${fen}`);
  for (let i = groups.length - 1; i >= 0; i--) {
    const group = groups[i]!;
    if (group === 0) { if (yuanWords && !yuanWords.endsWith('零')) yuanWords += '零'; continue; }
    // A group below 1000 after a higher one starts with 零 (壹万零伍), unless a 零 is already there.
    if (yuanWords && group < 1000 && !yuanWords.endsWith('零')) yuanWords += '零';
    yuanWords += groupWords(group) + BIG_UNITS[i];
  }
  yuanWords = yuanWords.replace(/零+$/, '');
  if (yuan === 0 && jiao === 0 && fenDigit === 0) return '零元整';
  let words = yuan > 0 ? `${yuanWords}元` : '';
  if (jiao === 0 && fenDigit === 0) return `${words}整`;
  if (jiao > 0) words += `${DIGITS[jiao]}角`;
  else if (yuan > 0) words += '零';
  if (fenDigit > 0) words += `${DIGITS[fenDigit]}分`;
  else words += '整';
  return words;
}

const CHINA_OFFSET_MS = 8 * 3600 * 1000;

/** An ISO instant as a wall-clock time in China (+08:00), to the minute: 2024-03-10 09:12. */
export function chinaMinute(instant: string): string {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) return instant;
  const local = new Date(ms + CHINA_OFFSET_MS).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}

// A pack's cite is written in full-width brackets (which may nest), naming the document's clause
// (示例地区政策·起付线（每次住院…）, 001 三(二)：…): a clerk needs it; a patient does not.
const CITE = /·|^\d{3} [一二三四五六七八九十]/;

/** The step without its top-level bracketed groups that are cites. */
function withoutCites(step: string): string {
  let out = '';
  let depth = 0;
  let group = '';
  for (const c of step) {
    if (c === '（') { depth++; if (depth === 1) { group = ''; continue; } }
    if (depth === 0) { out += c; continue; }
    if (c === '）') {
      depth--;
      if (depth === 0) { if (!CITE.test(group)) out += `（${group}）`; continue; }
    }
    group += c;
  }
  return depth === 0 ? out.trim() : step; // unbalanced: leave the step as written
}

// Steps that name fields, programme ids or versions are for the desk and the auditors, not for a patient.
const INTERNAL = /[A-Za-z][A-Za-z0-9]*\.[A-Za-z]|[a-z0-9]+-[a-z0-9-]*\d{4}|upstream|政策包/;

/** A payer line's reasons in a patient's words: the steps of the calculation, without internals. */
export function patientExplanation(line: SplitLine): string[] {
  if (line.mode === 'given') return ['由医保信息平台结算，金额按平台结算结果计入。'];
  if (line.programme === NO_PROGRAMME) return ['本地区本次没有适用的保障政策，本项不支付。'];
  const steps = line.explanation
    .slice(1) // the first step names the programme and its version
    .filter((step) => !step.startsWith('本层支付') && !INTERNAL.test(step))
    .map(withoutCites);
  return steps.length > 0 ? steps : [line.amount === '0.00' ? '本次不符合支付条件，本项不支付。' : '按政策计算支付。'];
}
