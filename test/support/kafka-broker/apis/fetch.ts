import { Writer } from '../codec.js';
import { ErrorCode, type ErrorCodeValue } from '../errors.js';
import type { AbortedTxn } from '../log.js';
import type { BrokerState } from '../state.js';
import { ApiKey, type ApiHandler } from './types.js';

const READ_COMMITTED = 1;

interface FetchTopic {
  topic: string;
  partitions: { partition: number; fetchOffset: number; maxBytes: number }[];
}

interface PartitionData {
  partition: number;
  error: ErrorCodeValue;
  highWatermark: number;
  lastStableOffset: number;
  aborted: AbortedTxn[];
  records: Buffer[];
}

function collect(state: BrokerState, topics: FetchTopic[], isolation: number, maxBytes: number): { data: { topic: string; partitions: PartitionData[] }[]; bytes: number; errors: boolean } {
  let bytes = 0;
  let errors = false;
  const data = topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): PartitionData => {
      const log = state.topics.partition(t.topic, p.partition);
      const empty = { partition: p.partition, aborted: [], records: [] };
      if (!log) {
        errors = true;
        return { ...empty, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, lastStableOffset: -1 };
      }
      const hw = log.highWatermark;
      const lso = log.lastStableOffset();
      if (p.fetchOffset < log.logStartOffset || p.fetchOffset > hw) {
        errors = true;
        return { ...empty, error: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: hw, lastStableOffset: lso };
      }
      // read_committed consumers must not see past the start of the oldest open transaction.
      const upTo = isolation === READ_COMMITTED ? lso : hw;
      const budget = Math.max(0, maxBytes - bytes);
      let records = log.read(p.fetchOffset, upTo, Math.min(p.maxBytes, budget));
      const first = records[0];
      if (first && bytes > 0 && first.length > budget) records = [];
      for (const b of records) bytes += b.length;
      // The aborted list lets the client drop records of aborted transactions it receives.
      const aborted = isolation === READ_COMMITTED && records.length > 0 ? log.abortedBetween(p.fetchOffset, upTo) : [];
      return { partition: p.partition, error: ErrorCode.NONE, highWatermark: hw, lastStableOffset: lso, aborted, records };
    }),
  }));
  return { data, bytes, errors };
}

/** Fetch v4: isolation level, last stable offset and aborted transactions; long-polls up to max_wait_time. */
export const fetch: ApiHandler = {
  key: ApiKey.Fetch,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 4,
  async handle(r, _version, ctx) {
    r.int32(); // replica id: only consumers talk to this broker
    const maxWaitMs = r.int32();
    const minBytes = r.int32();
    const maxBytes = r.int32();
    const isolation = r.int8();
    const topics = r.array((r): FetchTopic => ({
      topic: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), fetchOffset: r.int64(), maxBytes: r.int32() })),
    }));
    const deadline = Date.now() + maxWaitMs;
    let result = collect(ctx.state, topics, isolation, maxBytes);
    // Like Kafka's delayed fetch: park until enough data arrives or the wait expires.
    while (!result.errors && result.bytes < Math.max(1, minBytes) && Date.now() < deadline) {
      if (ctx.signal.aborted) return null;
      await ctx.state.waitForChange(deadline - Date.now(), ctx.signal);
      result = collect(ctx.state, topics, isolation, maxBytes);
    }
    if (ctx.signal.aborted) return null;
    const w = new Writer(1024).int32(0);
    w.array(result.data, (w, t) => {
      w.string(t.topic);
      w.array(t.partitions, (w, p) => {
        w.int32(p.partition).int16(p.error).int64(p.highWatermark).int64(p.lastStableOffset);
        w.array(p.aborted, (w, a) => w.int64(a.producerId).int64(a.firstOffset));
        const total = p.records.reduce((n, b) => n + b.length, 0);
        w.int32(total);
        for (const b of p.records) w.raw(b);
      });
    });
    return w;
  },
};
