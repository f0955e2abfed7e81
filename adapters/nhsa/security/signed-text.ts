/**
 * The text an SM2 signature covers, for a national envelope (calls in, answers out, deliveries): every
 * top-level field except `cainfo` (the signature itself), sorted by name, those without a value ("" or
 * null) left out, written `name=value` and joined by `&` — the shape regional platforms use for their
 * signed parameters. A text value is itself; any other (the `input`/`output` object, a number) is its
 * canonical JSON: object keys sorted, no spaces, numbers as the digits that were sent (read losslessly:
 * 12.30 stays 12.30), text escaped as JSON.stringify does. So sender and receiver sign the same bytes
 * whatever key order or spacing the body had on the wire.
 */
import { isLosslessNumber } from 'lossless-json';

function canonical(value: unknown): string {
  if (isLosslessNumber(value)) return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** The signed text of an envelope read with lossless-json's parse (numbers as LosslessNumber). */
export function signedText(envelope: Record<string, unknown>): string {
  return Object.keys(envelope)
    .filter((name) => name !== 'cainfo' && envelope[name] !== '' && envelope[name] !== null && envelope[name] !== undefined)
    .sort()
    .map((name) => { const v = envelope[name]; return `${name}=${typeof v === 'string' ? v : canonical(v)}`; })
    .join('&');
}
