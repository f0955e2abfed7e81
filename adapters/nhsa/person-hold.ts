/**
 * A person held behind a dead letter. nhsa.settlements is keyed by person, so a person's messages come
 * in order on one partition; once one of them is dead-lettered, delivering the next (a reversal) would
 * show the platform a reversal before its settlement. So the person is held: their later messages follow
 * the dead one into the dead-letter topic (reason: held behind it), and a replay re-posts them in their
 * order, releasing the person once the last is acknowledged. The insurer adapter does the same
 * (adapters/insurer/delivery.ts); here the hold is not a flag of its own but an index of the dead
 * records in nhsa.deliveries:
 *
 *   - a dead record carries an entry in `held.<digest of the person>`, scored by the message's offset
 *     (the person's order); an acknowledged record has none (a put replaces a document's index entries);
 *   - so the hold is written with the dead record in one atomic put, lasts exactly as long as the person
 *     has a dead message not acknowledged since, and its earliest entry names what they are held behind.
 *
 * No separate release step can race a message dead-lettered meanwhile: that message is itself an entry.
 */
import { sha256 } from '../../gateway/service/ids.js';
import type { InboundMessage } from '../../gateway/stream/bus.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';

/** The index of one person's dead messages; the message key is the ID number, never a store key in clear. */
const heldIndexOf = (personKey: string): string => `held.${sha256(`person:${personKey}`).slice(0, 40)}`;

const personOf = (message: InboundMessage): string | null => {
  const key = message.key?.toString('utf8');
  return key ? key : null;
};

/** Kafka offsets are 64-bit text; an index score is a safe integer (no partition gets near 2^53). */
const positionOf = (message: InboundMessage): number => {
  const offset = Number(message.offset);
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : Number.MAX_SAFE_INTEGER;
};

/** The index entries that make a dead record hold its person (none for a message without a key). */
export function holdEntries(message: InboundMessage): Record<string, number> {
  const person = personOf(message);
  return person ? { [heldIndexOf(person)]: positionOf(message) } : {};
}

/** The id of the person's earliest message dead and not acknowledged since, or null when they are not held. */
export async function heldBehind(store: DocumentStore, collection: string, message: InboundMessage): Promise<string | null> {
  const person = personOf(message);
  if (!person) return null;
  const [first] = await store.range(collection, heldIndexOf(person), 0, Number.MAX_SAFE_INTEGER, { limit: 1 });
  return first ?? null;
}

/** Why a message went to the dead-letter topic without being posted (shown to the operator). */
export const heldReason = (behind: string): string => `同一参保人更早的消息 ${behind} 在死信中：本条随其后重放，以保持顺序`;
