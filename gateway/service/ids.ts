/** Identifiers and instants the shell gives the pure engine. */
import { hash, randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Random bytes come from a pool refilled 4 KiB at a time: one randomFillSync per 256 ids, not per id.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;
function randomByte(): number {
  if (poolOffset === POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++]!;
}

/** A ULID (time-ordered, 26 Crockford base-32 characters): sortable gateway ids and event ids. */
export function ulid(nowMs: number = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[randomByte() % 32];
  return time + tail;
}

/** An instant as ISO 8601 in China Standard Time, the offset the hospitals read: 2020-03-10T09:12:44+08:00. */
export function chinaTime(date: Date): string {
  const shifted = new Date(date.getTime() + 8 * 3_600_000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}

/** JSON with object keys sorted at every depth: the same body always has the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  // A value that says how it is written (a number literal kept as text, a Date) is written that way.
  if ('toJSON' in value && typeof value.toJSON === 'function') return canonicalJson((value.toJSON as () => unknown)());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

/** One-shot: a third of the cost of createHash().update().digest() on a settlement body. */
export const sha256 = (text: string): string => hash('sha256', text, 'hex');
