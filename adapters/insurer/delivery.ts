/**
 * One insurer's claim delivery: a consumer of `insurer.<code>.claims` (group insurer-delivery-<code>)
 * that POSTs each claim and reversal, in order, to the insurer.
 *
 * Order and loss. Messages of one person share a partition; a message that cannot be delivered yet
 * holds its partition (nothing behind it overtakes it) until it is delivered or dead-lettered. The
 * handler gives up its batch after a bounded time (so a Kafka consumer keeps heart-beating) and the
 * bus hands the batch back; the state facts in the store say what was already delivered, so a redone
 * batch skips it. Each insurer has its own subscription, breaker and rate limit: one insurer's outage
 * holds only its own claims, never a settlement (delivery runs after the commit, from Kafka) nor another insurer.
 *
 * Failures. Transient ones (insurer down, slow, 5xx, 429, 401/403) are retried with capped exponential
 * backoff and full jitter while the outage lasts up to `retry.deadLetterAfterMs` (default a day): an
 * outage is not the claim's fault and must not flood the dead-letter topic; past that bound the claims
 * at the head are dead-lettered (unreachable) so that nothing waits forever. A refusal (another 4xx, an unreadable answer) is retried
 * `retry.maxAttempts` times, then the claim goes to `insurer.<code>.claims.dlq` with the reason; the
 * person's later claims and reversals follow it there (their order holds), until a replay puts them
 * all back on the topic, in their order.
 */
import type { Logger } from 'pino';
import { insurerClaim, type DeadLetter, type InsurerClaim } from '../../schemas/messages.js';
import type { Problem } from '../../schemas/problem.js';
import { SubscriptionCrashed, type Bus, type InboundMessage, type OutboundRecord, type RunningSubscription } from '../../gateway/stream/bus.js';
import type { Topics } from '../../gateway/stream/topics.js';
import { outboundClaimOf } from './claim-document.js';
import type { ClaimRecord, ClaimsStore } from './claims-store.js';
import type { Insurer } from './config.js';
import { batchDayOf, chinaDay, instantOf } from './days.js';
import { InsurerClient, REASON_MAX_CHARS, TransientFailure } from './insurer-client.js';
import type { BreakerState } from '../../gateway/resilience/breaker.js';
import { maskedExcerpt } from '../../gateway/mask-text.js';
import type { InsurerMetrics } from './metrics.js';
import { backoffMs, sleep } from '../../gateway/resilience/backoff.js';
import { TokenBucket } from './pacing.js';

export interface DeliveryDeps {
  insurer: Insurer;
  bus: Bus;
  topics: Topics;
  claims: ClaimsStore;
  metrics: InsurerMetrics;
  log: Logger;
  clock?: () => Date;
  /** How long one handler call may hold its batch before handing it back to the bus (heartbeats). */
  handleBudgetMs?: number;
}

export interface DeliveryStatus {
  insurerCode: string;
  breaker: BreakerState;
  /** Claims of the current batch not yet delivered or dead-lettered. */
  waiting: number;
  lagSeconds: number;
  lastDeliveredAt?: string;
  lastError?: string;
}

const PROBLEM_BASE = 'https://settlement-gateway.example/problems/';

class Stopping extends Error {}

export class InsurerDelivery {
  private readonly client: InsurerClient;
  private readonly bucket: TokenBucket;
  private readonly clock: () => Date;
  private readonly abort = new AbortController();
  /** Refusals per claim id (in process: a restart gives a refused claim its attempts again, harmless). */
  private readonly refusals = new Map<string, number>();
  private transientStreak = 0;
  /** Since when the insurer has answered nothing (null while it answers). */
  private unreachableSinceMs: number | null = null;
  private subscription: RunningSubscription | null = null;
  private readonly status: DeliveryStatus;

  constructor(private readonly deps: DeliveryDeps) {
    const { insurer, metrics } = deps;
    this.clock = deps.clock ?? (() => new Date());
    this.status = { insurerCode: insurer.code, breaker: 'closed', waiting: 0, lagSeconds: 0 };
    this.client = new InsurerClient(insurer, metrics.registry, (state) => {
      this.status.breaker = state;
      deps.log.warn({ insurer: insurer.code, state }, 'insurer: circuit breaker');
    });
    metrics.lagSeconds.set({ insurer: insurer.code }, 0);
    metrics.waiting.set({ insurer: insurer.code }, 0);
    this.bucket = new TokenBucket(insurer.rateLimit.perSecond, insurer.rateLimit.burst);
  }

  get topic(): string { return this.deps.topics.insurerClaims(this.deps.insurer.code); }

  async start(): Promise<void> {
    this.subscription = await this.deps.bus.subscribe({
      topic: this.topic,
      groupId: `insurer-delivery-${this.deps.insurer.code}`,
      // A new group starts at the beginning: claims published before the first start are not skipped.
      fromBeginning: true,
      handle: (messages) => this.handle(messages),
      onError: (error) => {
        if (error instanceof Stopping) return;
        if (error instanceof SubscriptionCrashed) {
          this.deps.log.error({ insurer: this.deps.insurer.code, reason: error.reason, restartInMs: error.restartInMs }, 'insurer: Kafka consumer crashed and kafkajs gave it up; a new one starts after restartInMs, from the committed offsets');
          return;
        }
        this.deps.log.warn({ insurer: this.deps.insurer.code, err: error instanceof Error ? error.message : String(error) }, 'insurer: batch handed back, will be retried');
      },
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.subscription?.stop();
    this.client.shutdown();
  }

  snapshot(): DeliveryStatus { return { ...this.status }; }

  private async handle(messages: readonly InboundMessage[]): Promise<OutboundRecord[]> {
    const deadline = Date.now() + (this.deps.handleBudgetMs ?? 5_000);
    const out: OutboundRecord[] = [];
    const code = this.deps.insurer.code;
    try {
      for (let i = 0; i < messages.length; i++) {
        this.status.waiting = messages.length - i;
        this.deps.metrics.waiting.set({ insurer: code }, this.status.waiting);
        const letter = await this.handleOne(messages[i]!, deadline);
        if (letter) out.push(letter);
      }
      this.status.waiting = 0;
      this.status.lagSeconds = 0;
      this.deps.metrics.waiting.set({ insurer: code }, 0);
      this.deps.metrics.lagSeconds.set({ insurer: code }, 0);
      return out;
    } catch (error) {
      if (this.abort.signal.aborted) throw new Stopping('stopping');
      throw error;
    }
  }

  /** Delivers one message; answers its dead letter when it goes to the dead-letter topic. */
  private async handleOne(message: InboundMessage, deadline: number): Promise<OutboundRecord | null> {
    const { insurer, claims, metrics } = this.deps;
    // A programme's yearly second payout (gateway/operations, schemas/messages.ts secondPayoutClaim) shares the
    // topic but is not a settlement's claim: the insurer pays it from the committed payout list; passed by, not dead-lettered.
    if (message.headers.ce_type === SECOND_PAYOUT_TYPE) {
      metrics.deliveries.inc({ insurer: insurer.code, outcome: 'second_payout_passed' });
      return null;
    }
    const parsed = parseClaim(message);
    if (!parsed.ok) {
      metrics.deadLetters.inc({ insurer: insurer.code });
      metrics.deliveries.inc({ insurer: insurer.code, outcome: 'dead_lettered' });
      return this.deadLetter(message, problemOf(422, 'unreadable-claim', '无法读取的理赔消息', parsed.reason));
    }
    const claim = parsed.claim;
    if (claim.insurerCode !== insurer.code) {
      metrics.deadLetters.inc({ insurer: insurer.code });
      metrics.deliveries.inc({ insurer: insurer.code, outcome: 'dead_lettered' });
      return this.deadLetter(message, problemOf(422, 'unreadable-claim', '理赔不属于本保险公司', `the claim names insurer ${claim.insurerCode}, the topic is ${insurer.code}'s`));
    }
    const now = this.clock();
    await claims.take(recordOf(claim, insurer.cutoff, now));
    const facts = await claims.facts(insurer.code, claim.claimId);
    if (facts.some((f) => f.state !== 'pending')) {
      metrics.deliveries.inc({ insurer: insurer.code, outcome: 'duplicate' });
      return null;
    }
    const mark = await claims.deadMark(insurer.code, claim.claimId);
    // Dead-lettered before, but that batch was handed back before its dead letter was published.
    if (mark) return this.deadLetter(message, problemOf(422, 'insurer-refused', '保险公司拒收该理赔', mark.reason));
    const personKey = message.key?.toString('utf8');
    if (personKey && await claims.isHeld(insurer.code, personKey)) {
      return this.kill(message, claim, '同一参保人更早的理赔在死信队列中：本条随其后重放，以保持顺序', 0);
    }

    const lagFrom = instantOf(claim.reversedAt ?? claim.settledAt ?? now.toISOString());
    const document = outboundClaimOf(claim, insurer);
    for (;;) {
      if (this.abort.signal.aborted) throw new Stopping('stopping');
      this.status.lagSeconds = Math.max(0, (Date.now() - lagFrom) / 1000);
      metrics.lagSeconds.set({ insurer: insurer.code }, this.status.lagSeconds);
      await this.bucket.take(this.abort.signal);
      if (this.abort.signal.aborted) throw new Stopping('stopping');
      let wait: number;
      try {
        const outcome = await this.client.deliver(document);
        this.unreachableSinceMs = null;
        if (outcome.kind === 'answered') {
          this.transientStreak = 0;
          this.refusals.delete(claim.claimId);
          await this.recordAnswer(claim.claimId, outcome.answer);
          return null;
        }
        const refusals = (this.refusals.get(claim.claimId) ?? 0) + 1;
        this.refusals.set(claim.claimId, refusals);
        metrics.deliveries.inc({ insurer: insurer.code, outcome: 'refused' });
        this.status.lastError = `${claim.claimId}: ${outcome.reason}`;
        if (refusals >= insurer.retry.maxAttempts) return this.kill(message, claim, outcome.reason, refusals);
        wait = backoffMs(refusals, { initialMs: insurer.retry.initialMs, maxMs: insurer.retry.maxMs });
      } catch (error) {
        if (!(error instanceof TransientFailure)) throw error;
        this.transientStreak++;
        // The breaker's refusal says nothing new about the insurer: keep the last real failure (an expired
        // credential's 401 must stay readable while the breaker is open, not become "breaker open").
        if (!error.breakerOpen) this.status.lastError = error.message;
        this.unreachableSinceMs ??= Date.now();
        // Retries are bounded: an outage longer than deadLetterAfterMs drains the head claims to the dead-letter
        // topic — on a call that failed, never on the breaker's refusal (the insurer may be back already).
        if (!error.breakerOpen && Date.now() - this.unreachableSinceMs >= insurer.retry.deadLetterAfterMs) {
          return this.kill(message, claim, `保险公司自 ${new Date(this.unreachableSinceMs).toISOString()} 起无应答（超过 ${insurer.retry.deadLetterAfterMs} ms）：${error.message}`, this.transientStreak);
        }
        metrics.deliveries.inc({ insurer: insurer.code, outcome: 'retried' });
        wait = backoffMs(this.transientStreak, { initialMs: insurer.retry.initialMs, maxMs: insurer.retry.maxMs });
      }
      const left = deadline - Date.now();
      await sleep(Math.max(0, Math.min(wait, left)), this.abort.signal);
      if (wait > left) throw new TransientFailure(`insurer ${insurer.code}: ${this.status.lastError ?? 'not delivered'}; the batch waits`);
    }
  }

  private async recordAnswer(claimId: string, answer: { receiptNo: string; status: 'received' | 'accepted' | 'rejected'; reason?: string | undefined }): Promise<void> {
    const { insurer, claims, metrics } = this.deps;
    const at = this.clock().toISOString();
    await claims.record(insurer.code, claimId, { state: 'delivered', at, source: 'delivery', receiptNo: answer.receiptNo });
    metrics.deliveries.inc({ insurer: insurer.code, outcome: 'delivered' });
    if (answer.status !== 'received') {
      // The insurer's words, which may echo the person's ID number or name: stored and shown masked.
      await claims.record(insurer.code, claimId, { state: answer.status, at, source: 'delivery', ...(answer.reason ? { reason: maskedExcerpt(answer.reason, REASON_MAX_CHARS) } : {}) });
      metrics.deliveries.inc({ insurer: insurer.code, outcome: answer.status });
    }
    this.status.lastDeliveredAt = at;
  }

  private async kill(message: InboundMessage, claim: InsurerClaim, reason: string, attempts: number): Promise<OutboundRecord> {
    const { insurer, claims, metrics, log } = this.deps;
    await claims.markDead(insurer.code, claim.claimId, { reason, at: this.clock().toISOString(), attempts });
    const personKey = message.key?.toString('utf8');
    if (personKey) await claims.hold(insurer.code, personKey, claim.claimId);
    this.refusals.delete(claim.claimId);
    metrics.deadLetters.inc({ insurer: insurer.code });
    metrics.deliveries.inc({ insurer: insurer.code, outcome: 'dead_lettered' });
    log.warn({ insurer: insurer.code, claimId: claim.claimId, attempts, reason }, 'insurer: claim dead-lettered');
    return this.deadLetter(message, problemOf(422, 'insurer-refused', '保险公司拒收该理赔', reason));
  }

  private deadLetter(message: InboundMessage, problem: Problem): OutboundRecord {
    const letter: DeadLetter = {
      problem,
      original: {
        topic: message.topic, partition: message.partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, headers: message.headers,
        value: message.value?.toString('utf8') ?? null, valueEncoding: 'utf8',
      },
      deadAt: this.clock().toISOString(),
    };
    return { topic: this.deps.topics.dlq(message.topic), key: message.key?.toString('utf8') ?? message.offset, value: JSON.stringify(letter), headers: { 'content-type': 'application/json' } };
  }
}

function problemOf(status: number, slug: string, title: string, detail: string): Problem {
  return { type: PROBLEM_BASE + slug, title, status, detail, errors: [] };
}

/** CloudEvents type of a second payout on an insurer's claims topic (gateway/operations/second-payout-commit.ts). */
const SECOND_PAYOUT_TYPE = 'insurer.claim.second-payout';

function parseClaim(message: InboundMessage): { ok: true; claim: InsurerClaim } | { ok: false; reason: string } {
  let json: unknown;
  try { json = JSON.parse(message.value?.toString('utf8') ?? ''); } catch { return { ok: false, reason: 'the message is not JSON' }; }
  const parsed = insurerClaim.safeParse(json);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return { ok: true, claim: parsed.data };
}

/** The store's record of a claim: everything but the person. */
export function recordOf(claim: InsurerClaim, cutoff: string, takenAt: Date): ClaimRecord {
  const settledMs = instantOf(claim.settledAt ?? takenAt.toISOString());
  const eventMs = claim.kind === 'reversal' ? instantOf(claim.reversedAt ?? takenAt.toISOString()) : settledMs;
  return {
    v: 1, claimId: claim.claimId, kind: claim.kind, ...(claim.originalClaimId ? { originalClaimId: claim.originalClaimId } : {}),
    insurerCode: claim.insurerCode, programme: claim.programme, ...(claim.policyVersion ? { policyVersion: claim.policyVersion } : {}),
    gatewayId: claim.gatewayId, settlementId: claim.settlementId, hospitalId: claim.hospitalId, amount: claim.amount, currency: claim.currency,
    settledOn: chinaDay(settledMs), batchDay: batchDayOf(eventMs, cutoff, takenAt.getTime()),
    ...(claim.settledAt ? { settledAt: claim.settledAt } : {}), ...(claim.reversedAt ? { reversedAt: claim.reversedAt } : {}),
    takenAt: takenAt.toISOString(),
  };
}
