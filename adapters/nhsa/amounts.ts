/**
 * Signed amounts of the national interface: fee rows of a refund are negative, 对账 rows of a reversal
 * too. Read digit by digit into integer fen (never through a binary float) and written back as
 * two-decimal text.
 */
import { formatFen, MAX_FEN, parseFen } from '../../gateway/engine/money.js';

const SIGNED_MONEY = /^-?(0|[1-9]\d{0,9})(\.\d{1,2})?$/;

/** "-12.3" → -1230; null when not an amount with at most two decimals within ±MAX_FEN. */
export function signedFen(text: string): number | null {
  if (!SIGNED_MONEY.test(text)) return null;
  const negative = text.startsWith('-');
  const fen = parseFen(negative ? text.slice(1) : text);
  if (fen === null || fen > MAX_FEN) return null;
  return negative ? -fen : fen;
}

/** Integer fen as signed two-decimal text: -1230 → "-12.30". */
export function fenText(fen: number): string {
  return fen < 0 ? `-${formatFen(-fen)}` : formatFen(fen);
}

/** Two-decimal text (as the gateway itself writes) back to fen; throws on anything else (a bug). */
export function fenOf(text: string): number {
  const fen = signedFen(text);
  if (fen === null) throw new Error(`not a two-decimal amount: ${text}`);
  return fen;
}
