/**
 * Records and events as flat Redis field/value lists, and back. JSON fields (splitJson, requestJson,
 * deltas, data) are stored as the strings given and never decoded in Lua: cjson would turn `[]` into
 * `{}` and re-format numbers, and a replay must answer byte for byte.
 */
import { invariant } from '../errors.js';
import { reversalNote } from '../../schemas/settlement.js';
import type { NewSettlement, OutboxEventHead } from './port.js';
import type { RawSettlement } from './raw.js';
import { RECORD_VERSION } from './stored.js';
import { instantMs } from './listing.js';
import { COMMIT_HEAD_FIELDS } from './scripts.js';

/**
 * The JSON texts go to Redis as UTF-8 Buffers, encoded once each. Handed strings, ioredis concatenates a
 * command into one string; with any Chinese in it the whole text becomes two-byte and is re-encoded on
 * write (measured: the largest single cost of a commit on the client).
 */
export const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** The record a commit stores: the split's JSON written once, here, and the current version. */
export function newRecord(s: NewSettlement): RawSettlement {
  return {
    gatewayId: s.gatewayId, hospitalId: s.hospitalId, settlementId: s.settlementId, personId: s.personId, bodyHash: s.bodyHash,
    status: 'settled', splitJson: JSON.stringify(s.split), requestJson: s.requestJson, deltas: { ...s.deltas }, settledAt: s.settledAt,
    recordVersion: RECORD_VERSION,
  };
}

/**
 * What a commit sends beside its keys, as COMMIT_LUA unpacks it (scripts.ts): the head — the record's and the
 * event's short fields, then the delta pairs, joined by '\n' — and the split's and the request's UTF-8 bytes
 * (`splitBytes`: the split already encoded, which the answer sends too). Three arguments instead of one per
 * field: ioredis frames each argument on its own (its length measured three times, a string concatenated,
 * copied), which for ~55 arguments cost more than writing the ~6 KB. The record is always a new one
 * (`newRecord`: settled, the current version). No field may hold the separator: ids are key parts, JSON.stringify
 * escapes control characters, the times and hashes are ours; the count of separators is checked all the same,
 * so a field that held one is refused here rather than shifting every field after it in Redis.
 */
export function commitArguments(record: RawSettlement, expectedVersion: number, event: OutboxEventHead, splitBytes: Buffer): [head: string, split: Buffer, request: Buffer] {
  let head = `${record.bodyHash}\n${expectedVersion}\n${instantMs(record.settledAt)}\n${record.personId}\n${record.gatewayId}\n${record.hospitalId}\n${record.settlementId}\n${record.settledAt}\n${RECORD_VERSION}\n${JSON.stringify(record.deltas)}\n${event.id}\n${event.time}`;
  let pairs = 0;
  for (const field in record.deltas) {
    head += `\n${field}\n${record.deltas[field]}`;
    pairs++;
  }
  let separators = 0;
  for (let at = head.indexOf('\n'); at !== -1; at = head.indexOf('\n', at + 1)) separators++;
  invariant(separators === COMMIT_HEAD_FIELDS - 1 + 2 * pairs, 'a field of the commit holds a line break');
  return [head, splitBytes, utf8(record.requestJson)];
}

/** An outbox entry refers to the record committed with it: its data is built when the relay reads it (event-data.ts). */
export function eventFields(event: OutboxEventHead): string[] {
  return [
    'id', event.id,
    'type', event.type,
    'personId', event.personId,
    'hospitalId', event.hospitalId,
    'settlementId', event.settlementId,
    'time', event.time,
  ];
}

/**
 * A hash reply as a map: a flat [field, value, …] list (inside Lua replies) or the object ioredis makes
 * of HGETALL. Anything else is a protocol surprise.
 */
export function fieldMap(reply: unknown): Map<string, string> {
  if (typeof reply === 'object' && reply !== null && !Array.isArray(reply)) {
    const map = new Map<string, string>();
    for (const [field, value] of Object.entries(reply)) {
      invariant(typeof value === 'string', 'expected string values');
      map.set(field, value);
    }
    return map;
  }
  invariant(Array.isArray(reply) && reply.length % 2 === 0, 'expected a flat field/value list');
  const map = new Map<string, string>();
  for (let i = 0; i < reply.length; i += 2) {
    const field: unknown = reply[i];
    const value: unknown = reply[i + 1];
    invariant(typeof field === 'string' && typeof value === 'string', 'expected string fields and values');
    map.set(field, value);
  }
  return map;
}

function required(map: Map<string, string>, field: string, what: string): string {
  const value = map.get(field);
  invariant(value !== undefined, () => `${what} lacks ${field}`);
  return value;
}

function parseDeltas(json: string): Record<string, number> {
  const parsed: unknown = JSON.parse(json);
  invariant(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), 'stored deltas are not an object');
  const deltas: Record<string, number> = {};
  for (const [field, value] of Object.entries(parsed)) {
    invariant(Number.isSafeInteger(value), () => `stored delta ${field} is not an integer`);
    deltas[field] = value as number;
  }
  return deltas;
}

/** A stored record, or null for an empty reply (the key does not exist). */
export function parseRecord(reply: unknown): RawSettlement | null {
  const map = fieldMap(reply);
  if (map.size === 0) return null;
  const what = 'a stored settlement';
  const status = required(map, 'status', what);
  invariant(status === 'settled' || status === 'reversed', () => `stored status ${status} is unknown`);
  const record: RawSettlement = {
    gatewayId: required(map, 'gatewayId', what),
    hospitalId: required(map, 'hospitalId', what),
    settlementId: required(map, 'settlementId', what),
    personId: required(map, 'personId', what),
    bodyHash: required(map, 'bodyHash', what),
    status,
    splitJson: required(map, 'splitJson', what),
    requestJson: required(map, 'requestJson', what),
    deltas: parseDeltas(required(map, 'deltas', what)),
    settledAt: required(map, 'settledAt', what),
  };
  const reversedAt = map.get('reversedAt');
  if (reversedAt !== undefined) record.reversedAt = reversedAt;
  const reversal = map.get('reversal');
  if (reversal !== undefined) {
    const note = reversalNote.safeParse(JSON.parse(reversal));
    invariant(note.success, 'a stored reversal note is not valid');
    record.reversal = note.data;
  }
  // Absent on records written before versioning: those are version 1 (ledger/stored.ts).
  const recordVersion = map.get('recordVersion');
  if (recordVersion !== undefined) {
    const version = Number(recordVersion);
    invariant(Number.isSafeInteger(version) && version >= 1, () => `stored recordVersion ${recordVersion} is not a version`);
    record.recordVersion = version;
  }
  return record;
}

/**
 * An outbox entry: its head, and `data` only on entries written before entries referred to their record
 * (up to issue 15), which carried a copy of it; those are published with the copy they carry.
 */
export function parseEvent(reply: unknown): OutboxEventHead & { data?: string } {
  const map = fieldMap(reply);
  const what = 'an outbox entry';
  const type = required(map, 'type', what);
  invariant(type === 'settlement.settled' || type === 'settlement.reversed', () => `outbox event type ${type} is unknown`);
  const data = map.get('data');
  return {
    id: required(map, 'id', what),
    type,
    personId: required(map, 'personId', what),
    hospitalId: required(map, 'hospitalId', what),
    settlementId: required(map, 'settlementId', what),
    time: required(map, 'time', what),
    ...(data === undefined ? {} : { data }),
  };
}

/** Accumulator hash → snapshot; a missing hash is version 0 with no counters. */
export function parseAccumulators(reply: unknown, versionField: string): { version: number; values: Record<string, number> } {
  const map = fieldMap(reply);
  const values: Record<string, number> = {};
  let version = 0;
  for (const [field, text] of map) {
    const value = Number(text);
    invariant(Number.isSafeInteger(value), () => `accumulator ${field}=${text} is not a safe integer`);
    if (field === versionField) version = value;
    else values[field] = value;
  }
  return { version, values };
}
