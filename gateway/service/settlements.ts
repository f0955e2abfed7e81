/**
 * The settlement service: the shell around the pure engine. HTTP and the Kafka intake both settle
 * through here, so a discharge settles the same way whichever door it came in by.
 */
import { settlementRequest, type ReversalNote, type SettlementRequest, type Split } from '../../schemas/settlement.js';
import { settle, type EngineResult } from '../engine/settle.js';
import { toSplit } from '../engine/split.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import type { CallControl } from '../call.js';
import { Conflict, fieldErrors, GatewayError, InvalidInput, NotFound, OutcomeUnknown, Unavailable, Unprocessable } from '../errors.js';
import { CommitAborted } from '../ledger/errors.js';
import type { StoredSettlement } from '../ledger/stored.js';
import type { NewSettlement, OutboxEventHead, PersonBook, PreviewMemory, SettlementBook, WriteGuard } from '../ledger/port.js';
import { canonicalJson, chinaTime, sha256, ulid } from './ids.js';
import { KeyedQueue } from './keyed-queue.js';
import { backoffMs, sleep, type Backoff } from '../resilience/backoff.js';

export interface SettlementServiceOptions {
  ledger: SettlementBook & Pick<PersonBook, 'readPerson'> & PreviewMemory;
  programmes: ProgrammeSet;
  clock?: () => Date;
  /** Recompute-and-retry rounds when another settlement of the same person commits first. */
  maxCommitAttempts?: number;
  /** Observers for metrics; the service itself does not know about Prometheus. */
  onCommitRetry?: () => void;
}

/** `split` is the record's, as it stands now (a replay's is decoded only if read: over HTTP a replay answers `record.firstAnswer`). */
export interface SettleOutcome { readonly split: Split; readonly replay: boolean; readonly record: StoredSettlement }

/** A class, so `split` is one getter on the prototype: an object literal with an accessor cost ~20 µs a settlement (measured). */
class Outcome implements SettleOutcome {
  constructor(readonly record: StoredSettlement, readonly replay: boolean) {}
  get split(): Split { return this.record.split; }
}

/** A write that failed after it was sent, for a reason that says nothing of whether Redis applied it. */
function outcomeUnknownAfter(error: unknown): boolean {
  if (error instanceof GatewayError || !(error instanceof Error)) return false;
  // Redis answered (an error reply) or our own check failed: the answer is known, and it is not a commit.
  return error.name !== 'ReplyError' && error.name !== 'InvariantViolation';
}

export function parseRequest(body: unknown): SettlementRequest {
  const parsed = settlementRequest.safeParse(body);
  if (!parsed.success) throw new InvalidInput('结算请求无效', fieldErrors(parsed.error.issues));
  return parsed.data;
}

/** A stale commit is recomputed after 0–5 ms, doubling to 0–40 ms: another process's commit of the person takes about a round trip. */
const STALE_COMMIT_BACKOFF: Backoff = { initialMs: 5, maxMs: 40 };

/** How long a preview is remembered (on every gateway sharing the ledger) to answer 422 to reversing it. */
const PREVIEW_MEMORY_SECONDS = 7 * 24 * 3600;

export class SettlementService {
  private readonly clock: () => Date;
  private readonly maxCommitAttempts: number;
  private readonly perPerson = new KeyedQueue();

  constructor(private readonly options: SettlementServiceOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.maxCommitAttempts = options.maxCommitAttempts ?? 8;
  }

  get programmes(): ProgrammeSet { return this.options.programmes; }

  async preview(body: unknown): Promise<Split> {
    const request = parseRequest(body);
    const result = await this.compute(request);
    // Shared through the ledger: a reversal of this preview sent to another gateway is told apart from an unknown id too.
    await this.options.ledger.rememberPreview(request.hospital.id, request.settlementId, PREVIEW_MEMORY_SECONDS);
    return toSplit(result.engine, { gatewayId: `pre_${ulid(this.clock().getTime())}`, settlementId: request.settlementId, hospitalId: request.hospital.id, personId: request.patient.id, status: 'preview' });
  }

  /**
   * `call`: the HTTP call's deadline (`req.call`); `undefined` only off HTTP (the Kafka intake). Required, not
   * optional, so no route can forget it: carrying it implicitly (AsyncLocalStorage) cost about a fifth of every
   * request's CPU on Node 20, whose promise hooks then run on every await.
   */
  async settle(body: unknown, call: CallControl | undefined): Promise<SettleOutcome> {
    const request = parseRequest(body);
    // The fingerprint is of the body as sent; a retry that re-serialised it differently is recognised
    // on the rare mismatch path (answerExisting), so the common path stays one native stringify and a hash.
    const requestJson = JSON.stringify(body);
    // Work queued behind this person's earlier settlements is skipped once its caller was answered.
    return this.perPerson.run(request.patient.id, () => {
      if (call?.signal.aborted) throw new CommitAborted();
      return this.settleParsed(request, sha256(requestJson), requestJson, body, call);
    });
  }

  private async settleParsed(request: SettlementRequest, hash: string, requestJson: string, body: unknown, call?: CallControl): Promise<SettleOutcome> {
    // No look-up first: the commit itself answers replay or conflict, so a new settlement costs one round trip less.
    for (let attempt = 1; attempt <= this.maxCommitAttempts; attempt++) {
      const { engine, version } = await this.compute(request);
      const now = this.clock();
      const gatewayId = `stl_${ulid(now.getTime())}`;
      const settledAt = chinaTime(now);
      const split = toSplit(engine, { gatewayId, settlementId: request.settlementId, hospitalId: request.hospital.id, personId: request.patient.id, status: 'settled', settledAt });
      const settlement: NewSettlement = {
        gatewayId, hospitalId: request.hospital.id, settlementId: request.settlementId, personId: request.patient.id,
        bodyHash: hash, split, requestJson, deltas: engine.deltas, settledAt,
      };
      const event = this.event('settlement.settled', settlement, now);
      const outcome = await this.guardedWrite(call, request.settlementId, (guard) => this.options.ledger.commit(settlement, version, event, guard));
      if (outcome.outcome === 'committed') return new Outcome(outcome.record, false);
      if (outcome.outcome !== 'stale') return this.answerExisting(outcome.record, hash, body);
      this.options.onCommitRetry?.();
      // Another process settled this person meanwhile: back off a little, with jitter, and recompute.
      await sleep(backoffMs(attempt - 1, STALE_COMMIT_BACKOFF));
    }
    throw new Unavailable('该参保人的累计数在结算期间不断变化，本次未记账；请用同一结算号重试', 1);
  }

  async get(hospitalId: string, settlementId: string): Promise<StoredSettlement> {
    const record = await this.options.ledger.getSettlement(hospitalId, settlementId);
    if (!record) throw new NotFound(`医疗机构 ${hospitalId} 没有结算 ${settlementId}`);
    return record;
  }

  /** Reverses a settlement; `note` (why, which clerk) is recorded with it and published in the reversal's split. */
  async reverse(hospitalId: string, settlementId: string, note: ReversalNote, call: CallControl | undefined): Promise<Split> {
    const record = await this.options.ledger.getSettlement(hospitalId, settlementId);
    if (!record) {
      if (await this.options.ledger.wasPreviewed(hospitalId, settlementId)) {
        throw new Unprocessable('预结算不能撤销：它没有记账', [{ path: 'settlementId', message: '该结算号只做过预结算' }]);
      }
      throw new NotFound(`医疗机构 ${hospitalId} 没有结算 ${settlementId}`);
    }
    if (record.status === 'reversed') return record.split;
    return this.perPerson.run(record.personId, () => {
      if (call?.signal.aborted) throw new CommitAborted();
      return this.reverseRecord(record, note, call);
    });
  }

  /**
   * A ledger write under the call's deadline. An error after the write was sent that is not Redis's own
   * answer (the connection dropped, no reply came) leaves the outcome unknown: said so, never as a 503.
   */
  private async guardedWrite<T>(call: CallControl | undefined, settlementId: string, write: (guard: WriteGuard) => Promise<T>): Promise<T> {
    let sent = false;
    const guard: WriteGuard = {
      ...(call ? { signal: call.signal } : {}),
      onSend: () => { sent = true; if (call) call.writeSent = true; },
    };
    try {
      return await write(guard);
    } catch (error) {
      if (sent && outcomeUnknownAfter(error)) throw outcomeUnknown(settlementId);
      throw error;
    }
  }

  private async reverseRecord(record: StoredSettlement, note: ReversalNote, call?: CallControl): Promise<Split> {
    const { hospitalId, settlementId } = record;
    const now = this.clock();
    const reversedAt = chinaTime(now);
    const event = this.event('settlement.reversed', record, now);
    const outcome = await this.guardedWrite(call, settlementId, (guard) => this.options.ledger.reverse(hospitalId, settlementId, reversedAt, event, guard, note));
    if (outcome.outcome === 'notFound') throw new NotFound(`医疗机构 ${hospitalId} 没有结算 ${settlementId}`);
    return outcome.record.split;
  }

  private async compute(request: SettlementRequest): Promise<{ engine: EngineResult; version: number }> {
    const { ledger, programmes } = this.options;
    const { accumulators, rosters } = await ledger.readPerson(request.patient.id, programmes.rosterIds(request));
    return { engine: settle({ request, programmes, rosters, accumulators: accumulators.values }), version: accumulators.version };
  }

  /** Same body (byte for byte, or the same JSON in another key order) → the stored answer; else a conflict. */
  private answerExisting(record: StoredSettlement, hash: string, body: unknown): SettleOutcome {
    const same = record.bodyHash === hash || canonicalJson(record.sentRequest()) === canonicalJson(body);
    if (!same) {
      throw new Conflict(`医疗机构 ${record.hospitalId} 的结算号 ${record.settlementId} 已用于内容不同的结算`, [{ path: 'settlementId', message: '该结算号已用于另一笔请求' }]);
    }
    // A replay answers the settlement as it stands now: one reversed since is never presented as in force.
    return new Outcome(record, true);
  }

  /** The outbox entry of a commit or reversal; its data is the record's, built when the relay reads it (ledger/event-data.ts). */
  private event(type: OutboxEventHead['type'], record: Pick<StoredSettlement, 'personId' | 'hospitalId' | 'settlementId'>, now: Date): OutboxEventHead {
    return { id: `evt_${ulid(now.getTime())}`, type, personId: record.personId, hospitalId: record.hospitalId, settlementId: record.settlementId, time: chinaTime(now) };
  }
}

/** The answer when a write was sent and its outcome cannot be known: retry the same settlement id, never a new one. */
export function outcomeUnknown(settlementId?: string): OutcomeUnknown {
  const subject = settlementId ? `结算 ${settlementId} 的记账请求` : '本次结算的记账请求';
  return new OutcomeUnknown(
    `${subject}已发出但未收到确认，结果未知；请稍后用同一结算号重试（重试会返回真实结果），切勿换新结算号重新结算`,
    [{ path: 'settlementId', message: '请用同一结算号重试' }],
  );
}
