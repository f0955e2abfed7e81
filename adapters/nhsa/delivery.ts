/**
 * Delivery of nhsa.settlements to the 医保 platform, on the one delivery consumer (gateway/resilience/delivery.ts:
 * order per partition, breaker, retries with backoff, dead letters, per-person hold, replay). What is the
 * platform's own is here: how one message is sent and its answer read (platform-request.ts: the gateway's JSON
 * or a national 2304/2305 call), where deliveries are recorded (nhsa.deliveries, so a batch redone after a crash
 * or a retry never posts an acknowledged message twice), the hold as an index of the dead records
 * (person-hold.ts), the bounds (a refusal — 4xx, infcode -1 — dead-letters at once; a transient failure after
 * maxAttempts), the reasons' words and the metrics.
 *
 * A refusal's text is kept masked (ID numbers, the message's person): platforms echo what they refuse.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import * as z from 'zod';
import { deadLetter } from '../../schemas/messages.js';
import { DeliveryConsumer, messageOf, originalOf, type DeliveryLedger, type DeliveryOutcome, type Item } from '../../gateway/resilience/delivery.js';
import type { BreakerState } from '../../gateway/resilience/breaker.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import type { Bus, InboundMessage, OutboundRecord } from '../../gateway/stream/bus.js';
import { heldBehind, heldReason, holdEntries } from './person-hold.js';
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
  /** The region's security (security/): signs or encrypts the body and adds headers, as the last step of building each post. */
  seal?: PlatformRequestOptions['seal'];
}

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
const readRecord = (text: string): DeliveryRecord => deliveryRecord.parse(JSON.parse(text));

const storeIdOf = (message: InboundMessage): string =>
  (message.headers.ce_id && /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(message.headers.ce_id) ? message.headers.ce_id : `${message.topic}-${message.partition}-${message.offset}`.replace(/[^A-Za-z0-9._-]/g, '_'));

/** The event sent is the message itself: the request is built from it on every attempt (the same msgid each time). */
type Event = InboundMessage;

export class NhsaDelivery {
  private readonly consumer: DeliveryConsumer<Event, null>;

  constructor(private readonly options: DeliveryOptions) {
    const registers = [options.registry];
    const metrics = {
      deliveries: new Counter({ name: 'gateway_nhsa_deliveries_total', help: 'Deliveries of nhsa.settlements to the platform by outcome', labelNames: ['outcome'] as const, registers }),
      deadLetters: new Counter({ name: 'gateway_nhsa_dead_letters_total', help: 'Messages dead-lettered to nhsa.settlements.dlq', registers }),
      lag: new Gauge({ name: 'gateway_nhsa_delivery_lag_seconds', help: 'Age of the message last acknowledged by the platform (time since it was committed)', registers }),
    };
    const outcomes: Partial<Record<DeliveryOutcome, string>> = { delivered: 'acked', duplicate: 'duplicate', retried: 'retry', dead: 'dead', held: 'held', waiting: 'waiting', replayed: 'replayed' };
    const requests = new PlatformRequests({
      format: options.format ?? 'gateway', token: options.token, store: options.store,
      ...(options.hospitalOf ? { hospitalOf: options.hospitalOf } : {}), ...(options.clock ? { clock: options.clock } : {}),
      ...(options.seal ? { seal: options.seal } : {}),
    });
    this.consumer = new DeliveryConsumer<Event, null>({
      name: 'nhsa delivery',
      bus: options.bus, topic: options.topic, dlqTopic: options.dlqTopic, groupId: options.groupId,
      read: (message) => ({ kind: 'send', item: { id: storeIdOf(message), person: message.key?.toString('utf8') || null, message, event: message } }),
      send: async (message) => {
        let request;
        try {
          request = await requests.build(message);
        } catch (error) {
          if (error instanceof Unsendable) return { kind: 'refused', reason: error.message };
          throw error;
        }
        const response = await fetch(options.url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(options.timeoutMs) });
        const verdict = await requests.answered(message, request, response.status, await response.text());
        if (verdict.kind === 'transient') throw new Error(verdict.reason);
        return verdict.kind === 'done' ? { kind: 'done', answer: null } : { kind: 'refused', reason: verdict.reason };
      },
      ledger: this.ledger(),
      words: {
        refused: (reason) => `医保平台拒收：${reason}`,
        exhausted: (reason, attempts) => `投递失败 ${attempts} 次：${reason}`,
        unreachable: (since, boundMs, reason) => `医保平台自 ${since} 起无应答（超过 ${boundMs} ms）：${reason}`,
        held: heldReason,
        problem: (reason) => ({ type: 'https://settlement-gateway.example/problems/nhsa-delivery-failed', title: 'Delivery to the 医保 platform failed', status: 502, detail: reason, errors: [] }),
      },
      bounds: { refusals: 1, transientAttempts: options.maxAttempts, backoff: { initialMs: options.backoffInitialMs, maxMs: options.backoffMaxMs } },
      breaker: {
        name: 'nhsa', timeoutMs: options.timeoutMs, resetMs: options.breakerResetMs,
        state: { name: 'gateway_nhsa_breaker_state', help: 'Platform breaker: 0 closed, 1 half-open, 2 open' },
      },
      registry: options.registry,
      log: options.log,
      count: (outcome) => {
        const label = outcomes[outcome];
        if (label) metrics.deliveries.inc({ outcome: label });
        if (outcome === 'dead' || outcome === 'held') metrics.deadLetters.inc();
      },
      onDelivered: (item) => {
        const time = item.message.headers.ce_time ? Date.parse(item.message.headers.ce_time) : NaN;
        if (Number.isFinite(time)) metrics.lag.set(Math.max(0, (Date.now() - time) / 1000));
      },
      onState: (state) => {
        if (state === 'open') options.log.warn('nhsa delivery: breaker open (the platform keeps failing); deliveries wait');
        if (state === 'closed') options.log.info('nhsa delivery: breaker closed');
      },
      ...(options.batchBudgetMs !== undefined ? { batchBudgetMs: options.batchBudgetMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  get breakerState(): BreakerState { return this.consumer.breakerState; }

  start(): Promise<void> { return this.consumer.start(); }
  stop(): Promise<void> { return this.consumer.stop(); }

  /** One partition's messages in order: each acknowledged, or dead-lettered (returned for the DLQ topic), or held behind a dead one of its person. */
  handle(messages: readonly InboundMessage[]): Promise<OutboundRecord[]> { return this.consumer.handle(messages); }

  /**
   * Re-posts every dead letter not acknowledged since, in their original order, once the cause is fixed
   * (gateway/resilience/delivery.ts, replay); `replayed` counts the messages acknowledged.
   */
  async replayDeadLetters(): Promise<{ replayed: number; failed: Array<{ id: string; reason: string }>; skipped: number }> {
    const result = await this.consumer.replay();
    return { replayed: result.replayed.length, failed: result.failed, skipped: result.skipped };
  }

  /** Messages dead and not acknowledged since, with why (at most 1000). */
  async deadLetters(): Promise<Array<{ id: string; reason: string; attempts: number; at: string }>> {
    const { store } = this.options;
    const ids = await store.range(DELIVERIES, 'state', 1, 1, { limit: 1000 });
    const docs = ids.length > 0 ? await store.getMany(DELIVERIES, ids) : [];
    return ids.flatMap((id, i) => {
      const text = docs[i];
      if (!text) return [];
      const doc = readRecord(text);
      return [{ id, reason: doc.reason ?? '', attempts: doc.attempts, at: doc.at }];
    });
  }

  /**
   * nhsa.deliveries: an acknowledged or a dead record per message. The hold is not a flag of its own: a dead
   * record carries its person's hold entry (person-hold.ts), and an acknowledgement (a put replacing it) drops it.
   */
  private ledger(): DeliveryLedger<Event, null> {
    const { store } = this.options;
    const now = () => (this.options.clock?.() ?? new Date()).toISOString();
    const put = (id: string, record: DeliveryRecord, index: Record<string, number>) => store.put(DELIVERIES, id, JSON.stringify(record), { index });
    return {
      known: async (item: Item<Event>) => {
        const text = await store.get(DELIVERIES, item.id);
        if (text === null) return null;
        const doc = readRecord(text);
        return doc.status === 'acked' ? { kind: 'done' } : { kind: 'dead', reason: doc.reason ?? 'dead-lettered' };
      },
      heldBehind: (item) => heldBehind(store, DELIVERIES, item.message),
      delivered: async (item, _answer, replayed) => {
        await put(item.id, { status: 'acked', attempts: 1, at: now(), ...(replayed ? { replayed } : {}) }, { state: 0 });
      },
      // Dead, with the original (for the replay) and the entry that holds its person, in one put.
      dead: async (item, reason, attempts) => {
        await put(item.id, { status: 'dead', attempts, at: now(), reason, original: originalOf(item.message) }, { state: 1, ...holdEntries(item.message) });
      },
      // Nothing to release: the hold lasts exactly while a dead record of the person does.
      release: async () => undefined,
      recordedDead: async () => {
        const ids = await store.range(DELIVERIES, 'state', 1, 1, { limit: 1000 });
        const docs = ids.length > 0 ? await store.getMany(DELIVERIES, ids) : [];
        return docs.flatMap((text) => {
          const original = text ? readRecord(text).original : undefined;
          return original ? [messageOf(original)] : [];
        });
      },
    };
  }
}
