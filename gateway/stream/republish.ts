/**
 * Republishing a settlement's dead-lettered events (`npm run republish`), rebuilt exactly as the relay
 * built them, so that consumers, which dedupe by ce_id, take each record once whatever already arrived.
 *
 * Where the ids come from: an event's id (ce_id) is a ULID drawn at the commit and kept only in the
 * outbox entry, which is deleted once the relay acknowledged it; the record does not hold it. The
 * relay's dead letter on settlement.events.dlq keeps the event's head in `original.headers` (ce_id,
 * ce_type, ce_time, ce_subject), so that is where the ids are read; the data is rebuilt from the
 * record (ledger/event-data.ts), byte for byte what the relay read. The per-audience ids follow from
 * ce_id (`<ce_id>.<suffix>`, each audience's own: ReadEvent.headers; claim ids from the split), as in event-records.ts.
 * An event of the settlement without a dead letter was published by the relay: nothing to do for it.
 */
import type { OutboxEvent, OutboxEventHead } from '../ledger/port.js';
import type { StoredSettlement } from '../ledger/stored.js';
import { deadLetter } from '../../schemas/messages.js';
import type { Bus, InboundMessage, OutboundRecord } from './bus.js';
import { eventRecords, type EventMapping } from './event-records.js';
import { recordBytes } from './record-size.js';

export interface DeadLetteredEvent { id: string; type: OutboxEventHead['type']; time: string }

const EVENT_TYPES: ReadonlySet<string> = new Set<OutboxEventHead['type']>(['settlement.settled', 'settlement.reversed']);

/** The head of the event a dead letter of settlement.events.dlq is about, if it is one of this settlement's. */
function deadLetteredEvent(message: InboundMessage, hospitalId: string, settlementId: string): DeadLetteredEvent | null {
  if (!message.value) return null;
  let letter;
  try {
    letter = deadLetter.parse(JSON.parse(message.value.toString('utf8')));
  } catch {
    return null; // not a dead letter the relay wrote: nothing to rebuild from it
  }
  const { ce_id: id, ce_type: type, ce_time: time, ce_subject: subject } = letter.original.headers;
  if (subject !== `${hospitalId}/${settlementId}` || !id || !time || !type || !EVENT_TYPES.has(type)) return null;
  return { id, type: type as OutboxEventHead['type'], time };
}

/**
 * The settlement's dead-lettered events, each once, the settlement before its reversal. A dead-letter
 * topic that does not exist (the relay never dead-lettered anything there) holds none.
 */
export async function findDeadLettered(bus: Bus, dlqTopic: string, hospitalId: string, settlementId: string): Promise<DeadLetteredEvent[]> {
  const found = new Map<string, DeadLetteredEvent>();
  try {
    await bus.readToEnd(dlqTopic, (message) => {
      const event = deadLetteredEvent(message, hospitalId, settlementId);
      if (event && !found.has(event.id)) found.set(event.id, event);
    });
  } catch (error) {
    if (!isUnknownTopic(error)) throw error;
  }
  return [...found.values()].sort((a, b) => (a.type === b.type ? 0 : a.type === 'settlement.settled' ? -1 : 1));
}

function isUnknownTopic(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const { type, cause } = current as { type?: unknown; cause?: unknown };
    if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
    current = cause;
  }
  return false;
}

export interface RepublishPlan {
  records: OutboundRecord[];
  /** Why the plan cannot be published as it is (nothing is published then). */
  problems: string[];
}

/** Every record of the events, as the relay maps them, or the problems that stop them (too large, still unroutable). */
export function republishPlan(record: StoredSettlement, events: readonly DeadLetteredEvent[], mapping: EventMapping, maxMessageBytes: number): RepublishPlan {
  const records: OutboundRecord[] = [];
  const problems: string[] = [];
  for (const head of events) {
    if (head.type === 'settlement.reversed' && record.status !== 'reversed') {
      problems.push(`event ${head.id} is a reversal but the record of ${record.hospitalId}/${record.settlementId} is not reversed`);
      continue;
    }
    const event: OutboxEvent = {
      id: head.id, type: head.type, personId: record.personId, hospitalId: record.hospitalId, settlementId: record.settlementId, time: head.time,
      data: record.eventData(head.type),
    };
    const outcome = eventRecords(event, mapping);
    problems.push(...outcome.unroutable.map((u) => `${u.audience}: ${u.error.message}`));
    for (const r of outcome.records) {
      const bytes = recordBytes(r);
      if (bytes > maxMessageBytes) problems.push(`event ${head.id}: its ${r.topic} record is ${bytes} bytes (key + value + headers), still over KAFKA_MAX_MESSAGE_BYTES ${maxMessageBytes}`);
      else records.push(r);
    }
  }
  return { records, problems };
}
