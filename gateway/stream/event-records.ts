/**
 * What one committed outbox event becomes on Kafka: the event itself on settlement.events (the log),
 * the 医保 platform's view on nhsa.settlements, and one claim per paying supplementary line on its
 * insurer's topic. Pure: the same event always maps to the same records, so a re-publish after a
 * crash carries the same ids and consumers can dedupe.
 */
import type { Split } from '../../schemas/settlement.js';
import { recordVersionOf, storedRequestOf, type StoredRequest } from '../ledger/stored.js';
import { settlementEventData, type InsurerClaim, type NhsaSettlement, type SettlementEventData } from '../../schemas/messages.js';
import type { OutboxEvent } from '../ledger/port.js';
import type { OutboundRecord } from './bus.js';
import type { Topics } from './topics.js';

/** Where an insurer's claims go: the pack's payer.insurerCode (ProgrammeSet.get(...)?.payer.insurerCode). */
export type InsurerCodeOf = (programmeId: string) => string | undefined;

export interface EventMapping {
  topics: Topics;
  insurerCodeOf: InsurerCodeOf;
  /** CloudEvents `source` (EVENT_SOURCE). */
  source: string;
  /**
   * More nodes of the nhsa.settlements message, as the JSON text of an object (the 医保 adapter's
   * 2304-shaped setlinfo/setldetail/ext, wired in by wiring.ts); absent: the native fields only.
   */
  nhsaNodes?: (split: Split, request: StoredRequest) => string;
}

export class UnmappableEvent extends Error {
  constructor(readonly eventId: string, message: string) { super(`outbox event ${eventId}: ${message}`); this.name = 'UnmappableEvent'; }
}

const ZERO = '0.00';

/** ce_type of nhsa.settlements records and of insurer claims (settlement.events carries the outbox event's own type). */
export const NHSA_SETTLEMENT_TYPES = ['nhsa.settlement.settled', 'nhsa.settlement.reversed'] as const;
export const INSURER_CLAIM_TYPES = ['insurer.claim.filed', 'insurer.claim.reversed'] as const;

/** CloudEvents 1.0, Kafka protocol binding, binary content mode: attributes as ce_* headers. */
function cloudEventHeaders(id: string, type: string, source: string, time: string, subject: string): Record<string, string> {
  return { ce_specversion: '1.0', ce_id: id, ce_type: type, ce_source: source, ce_time: time, ce_subject: subject, 'content-type': 'application/json' };
}

/** The log record alone: never fails, so the log never misses a committed event even if its data is unreadable. */
export function logRecord(event: OutboxEvent, m: EventMapping): OutboundRecord {
  return {
    topic: m.topics.settlementEvents,
    key: event.personId,
    value: event.data,
    headers: cloudEventHeaders(event.id, event.type, m.source, event.time, `${event.hospitalId}/${event.settlementId}`),
  };
}

/** An audience that gets nothing for this event, and why (the dead letter says so). */
export interface Unroutable {
  /** The topic, or `insurer claim <programme>` when even the topic cannot be named. */
  audience: string;
  error: UnmappableEvent;
}

/** What one event becomes: every record that could be built, and every audience that could not be served. */
export interface EventOutcome {
  /** settlement.events first (always), then nhsa.settlements, then the insurer claims, in line order. */
  records: OutboundRecord[];
  unroutable: Unroutable[];
}

/**
 * Every record of an event, each audience mapped on its own: a claim that cannot be routed (a pack
 * without payer.insurerCode) must not cost the 医保 platform its message, nor the log its event.
 */
export function eventRecords(event: OutboxEvent, m: EventMapping): EventOutcome {
  const { records, unroutable } = audienceOutcome(event, m);
  return { records: [logRecord(event, m), ...records], unroutable };
}

/** The per-audience records; throws the first UnmappableEvent (callers that want every record: eventRecords). */
export function audienceRecords(event: OutboxEvent, m: EventMapping): OutboundRecord[] {
  const { records, unroutable } = audienceOutcome(event, m);
  if (unroutable[0]) throw unroutable[0].error;
  return records;
}

function audienceOutcome(event: OutboxEvent, m: EventMapping): EventOutcome {
  let data: SettlementEventData;
  try {
    data = parseData(event);
  } catch (error) {
    // Unreadable data serves no audience; the log record still goes out as it is.
    if (error instanceof UnmappableEvent) return { records: [], unroutable: [{ audience: 'every audience', error }] };
    throw error;
  }
  const records: OutboundRecord[] = [];
  const unroutable: Unroutable[] = [];
  const attempt = (audience: string, build: () => OutboundRecord): void => {
    try {
      records.push(build());
    } catch (error) {
      if (!(error instanceof UnmappableEvent)) throw error;
      unroutable.push({ audience, error });
    }
  };
  attempt(m.topics.nhsaSettlements, () => nhsaRecord(event, data, m));
  for (const line of data.split.lines) {
    if (line.layer !== 'supplementary' || line.amount === ZERO) continue;
    attempt(`insurer claim ${line.programme}`, () => claimRecord(event, data, line, m));
  }
  return { records, unroutable };
}

const kindOf = (event: OutboxEvent): 'settled' | 'reversed' => (event.type === 'settlement.settled' ? 'settled' : 'reversed');
const subjectOf = (event: OutboxEvent): string => `${event.hospitalId}/${event.settlementId}`;

function nhsaRecord(event: OutboxEvent, data: SettlementEventData, m: EventMapping): OutboundRecord {
  const kind = kindOf(event);
  const { split } = data;
  const nhsa: NhsaSettlement = {
    eventId: event.id, kind, gatewayId: split.gatewayId, settlementId: split.settlementId, hospitalId: split.hospitalId, personId: split.personId,
    currency: split.currency, total: split.total, outOfScope: split.outOfScope, overLimit: split.overLimit, preSelfPay: split.preSelfPay,
    compliant: split.compliant, patientPays: split.patientPays,
    lines: split.lines.flatMap((l) => (l.layer === 'basic' || l.layer === 'majorIllness' || l.layer === 'aid')
      ? [{ layer: l.layer, programme: l.programme, payer: l.payer, ...(l.fundPayType ? { fundPayType: l.fundPayType } : {}), mode: l.mode, amount: l.amount }]
      : []),
    ...(split.settledAt ? { settledAt: split.settledAt } : {}),
    ...(split.reversedAt ? { reversedAt: split.reversedAt } : {}),
  };
  // Additive: the extra nodes go beside the native fields, which keep their contract form.
  const nhsaJson = JSON.stringify(nhsa);
  const extra = nhsaNodesOf(m, split, requestOf(data, event.id), event.id);
  return {
    topic: m.topics.nhsaSettlements, key: event.personId, value: extra && extra !== '{}' ? `${nhsaJson.slice(0, -1)},${extra.slice(1)}` : nhsaJson,
    headers: cloudEventHeaders(`${event.id}.nhsa`, NHSA_SETTLEMENT_TYPES[kind === 'settled' ? 0 : 1], m.source, event.time, subjectOf(event)),
  };
}

function claimRecord(event: OutboxEvent, data: SettlementEventData, line: Split['lines'][number], m: EventMapping): OutboundRecord {
  const kind = kindOf(event);
  const { split } = data;
  const insurerCode = m.insurerCodeOf(line.programme);
  if (!insurerCode) throw new UnmappableEvent(event.id, `programme ${line.programme} pays ${line.amount} but its pack names no payer.insurerCode`);
  const stay = stayOf(data, event.id);
  const claimId = `clm_${split.gatewayId}_${line.programme}`;
  const claim: InsurerClaim = {
    claimId: kind === 'settled' ? claimId : `rev_${split.gatewayId}_${line.programme}`,
    kind: kind === 'settled' ? 'claim' : 'reversal',
    ...(kind === 'reversed' ? { originalClaimId: claimId } : {}),
    eventId: event.id, insurerCode, programme: line.programme, payer: line.payer, amount: line.amount, currency: 'CNY',
    explanation: line.explanation, gatewayId: split.gatewayId, settlementId: split.settlementId, hospitalId: split.hospitalId,
    personIdNumber: split.personId, admittedOn: stay.admittedOn, dischargedOn: stay.dischargedOn,
    ...(split.settledAt ? { settledAt: split.settledAt } : {}),
    ...(split.reversedAt ? { reversedAt: split.reversedAt } : {}),
    bill: { total: split.total, compliant: split.compliant, outOfScope: split.outOfScope, overLimit: split.overLimit, preSelfPay: split.preSelfPay },
    ...(split.policyVersions[line.programme] ? { policyVersion: split.policyVersions[line.programme] } : {}),
  };
  return {
    topic: m.topics.insurerClaims(insurerCode), key: event.personId, value: JSON.stringify(claim),
    headers: cloudEventHeaders(`${event.id}.${line.programme}`, INSURER_CLAIM_TYPES[claim.kind === 'claim' ? 0 : 1], m.source, event.time, subjectOf(event)),
  };
}

function parseData(event: OutboxEvent): SettlementEventData {
  if (event.data === '') throw new UnmappableEvent(event.id, `the settlement record ${event.hospitalId}/${event.settlementId} it refers to is missing from the ledger`);
  let json: unknown;
  try {
    json = JSON.parse(event.data);
  } catch {
    throw new UnmappableEvent(event.id, 'data is not JSON');
  }
  const parsed = settlementEventData.safeParse(json);
  if (!parsed.success) throw new UnmappableEvent(event.id, `data does not match the settlement event schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (parsed.data.split.personId !== event.personId) throw new UnmappableEvent(event.id, 'the split names another person than the event');
  return parsed.data;
}

/** A mapping that fails (an invariant of the 2304 shape) dead-letters the event rather than stall the relay. */
function nhsaNodesOf(m: EventMapping, split: Split, request: StoredRequest, eventId: string): string | undefined {
  try {
    return m.nhsaNodes?.(split, request);
  } catch (error) {
    throw new UnmappableEvent(eventId, `the nhsa.settlements nodes could not be built: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The stored request, read by its version's reader: a stricter request schema since must not dead-letter old events. */
function requestOf(data: SettlementEventData, eventId: string): StoredRequest {
  try {
    return storedRequestOf(data.request, recordVersionOf(data));
  } catch (error) {
    throw new UnmappableEvent(eventId, `the stored request is unreadable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function stayOf(data: SettlementEventData, eventId: string): { admittedOn: string; dischargedOn: string } {
  const request = requestOf(data, eventId);
  return { admittedOn: request.encounter.admittedOn, dischargedOn: request.encounter.dischargedOn };
}

