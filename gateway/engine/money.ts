/**
 * Exact money. Amounts are integer fen (safe integers); ratios are integer parts-per-million.
 * Text is read digit by digit into integers and everything inside the engine is integer arithmetic,
 * so no amount ever passes through a binary fraction (a request's share with more than six decimals
 * goes through decimal.js instead). The property tests in test/engine/money.test.ts
 * prove parsing, rounding and formatting agree with decimal.js on every value.
 *
 * Bounds keep every product exact: an amount is at most MAX_FEN (90 million yuan) and a ratio at
 * most RATIO_SCALE, so fen × ppm ≤ 9e15 < 2^53 ≈ 9.007e15.
 */
import { Decimal } from 'decimal.js';

export const FEN_PER_YUAN = 100;
export const RATIO_SCALE = 1_000_000;
/** The largest amount the gateway accepts, anywhere (an item, a bill, an upstream amount): 90 000 000.00 yuan. */
export const MAX_FEN = 9_000_000_000;

const MONEY_TEXT = /^(0|[1-9]\d{0,9})(\.\d{1,2})?$/;
const RATIO_TEXT = /^(0(\.\d{1,6})?|1(\.0{1,6})?)$/;

/** Shortest decimal text of a JSON number, or null when it has an exponent or is not finite. */
function plainNumberText(value: number): string | null {
  if (!Number.isFinite(value)) return null;
  const text = String(value);
  return /[eE]/.test(text) ? null : text;
}

/**
 * Decimal text (already checked against a pattern) as an integer count of `scale`ths: "12.3" at scale 100
 * → 1230. Exact: digits are read as integers, never through a binary fraction.
 */
function scaledInteger(text: string, decimals: number): number {
  const dot = text.indexOf('.');
  const whole = dot === -1 ? text : text.slice(0, dot);
  const fraction = dot === -1 ? '' : text.slice(dot + 1);
  return Number.parseInt(whole + fraction.padEnd(decimals, '0'), 10);
}

/** Parses a contract amount (string or number, 0–2 decimals, non-negative) to fen; null if invalid. */
export function parseFen(value: unknown): number | null {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? plainNumberText(value) : null;
  if (text === null || !MONEY_TEXT.test(text)) return null;
  const fen = scaledInteger(text, 2);
  return fen <= MAX_FEN ? fen : null;
}

/** Parses a ratio in [0, 1] with at most six decimals to parts-per-million; null if invalid. */
export function parsePpm(value: unknown): number | null {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? plainNumberText(value) : null;
  if (text === null || !RATIO_TEXT.test(text)) return null;
  return scaledInteger(text, 6);
}

/**
 * The most decimals a request's share may carry. Bounded so the product below stays exact with a fixed
 * precision: fen (≤ 10 digits) × share (≤ 1 + 40 digits) has at most 51 significant digits.
 */
export const MAX_SHARE_DECIMALS = 40;
const SHARE_TEXT = new RegExp(`^(0(\\.\\d{1,${MAX_SHARE_DECIMALS}})?|1(\\.0{1,${MAX_SHARE_DECIMALS}})?)$`);

/**
 * decimal.js with room for every exact product above. Its default of 20 significant digits would
 * round the product before the fen rounding (a double rounding: 1 fen × 0.49999999999999999999995
 * became 0.5 → 1 fen). A clone, never the global configuration, which other code may rely on.
 */
const ExactDecimal = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_UP });

/**
 * A share in [0, 1] as the contract's request carries it (up to MAX_SHARE_DECIMALS decimals, no
 * exponent), as its canonical text; null if invalid. Kept as text so `fenTimesShare` can multiply exactly.
 */
export function parseShareText(value: unknown): string | null {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? plainNumberText(value) : null;
  return text !== null && SHARE_TEXT.test(text) ? text : null;
}

/**
 * fen × share, rounded once, half-up, to the fen — exactly, whatever the share's precision: integer
 * ppm when it has at most six decimals (the usual case), decimal.js beyond.
 */
export function fenTimesShare(fen: number, shareText: string): number {
  const ppm = parsePpm(shareText);
  if (ppm !== null) return applyRatio(fen, ppm);
  return new ExactDecimal(fen).times(shareText).toDecimalPlaces(0, ExactDecimal.ROUND_HALF_UP).toNumber();
}

/** Integer fen as the contract's two-decimal string. */
export function formatFen(fen: number): string {
  assertFen(fen, 'formatFen');
  const cents = fen % FEN_PER_YUAN;
  return `${(fen - cents) / FEN_PER_YUAN}${cents < 10 ? '.0' : '.'}${cents}`;
}

/** A ratio in ppm as a percentage for explanations: 650000 → "65%", 975000 → "97.5%". Few distinct ratios exist, so each is written once. */
const percentTexts = new Map<number, string>();
export function formatPercent(ppm: number): string {
  let text = percentTexts.get(ppm);
  if (text === undefined) {
    // ppm / 10000 percent, exactly: integer part and up to four decimals, trailing zeros dropped.
    const whole = (ppm - (ppm % 10_000)) / 10_000;
    const fraction = String(ppm % 10_000).padStart(4, '0').replace(/0+$/, '');
    text = fraction ? `${whole}.${fraction}%` : `${whole}%`;
    if (percentTexts.size < 10_000) percentTexts.set(ppm, text);
  }
  return text;
}

/** Rounds an exact amount in micro-fen (fen × ppm) half-up to the fen. Non-negative only. */
export function roundMicroFen(microFen: number): number {
  if (!Number.isSafeInteger(microFen) || microFen < 0) throw new Error(`roundMicroFen: ${microFen} is not a non-negative safe integer`);
  const shifted = microFen + RATIO_SCALE / 2;
  return (shifted - (shifted % RATIO_SCALE)) / RATIO_SCALE;
}

/**
 * An exact quotient of non-negative integers rounded half-up to the fen: for a payer's amount that is a
 * fraction with a common denominator (fen × ppm × ppm, or a difference of micro-fen), rounded once.
 * BigInt, because such numerators may pass 2^53.
 */
export function roundHalfUpQuotient(numerator: bigint, denominator: bigint): number {
  if (numerator < 0n || denominator <= 0n) throw new Error(`roundHalfUpQuotient: ${numerator} / ${denominator} is not a non-negative quotient`);
  const fen = Number((2n * numerator + denominator) / (2n * denominator));
  if (!Number.isSafeInteger(fen)) throw new Error(`roundHalfUpQuotient: ${fen} is not a safe integer`);
  return fen;
}

/**
 * An exact amount in micro-fen (fen × ppm) as yuan text for explanations, with as many decimals as it
 * needs (at least two): 25000500 micro-fen → "250.005". Shows an unrounded limit as it is.
 */
export function formatMicroFen(microFen: number | bigint): string {
  const micro = BigInt(microFen);
  const sign = micro < 0n ? '-' : '';
  const abs = micro < 0n ? -micro : micro;
  const perYuan = BigInt(FEN_PER_YUAN * RATIO_SCALE);
  const fraction = String(abs % perYuan).padStart(8, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${sign}${abs / perYuan}.${fraction}`;
}

/** fen × ratio, rounded once, half-up, to the fen. */
export function applyRatio(fen: number, ppm: number): number {
  return roundMicroFen(fen * ppm);
}

export function assertFen(fen: number, where: string): void {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new Error(`${where}: ${fen} is not a non-negative integer amount in fen`);
}

export const positive = (fen: number): number => (fen > 0 ? fen : 0);
