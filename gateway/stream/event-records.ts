/**
 * What one committed outbox event becomes on Kafka: the event itself on settlement.events (the log), and
 * what each audience the parts contribute (gateway/parts.ts: a payer's view of the settlement, a claim per
 * line it pays) makes of it. The event is parsed once here; each audience builds its
 * records from that reading. Pure: the same event always maps to the same records, so a re-publish after a
 * crash carries the same ids and consumers can dedupe.
 */
import type { Pack } from '../../schemas/pack.js';
import type { CommittedPayout } from '../../schemas/second-payout.js';
import type { Split } from '../../schemas/settlement.js';
import { recordVersionOf, storedRequestOf, type StoredRequest } from '../ledger/stored.js';
import { settlementEventData, type SettlementEventData } from '../../schemas/messages.js';
import type { OutboxEvent } from '../ledger/port.js';
import type { AsyncApiContribution } from './asyncapi.js';
import type { OutboundRecord } from './bus.js';
import type { TopicUse } from './topic-specs.js';
import type { Topics } from './topics.js';

export class UnmappableEvent extends Error {
  constructor(readonly eventId: string, message: string) { super(`outbox event ${eventId}: ${message}`); this.name = 'UnmappableEvent'; }
}

/** A committed event as every audience reads it: parsed and checked once. */
export interface ReadEvent {
  event: OutboxEvent;
  split: Split;
  kind: 'settled' | 'reversed';
  topics: Topics;
  /** The stored request, read by its version's reader: a stricter request schema since must not dead-letter old events. Throws UnmappableEvent when unreadable. */
  request(): StoredRequest;
  /** CloudEvents headers of a record of this event (ce_id: the event's id and `suffix`), keyed and timed as the event. */
  headers(suffix: string, type: string): Record<string, string>;
}

/** One record an audience would send: built on its own, so that one that cannot be built (UnmappableEvent) costs no other its record. */
export interface AudienceRecord {
  /** Names what is not served in a dead letter: the topic, or the audience's own words for the record when even the topic cannot be named. */
  audience: string;
  build(): OutboundRecord;
}

/**
 * A part's audience on Kafka: the records it gets of each committed event, and the topics they go to — created
 * and checked at start-up with the core's, and documented in the AsyncAPI document beside them.
 */
export interface Audience {
  recordsOf(event: ReadEvent): AudienceRecord[];
  /** Its topics (dead letters included), each with its role. */
  topics(t: Topics): TopicUse[];
  /** Its channels, messages and operations in the AsyncAPI document. */
  asyncApi(t: Topics): AsyncApiContribution;
  /**
   * How it tells a programme's payer of a payout made outside a settlement (a yearly second payout), when that
   * payer is its own to tell: the records of the committed payout. Undefined: the payer is not its own.
   */
  payoutRecords?(programme: Pack): ((payout: ReadPayout) => OutboundRecord[]) | undefined;
}

/** A programme's committed payout as the audience carrying its payer reads it. */
export interface ReadPayout {
  programme: Pack;
  payout: CommittedPayout;
  topics: Topics;
  /** CloudEvents headers of a record of this payout (ce_id as given; timed at the commit; subject programme/year). */
  headers(id: string, type: string): Record<string, string>;
}

/**
 * The records that tell a programme's payer of a committed payout, built by the first audience whose payer it
 * is; undefined when none is (the payout cannot be told, so it must not be committed).
 */
export function payoutRecordsOf(m: EventMapping, programme: Pack): ((payout: CommittedPayout) => OutboundRecord[]) | undefined {
  for (const audience of m.audiences) {
    const records = audience.payoutRecords?.(programme);
    if (records) {
      return (payout) => records({
        programme, payout, topics: m.topics,
        headers: (id, type) => cloudEventHeaders(id, type, m.source, payout.committedAt, `${programme.id}/${payout.year}`),
      });
    }
  }
  return undefined;
}

export interface EventMapping {
  topics: Topics;
  /** CloudEvents `source` (EVENT_SOURCE). */
  source: string;
  /** The parts' audiences, in the order their records go out after the log's. */
  audiences: readonly Audience[];
}

/** CloudEvents 1.0, Kafka protocol binding, binary content mode: attributes as ce_* headers. */
function cloudEventHeaders(id: string, type: string, source: string, time: string, subject: string): Record<string, string> {
  return { ce_specversion: '1.0', ce_id: id, ce_type: type, ce_source: source, ce_time: time, ce_subject: subject, 'content-type': 'application/json' };
}

const subjectOf = (event: OutboxEvent): string => `${event.hospitalId}/${event.settlementId}`;

/** The log record alone: never fails, so the log never misses a committed event even if its data is unreadable. */
export function logRecord(event: OutboxEvent, m: EventMapping): OutboundRecord {
  return { topic: m.topics.settlementEvents, key: event.personId, value: event.data, headers: cloudEventHeaders(event.id, event.type, m.source, event.time, subjectOf(event)) };
}

/** An audience that gets nothing for this event, and why (the dead letter says so). */
export interface Unroutable {
  audience: string;
  error: UnmappableEvent;
}

/** What one event becomes: every record that could be built, and every audience that could not be served. */
export interface EventOutcome {
  /** settlement.events first (always), then each audience's, in the order of the audiences. */
  records: OutboundRecord[];
  unroutable: Unroutable[];
}

/**
 * Every record of an event, each audience mapped on its own: a record that cannot be routed (a pack that
 * names no payer the audience can reach) must not cost another audience its record, nor the log its event.
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
  let read: ReadEvent;
  try {
    read = readEvent(event, m);
  } catch (error) {
    // Unreadable data serves no audience; the log record still goes out as it is.
    if (error instanceof UnmappableEvent) return { records: [], unroutable: [{ audience: 'every audience', error }] };
    throw error;
  }
  const records: OutboundRecord[] = [];
  const unroutable: Unroutable[] = [];
  for (const audience of m.audiences) {
    for (const record of audience.recordsOf(read)) {
      try {
        records.push(record.build());
      } catch (error) {
        if (!(error instanceof UnmappableEvent)) throw error;
        unroutable.push({ audience: record.audience, error });
      }
    }
  }
  return { records, unroutable };
}

function readEvent(event: OutboxEvent, m: EventMapping): ReadEvent {
  const data = parseData(event);
  let request: StoredRequest | undefined;
  return {
    event,
    split: data.split,
    kind: event.type === 'settlement.settled' ? 'settled' : 'reversed',
    topics: m.topics,
    request: () => (request ??= requestOf(data, event.id)),
    headers: (suffix, type) => cloudEventHeaders(`${event.id}.${suffix}`, type, m.source, event.time, subjectOf(event)),
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

function requestOf(data: SettlementEventData, eventId: string): StoredRequest {
  try {
    return storedRequestOf(data.request, recordVersionOf(data));
  } catch (error) {
    throw new UnmappableEvent(eventId, `the stored request is unreadable: ${error instanceof Error ? error.message : String(error)}`);
  }
}
