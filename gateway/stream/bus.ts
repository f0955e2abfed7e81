/**
 * The message bus the stream code talks to: Kafka in production (kafka-bus.ts), an in-memory log for
 * the embedded default (memory-bus.ts). Small on purpose: what the relay, the intake and the replay
 * need, and nothing that would only make sense for one of the two.
 */
import type { UndeliverableReason } from '../../schemas/messages.js';

export type { UndeliverableReason };

export interface OutboundRecord {
  topic: string;
  /** Records with the same key keep their order (Kafka: same partition). */
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface InboundMessage {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as decimal text. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Consume-transform-produce: the handler turns a batch of consumed messages (one partition, in
 * order) into records to publish. The bus publishes them and commits the consumed offsets as one
 * unit (Kafka: one transaction), so that a crash never publishes without committing or commits
 * without publishing. A handler that throws publishes and commits nothing; the bus retries the batch.
 */
export interface Subscription {
  topic: string;
  groupId: string;
  fromBeginning?: boolean;
  handle(messages: readonly InboundMessage[]): Promise<OutboundRecord[]>;
  /**
   * Messages handed to one `handle` call and answered in one transaction, at most; the bus's own bound when
   * absent (Kafka: maxMessagesPerTransaction). A transaction costs the broker and the client a fixed number of
   * round trips and log writes whatever it carries, so a handler that answers quickly (the intake) takes more.
   */
  maxMessagesPerTransaction?: number;
  /**
   * Records of a chunk that the bus cannot write however often it tries — their topic does not exist or
   * may not be written, or the record is too large — are handed here after a bounded number of attempts
   * (each such attempt also reaches onError), and the records answered take their place in the chunk's
   * transaction (a dead letter saying why). Should what it answers not be writable either (the dead-letter
   * topic missing), the chunk is retried and the hook asked again on its last attempt. Without this hook such a chunk is retried like any failure:
   * one bad destination would hold up the partition, and with it every partition of the consumer.
   */
  undeliverable?(failed: readonly Undeliverable[]): OutboundRecord[];
  /**
   * Told the consumer's lag in each partition it holds — messages not yet answered: the partition's end
   * when its batch was fetched, less the next offset to answer — at each batch and after each chunk
   * committed; emptied when the consumer joins its group anew (partitions may have moved).
   */
  onLag?(lagByPartition: ReadonlyMap<number, number>): void;
  /**
   * Told each failed attempt (the bus keeps retrying with backoff), and a SubscriptionCrashed when the
   * bus had to replace its consumer. A hook that throws is ignored: it never stops consumption.
   */
  onError?(error: unknown): void;
}

/**
 * Told through onError when the bus's consumer of a subscription stopped for good (Kafka: kafkajs gave
 * it up after a non-retriable error, e.g. an ACL taken away) and the bus starts a new one in
 * restartInMs. Nothing is lost or answered twice: the new consumer goes on from the committed offsets.
 * Through onError rather than a hook of its own so that it reaches callers written before it (the
 * intake passes onError on) and an unaware caller still logs it as an error.
 */
export class SubscriptionCrashed extends Error {
  override readonly name = 'SubscriptionCrashed';

  constructor(
    readonly groupId: string,
    readonly topic: string,
    /** Why, for the log: a Kafka error code and its message, or only the name of any other error. */
    readonly reason: string,
    readonly restartInMs: number,
    options?: { cause?: unknown },
  ) {
    super(`the consumer of ${topic} (group ${groupId}) stopped for good: ${reason}; a new one starts in ${restartInMs} ms`, options);
  }
}


export interface Undeliverable {
  record: OutboundRecord;
  reason: UndeliverableReason;
  /** The consumed chunk's attempts that ended on it. */
  attempts: number;
  /** The largest record the bus writes (key + value + headers): what stands in for this one must fit. */
  maxRecordBytes: number;
}

/** Told through onError for an attempt that ended on records the bus cannot write (before they are handed to `undeliverable`). */
export class RecordsUndeliverable extends Error {
  override readonly name = 'RecordsUndeliverable';

  constructor(readonly failed: readonly Undeliverable[]) {
    super(`records cannot be written: ${[...new Set(failed.map((f) => `${f.record.topic} (${f.reason})`))].join(', ')}`);
  }
}

export interface RunningSubscription {
  stop(): Promise<void>;
}

export interface Bus {
  readonly kind: 'kafka' | 'memory';
  /**
   * Publishes the records, in order per key, and resolves only once the broker has acknowledged every
   * one of them (Kafka: acks=all). Idempotent per producer session: the broker drops retried
   * duplicates. Rejects if any record was not acknowledged; then some may still have been written,
   * so callers publish again and consumers dedupe (settlement.events: by ce_id).
   */
  publish(records: readonly OutboundRecord[]): Promise<void>;
  subscribe(subscription: Subscription): Promise<RunningSubscription>;
  /** Reads a topic from its beginning to its end as of the call, then resolves. For replay and audits. */
  readToEnd(topic: string, onMessage: (message: InboundMessage) => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** Header values as text: kafkajs hands them over as Buffer, string, or arrays of those. */
export function headerText(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined || first === null) continue;
    out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}
