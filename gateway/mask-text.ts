/**
 * Masking of free text that may carry personal data: a counterpart's error text (an insurer's, the 医保
 * platform's) often echoes the message it refuses, with the person's ID number and name in it, and such
 * a text is logged, stored and shown to operators. maskId and maskName (log.ts) mask a value one knows;
 * this finds them in text.
 */
import { maskId, maskName } from './log.js';

/**
 * A run of 15 digits or more, with a trailing X: an 18-character 居民身份证 (17 digits + digit or X), a
 * 15-digit first-generation ID, or a longer number that may hold one (a 医保 person number, a bank card,
 * an ID glued to other digits). Masking a long run that is not an ID costs a little diagnosis; leaving
 * an ID in clear because it touches another digit would disclose it.
 */
const DIGIT_RUN = /\d{15,}[Xx]?/g;

/** Values known to belong to the person the text is about (taken from the message it answers). */
export interface KnownPersonalData {
  /** Masked to the family name wherever they occur. */
  names?: readonly string[];
  /** Other identifiers (a passport number, a 港澳通行证) masked by maskId wherever they occur. */
  ids?: readonly string[];
}

/**
 * The text masked, then cut to maxChars characters. Masking comes first so that an ID cut at the
 * boundary is not left half in clear (a cut ID no longer looks like one); masking keeps the length, so
 * the cut falls where it would have fallen.
 */
export function maskedExcerpt(text: string, maxChars: number, known: KnownPersonalData = {}): string {
  let masked = text;
  // Longest first: a name that contains another (欧阳娜娜, 欧阳) is masked whole.
  const literals = [
    ...(known.ids ?? []).map((value) => ({ value, mask: maskId(value) })),
    ...(known.names ?? []).map((value) => ({ value, mask: maskName(value) })),
  ].filter((l) => l.value.length > 0).sort((a, b) => b.value.length - a.value.length);
  for (const { value, mask } of literals) masked = masked.split(value).join(mask);
  masked = masked.replace(DIGIT_RUN, (run) => maskId(run));
  return cutToChars(masked, maxChars);
}

/** By code points: a cut inside a surrogate pair would leave half a character. */
function cutToChars(text: string, maxChars: number): string {
  let end = 0;
  let count = 0;
  for (const char of text) {
    if (count === maxChars) return text.slice(0, end);
    end += char.length;
    count++;
  }
  return text;
}
