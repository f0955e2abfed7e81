/** Records and events for the ledger tests. */
import { createHash } from 'node:crypto';
import type { NewSettlement, OutboxEvent } from '../../gateway/ledger/port.js';
import { RECORD_VERSION, StoredSettlement } from '../../gateway/ledger/stored.js';

export const HOSPITAL = 'H99000000001';

export function bodyHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function record(o: { personId: string; settlementId: string; deltas?: Record<string, number>; body?: string }): NewSettlement {
  const body = o.body ?? `body of ${o.settlementId}`;
  return {
    gatewayId: `stl_${o.settlementId}`,
    hospitalId: HOSPITAL,
    settlementId: o.settlementId,
    personId: o.personId,
    bodyHash: bodyHash(body),
    // Empty arrays and objects, nesting and non-ASCII: what a Lua JSON round trip would damage.
    split: {
      gatewayId: `stl_${o.settlementId}`, settlementId: o.settlementId, hospitalId: HOSPITAL, personId: o.personId, status: 'settled', currency: 'CNY',
      total: '12.30', outOfScope: '0.00', overLimit: '0.00', preSelfPay: '0.00', compliant: '12.30',
      lines: [{ layer: 'aid', programme: 'demo-aid', payer: '医疗救助基金', mode: 'computed', amount: '0.00', explanation: [] }],
      benefits: [], patientPays: '12.30', policyVersions: {}, settledAt: '2024-03-10T09:12:44+08:00',
    },
    requestJson: JSON.stringify({ settlementId: o.settlementId, items: [], body }),
    deltas: o.deltas ?? { 'basic:2024:paid': 150_000, 'weihai-2020-medical:2020:paid': 2_345 },
    settledAt: '2024-03-10T09:12:44+08:00',
  };
}

/** The record the ledger answers for a commit of `r`, reversed at `reversedAt` when given. */
export function stored(r: NewSettlement, reversedAt?: string): StoredSettlement {
  const { split, ...rest } = r;
  return new StoredSettlement({
    ...rest, splitJson: JSON.stringify(split), recordVersion: RECORD_VERSION,
    ...(reversedAt === undefined ? { status: 'settled' } : { status: 'reversed', reversedAt }),
  });
}

export function settledEvent(r: NewSettlement): OutboxEvent {
  return {
    id: `evt_${r.settlementId}_settled`,
    type: 'settlement.settled',
    personId: r.personId,
    hospitalId: r.hospitalId,
    settlementId: r.settlementId,
    time: r.settledAt,
    // What the ledger builds from the record when the relay reads the entry: the stored texts as they are.
    data: `{"split":${JSON.stringify(r.split)},"deltas":${JSON.stringify(r.deltas)},"request":${r.requestJson},"recordVersion":${RECORD_VERSION}}`,
  };
}

export function reversedEvent(r: NewSettlement): OutboxEvent {
  return { ...settledEvent(r), id: `evt_${r.settlementId}_reversed`, type: 'settlement.reversed', time: REVERSED_AT };
}

export const REVERSED_AT = '2024-03-11T10:00:00+08:00';

let unique = 0;
/** Ids no other test uses, so tests may share a ledger's keyspace without seeing each other. */
export function uniqueId(stem: string): string {
  unique += 1;
  return `${stem}${process.pid}x${unique}`;
}
