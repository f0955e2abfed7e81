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
import { FEN_PER_YUAN, RATIO_SCALE, shareTextPpm } from '../../schemas/money-text.js';

// Reading money is the bottom of the tree (schemas/money-text.ts); the engine's names for it stay here too.
export { MAX_FEN, parseFen, parsePpm, parseShareText, RATIO_SCALE } from '../../schemas/money-text.js';

/**
 * decimal.js with room for every exact product above. Its default of 20 significant digits would
 * round the product before the fen rounding (a double rounding: 1 fen × 0.49999999999999999999995
 * became 0.5 → 1 fen). A clone, never the global configuration, which other code may rely on.
 */
const ExactDecimal = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_UP });

/**
 * fen × share, rounded once, half-up, to the fen — exactly, whatever the share's precision: integer
 * ppm when it has at most six decimals (the usual case), decimal.js beyond.
 */
export function fenTimesShare(fen: number, shareText: string): number {
  const ppm = shareTextPpm(shareText);
  if (ppm !== null) return applyRatio(fen, ppm);
  return new ExactDecimal(fen).times(shareText).toDecimalPlaces(0, ExactDecimal.ROUND_HALF_UP).toNumber();
}

/** ".00" … ".99": the fen part of an amount's text, so formatting converts one number to text, not two. */
const CENTS_TEXT: readonly string[] = Object.freeze(Array.from({ length: FEN_PER_YUAN }, (_, cents) => (cents < 10 ? `.0${cents}` : `.${cents}`)));

/** Integer fen as the contract's two-decimal string. */
export function formatFen(fen: number): string {
  assertFen(fen, 'formatFen');
  const cents = fen % FEN_PER_YUAN;
  return String((fen - cents) / FEN_PER_YUAN) + CENTS_TEXT[cents]!;
}

/**
 * A ratio in ppm as a percentage for explanations: 650000 → "65%", 975000 → "97.5%". A pack's ratios are
 * written once when its rules are prepared (gateway/engine/rules/), not per settlement.
 */
export function formatPercent(ppm: number): string {
  // ppm / 10000 percent, exactly: integer part and up to four decimals, trailing zeros dropped.
  const whole = (ppm - (ppm % 10_000)) / 10_000;
  const fraction = String(ppm % 10_000).padStart(4, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}%` : `${whole}%`;
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

function assertFen(fen: number, where: string): void {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new Error(`${where}: ${fen} is not a non-negative integer amount in fen`);
}

export const positive = (fen: number): number => (fen > 0 ? fen : 0);
