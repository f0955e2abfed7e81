/**
 * Transaction coordinator: producer id/epoch allocation, the set of
 * partitions and consumer groups in each open transaction, pending
 * transactional offset commits, and EndTxn which writes commit/abort markers
 * to every partition of the transaction.
 *
 * Kafka completes EndTxn asynchronously (PrepareCommit -> markers ->
 * CompleteCommit); here the markers are written before the response, so a
 * client never sees CONCURRENT_TRANSACTIONS.
 */
import { ErrorCode, type ErrorCodeValue } from './errors.js';
import type { GroupCoordinator } from './groups.js';
import { tpKey } from './groups.js';
import type { TopicStore } from './log.js';

type TxnStatus = 'Empty' | 'Ongoing' | 'CompleteCommit' | 'CompleteAbort';

interface PendingOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
}

interface TxnEntry {
  transactionalId: string;
  producerId: number;
  epoch: number;
  timeoutMs: number;
  status: TxnStatus;
  partitions: Map<string, { topic: string; partition: number }>;
  groups: Set<string>;
  pendingOffsets: Map<string, Map<string, PendingOffset>>;
  timer: NodeJS.Timeout | null;
}

export interface InitResult {
  error: ErrorCodeValue;
  producerId: number;
  epoch: number;
}

const MAX_EPOCH = 32767;

export class TransactionCoordinator {
  private readonly byId = new Map<string, TxnEntry>();
  private readonly byProducer = new Map<number, TxnEntry>();
  private nextProducerId = 1000;

  constructor(
    private readonly topics: TopicStore,
    private readonly groups: GroupCoordinator,
    private readonly onLogChange: () => void,
  ) {}

  initProducerId(transactionalId: string | null, timeoutMs: number): InitResult {
    if (transactionalId === null || transactionalId === '') {
      // Idempotent-only producers get a fresh id; there is nothing to fence.
      return { error: ErrorCode.NONE, producerId: this.nextProducerId++, epoch: 0 };
    }
    let e = this.byId.get(transactionalId);
    if (!e) {
      e = {
        transactionalId,
        producerId: this.nextProducerId++,
        epoch: 0,
        timeoutMs,
        status: 'Empty',
        partitions: new Map(),
        groups: new Set(),
        pendingOffsets: new Map(),
        timer: null,
      };
      this.byId.set(transactionalId, e);
      this.byProducer.set(e.producerId, e);
      return { error: ErrorCode.NONE, producerId: e.producerId, epoch: e.epoch };
    }
    // A new instance of the same transactional id: abort whatever the previous
    // instance left open and bump the epoch so the old instance is fenced.
    this.bumpEpoch(e);
    if (e.status === 'Ongoing') this.complete(e, false);
    e.status = 'Empty';
    e.timeoutMs = timeoutMs;
    return { error: ErrorCode.NONE, producerId: e.producerId, epoch: e.epoch };
  }

  /** Current epoch of a transactional producer id, or undefined when the id is not transactional. */
  epochOf(producerId: number): number | undefined {
    return this.byProducer.get(producerId)?.epoch;
  }

  isInTransaction(producerId: number, topic: string, partition: number): boolean {
    const e = this.byProducer.get(producerId);
    return !!e && e.status === 'Ongoing' && e.partitions.has(tpKey(topic, partition));
  }

  validate(transactionalId: string, producerId: number, epoch: number): ErrorCodeValue {
    const e = this.byId.get(transactionalId);
    if (!e || e.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (e.epoch !== epoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    return ErrorCode.NONE;
  }

  addPartitions(
    transactionalId: string,
    producerId: number,
    epoch: number,
    parts: { topic: string; partition: number }[],
  ): { topic: string; partition: number; error: ErrorCodeValue }[] {
    const err = this.validate(transactionalId, producerId, epoch);
    const unknown = parts.some((p) => !this.topics.partition(p.topic, p.partition));
    if (err !== ErrorCode.NONE || unknown) {
      // Kafka rejects the whole request; partitions that were fine get OPERATION_NOT_ATTEMPTED.
      return parts.map((p) => ({
        ...p,
        error:
          err !== ErrorCode.NONE
            ? err
            : this.topics.partition(p.topic, p.partition)
              ? ErrorCode.OPERATION_NOT_ATTEMPTED
              : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      }));
    }
    const e = this.entry(transactionalId);
    this.begin(e);
    for (const p of parts) e.partitions.set(tpKey(p.topic, p.partition), { topic: p.topic, partition: p.partition });
    return parts.map((p) => ({ ...p, error: ErrorCode.NONE }));
  }

  addOffsets(transactionalId: string, producerId: number, epoch: number, groupId: string): ErrorCodeValue {
    const err = this.validate(transactionalId, producerId, epoch);
    if (err !== ErrorCode.NONE) return err;
    const e = this.entry(transactionalId);
    this.begin(e);
    e.groups.add(groupId);
    return ErrorCode.NONE;
  }

  txnOffsetCommit(
    transactionalId: string,
    groupId: string,
    producerId: number,
    epoch: number,
    offsets: PendingOffset[],
  ): ErrorCodeValue {
    const err = this.validate(transactionalId, producerId, epoch);
    if (err !== ErrorCode.NONE) return err;
    const e = this.entry(transactionalId);
    if (e.status !== 'Ongoing' || !e.groups.has(groupId)) return ErrorCode.INVALID_TXN_STATE;
    let pending = e.pendingOffsets.get(groupId);
    if (!pending) {
      pending = new Map();
      e.pendingOffsets.set(groupId, pending);
    }
    for (const o of offsets) pending.set(tpKey(o.topic, o.partition), o);
    return ErrorCode.NONE;
  }

  endTxn(transactionalId: string, producerId: number, epoch: number, commit: boolean): ErrorCodeValue {
    const err = this.validate(transactionalId, producerId, epoch);
    if (err !== ErrorCode.NONE) return err;
    const e = this.entry(transactionalId);
    if (e.status === 'Ongoing') {
      this.complete(e, commit);
      return ErrorCode.NONE;
    }
    // A retried EndTxn whose first attempt already completed succeeds again.
    if ((e.status === 'CompleteCommit' && commit) || (e.status === 'CompleteAbort' && !commit)) return ErrorCode.NONE;
    return ErrorCode.INVALID_TXN_STATE;
  }

  dispose(): void {
    for (const e of this.byId.values()) if (e.timer) clearTimeout(e.timer);
  }

  private entry(transactionalId: string): TxnEntry {
    const e = this.byId.get(transactionalId);
    if (!e) throw new Error(`unknown transactional id ${transactionalId}`);
    return e;
  }

  private begin(e: TxnEntry): void {
    if (e.status === 'Ongoing') return;
    e.status = 'Ongoing';
    e.partitions.clear();
    e.groups.clear();
    e.pendingOffsets.clear();
    // Transaction timeout: the coordinator aborts and fences a producer that went silent.
    e.timer = setTimeout(() => {
      e.timer = null;
      if (e.status !== 'Ongoing') return;
      this.bumpEpoch(e);
      this.complete(e, false);
    }, e.timeoutMs);
    e.timer.unref();
  }

  private bumpEpoch(e: TxnEntry): void {
    if (e.epoch >= MAX_EPOCH) {
      // Epoch exhausted: Kafka allocates a new producer id.
      this.byProducer.delete(e.producerId);
      e.producerId = this.nextProducerId++;
      e.epoch = 0;
      this.byProducer.set(e.producerId, e);
    } else {
      e.epoch += 1;
    }
  }

  private complete(e: TxnEntry, commit: boolean): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    for (const { topic, partition } of e.partitions.values()) {
      this.topics.partition(topic, partition)?.appendMarker(e.producerId, e.epoch, commit);
    }
    if (commit) {
      for (const [groupId, offsets] of e.pendingOffsets) this.groups.commitOffsets(groupId, [...offsets.values()]);
    }
    e.pendingOffsets.clear();
    e.partitions.clear();
    e.groups.clear();
    e.status = commit ? 'CompleteCommit' : 'CompleteAbort';
    this.onLogChange();
  }
}
