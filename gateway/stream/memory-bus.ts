/**
 * The in-memory bus: the embedded default of `npm start` without KAFKA_BROKERS. One partition per
 * topic, offsets per group, everything lost at exit — fine for a desk demo, never for production
 * (main says so at start-up). Semantics match the Kafka bus where callers can tell: publish is
 * ordered, a subscription's outputs and its offset commit happen together, failed batches retry.
 */
import type { Bus, InboundMessage, OutboundRecord, RunningSubscription, Subscription } from './bus.js';

/** Stops an unbounded embedded log from eating the heap: older entries are dropped past this. */
const DEFAULT_RETAINED_MESSAGES_PER_TOPIC = 100_000;
const BATCH_MAX_MESSAGES = 100;
const RETRY_BACKOFF_MAX_MS = 2_000;

interface TopicLog { baseOffset: number; messages: InboundMessage[] }

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly logs = new Map<string, TopicLog>();
  private readonly committed = new Map<string, number>();
  private readonly members = new Set<string>();
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly retainedMessagesPerTopic = DEFAULT_RETAINED_MESSAGES_PER_TOPIC) {}

  async publish(records: readonly OutboundRecord[]): Promise<void> {
    if (this.closed) throw new Error('the memory bus is closed');
    this.append(records);
  }

  async subscribe(subscription: Subscription): Promise<RunningSubscription> {
    const member = `${subscription.groupId}\u0000${subscription.topic}`;
    // One member per group and topic: with one partition, a second member would get nothing anyway.
    if (this.members.has(member)) throw new Error(`group ${subscription.groupId} already consumes ${subscription.topic} on the memory bus`);
    this.members.add(member);
    let running = true;
    const loop = this.consumeLoop(subscription, member, () => running);
    return {
      stop: async () => {
        running = false;
        this.wake();
        await loop;
        this.members.delete(member);
      },
    };
  }

  async readToEnd(topic: string, onMessage: (message: InboundMessage) => void | Promise<void>): Promise<void> {
    const snapshot = [...(this.logs.get(topic)?.messages ?? [])];
    for (const message of snapshot) await onMessage(message);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
  }

  /** Everything currently retained in a topic (for tests and the embedded desk page). */
  messages(topic: string): readonly InboundMessage[] {
    return this.logs.get(topic)?.messages ?? [];
  }

  private append(records: readonly OutboundRecord[]): void {
    for (const r of records) {
      const log = this.logs.get(r.topic) ?? { baseOffset: 0, messages: [] };
      this.logs.set(r.topic, log);
      const offset = log.baseOffset + log.messages.length;
      log.messages.push({ topic: r.topic, partition: 0, offset: String(offset), key: Buffer.from(r.key), value: Buffer.from(r.value), headers: { ...r.headers } });
      if (log.messages.length > this.retainedMessagesPerTopic) {
        const dropped = log.messages.length - this.retainedMessagesPerTopic;
        log.messages.splice(0, dropped);
        log.baseOffset += dropped;
      }
    }
    this.wake();
  }

  private async consumeLoop(s: Subscription, member: string, isRunning: () => boolean): Promise<void> {
    let failures = 0;
    while (isRunning() && !this.closed) {
      const log = this.logs.get(s.topic);
      const start = this.committed.get(member) ?? (s.fromBeginning ? 0 : log ? log.baseOffset + log.messages.length : 0);
      this.committed.set(member, start);
      const from = log ? Math.max(start, log.baseOffset) : start;
      const batch = log ? log.messages.slice(from - log.baseOffset, from - log.baseOffset + (s.maxMessagesPerTransaction ?? BATCH_MAX_MESSAGES)) : [];
      if (batch.length === 0) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      try {
        const out = await s.handle(batch);
        // Outputs and the offset together, with no await in between: the memory bus's "transaction".
        this.append(out);
        this.committed.set(member, from + batch.length);
        failures = 0;
      } catch (error) {
        failures++;
        s.onError?.(error);
        await sleep(Math.min(RETRY_BACKOFF_MAX_MS, 50 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
