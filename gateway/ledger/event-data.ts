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
import type { OutboxEventHead, SettlementRecord } from './port.js';
import { currentSplit, recordVersionOf } from './stored.js';

export function eventData(type: OutboxEventHead['type'], record: SettlementRecord): string {
  if (type === 'settlement.settled') return assemble(record.splitJson, record.deltas, record);
  invariant(record.status === 'reversed', () => `a reversal event refers to ${record.hospitalId}/${record.settlementId}, which is not reversed`);
  const negated = Object.fromEntries(Object.entries(record.deltas).map(([field, delta]) => [field, -delta]));
  return assemble(JSON.stringify(currentSplit(record)), negated, record);
}

function assemble(splitJson: string, deltas: Record<string, number>, record: SettlementRecord): string {
  return `{"split":${splitJson},"deltas":${JSON.stringify(deltas)},"request":${record.requestJson},"recordVersion":${recordVersionOf(record)}}`;
}
