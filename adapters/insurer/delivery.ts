/**
 * One insurer's claim delivery, on the one delivery consumer (gateway/resilience/delivery.ts): a consumer of
 * `insurer.<code>.claims` (group insurer-delivery-<code>) that POSTs each claim and reversal, in order, to the
 * insurer, behind its own breaker and rate limit — one insurer's outage holds only its own claims, never a
 * settlement (delivery runs after the commit, from Kafka) nor another insurer.
 *
 * What is the insurer's own is here. Reading: a second payout shares the topic and is passed by; an unreadable
 * claim, or one of another insurer, is dead-lettered at once. Bounds: a transient failure (insurer down, slow,
 * 5xx, 429, 401/403) is retried while the insurer has answered nothing for up to `retry.deadLetterAfterMs`
 * (default a day: an outage is not the claim's fault and must not flood the dead-letter topic), then the claims
 * at the head are dead-lettered (unreachable) so that nothing waits forever; a refusal (another 4xx, an
 * unreadable answer) is retried `retry.maxAttempts` times, then the claim goes to `insurer.<code>.claims.dlq`
 * with the reason. The state facts (claims-store.ts) say what was delivered, so a redone batch skips it; the
 * dead mark and the person's hold are the insurer's own documents; the person's later claims and reversals
 * follow a dead one to the DLQ, until a replay sends them all, in their order.
 */
import type { Logger } from 'pino';
import { insurerClaim, SECOND_PAYOUT_CLAIM_TYPE, type InsurerClaim } from '../../schemas/messages.js';
import type { Problem } from '../../schemas/problem.js';
import { DeliveryConsumer, type DeliveryLedger, type DeliveryOutcome, type Reading, type ReplayResult } from '../../gateway/resilience/delivery.js';
import type { BreakerState } from '../../gateway/resilience/breaker.js';
import type { Bus, InboundMessage } from '../../gateway/stream/bus.js';
import type { Topics } from '../../gateway/stream/topics.js';
import { insurerClaimsTopic } from './audience.js';
import { outboundClaimOf, type OutboundClaim } from './claim-document.js';
import type { ClaimRecord, ClaimsStore } from './claims-store.js';
import type { Insurer } from './config.js';
import { batchDayOf, chinaDay, instantOf } from './days.js';
import { InsurerClient, REASON_MAX_CHARS, type InsurerAnswer } from './insurer-client.js';
import { maskedExcerpt } from '../../gateway/mask-text.js';
import type { InsurerMetrics } from './metrics.js';
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

/** A claim and the document POSTed for it. */
interface Event { claim: InsurerClaim; document: OutboundClaim }

export class InsurerDelivery {
  private readonly client: InsurerClient;
  private readonly consumer: DeliveryConsumer<Event, InsurerAnswer>;
  private readonly clock: () => Date;
  private readonly status: Omit<DeliveryStatus, 'lastError'>;

  constructor(private readonly deps: DeliveryDeps) {
    const { insurer, metrics, log } = deps;
    const code = insurer.code;
    this.clock = deps.clock ?? (() => new Date());
    this.status = { insurerCode: code, breaker: 'closed', waiting: 0, lagSeconds: 0 };
    this.client = new InsurerClient(insurer);
    metrics.lagSeconds.set({ insurer: code }, 0);
    metrics.waiting.set({ insurer: code }, 0);
    const bucket = new TokenBucket(insurer.rateLimit.perSecond, insurer.rateLimit.burst);
    const outcomes: Partial<Record<DeliveryOutcome, string>> = {
      duplicate: 'duplicate', retried: 'retried', refused: 'refused', dead: 'dead_lettered', held: 'dead_lettered', unreadable: 'dead_lettered', passed: 'second_payout_passed',
    };
    const topic = insurerClaimsTopic(deps.topics, code);
    this.consumer = new DeliveryConsumer<Event, InsurerAnswer>({
      name: `insurer ${code}`,
      bus: deps.bus, topic, dlqTopic: deps.topics.dlq(topic), groupId: `insurer-delivery-${code}`,
      read: (message) => this.read(message),
      send: async ({ document }) => {
        const outcome = await this.client.deliver(document);
        return outcome.kind === 'answered' ? { kind: 'done', answer: outcome.answer } : outcome;
      },
      ledger: this.ledger(),
      words: {
        refused: (reason) => reason,
        exhausted: (reason) => reason,
        unreachable: (since, boundMs, reason) => `保险公司自 ${since} 起无应答（超过 ${boundMs} ms）：${reason}`,
        held: () => '同一参保人更早的理赔在死信队列中：本条随其后重放，以保持顺序',
        problem: (reason, unreadable) => (unreadable ? problemOf(422, 'unreadable-claim', '无法读取的理赔消息', reason) : problemOf(422, 'insurer-refused', '保险公司拒收该理赔', reason)),
      },
      bounds: { refusals: insurer.retry.maxAttempts, unreachableMs: insurer.retry.deadLetterAfterMs, backoff: { initialMs: insurer.retry.initialMs, maxMs: insurer.retry.maxMs } },
      breaker: {
        name: 'insurer', target: code,
        // The POST gives up by itself at timeoutMs (post.ts); the breaker's own timeout is the backstop.
        timeoutMs: insurer.timeoutMs + 1_000,
        resetMs: insurer.breaker.resetMs,
        errorThresholdPercentage: insurer.breaker.errorThresholdPercentage,
        volumeThreshold: insurer.breaker.volumeThreshold,
        rollingCountMs: Math.max(10_000, insurer.breaker.resetMs),
        state: { name: 'gateway_insurer_breaker_state', help: 'Circuit breaker per insurer: 0 closed, 1 half-open, 2 open', label: 'insurer' },
      },
      registry: metrics.registry,
      log: log.child({ insurer: code }),
      beforeSend: (signal) => bucket.take(signal),
      count: (outcome) => {
        const label = outcomes[outcome];
        if (label) metrics.deliveries.inc({ insurer: code, outcome: label });
        if (outcome === 'dead' || outcome === 'held' || outcome === 'unreadable') metrics.deadLetters.inc({ insurer: code });
        if (outcome === 'replayed') metrics.replayed.inc({ insurer: code });
      },
      waiting: (messages) => {
        this.status.waiting = messages;
        metrics.waiting.set({ insurer: code }, messages);
        if (messages === 0) { this.status.lagSeconds = 0; metrics.lagSeconds.set({ insurer: code }, 0); }
      },
      attempting: ({ event: { claim } }) => {
        this.status.lagSeconds = Math.max(0, (Date.now() - instantOf(claim.reversedAt ?? claim.settledAt ?? this.clock().toISOString())) / 1000);
        metrics.lagSeconds.set({ insurer: code }, this.status.lagSeconds);
      },
      onState: (state) => {
        this.status.breaker = state;
        log.warn({ insurer: code, state }, 'insurer: circuit breaker');
      },
      ...(deps.handleBudgetMs !== undefined ? { batchBudgetMs: deps.handleBudgetMs } : {}),
      clock: this.clock,
    });
  }

  get topic(): string { return insurerClaimsTopic(this.deps.topics, this.deps.insurer.code); }

  start(): Promise<void> { return this.consumer.start(); }

  async stop(): Promise<void> {
    await this.consumer.stop();
    this.client.shutdown();
  }

  snapshot(): DeliveryStatus {
    const lastError = this.consumer.lastError;
    return { ...this.status, ...(lastError !== undefined ? { lastError } : {}) };
  }

  /**
   * Sends every dead letter not delivered since, in their original order, once the cause is fixed; `replayed`
   * names the claims delivered (gateway/resilience/delivery.ts, replay).
   */
  replayDeadLetters(): Promise<ReplayResult> { return this.consumer.replay(); }

  private read(message: InboundMessage): Reading<Event> {
    const { insurer } = this.deps;
    // A programme's yearly second payout (gateway/operations, schemas/messages.ts secondPayoutClaim) shares the
    // topic but is not a settlement's claim: the insurer pays it from the committed payout list; passed by, not dead-lettered.
    if (message.headers.ce_type === SECOND_PAYOUT_CLAIM_TYPE) return { kind: 'pass' };
    const parsed = parseClaim(message);
    if (!parsed.ok) return { kind: 'unreadable', reason: parsed.reason };
    const claim = parsed.claim;
    if (claim.insurerCode !== insurer.code) return { kind: 'unreadable', reason: `the claim names insurer ${claim.insurerCode}, the topic is ${insurer.code}'s` };
    return { kind: 'send', item: { id: claim.claimId, person: message.key?.toString('utf8') || null, message, event: { claim, document: outboundClaimOf(claim, insurer) } } };
  }

  /** The claims store: state facts (what was delivered), the dead mark, the person's hold. */
  private ledger(): DeliveryLedger<Event, InsurerAnswer> {
    const { insurer, claims, log } = this.deps;
    const code = insurer.code;
    return {
      known: async ({ event: { claim } }) => {
        await claims.take(recordOf(claim, insurer.cutoff, this.clock()));
        const facts = await claims.facts(code, claim.claimId);
        if (facts.some((f) => f.state !== 'pending')) return { kind: 'done' };
        const mark = await claims.deadMark(code, claim.claimId);
        return mark ? { kind: 'dead', reason: mark.reason } : null;
      },
      heldBehind: async (item) => (item.person !== null && await claims.isHeld(code, item.person) ? item.id : null),
      delivered: async (item, answer, replayed) => {
        if (replayed) await claims.clearDead(code, item.id);
        await this.recordAnswer(item.id, answer);
      },
      dead: async (item, reason, attempts) => {
        await claims.markDead(code, item.id, { reason, at: this.clock().toISOString(), attempts });
        if (item.person !== null) await claims.hold(code, item.person, item.id);
        log.warn({ insurer: code, claimId: item.id, attempts, reason }, 'insurer: claim dead-lettered');
      },
      release: (person) => claims.release(code, person),
      // Every dead claim has its letter on the topic (the mark is written as the letter is returned to the bus).
      recordedDead: async () => [],
    };
  }

  private async recordAnswer(claimId: string, answer: InsurerAnswer): Promise<void> {
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
}

function problemOf(status: number, slug: string, title: string, detail: string): Problem {
  return { type: PROBLEM_BASE + slug, title, status, detail, errors: [] };
}

/** CloudEvents type of a second payout on an insurer's claims topic (gateway/operations/second-payout-commit.ts). */

function parseClaim(message: InboundMessage): { ok: true; claim: InsurerClaim } | { ok: false; reason: string } {
  let json: unknown;
  try { json = JSON.parse(message.value?.toString('utf8') ?? ''); } catch { return { ok: false, reason: 'the message is not JSON' }; }
  const parsed = insurerClaim.safeParse(json);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return { ok: true, claim: parsed.data };
}

/** The store's record of a claim: everything but the person. */
function recordOf(claim: InsurerClaim, cutoff: string, takenAt: Date): ClaimRecord {
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
