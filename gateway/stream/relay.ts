/**
 * The outbox relay: ledger outbox → bus. At-least-once and in order per person: a batch is read,
 * published as a whole, and acknowledged in the ledger only after the broker acknowledged every
 * record. Until then the batch is held and retried as it was (same records, same order, same ids),
 * and no later entry is read, so nothing overtakes it. A crash between publish and ack re-publishes
 * the batch on restart (the ledger re-delivers this consumer's pending entries first); consumers
 * dedupe by ce_id.
 *
 * Per-person order across processes needs exactly one active relay consumer (see deploy/README.md).
 *
 * What can never be published does not hold the batch: an audience the event cannot be mapped for,
 * and a record larger than the broker takes (checked against maxMessageBytes before publishing, and
 * found record by record if the broker refuses a batch as too large all the same), are dead-lettered
 * to settlement.events.dlq with the reason, and every other record of the batch goes out.
 */
import type { Registry } from 'prom-client';
import { backoffMs } from '../resilience/backoff.js';
import { Breaker, type BreakerState } from '../resilience/breaker.js';
import type { Outbox, OutboxEntry } from '../ledger/port.js';
import type { Bus, OutboundRecord } from './bus.js';
import { entryDeadLetter, oversizedReason, type EntryProblems, type Oversized } from './dead-letters.js';
import { eventRecords, logRecord, type EventMapping } from './event-records.js';
import { DEFAULT_MAX_MESSAGE_BYTES, isTooLargeError, recordBytes } from './record-size.js';

export interface RelayOptions {
  ledger: Outbox;
  bus: Bus;
  mapping: EventMapping;
  /** The ledger consumer name; stable across restarts so the restarted relay gets its own pending entries back. */
  consumerName?: string;
  /** Outbox entries per publish; bounds memory and the work redone after a crash. */
  batchSize?: number;
  /** How long one readOutbox waits for new entries. */
  readBlockMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** A publish slower than this counts as failed (and is retried; the producer dedupes within its session). */
  publishTimeoutMs?: number;
  /** Failures within the breaker's window that open it: while open, publishing waits resetTimeoutMs. */
  breakerResetMs?: number;
  onPublished?(events: number, records: number): void;
  onFailure?(error: unknown, consecutiveFailures: number): void;
  /**
   * An event some audience cannot be served (data unreadable, a record it cannot route): the
   * other records still go out, and settlement.events.dlq gets the reason.
   */
  onUnmappable?(eventId: string, reason: string): void;
  /** Largest record (key + value + headers, bytes) published; KAFKA_MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
  /** A record over maxMessageBytes, or refused by the broker as too large: dead-lettered, not published. */
  onTooLarge?(eventId: string, reason: string): void;
  onBreakerStateChange?(state: BreakerState): void;
  /** Where the breaker's metrics go (gateway_relay_breaker_state and the shared breaker counters). */
  registry?: Registry;
  clock?: () => Date;
}

const RELAY_BATCH_MAX = 1_000;

/** A batch read from the outbox, held until the broker has every record of it. */
interface Held {
  entries: OutboxEntry[];
  records: OutboundRecord[];
  /** The entry each record belongs to (same index), to dead-letter a record the broker refuses. */
  owners: OutboxEntry[];
  published: boolean;
  /** Set once the broker refused the batch as too large: the next record to publish on its own. */
  next?: number;
}

export class OutboxRelay {
  private readonly breaker: Breaker<[readonly OutboundRecord[]], void>;
  private readonly consumerName: string;
  private readonly batchSize: number;
  private readonly maxMessageBytes: number;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeSleep: (() => void) | null = null;
  private consecutiveFailures = 0;

  constructor(private readonly options: RelayOptions) {
    this.consumerName = options.consumerName ?? 'relay-0';
    this.batchSize = options.batchSize ?? 100;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > RELAY_BATCH_MAX) throw new Error(`relay batchSize must be an integer in 1..${RELAY_BATCH_MAX}`);
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(this.maxMessageBytes) || this.maxMessageBytes < 1) throw new Error('relay maxMessageBytes must be a positive integer');
    this.breaker = new Breaker({
      call: (records: readonly OutboundRecord[]) => options.bus.publish(records),
      name: 'relay',
      timeoutMs: options.publishTimeoutMs ?? 30_000,
      resetMs: options.breakerResetMs ?? 5_000,
      // A size refusal is the broker answering: it must not open the breaker (the relay handles it).
      isAnswer: isTooLargeError,
      ...(options.onBreakerStateChange ? { onState: options.onBreakerStateChange } : {}),
      ...(options.registry ? { metrics: { registry: options.registry, state: { name: 'gateway_relay_breaker_state', help: 'The outbox relay\'s Kafka breaker: 0 closed, 1 half-open, 2 open (publishing waits)' } } } : {}),
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the current step; an unacknowledged batch stays pending in the ledger for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeSleep?.();
    await this.loop;
    this.loop = null;
  }

  /** Outbox entries not yet acknowledged (metrics, readiness). */
  lag(): Promise<number> { return this.options.ledger.outboxLag(); }

  /** For readiness: the breaker is open while the broker keeps failing. */
  get publishing(): boolean { return this.running && !this.breaker.opened; }

  get failures(): number { return this.consecutiveFailures; }

  private async run(): Promise<void> {
    const { ledger } = this.options;
    let held: Held | null = null;
    while (this.running) {
      try {
        if (!held) {
          const entries = await ledger.readOutbox(this.consumerName, this.batchSize, this.options.readBlockMs ?? 1_000);
          if (entries.length === 0) continue;
          held = this.hold(entries);
        }
        if (!held.published) {
          await this.publish(held);
          held.published = true;
          this.options.onPublished?.(held.entries.length, held.records.length);
        }
        // Only now: the broker has every record of the batch.
        await ledger.ackOutbox(held.entries.map((e) => e.entryId));
        held = null;
        this.consecutiveFailures = 0;
      } catch (error) {
        this.consecutiveFailures++;
        this.options.onFailure?.(error, this.consecutiveFailures);
        await this.sleep(this.backoffMs());
      }
    }
  }

  /** The batch's records: each entry's, with a dead letter in place of what cannot be published. */
  private hold(entries: OutboxEntry[]): Held {
    const records: OutboundRecord[] = [];
    const owners: OutboxEntry[] = [];
    for (const entry of entries) {
      for (const record of this.recordsOf(entry)) {
        records.push(record);
        owners.push(entry);
      }
    }
    return { entries, records, owners, published: false };
  }

  private recordsOf(entry: OutboxEntry): OutboundRecord[] {
    const { mapping } = this.options;
    const { event } = entry;
    const { records, unroutable } = eventRecords(event, mapping);
    const fitting: OutboundRecord[] = [];
    const oversized: Oversized[] = [];
    for (const record of records) {
      const bytes = recordBytes(record);
      if (bytes > this.maxMessageBytes) oversized.push({ topic: record.topic, bytes });
      else fitting.push(record);
    }
    if (unroutable.length === 0 && oversized.length === 0) return fitting;
    if (unroutable.length > 0) this.options.onUnmappable?.(event.id, unroutable.map((u) => u.error.message).join('; '));
    for (const o of oversized) this.options.onTooLarge?.(event.id, oversizedReason(event, o, this.maxMessageBytes));
    return [...fitting, this.deadLetter(entry, { unroutable, oversized, maxBytes: this.maxMessageBytes })];
  }

  /**
   * Publishes the held batch. If the broker refuses it as too large although every record passed the
   * check (a partition's share of the batch is over the broker's limit, or the broker's limit is below
   * maxMessageBytes), the batch goes out record by record, and only a record the broker refuses on its
   * own is dead-lettered. Progress is kept in `held`, so a failure part-way resumes where it stopped.
   */
  private async publish(held: Held): Promise<void> {
    if (held.next === undefined) {
      try {
        await this.breaker.fire(held.records);
        return;
      } catch (error) {
        if (!isTooLargeError(error)) throw error;
        held.next = 0;
      }
    }
    for (; held.next < held.records.length; held.next++) {
      const record = held.records[held.next]!;
      try {
        await this.breaker.fire([record]);
      } catch (error) {
        if (!isTooLargeError(error)) throw error;
        const owner = held.owners[held.next]!;
        const refused = { topic: record.topic, bytes: recordBytes(record) };
        this.options.onTooLarge?.(owner.event.id, oversizedReason(owner.event, refused, this.maxMessageBytes, true));
        await this.breaker.fire([this.deadLetter(owner, { unroutable: [], oversized: [refused], maxBytes: this.maxMessageBytes, refusedByBroker: true })]);
      }
    }
  }

  private deadLetter(entry: OutboxEntry, problems: EntryProblems): OutboundRecord {
    const { mapping, clock } = this.options;
    const log = logRecord(entry.event, mapping);
    return entryDeadLetter(entry.entryId, entry.event, log, problems, mapping.topics.dlq(log.topic), (clock?.() ?? new Date()).toISOString());
  }

  private backoffMs(): number {
    return backoffMs(this.consecutiveFailures - 1, { initialMs: this.options.backoffInitialMs ?? 100, maxMs: this.options.backoffMaxMs ?? 10_000 });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wakeSleep = null; resolve(); }, ms);
      this.wakeSleep = () => { clearTimeout(timer); this.wakeSleep = null; resolve(); };
    });
  }
}
