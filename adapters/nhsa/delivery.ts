/**
 * Delivery of nhsa.settlements to the 医保 platform. A consumer (group nhsa-delivery) posts each
 * message, in order per partition, behind a breaker (gateway/resilience: timeout, error threshold, half-open
 * probe), retrying transient failures with capped exponential backoff and full jitter. The platform's
 * acknowledgement is recorded per message (nhsa.deliveries), so a batch redone after a crash or a
 * retry never posts an acknowledged message twice. A message the platform rejects (4xx, or infcode -1),
 * or one that keeps failing for maxAttempts, is dead-lettered to nhsa.settlements.dlq with the reason
 * and can be replayed once the cause is fixed (POST /v1/nhsa/dead-letters/replay).
 *
 * Order: a failing message holds its partition (the messages behind it wait) until it is acknowledged
 * or dead-lettered — the platform must see a person's settlement before its reversal. A dead letter
 * holds its person (person-hold.ts): their later messages follow it to the dead-letter topic unposted,
 * and a replay re-posts them in their order. Settlement itself never waits for any of this: it commits
 * to the ledger; the relay publishes; this consumer follows.
 *
 * A refusal's text is kept masked (ID numbers, the message's person): platforms echo what they refuse.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { deadLetter, type DeadLetter } from '../../schemas/messages.js';
import { backoffMs } from '../../gateway/resilience/backoff.js';
import { Breaker, BreakerOpen, type BreakerState } from '../../gateway/resilience/breaker.js';
import type { DocumentStore } from '../../gateway/store/port.js';
import { SubscriptionCrashed, type Bus, type InboundMessage, type OutboundRecord, type RunningSubscription } from '../../gateway/stream/bus.js';
import { byOriginalOrder, heldBehind, heldReason, holdEntries } from './person-hold.js';
import { PlatformRequests, Unsendable, type DeliveryFormat, type PlatformRequestOptions } from './platform-request.js';

export const DELIVERIES = 'nhsa.deliveries';

export interface DeliveryOptions {
  bus: Bus;
  store: DocumentStore;
  topic: string;
  dlqTopic: string;
  groupId: string;
  url: string;
  /** Bearer token for the platform, if it wants one. */
  token?: string | undefined;
  /** `gateway` (default): the message as it is; `national`: a 2304/2305 call in the national envelope (platform-request.ts). */
  format?: DeliveryFormat;
  /** The hospital's region and name for the national envelope (HOSPITALS_FILE). */
  hospitalOf?: PlatformRequestOptions['hospitalOf'];
  timeoutMs: number;
  maxAttempts: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  breakerResetMs: number;
  /** How long one batch may be worked on before it is handed back to the bus (which retries it): keeps a consumer responsive to stop and rebalance. */
  batchBudgetMs?: number;
  registry: Registry;
  log: Logger;
  clock?: () => Date;
}

/** The platform refused the message: retrying the same content will not help. */
class Rejected extends Error { constructor(message: string) { super(message); this.name = 'Rejected'; } }
/** The batch is handed back to the bus unfinished (budget spent, or stopping). */
class HandBack extends Error { constructor() { super('delivery batch handed back to the bus'); this.name = 'HandBack'; } }

type Original = DeadLetter['original'];

/** What nhsa.deliveries keeps per message. A dead one keeps its original beside the reason, so a replay does not wait for the DLQ transaction to be visible. */
const deliveryRecord = z.object({
  status: z.enum(['acked', 'dead']),
  attempts: z.int(),
  at: z.string(),
  reason: z.string().optional(),
  replayed: z.boolean().optional(),
  original: deadLetter.shape.original.optional(),
});
type DeliveryRecord = z.infer<typeof deliveryRecord>;

const deliveryDoc = (status: DeliveryRecord['status'], attempts: number, at: string, reason?: string, replayed?: boolean, original?: Original): string => {
  const record: DeliveryRecord = { status, attempts, at, ...(reason ? { reason } : {}), ...(replayed ? { replayed } : {}), ...(original ? { original } : {}) };
  return JSON.stringify(record);
};
const readRecord = (text: string): DeliveryRecord => deliveryRecord.parse(JSON.parse(text));

function originalOf(message: InboundMessage): Original {
  return {
    topic: message.topic, partition: message.partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, headers: message.headers,
    value: message.value?.toString('utf8') ?? null, valueEncoding: 'utf8',
  };
}

function messageOf(original: Original): InboundMessage {
  return {
    topic: original.topic, partition: original.partition, offset: original.offset, headers: original.headers,
    key: original.key === null ? null : Buffer.from(original.key), value: original.value === null ? null : Buffer.from(original.value, 'utf8'),
  };
}

const storeIdOf = (message: InboundMessage): string =>
  (message.headers.ce_id && /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(message.headers.ce_id) ? message.headers.ce_id : `${message.topic}-${message.partition}-${message.offset}`.replace(/[^A-Za-z0-9._-]/g, '_'));

export class NhsaDelivery {
  private readonly breaker: Breaker<[InboundMessage], void>;
  private readonly attempts = new Map<string, number>();
  private subscription: RunningSubscription | null = null;
  private stopping = false;
  private readonly wakers = new Set<() => void>();
  private readonly metrics;
  private readonly requests: PlatformRequests;

  constructor(private readonly options: DeliveryOptions) {
    this.requests = new PlatformRequests({
      format: options.format ?? 'gateway', token: options.token, store: options.store,
      ...(options.hospitalOf ? { hospitalOf: options.hospitalOf } : {}), ...(options.clock ? { clock: options.clock } : {}),
    });
    this.breaker = new Breaker({
      call: (message: InboundMessage) => this.post(message),
      name: 'nhsa',
      timeoutMs: options.timeoutMs,
      resetMs: options.breakerResetMs,
      // A rejection is the platform answering: it says nothing about the platform being down.
      isAnswer: (error: unknown) => error instanceof Rejected,
      onState: (state) => {
        if (state === 'open') options.log.warn('nhsa delivery: breaker open (the platform keeps failing); deliveries wait');
        if (state === 'halfOpen') this.wakeAll();
        if (state === 'closed') options.log.info('nhsa delivery: breaker closed');
      },
      metrics: { registry: options.registry, state: { name: 'gateway_nhsa_breaker_state', help: 'Platform breaker: 0 closed, 1 half-open, 2 open' } },
    });
    const registers = [options.registry];
    this.metrics = {
      deliveries: new Counter({ name: 'gateway_nhsa_deliveries_total', help: 'Deliveries of nhsa.settlements to the platform by outcome', labelNames: ['outcome'] as const, registers }),
      deadLetters: new Counter({ name: 'gateway_nhsa_dead_letters_total', help: 'Messages dead-lettered to nhsa.settlements.dlq', registers }),
      lag: new Gauge({ name: 'gateway_nhsa_delivery_lag_seconds', help: 'Age of the message last acknowledged by the platform (time since it was committed)', registers }),
    };
  }

  get breakerState(): BreakerState { return this.breaker.state; }

  async start(): Promise<void> {
    this.subscription = await this.options.bus.subscribe({
      topic: this.options.topic,
      groupId: this.options.groupId,
      fromBeginning: true,
      handle: (messages) => this.handle(messages),
      onError: (error) => {
        if (error instanceof HandBack) return;
        if (error instanceof SubscriptionCrashed) {
          this.options.log.error({ reason: error.reason, restartInMs: error.restartInMs }, 'nhsa delivery: Kafka consumer crashed and kafkajs gave it up; a new one starts after restartInMs, from the committed offsets');
          return;
        }
        this.options.log.error({ err: error instanceof Error ? error.message : String(error) }, 'nhsa delivery: batch failed; retried');
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeAll();
    await this.subscription?.stop();
    this.breaker.shutdown();
  }

  /** One partition's messages in order: each acknowledged, or dead-lettered (returned for the DLQ topic), or held behind a dead one of its person. */
  async handle(messages: readonly InboundMessage[]): Promise<OutboundRecord[]> {
    const deadline = Date.now() + (this.options.batchBudgetMs ?? 5_000);
    const letters: OutboundRecord[] = [];
    for (const message of messages) {
      const id = storeIdOf(message);
      const known = await this.options.store.get(DELIVERIES, id);
      if (known !== null) {
        const doc = readRecord(known);
        if (doc.status === 'acked') { this.metrics.deliveries.inc({ outcome: 'duplicate' }); continue; }
        // Dead-lettered before the offset commit went through: emit the letter again.
        letters.push(this.letter(message, doc.reason ?? 'dead-lettered'));
        continue;
      }
      const behind = await heldBehind(this.options.store, DELIVERIES, message);
      if (behind !== null) {
        letters.push(this.letter(message, await this.hold(message, id, behind)));
        continue;
      }
      const dead = await this.deliver(message, id, deadline);
      if (dead) letters.push(this.letter(message, dead));
    }
    return letters;
  }

  /** Delivers one message; answers the reason when it is dead-lettered. */
  private async deliver(message: InboundMessage, id: string, deadline: number): Promise<string | null> {
    for (;;) {
      if (this.stopping || Date.now() > deadline) throw new HandBack();
      if (this.breaker.opened) {
        this.metrics.deliveries.inc({ outcome: 'waiting' });
        await this.sleep(Math.min(this.options.breakerResetMs, deadline - Date.now()));
        continue;
      }
      try {
        await this.breaker.fire(message);
        this.attempts.delete(id);
        await this.options.store.put(DELIVERIES, id, deliveryDoc('acked', 1, this.now()), { index: { state: 0 } });
        this.metrics.deliveries.inc({ outcome: 'acked' });
        const time = message.headers.ce_time ? Date.parse(message.headers.ce_time) : NaN;
        if (Number.isFinite(time)) this.metrics.lag.set(Math.max(0, (Date.now() - time) / 1000));
        return null;
      } catch (error) {
        if (error instanceof Rejected) return this.deadLetter(message, id, `医保平台拒收：${error.message}`, 1);
        if (error instanceof BreakerOpen) {
          // Half-open with another partition's probe in flight: wait for its verdict, without counting an attempt.
          if (!this.breaker.opened) await this.sleep(Math.min(this.options.backoffInitialMs, Math.max(0, deadline - Date.now())));
          continue;
        }
        const tried = (this.attempts.get(id) ?? 0) + 1;
        this.attempts.set(id, tried);
        this.metrics.deliveries.inc({ outcome: 'retry' });
        if (tried >= this.options.maxAttempts) return this.deadLetter(message, id, `投递失败 ${tried} 次：${error instanceof Error ? error.message : String(error)}`, tried);
        // Full jitter: gateways retrying after an outage spread out instead of hammering the platform in step.
        const wait = backoffMs(tried - 1, { initialMs: this.options.backoffInitialMs, maxMs: this.options.backoffMaxMs });
        await this.sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
      }
    }
  }

  private async deadLetter(message: InboundMessage, id: string, reason: string, attempts: number): Promise<string> {
    this.attempts.delete(id);
    await this.recordDead(message, id, reason, attempts);
    this.metrics.deliveries.inc({ outcome: 'dead' });
    this.metrics.deadLetters.inc();
    this.options.log.warn({ id, reason }, 'nhsa delivery: dead-lettered');
    return reason;
  }

  /** A later message of a held person: to the dead-letter topic unposted, so that it cannot overtake the dead one. */
  private async hold(message: InboundMessage, id: string, behind: string): Promise<string> {
    const reason = heldReason(behind);
    await this.recordDead(message, id, reason, 0);
    this.metrics.deliveries.inc({ outcome: 'held' });
    this.metrics.deadLetters.inc();
    this.options.log.warn({ id, behind }, 'nhsa delivery: held behind an earlier dead letter of the same person');
    return reason;
  }

  /** Dead in nhsa.deliveries, with the original (for the replay) and the entry that holds its person, in one put. */
  private async recordDead(message: InboundMessage, id: string, reason: string, attempts: number): Promise<void> {
    await this.options.store.put(DELIVERIES, id, deliveryDoc('dead', attempts, this.now(), reason, false, originalOf(message)), { index: { state: 1, ...holdEntries(message) } });
  }

  private letter(message: InboundMessage, reason: string): OutboundRecord {
    const letter: DeadLetter = {
      problem: { type: 'https://settlement-gateway.example/problems/nhsa-delivery-failed', title: 'Delivery to the 医保 platform failed', status: 502, detail: reason, errors: [] },
      original: originalOf(message),
      deadAt: this.now(),
    };
    return { topic: this.options.dlqTopic, key: message.key?.toString('utf8') ?? storeIdOf(message), value: JSON.stringify(letter), headers: { ...message.headers, 'content-type': 'application/json' } };
  }

  /**
   * Re-posts every dead letter not acknowledged since: the letters of nhsa.settlements.dlq (read to its
   * end) and any recorded dead here whose letter is not visible there yet, in their original order (a
   * person's messages are on one partition). For after the cause is fixed; a letter that fails again
   * stays dead, with the new reason, and its person's later letters stay dead behind it, unposted.
   */
  async replayDeadLetters(): Promise<{ replayed: number; failed: Array<{ id: string; reason: string }>; skipped: number }> {
    const candidates: InboundMessage[] = [];
    await this.options.bus.readToEnd(this.options.dlqTopic, (raw) => {
      const letter = deadLetter.safeParse(JSON.parse(raw.value?.toString('utf8') ?? 'null'));
      if (letter.success) candidates.push(messageOf(letter.data.original));
    });
    const deadIds = await this.options.store.range(DELIVERIES, 'state', 1, 1, { limit: 1000 });
    const seenOnTopic = new Set(candidates.map(storeIdOf));
    const storeOnly = deadIds.filter((id) => !seenOnTopic.has(id));
    const docs = storeOnly.length > 0 ? await this.options.store.getMany(DELIVERIES, storeOnly) : [];
    for (const text of docs) {
      const original = text ? readRecord(text).original : undefined;
      if (original) candidates.push(messageOf(original));
    }
    candidates.sort(byOriginalOrder);
    const result = { replayed: 0, failed: [] as Array<{ id: string; reason: string }>, skipped: 0 };
    const done = new Set<string>();
    for (const original of candidates) {
      const id = storeIdOf(original);
      const known = await this.options.store.get(DELIVERIES, id);
      if (done.has(id) || (known !== null && readRecord(known).status === 'acked')) { result.skipped++; continue; }
      done.add(id);
      // Its person's earliest dead message must be this one: an earlier one that failed again (or was not
      // found) still holds them, and posting this one would overtake it.
      const behind = await heldBehind(this.options.store, DELIVERIES, original);
      if (behind !== null && behind !== id) { result.failed.push({ id, reason: heldReason(behind) }); continue; }
      try {
        await this.breaker.fire(original);
        await this.options.store.put(DELIVERIES, id, deliveryDoc('acked', 1, this.now(), undefined, true), { index: { state: 0 } });
        this.metrics.deliveries.inc({ outcome: 'replayed' });
        result.replayed++;
      } catch (error) {
        const reason = error instanceof Rejected ? `医保平台拒收：${error.message}` : error instanceof Error ? error.message : String(error);
        await this.recordDead(original, id, reason, 1);
        result.failed.push({ id, reason });
      }
    }
    return result;
  }

  /** Messages dead and not acknowledged since, with why (at most 1000). */
  async deadLetters(): Promise<Array<{ id: string; reason: string; attempts: number; at: string }>> {
    const ids = await this.options.store.range(DELIVERIES, 'state', 1, 1, { limit: 1000 });
    const docs = ids.length > 0 ? await this.options.store.getMany(DELIVERIES, ids) : [];
    return ids.flatMap((id, i) => {
      const text = docs[i];
      if (!text) return [];
      const doc = readRecord(text);
      return [{ id, reason: doc.reason ?? '', attempts: doc.attempts, at: doc.at }];
    });
  }

  private async post(message: InboundMessage): Promise<void> {
    let request;
    try {
      request = await this.requests.build(message);
    } catch (error) {
      if (error instanceof Unsendable) throw new Rejected(error.message);
      throw error;
    }
    const response = await fetch(this.options.url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(this.options.timeoutMs) });
    const verdict = await this.requests.answered(message, request, response.status, await response.text());
    if (verdict.kind === 'refused') throw new Rejected(verdict.reason);
    if (verdict.kind === 'transient') throw new Error(verdict.reason);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => { clearTimeout(timer); this.wakers.delete(wake); resolve(); };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.wakers.add(wake);
    });
  }

  private wakeAll(): void { for (const wake of [...this.wakers]) wake(); }
  private now(): string { return (this.options.clock?.() ?? new Date()).toISOString(); }
}
