/**
 * The one delivery consumer: a topic's messages sent, in order, to a system outside the gateway (the 医保
 * platform, each insurer). An adapter gives only what is its own — how a message reads, how one event is sent
 * and what its answer says (done, refused; a transient failure throws), where it keeps what was delivered and
 * what is dead, and its bounds — and this does the rest, the same way for every delivery:
 *
 * - **Order**: a message that cannot be delivered yet holds its partition (nothing behind it overtakes it).
 *   A batch is worked on for a bounded time, then handed back to the bus (which retries it; what was delivered
 *   is skipped), so a Kafka consumer keeps heart-beating and stop and rebalances stay prompt.
 * - **Retry and breaker**: sends go through one breaker (gateway/resilience/breaker.ts); while it is open nothing
 *   is sent and no attempt counted (the wait ends when it half-opens). Transient failures are retried with the
 *   one backoff; `lastError` keeps the last real failure, never the breaker's own refusal.
 * - **Dead letters, bounded**: a message refused `refusals` times, failing transiently `transientAttempts` times,
 *   or at the head while the other side has answered nothing for `unreachableMs` (counted on real calls only,
 *   never on the breaker's refusal) is dead-lettered to the DLQ topic with the reason.
 * - **Per-person hold**: once a person's message is dead, their later messages follow it to the DLQ unsent, so
 *   the other side never sees a reversal before its settlement.
 * - **Replay**: the dead messages (the DLQ topic to its end, and any the adapter recorded dead whose letter is not
 *   visible yet) re-sent in their original order, each once; a person's messages after one that fails again stay
 *   dead behind it; a person all of whose messages went out is released.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { deadLetter, type DeadLetter } from '../../schemas/messages.js';
import type { Problem } from '../../schemas/problem.js';
import { SubscriptionCrashed, type Bus, type InboundMessage, type OutboundRecord, type RunningSubscription } from '../stream/bus.js';
import { backoffMs, type Backoff } from './backoff.js';
import { Breaker, BreakerOpen, type BreakerOptions, type BreakerState } from './breaker.js';

/** What one send's answer says; a transient failure (down, slow, 5xx) throws instead. */
export type SendOutcome<A> = { kind: 'done'; answer: A } | { kind: 'refused'; reason: string };

/** A message read as something to send: its id (the adapter's key of what it records), its person, the event. */
export interface Item<E> { id: string; person: string | null; message: InboundMessage; event: E }

export type Reading<E> = { kind: 'send'; item: Item<E> } | { kind: 'pass' } | { kind: 'unreadable'; reason: string };

/** What the adapter knows of an item already. */
type Known = { kind: 'done' } | { kind: 'dead'; reason: string } | null;

/** Where an adapter keeps what was delivered and what is dead (its own document store, its own shapes). */
export interface DeliveryLedger<E, A> {
  known(item: Item<E>): Promise<Known>;
  /** The id of the person's earlier message that is dead and not delivered since, or null when not held. */
  heldBehind(item: Item<E>): Promise<string | null>;
  delivered(item: Item<E>, answer: A, replayed: boolean): Promise<void>;
  /** Dead (and its person held behind it). */
  dead(item: Item<E>, reason: string, attempts: number): Promise<void>;
  /** A replay delivered every dead message of the person: they are no longer held. */
  release(person: string): Promise<void>;
  /** Messages recorded dead whose letters may not be on the DLQ topic yet (their originals), for a replay. */
  recordedDead(): Promise<InboundMessage[]>;
}

/** The words of an adapter's reasons and letters (shown to operators, in Chinese). */
interface DeliveryWords {
  refused(reason: string, attempts: number): string;
  exhausted(reason: string, attempts: number): string;
  unreachable(sinceIso: string, boundMs: number, reason: string): string;
  held(behindId: string): string;
  /** The dead letter's problem document for a reason (`unreadable`: the message itself cannot be read). */
  problem(reason: string, unreadable: boolean): Problem;
}

export type DeliveryOutcome = 'delivered' | 'duplicate' | 'retried' | 'refused' | 'dead' | 'held' | 'waiting' | 'replayed' | 'passed' | 'unreadable';

export interface DeliveryBounds {
  /** Refusals of one message before it is dead-lettered (1: at the first). */
  refusals: number;
  /** Transient failures of one message before it is dead-lettered. */
  transientAttempts?: number;
  /** How long the other side may answer nothing (real calls only) before the message at the head is dead-lettered. */
  unreachableMs?: number;
  backoff: Backoff;
}

export interface DeliveryOptions<E, A> {
  /** For logs: `nhsa delivery`, `insurer chinalife-weihai`. */
  name: string;
  bus: Bus;
  topic: string;
  dlqTopic: string;
  groupId: string;
  read(message: InboundMessage): Reading<E>;
  send(event: E): Promise<SendOutcome<A>>;
  ledger: DeliveryLedger<E, A>;
  words: DeliveryWords;
  bounds: DeliveryBounds;
  breaker: Omit<BreakerOptions<[E], SendOutcome<A>>, 'call' | 'isAnswer' | 'onState' | 'metrics'> & { state: { name: string; help: string; label?: string } };
  registry: Registry;
  log: Logger;
  /** Called before every send (an insurer's rate limit); resolves early when `signal` aborts. */
  beforeSend?(signal: AbortSignal): Promise<void>;
  /** Each outcome, for the adapter's own counters. */
  count(outcome: DeliveryOutcome, item?: Item<E>): void;
  /** Messages of the batch not yet delivered or dead-lettered. */
  waiting?(messages: number): void;
  /** An item is being tried (its lag), or was delivered. */
  attempting?(item: Item<E>): void;
  onDelivered?(item: Item<E>, answer: A): void;
  onState?(state: BreakerState): void;
  /** How long one batch may be worked on before it is handed back to the bus. */
  batchBudgetMs?: number;
  /** How long a replay may work (under the HTTP request timeout); what is left stays dead, for the next replay. */
  replayBudgetMs?: number;
  clock?: () => Date;
}

/** The batch goes back to the bus unfinished (budget spent, or stopping). */
class HandBack extends Error { constructor(why: string) { super(`delivery batch handed back to the bus: ${why}`); this.name = 'HandBack'; } }

/** A person's messages in their order: by partition, then offset (decimal text, compared as numbers). */
function byOriginalOrder(a: InboundMessage, b: InboundMessage): number {
  if (a.partition !== b.partition) return a.partition - b.partition;
  return a.offset.length - b.offset.length || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0);
}

export function originalOf(message: InboundMessage): DeadLetter['original'] {
  return {
    topic: message.topic, partition: message.partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, headers: message.headers,
    value: message.value?.toString('utf8') ?? null, valueEncoding: 'utf8',
  };
}

export function messageOf(original: DeadLetter['original']): InboundMessage {
  return {
    topic: original.topic, partition: original.partition, offset: original.offset, headers: original.headers,
    key: original.key === null ? null : Buffer.from(original.key), value: original.value === null ? null : Buffer.from(original.value, 'utf8'),
  };
}

export interface ReplayResult { replayed: string[]; failed: Array<{ id: string; reason: string }>; skipped: number }

export class DeliveryConsumer<E, A> {
  private readonly breaker: Breaker<[E], SendOutcome<A>>;
  private readonly abort = new AbortController();
  private readonly wakers = new Set<() => void>();
  private subscription: RunningSubscription | null = null;
  /** Since when the other side has answered nothing (real calls only); null while it answers. */
  private unreachableSinceMs: number | null = null;
  private last: string | undefined;
  /** Tries per item in this process, kept across hand-backs of its batch (a restart gives an item its tries again: harmless). */
  private readonly tries = new Map<string, { refusals: number; failures: number }>();

  constructor(private readonly options: DeliveryOptions<E, A>) {
    this.breaker = new Breaker({
      ...options.breaker,
      call: (event: E) => options.send(event),
      onState: (state) => {
        if (state === 'halfOpen') this.wakeAll();
        options.onState?.(state);
      },
      metrics: { registry: options.registry, state: options.breaker.state },
    });
  }

  get breakerState(): BreakerState { return this.breaker.state; }
  /** The last real failure (a call that failed or timed out, or a refusal), never the breaker's own refusal. */
  get lastError(): string | undefined { return this.last; }

  async start(): Promise<void> {
    const { name, log } = this.options;
    this.subscription = await this.options.bus.subscribe({
      topic: this.options.topic,
      groupId: this.options.groupId,
      // A new group starts at the beginning: messages published before the first start are not skipped.
      fromBeginning: true,
      handle: (messages) => this.handle(messages),
      onError: (error) => {
        if (error instanceof HandBack) return;
        if (error instanceof SubscriptionCrashed) {
          log.error({ reason: error.reason, restartInMs: error.restartInMs }, `${name}: Kafka consumer crashed and kafkajs gave it up; a new one starts after restartInMs, from the committed offsets`);
          return;
        }
        log.warn({ err: error instanceof Error ? error.message : String(error) }, `${name}: batch failed; retried`);
      },
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeAll();
    await this.subscription?.stop();
    this.breaker.shutdown();
  }

  /** One partition's messages in order: each delivered, dead-lettered (its letter returned for the DLQ topic), held behind a dead one, or passed by. */
  async handle(messages: readonly InboundMessage[]): Promise<OutboundRecord[]> {
    const deadline = Date.now() + (this.options.batchBudgetMs ?? 5_000);
    const letters: OutboundRecord[] = [];
    for (let i = 0; i < messages.length; i++) {
      this.options.waiting?.(messages.length - i);
      const letter = await this.handleOne(messages[i]!, deadline);
      if (letter) letters.push(letter);
    }
    this.options.waiting?.(0);
    return letters;
  }

  private async handleOne(message: InboundMessage, deadline: number): Promise<OutboundRecord | null> {
    const { ledger, words, count } = this.options;
    const reading = this.options.read(message);
    if (reading.kind === 'pass') { count('passed'); return null; }
    if (reading.kind === 'unreadable') { count('unreadable'); return this.letter(message, reading.reason, true); }
    const { item } = reading;
    const known = await ledger.known(item);
    if (known?.kind === 'done') { count('duplicate', item); return null; }
    // Dead-lettered before the batch's offsets were committed: the letter again.
    if (known?.kind === 'dead') return this.letter(message, known.reason, false);
    const behind = await ledger.heldBehind(item);
    if (behind !== null) {
      const reason = words.held(behind);
      await ledger.dead(item, reason, 0);
      count('held', item);
      this.options.log.warn({ id: item.id, behind }, `${this.options.name}: held behind an earlier dead letter of the same person`);
      return this.letter(message, reason, false);
    }
    const reason = await this.deliver(item, deadline, false);
    return reason === null ? null : this.letter(message, reason, false);
  }

  /** Delivers one item (a replay's again); answers the reason when it is dead-lettered. */
  private async deliver(item: Item<E>, deadline: number, replay: boolean): Promise<string | null> {
    const { bounds, words, count } = this.options;
    const tries = this.tries.get(item.id) ?? { refusals: 0, failures: 0 };
    this.tries.set(item.id, tries);
    for (;;) {
      if (this.abort.signal.aborted) throw new HandBack('stopping');
      if (Date.now() > deadline) throw new HandBack(this.last ?? 'budget spent');
      this.options.attempting?.(item);
      await this.options.beforeSend?.(this.abort.signal);
      if (this.abort.signal.aborted) throw new HandBack('stopping');
      let wait: number;
      try {
        const outcome = await this.breaker.fire(item.event);
        this.unreachableSinceMs = null;
        if (outcome.kind === 'done') {
          this.tries.delete(item.id);
          await this.options.ledger.delivered(item, outcome.answer, replay);
          count(replay ? 'replayed' : 'delivered', item);
          this.options.onDelivered?.(item, outcome.answer);
          return null;
        }
        tries.refusals++;
        this.last = `${item.id}: ${outcome.reason}`;
        count('refused', item);
        if (tries.refusals >= bounds.refusals) return this.kill(item, words.refused(outcome.reason, tries.refusals), tries.refusals, replay);
        wait = backoffMs(tries.refusals - 1, bounds.backoff);
      } catch (error) {
        if (error instanceof BreakerOpen) {
          // Nothing was sent: wait for the half-open probe (woken), without counting an attempt.
          count('waiting', item);
          const open = this.breaker.opened;
          await this.sleep(Math.max(0, Math.min(open ? this.options.breaker.resetMs : bounds.backoff.initialMs, deadline - Date.now())));
          continue;
        }
        const message = error instanceof Error ? error.message : String(error);
        this.last = message;
        tries.failures++;
        this.unreachableSinceMs ??= Date.now();
        if (bounds.transientAttempts !== undefined && tries.failures >= bounds.transientAttempts) return this.kill(item, words.exhausted(message, tries.failures), tries.failures, replay);
        if (bounds.unreachableMs !== undefined && Date.now() - this.unreachableSinceMs >= bounds.unreachableMs) {
          return this.kill(item, words.unreachable(new Date(this.unreachableSinceMs).toISOString(), bounds.unreachableMs, message), tries.failures, replay);
        }
        count('retried', item);
        wait = backoffMs(tries.failures - 1, bounds.backoff);
      }
      await this.sleep(Math.max(0, Math.min(wait, deadline - Date.now())));
    }
  }

  /** Dead (again, in a replay: recorded with the new reason, not counted or lettered twice). */
  private async kill(item: Item<E>, reason: string, attempts: number, replay: boolean): Promise<string> {
    this.tries.delete(item.id);
    await this.options.ledger.dead(item, reason, attempts);
    if (!replay) this.options.count('dead', item);
    this.options.log.warn({ id: item.id, attempts, reason }, `${this.options.name}: ${replay ? 'replay failed, still dead-lettered' : 'dead-lettered'}`);
    return reason;
  }

  private letter(message: InboundMessage, reason: string, unreadable: boolean): OutboundRecord {
    const letter: DeadLetter = { problem: this.options.words.problem(reason, unreadable), original: originalOf(message), deadAt: this.now() };
    return { topic: this.options.dlqTopic, key: message.key?.toString('utf8') ?? `${message.partition}.${message.offset}`, value: JSON.stringify(letter), headers: { ...message.headers, 'content-type': 'application/json' } };
  }

  /**
   * Re-sends every dead message not delivered since, in its original order (a person's messages are on one
   * partition): the letters of the DLQ topic (read to its end), then those recorded dead whose letters are not
   * visible there yet. For after the cause is fixed. Each is delivered as the consumer delivers (the breaker's
   * wait, retries, the same bounds), within the replay's budget. One that is refused or exhausted again stays dead
   * with the new reason, one not delivered within the budget stays dead as it was, and its person's later ones
   * stay dead behind it, unsent; a person all of whose messages went out is released.
   */
  async replay(): Promise<ReplayResult> {
    const { ledger, words } = this.options;
    const candidates: InboundMessage[] = [];
    await this.options.bus.readToEnd(this.options.dlqTopic, (raw) => {
      let json: unknown;
      try { json = JSON.parse(raw.value?.toString('utf8') ?? 'null'); } catch { return; }
      const letter = deadLetter.safeParse(json);
      if (letter.success) candidates.push(messageOf(letter.data.original));
    });
    candidates.push(...await ledger.recordedDead());
    candidates.sort(byOriginalOrder);
    const result: ReplayResult = { replayed: [], failed: [], skipped: 0 };
    const seen = new Set<string>();
    /** Persons with a message dead again in this replay (the id that holds them), and persons with one sent. */
    const stillHeld = new Map<string, string>();
    const sent = new Set<string>();
    const deadline = Date.now() + (this.options.replayBudgetMs ?? 8_000);
    for (const message of candidates) {
      const reading = this.options.read(message);
      if (reading.kind !== 'send') { result.skipped++; continue; }
      const { item } = reading;
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      if ((await ledger.known(item))?.kind === 'done') { result.skipped++; continue; }
      const behind = item.person === null ? undefined : stillHeld.get(item.person);
      if (behind !== undefined) {
        const reason = words.held(behind);
        await ledger.dead(item, reason, 0);
        result.failed.push({ id: item.id, reason });
        continue;
      }
      let reason: string | null;
      try {
        reason = await this.deliver(item, deadline, true);
      } catch (error) {
        if (!(error instanceof HandBack)) throw error;
        reason = `未能在重放时限内投递（${this.last ?? '对方无应答'}）：仍在死信中，请再次重放`;
      }
      if (reason === null) {
        result.replayed.push(item.id);
        if (item.person !== null) sent.add(item.person);
        continue;
      }
      result.failed.push({ id: item.id, reason });
      if (item.person !== null) stillHeld.set(item.person, item.id);
    }
    for (const person of sent) if (!stillHeld.has(person)) await ledger.release(person);
    return result;
  }

  /** Sleeps until `ms` pass, the breaker half-opens or the consumer stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const { signal } = this.abort;
      if (signal.aborted) return resolve();
      const wake = () => { clearTimeout(timer); this.wakers.delete(wake); signal.removeEventListener('abort', wake); resolve(); };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  private wakeAll(): void { for (const wake of [...this.wakers]) wake(); }
  private now(): string { return (this.options.clock?.() ?? new Date()).toISOString(); }
}
