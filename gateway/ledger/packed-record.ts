/**
 * A settlement record as the memory ledger holds it: the texts (split, request, deltas) as one UTF-8 buffer
 * instead of JavaScript strings and an object. V8 keeps a string with any character past U+00FF in two bytes a
 * character, and a split's Chinese explanations make it so: a synthetic 三明 split of ~1 900 characters took
 * ~3.8 KB as a string and is ~2.9 KB as UTF-8; its request ~1.3 KB, ~0.7 KB; the deltas' object with its
 * own key strings ~0.5 KB, its JSON less than half. Read back (`unpackRecord`) on every read: the texts are what
 * was given, byte for byte (UTF-8 round-trips every string the schemas accept).
 */
import type { RawSettlement } from './raw.js';

/** The record's fields besides the texts, and where each text ends in `texts`. */
export type PackedSettlement = Omit<RawSettlement, 'splitJson' | 'requestJson' | 'deltas'> & {
  texts: Buffer;
  splitEnd: number;
  requestEnd: number;
};

export function packRecord(raw: RawSettlement): PackedSettlement {
  const { splitJson, requestJson, deltas, ...rest } = raw;
  const deltasJson = JSON.stringify(deltas);
  const splitEnd = Buffer.byteLength(splitJson, 'utf8');
  const requestEnd = splitEnd + Buffer.byteLength(requestJson, 'utf8');
  // Its own memory, not a slice of Node's shared pool: a pooled slice would keep its whole 8 KB slab alive.
  const texts = Buffer.allocUnsafeSlow(requestEnd + Buffer.byteLength(deltasJson, 'utf8'));
  texts.write(splitJson, 0, 'utf8');
  texts.write(requestJson, splitEnd, 'utf8');
  texts.write(deltasJson, requestEnd, 'utf8');
  return { ...rest, texts, splitEnd, requestEnd };
}

export function unpackRecord(packed: PackedSettlement): RawSettlement {
  const { texts, splitEnd, requestEnd, ...rest } = packed;
  const deltas: unknown = JSON.parse(texts.toString('utf8', requestEnd));
  const checked: Record<string, number> = {};
  // The deltas are the ones packed (validated at commit): kept as numbers, read back as such.
  if (typeof deltas === 'object' && deltas !== null) for (const [field, delta] of Object.entries(deltas)) if (typeof delta === 'number') checked[field] = delta;
  return { ...rest, splitJson: texts.toString('utf8', 0, splitEnd), requestJson: texts.toString('utf8', splitEnd, requestEnd), deltas: checked };
}
