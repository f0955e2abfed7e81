/**
 * The outbox relay: ledger outbox → bus. At-least-once and in order per person: a batch is read,
 * published as a whole, and acknowledged in the ledger only after the broker acknowledged every
 * record. Until then the batch is held and retried as it was (same records, same order, same ids),
 * and no later entry is read, so nothing overtakes it. A crash between publish and ack re-publishes
 * the batch on restart (the ledger re-delivers this consumer's pending entries first); consumers
 * dedupe by ce_id.
 *
 * Per-person order across processes needs exactly one active relay consumer (see deploy/README.md).
 */
import { PROBLEM_TYPES, problemTypeUri } from '../problem-types.js';
import CircuitBreaker from 'opossum';
import type { LedgerPort, OutboxEntry } from '../ledger/port.js';
import type { DeadLetter } from '../../schemas/messages.js';
import type { Bus, OutboundRecord } from './bus.js';
import { audienceRecords, logRecord, UnmappableEvent, type EventMapping } from './event-records.js';

export interface RelayOptions {
  ledger: LedgerPort;
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
  /** An event whose data cannot be mapped: it still goes to settlement.events, and to settlement.events.dlq with the reason. */
  onUnmappable?(eventId: string, reason: string): void;
  onBreakerStateChange?(state: 'open' | 'halfOpen' | 'closed'): void;
  clock?: () => Date;
}

export const RELAY_BATCH_MAX = 1_000;

export class OutboxRelay {
  private readonly breaker: CircuitBreaker<[readonly OutboundRecord[]], void>;
  private readonly consumerName: string;
  private readonly batchSize: number;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeSleep: (() => void) | null = null;
  private consecutiveFailures = 0;

  constructor(private readonly options: RelayOptions) {
    this.consumerName = options.consumerName ?? 'relay-0';
    this.batchSize = options.batchSize ?? 100;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > RELAY_BATCH_MAX) throw new Error(`relay batchSize must be an integer in 1..${RELAY_BATCH_MAX}`);
    this.breaker = new CircuitBreaker((records: readonly OutboundRecord[]) => options.bus.publish(records), {
      timeout: options.publishTimeoutMs ?? 30_000,
      resetTimeout: options.breakerResetMs ?? 5_000,
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
    });
    this.breaker.on('open', () => options.onBreakerStateChange?.('open'));
    this.breaker.on('halfOpen', () => options.onBreakerStateChange?.('halfOpen'));
    this.breaker.on('close', () => options.onBreakerStateChange?.('closed'));
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
    let held: { entries: OutboxEntry[]; records: OutboundRecord[]; published: boolean } | null = null;
    while (this.running) {
      try {
        if (!held) {
          const entries = await ledger.readOutbox(this.consumerName, this.batchSize, this.options.readBlockMs ?? 1_000);
          if (entries.length === 0) continue;
          held = { entries, records: this.recordsOf(entries), published: false };
        }
        if (!held.published) {
          await this.breaker.fire(held.records);
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

  private recordsOf(entries: readonly OutboxEntry[]): OutboundRecord[] {
    const { mapping } = this.options;
    return entries.flatMap(({ entryId, event }) => {
      const log = logRecord(event, mapping);
      try {
        return [log, ...audienceRecords(event, mapping)];
      } catch (error) {
        if (!(error instanceof UnmappableEvent)) throw error;
        this.options.onUnmappable?.(event.id, error.message);
        return [log, this.deadLetter(entryId, log, error.message)];
      }
    });
  }

  private deadLetter(entryId: string, log: OutboundRecord, reason: string): OutboundRecord {
    const letter: DeadLetter = {
      // The detail stays the mapper's own words: the reader of a dead letter is the operator.
      problem: { type: problemTypeUri('unmappable-event'), code: PROBLEM_TYPES['unmappable-event'].code, title: PROBLEM_TYPES['unmappable-event'].title, status: 500, detail: reason, errors: [] },
      original: { topic: 'outbox', partition: 0, offset: entryId, key: log.key, headers: log.headers, value: log.value, valueEncoding: 'utf8' },
      deadAt: (this.options.clock?.() ?? new Date()).toISOString(),
    };
    return { topic: this.options.mapping.topics.dlq(log.topic), key: log.key, value: JSON.stringify(letter), headers: { ...log.headers, ce_type: 'settlement.unmappable' } };
  }

  private backoffMs(): number {
    const initial = this.options.backoffInitialMs ?? 100;
    const max = this.options.backoffMaxMs ?? 10_000;
    const exp = Math.min(max, initial * 2 ** Math.min(this.consecutiveFailures - 1, 16));
    // Jitter: several gateways restarting after an outage should not hammer the broker in step.
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wakeSleep = null; resolve(); }, ms);
      this.wakeSleep = () => { clearTimeout(timer); this.wakeSleep = null; resolve(); };
    });
  }
}
