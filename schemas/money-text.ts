/**
 * Money and ratios as text, read exactly into integers: amounts in fen, ratios in parts per million.
 * The bottom of the tree: the contract's schemas (schemas/primitives.ts) and the engine
 * (gateway/engine/money.ts) both read money through here, and this module imports nothing.
 *
 * Digits are read as integers, never through a binary fraction. Bounds keep every product exact: an
 * amount is at most MAX_FEN (90 million yuan) and a ratio at most RATIO_SCALE, so fen × ppm ≤ 9e15 < 2^53.
 */

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
 * The most decimals a request's share may carry. Bounded so the product with an amount stays exact with
 * a fixed precision: fen (≤ 10 digits) × share (≤ 1 + 40 digits) has at most 51 significant digits.
 */
export const MAX_SHARE_DECIMALS = 40;
const SHARE_TEXT = new RegExp(`^(0(\\.\\d{1,${MAX_SHARE_DECIMALS}})?|1(\\.0{1,${MAX_SHARE_DECIMALS}})?)$`);

/**
 * A share in [0, 1] as the contract's request carries it (up to MAX_SHARE_DECIMALS decimals, no
 * exponent), as its canonical text; null if invalid. Kept as text so the engine can multiply exactly.
 */
export function parseShareText(value: unknown): string | null {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? plainNumberText(value) : null;
  return text !== null && SHARE_TEXT.test(text) ? text : null;
}

/**
 * A share's ppm when its text is a ratio in [0, 1] with at most six decimals (what parsePpm accepts), else
 * null — as parsePpm, but digit by digit without a pattern: a bill's 乙类 items each carry one.
 */
export function shareTextPpm(shareText: string): number | null {
  const length = shareText.length;
  const whole = shareText.charCodeAt(0) - 48;
  if (length === 1) return whole === 0 ? 0 : whole === 1 ? RATIO_SCALE : null;
  if ((whole !== 0 && whole !== 1) || shareText.charCodeAt(1) !== 46 || length < 3 || length > 8) return null;
  let ppm = whole * RATIO_SCALE;
  let place = RATIO_SCALE / 10;
  for (let i = 2; i < length; i++, place /= 10) {
    const digit = shareText.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9 || (whole === 1 && digit !== 0)) return null;
    ppm += digit * place;
  }
  return ppm;
}
