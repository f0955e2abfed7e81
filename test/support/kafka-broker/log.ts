/**
 * In-memory partition logs: stored batches, high watermark, last stable
 * offset, aborted-transaction index and per-producer sequence state.
 *
 * Single replica, so the high watermark is simply the log end offset.
 * Nothing is ever deleted (no retention), so the log start offset stays 0.
 */
import { ErrorCode, type ErrorCodeValue } from './errors.js';
import { buildControlBatch, isControl, isTransactional, withBaseOffset, type BatchInfo } from './records.js';

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  raw: Buffer;
}

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  /** Offset of the abort marker; lets fetch skip index entries entirely before the fetch position. */
  lastOffset: number;
}

/** What the broker remembers about one producer on one partition, for idempotence. */
interface ProducerState {
  epoch: number;
  lastSequence: number;
  /** Kafka keeps the last 5 batches so an in-flight retry of any of them is recognised as a duplicate. */
  recent: { firstSeq: number; lastSeq: number; baseOffset: number }[];
}

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'error'; code: ErrorCodeValue };

const INT32_MAX = 2147483647;
const nextSeq = (seq: number, by = 1): number => (seq + by) % (INT32_MAX + 1);

export class PartitionLog {
  readonly batches: StoredBatch[] = [];
  readonly logStartOffset = 0;
  highWatermark = 0;
  /** producerId -> offset of its first batch in the currently open transaction. */
  private readonly ongoing = new Map<number, number>();
  readonly aborted: AbortedTxn[] = [];
  private readonly producers = new Map<number, ProducerState>();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** First offset a read_committed consumer must not see yet: start of the oldest open transaction. */
  lastStableOffset(): number {
    let lso = this.highWatermark;
    for (const first of this.ongoing.values()) lso = Math.min(lso, first);
    return lso;
  }

  checkSequence(b: BatchInfo): SequenceVerdict {
    if (b.producerId < 0) return { kind: 'append' };
    const st = this.producers.get(b.producerId);
    if (!st || b.producerEpoch > st.epoch) {
      // A new producer (or a new epoch of one) must start its sequence at 0.
      return b.baseSequence === 0 ? { kind: 'append' } : { kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    }
    if (b.producerEpoch < st.epoch) return { kind: 'error', code: ErrorCode.INVALID_PRODUCER_EPOCH };
    const lastSeq = nextSeq(b.baseSequence, b.recordCount - 1);
    const dup = st.recent.find((r) => r.firstSeq === b.baseSequence && r.lastSeq === lastSeq);
    if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset };
    if (b.baseSequence !== nextSeq(st.lastSequence)) {
      return { kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    }
    return { kind: 'append' };
  }

  /** Append a validated producer batch; returns its base offset. Call checkSequence first. */
  append(b: BatchInfo): number {
    const base = this.highWatermark;
    const raw = withBaseOffset(b.raw, base);
    const lastOffset = base + b.lastOffsetDelta;
    this.batches.push({ baseOffset: base, lastOffset, maxTimestamp: b.maxTimestamp, raw });
    this.highWatermark = lastOffset + 1;
    if (b.producerId >= 0 && !isControl(b)) {
      const prev = this.producers.get(b.producerId);
      const st: ProducerState =
        prev && prev.epoch === b.producerEpoch ? prev : { epoch: b.producerEpoch, lastSequence: -1, recent: [] };
      st.lastSequence = nextSeq(b.baseSequence, b.recordCount - 1);
      st.recent.push({ firstSeq: b.baseSequence, lastSeq: st.lastSequence, baseOffset: base });
      if (st.recent.length > 5) st.recent.shift();
      this.producers.set(b.producerId, st);
      if (isTransactional(b) && !this.ongoing.has(b.producerId)) this.ongoing.set(b.producerId, base);
    }
    return base;
  }

  /** Write a commit/abort marker and close the producer's transaction on this partition. */
  appendMarker(producerId: number, producerEpoch: number, commit: boolean): void {
    const base = this.highWatermark;
    const raw = buildControlBatch({ baseOffset: base, producerId, producerEpoch, commit });
    this.batches.push({ baseOffset: base, lastOffset: base, maxTimestamp: Date.now(), raw });
    this.highWatermark = base + 1;
    const first = this.ongoing.get(producerId);
    if (first !== undefined) {
      this.ongoing.delete(producerId);
      if (!commit) this.aborted.push({ producerId, firstOffset: first, lastOffset: base });
    }
    // A marker written with a bumped epoch (abort on re-init / timeout) fences the old epoch.
    const st = this.producers.get(producerId);
    if (st && producerEpoch > st.epoch) this.producers.set(producerId, { epoch: producerEpoch, lastSequence: -1, recent: [] });
  }

  /**
   * Batches covering [fetchOffset, upTo). The batch containing fetchOffset is
   * returned whole (clients drop the leading records), and at least one batch is
   * returned even if it exceeds maxBytes, as Kafka does since KIP-74.
   */
  read(fetchOffset: number, upTo: number, maxBytes: number): Buffer[] {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.batches[mid]?.lastOffset ?? 0) < fetchOffset) lo = mid + 1;
      else hi = mid;
    }
    const out: Buffer[] = [];
    let bytes = 0;
    for (let i = lo; i < this.batches.length; i++) {
      const b = this.batches[i];
      if (!b || b.lastOffset >= upTo) break;
      if (out.length > 0 && bytes + b.raw.length > maxBytes) break;
      out.push(b.raw);
      bytes += b.raw.length;
    }
    return out;
  }

  /** Aborted transactions overlapping [from, to), oldest first, as read_committed fetches report them. */
  abortedBetween(from: number, to: number): AbortedTxn[] {
    return this.aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to);
  }

  /** ListOffsets by timestamp: first batch whose max timestamp reaches ts (batch granularity). */
  offsetForTimestamp(ts: number): number {
    const b = this.batches.find((x) => x.maxTimestamp >= ts);
    return b ? b.baseOffset : this.highWatermark;
  }
}

export class Topic {
  readonly partitions: PartitionLog[];
  constructor(
    readonly name: string,
    partitionCount: number,
  ) {
    this.partitions = Array.from({ length: partitionCount }, (_, i) => new PartitionLog(name, i));
  }
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export class TopicStore {
  private readonly topics = new Map<string, Topic>();

  static isValidName(name: string): boolean {
    return LEGAL_TOPIC.test(name) && name !== '.' && name !== '..';
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  names(): string[] {
    return [...this.topics.keys()];
  }

  create(name: string, partitions: number): Topic {
    const t = new Topic(name, partitions);
    this.topics.set(name, t);
    return t;
  }

  delete(name: string): boolean {
    return this.topics.delete(name);
  }
}
