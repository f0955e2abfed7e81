/**
 * The relay's dead letters on settlement.events.dlq: one per outbox entry that could not go out whole,
 * naming each audience that got nothing and each record too large to publish, with the event's head in
 * `original.headers` (ce_id, ce_type, ce_time, ce_subject) so that `npm run republish` can rebuild the
 * event with the same ids. Texts are the operator's (English, like the logs).
 */
import { PROBLEM_TYPES, problemTypeUri } from '../problem-types.js';
import type { DeadLetter } from '../../schemas/messages.js';
import type { OutboxEventHead } from '../ledger/port.js';
import type { OutboundRecord } from './bus.js';
import type { Unroutable } from './event-records.js';
import { recordBytes } from './record-size.js';

/** A record the relay did not publish for its size. */
export interface Oversized { topic: string; bytes: number }

export interface EntryProblems {
  unroutable: readonly Unroutable[];
  oversized: readonly Oversized[];
  /** KAFKA_MAX_MESSAGE_BYTES, or what the broker refused when it refused a record that passed it. */
  maxBytes: number;
  /** The broker refused the record although it passed the check (its own limit is lower). */
  refusedByBroker?: boolean;
}

export type EventHead = Pick<OutboxEventHead, 'id' | 'type' | 'hospitalId' | 'settlementId'>;

/** The sentence of a record too large: sizes and ids, never the data — that is what is too large. */
export function oversizedReason(event: EventHead, o: Oversized, maxBytes: number, refusedByBroker = false): string {
  const head = `outbox event ${event.id} (${event.type}) of settlement ${event.settlementId} of hospital ${event.hospitalId}`;
  const why = refusedByBroker
    ? `the broker refused it as too large (MESSAGE_TOO_LARGE) although it is within KAFKA_MAX_MESSAGE_BYTES ${maxBytes}: lower KAFKA_MAX_MESSAGE_BYTES to the broker's message.max.bytes less 1 KiB, or raise the topic's max.message.bytes`
    : `over KAFKA_MAX_MESSAGE_BYTES ${maxBytes}`;
  return `${head}: its ${o.topic} record is ${o.bytes} bytes (key + value + headers), ${why}; not published`;
}

/**
 * The dead letter of an entry. It carries the event's data as the original value when the letter still
 * fits (an unroutable claim: the operator may want it), and no value when it would not (a record over
 * the limit: the data is what is too large).
 */
export function entryDeadLetter(entryId: string, event: EventHead, log: OutboundRecord, problems: EntryProblems, dlqTopic: string, deadAt: string): OutboundRecord {
  const errors = [
    ...problems.unroutable.map((u) => ({ path: u.audience, message: u.error.message })),
    ...problems.oversized.map((o) => ({ path: o.topic, message: oversizedReason(event, o, problems.maxBytes, problems.refusedByBroker) })),
  ];
  const type = PROBLEM_TYPES['unmappable-event'];
  const build = (value: string | null): OutboundRecord => {
    const letter: DeadLetter = {
      // The detail stays the mapper's own words: the reader of a dead letter is the operator.
      problem: { type: problemTypeUri('unmappable-event'), code: type.code, title: type.title, status: 500, detail: errors.map((e) => e.message).join('; '), errors },
      original: { topic: 'outbox', partition: 0, offset: entryId, key: log.key, headers: log.headers, value, valueEncoding: 'utf8' },
      deadAt,
    };
    // ce_type tells the two kinds apart without parsing; the event's own type stays in original.headers.
    const ceType = problems.unroutable.length > 0 ? 'settlement.unmappable' : 'settlement.too-large';
    return { topic: dlqTopic, key: log.key, value: JSON.stringify(letter), headers: { ...log.headers, ce_type: ceType } };
  };
  if (problems.oversized.length > 0) return build(null);
  const withData = build(log.value);
  return recordBytes(withData) <= problems.maxBytes ? withData : build(null);
}
