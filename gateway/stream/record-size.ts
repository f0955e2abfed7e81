/**
 * How large a record is as Kafka counts it, and whether a broker refused one for its size. The relay and
 * `npm run republish` check every record against KAFKA_MAX_MESSAGE_BYTES before publishing: a record the
 * broker refuses (MESSAGE_TOO_LARGE, not retriable) would otherwise be retried for ever, holding up every
 * settlement behind it.
 */
import type { OutboundRecord } from './bus.js';
import { hasKafkaErrorType } from './kafka-errors.js';

/**
 * Kafka's default message.max.bytes is 1 048 588 (1 MiB + 12) and it bounds the whole record batch: the
 * batch header (61 bytes) and each record's varint framing come on top of key, value and headers. The
 * default leaves 1 KiB of that limit for the framing.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_047_552;

/** Key + value + every header's name and value, in UTF-8 bytes: what a record carries, without Kafka's framing. */
export function recordBytes(record: OutboundRecord): number {
  let bytes = Buffer.byteLength(record.key) + Buffer.byteLength(record.value);
  for (const [name, value] of Object.entries(record.headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/** A v2 record batch's header (base offset, length, epoch, magic, CRC, attributes, deltas, timestamps, producer id and epoch, base sequence, count). */
const BATCH_HEADER_BYTES = 61;
/** What a record costs in its batch beyond recordBytes, at most: its length, attributes, timestamp and offset deltas, the key's and value's lengths and the header count (varints) … */
const RECORD_FRAMING_BYTES = 36;
/** … and each header's two lengths. */
const HEADER_FRAMING_BYTES = 10;

/**
 * The most bytes one record batch of these records can take, as the broker's size limit (message.max.bytes)
 * counts them: a transaction writes one batch per partition, each refused whole past the limit however small
 * its records, so records whose sum stays within the limit can be sent together whatever partitions they go to.
 */
export function batchBytes(records: readonly OutboundRecord[]): number {
  let bytes = BATCH_HEADER_BYTES;
  for (const record of records) bytes += recordBytes(record) + RECORD_FRAMING_BYTES + HEADER_FRAMING_BYTES * Object.keys(record.headers).length;
  return bytes;
}

/** Broker answers that say the request was too large: retrying the same records can never succeed. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** Whether the error (or one it wraps: kafkajs wraps the broker's answer in retry errors) is a size refusal. */
export const isTooLargeError = (error: unknown): boolean => hasKafkaErrorType(error, TOO_LARGE);
