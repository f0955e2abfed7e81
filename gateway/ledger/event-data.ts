/**
 * The data of an outbox event, built from the settlement record it refers to: JSON of { split, deltas,
 * request, recordVersion }, assembled from the stored texts without parsing them, so the split and the
 * request go out byte for byte as stored. A settled event carries the split as first answered and the
 * deltas; a reversal, the split with its reversed status and the negated deltas.
 *
 * Everything read here is fixed once written — split, request and deltas at the commit; status, time
 * and note by the one reversal, in the same atomic step that appends its event — so an entry builds
 * the same data whenever the relay reads it, and a re-publish after a crash is byte-identical.
 */
import { invariant } from '../errors.js';
import type { SETTLEMENT_EVENT_TYPES } from '../../schemas/messages.js';
import type { RawSettlement } from './raw.js';

export function eventData(type: (typeof SETTLEMENT_EVENT_TYPES)[number], record: RawSettlement): string {
  if (type === 'settlement.settled') return assemble(record.splitJson, record.deltas, record);
  invariant(record.status === 'reversed', () => `a reversal event refers to ${record.hospitalId}/${record.settlementId}, which is not reversed`);
  const negated = Object.fromEntries(Object.entries(record.deltas).map(([field, delta]) => [field, -delta]));
  return assemble(reversedSplitJson(record), negated, record);
}

/**
 * The stored split with its reversed status, time and note, every other field kept as stored (decoded
 * untyped, not by the version's reader: what was stored goes out, whatever this release would read of it).
 */
function reversedSplitJson(record: RawSettlement): string {
  const stored: unknown = JSON.parse(record.splitJson);
  invariant(typeof stored === 'object' && stored !== null && !Array.isArray(stored), () => `the stored split of ${record.hospitalId}/${record.settlementId} is not an object`);
  return JSON.stringify({
    ...stored, status: 'reversed',
    ...(record.reversedAt ? { reversedAt: record.reversedAt } : {}),
    ...(record.reversal ? { reversal: record.reversal } : {}),
  });
}

function assemble(splitJson: string, deltas: Record<string, number>, record: RawSettlement): string {
  return `{"split":${splitJson},"deltas":${JSON.stringify(deltas)},"request":${record.requestJson},"recordVersion":${record.recordVersion ?? 1}}`;
}
