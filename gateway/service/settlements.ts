/**
 * The settlement service: the shell around the pure engine. HTTP and the Kafka intake both settle
 * through here, so a discharge settles the same way whichever door it came in by.
 */
import { settlementRequest, type ReversalNote, type SettlementRequest, type Split } from '../../schemas/settlement.js';
import { settle, type EngineResult } from '../engine/settle.js';
import { toSplit } from '../engine/split.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { Conflict, InvalidInput, NotFound, Unavailable, Unprocessable, type FieldError } from '../errors.js';
import type { LedgerPort, OutboxEvent, SettlementRecord } from '../ledger/port.js';
import { canonicalJson, chinaTime, sha256, ulid } from './ids.js';
import { KeyedQueue } from './keyed-queue.js';

export interface SettlementServiceOptions {
  ledger: LedgerPort;
  programmes: ProgrammeSet;
  clock?: () => Date;
  /** Recompute-and-retry rounds when another settlement of the same person commits first. */
  maxCommitAttempts?: number;
  /** Observers for metrics; the service itself does not know about Prometheus. */
  onCommitRetry?: () => void;
}

export type SettleOutcome = { split: Split; replay: boolean; record: SettlementRecord };

/** zod issues as the contract's field errors: "items.3.amount". */
export function fieldErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): FieldError[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}

export function parseRequest(body: unknown): SettlementRequest {
  const parsed = settlementRequest.safeParse(body);
  if (!parsed.success) throw new InvalidInput('the settlement request is not valid', fieldErrors(parsed.error.issues));
  return parsed.data;
}

/** The split as stored, with the record's current status. */
export function currentSplit(record: SettlementRecord): Split {
  if (record.status === 'settled') return JSON.parse(record.splitJson) as Split;
  return {
    ...(JSON.parse(record.splitJson) as Split), status: 'reversed',
    ...(record.reversedAt ? { reversedAt: record.reversedAt } : {}),
    ...(record.reversal ? { reversal: record.reversal } : {}),
  };
}

const RECENT_PREVIEWS_LIMIT = 10_000;

export class SettlementService {
  private readonly clock: () => Date;
  private readonly maxCommitAttempts: number;
  /** Ids recently previewed in this process, so that reversing a preview is told apart from an unknown id (422 vs 404). */
  private readonly recentPreviews = new Set<string>();
  private readonly perPerson = new KeyedQueue();

  constructor(private readonly options: SettlementServiceOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.maxCommitAttempts = options.maxCommitAttempts ?? 8;
  }

  get programmes(): ProgrammeSet { return this.options.programmes; }

  async preview(body: unknown): Promise<Split> {
    const request = parseRequest(body);
    const result = await this.compute(request);
    this.rememberPreview(request);
    return toSplit(result.engine, { gatewayId: `pre_${ulid(this.clock().getTime())}`, settlementId: request.settlementId, hospitalId: request.hospital.id, personId: request.patient.id, status: 'preview' });
  }

  async settle(body: unknown): Promise<SettleOutcome> {
    const request = parseRequest(body);
    // The fingerprint is of the body as sent; a retry that re-serialised it differently is recognised
    // on the rare mismatch path (answerExisting), so the common path stays one native stringify and a hash.
    const requestJson = JSON.stringify(body);
    return this.perPerson.run(request.patient.id, () => this.settleParsed(request, sha256(requestJson), requestJson, body));
  }

  private async settleParsed(request: SettlementRequest, hash: string, requestJson: string, body: unknown): Promise<SettleOutcome> {
    // No look-up first: the commit itself answers replay or conflict, so a new settlement costs one round trip less.
    for (let attempt = 1; attempt <= this.maxCommitAttempts; attempt++) {
      const { engine, version } = await this.compute(request);
      const now = this.clock();
      const gatewayId = `stl_${ulid(now.getTime())}`;
      const settledAt = chinaTime(now);
      const split = toSplit(engine, { gatewayId, settlementId: request.settlementId, hospitalId: request.hospital.id, personId: request.patient.id, status: 'settled', settledAt });
      const record: SettlementRecord = {
        gatewayId, hospitalId: request.hospital.id, settlementId: request.settlementId, personId: request.patient.id,
        bodyHash: hash, status: 'settled', splitJson: JSON.stringify(split), requestJson,
        deltas: engine.deltas, settledAt,
      };
      const outcome = await this.options.ledger.commit(record, version, this.event('settlement.settled', record, record.splitJson, engine.deltas, now));
      if (outcome.outcome === 'committed') return { split, replay: false, record: outcome.record };
      if (outcome.outcome !== 'stale') return this.answerExisting(outcome.record, hash, body);
      this.options.onCommitRetry?.();
      // Another process settled this person meanwhile: back off a little, with jitter, and recompute.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 5 * attempt)));
    }
    throw new Unavailable('the person\'s accumulators kept changing while settling; retry', 1);
  }

  async get(hospitalId: string, settlementId: string): Promise<SettlementRecord> {
    const record = await this.options.ledger.getSettlement(hospitalId, settlementId);
    if (!record) throw new NotFound(`no settlement ${settlementId} at hospital ${hospitalId}`);
    return record;
  }

  /** Reverses a settlement; `note` (why, which clerk) is recorded with it and published in the reversal's split. */
  async reverse(hospitalId: string, settlementId: string, note: ReversalNote = {}): Promise<Split> {
    const record = await this.options.ledger.getSettlement(hospitalId, settlementId);
    if (!record) {
      if (this.recentPreviews.has(`${hospitalId}/${settlementId}`)) {
        throw new Unprocessable('a preview cannot be reversed: it committed nothing', [{ path: 'settlementId', message: 'this settlement was only previewed' }]);
      }
      throw new NotFound(`no settlement ${settlementId} at hospital ${hospitalId}`);
    }
    if (record.status === 'reversed') return currentSplit(record);
    return this.perPerson.run(record.personId, () => this.reverseRecord(record, note));
  }

  private async reverseRecord(record: SettlementRecord, note: ReversalNote): Promise<Split> {
    const { hospitalId, settlementId } = record;
    const now = this.clock();
    const reversedAt = chinaTime(now);
    const reversed: SettlementRecord = { ...record, status: 'reversed', reversedAt, ...(Object.keys(note).length > 0 ? { reversal: note } : {}) };
    const negated = Object.fromEntries(Object.entries(record.deltas).map(([k, v]) => [k, -v]));
    const outcome = await this.options.ledger.reverse(hospitalId, settlementId, reversedAt, this.event('settlement.reversed', reversed, JSON.stringify(currentSplit(reversed)), negated, now), note);
    if (outcome.outcome === 'notFound') throw new NotFound(`no settlement ${settlementId} at hospital ${hospitalId}`);
    return currentSplit(outcome.record);
  }

  private async compute(request: SettlementRequest): Promise<{ engine: EngineResult; version: number }> {
    const { ledger, programmes } = this.options;
    const [snapshot, rosters] = await Promise.all([
      ledger.readAccumulators(request.patient.id),
      ledger.rosterRows(programmes.rosterIds(request), request.patient.id),
    ]);
    return { engine: settle({ request, programmes, rosters, accumulators: snapshot.values }), version: snapshot.version };
  }

  /** Same body (byte for byte, or the same JSON in another key order) → the stored answer; else a conflict. */
  private answerExisting(record: SettlementRecord, hash: string, body: unknown): SettleOutcome {
    const same = record.bodyHash === hash || canonicalJson(JSON.parse(record.requestJson)) === canonicalJson(body);
    if (!same) {
      throw new Conflict(`settlement ${record.settlementId} at hospital ${record.hospitalId} was already settled with a different body`, [{ path: 'settlementId', message: 'already used for a different request' }]);
    }
    return { split: JSON.parse(record.splitJson) as Split, replay: true, record };
  }

  private event(type: OutboxEvent['type'], record: SettlementRecord, splitJson: string, deltas: Record<string, number>, now: Date): OutboxEvent {
    return {
      id: `evt_${ulid(now.getTime())}`,
      type,
      personId: record.personId,
      hospitalId: record.hospitalId,
      settlementId: record.settlementId,
      time: chinaTime(now),
      // { split, deltas, request } assembled from JSON texts already made, rather than parsed and written again.
      data: `{"split":${splitJson},"deltas":${JSON.stringify(deltas)},"request":${record.requestJson}}`,
    };
  }

  private rememberPreview(request: SettlementRequest): void {
    if (this.recentPreviews.size >= RECENT_PREVIEWS_LIMIT) {
      const oldest = this.recentPreviews.values().next().value;
      if (oldest !== undefined) this.recentPreviews.delete(oldest);
    }
    this.recentPreviews.add(`${request.hospital.id}/${request.settlementId}`);
  }
}
