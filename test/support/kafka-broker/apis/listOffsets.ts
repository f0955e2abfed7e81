import { Writer } from '../codec.js';
import { ErrorCode } from '../errors.js';
import { ApiKey, type ApiHandler } from './types.js';

const LATEST = -1;
const EARLIEST = -2;
const READ_COMMITTED = 1;

/** ListOffsets v2-3 (same layout): earliest, latest (LSO for read_committed) or by timestamp. */
export const listOffsets: ApiHandler = {
  key: ApiKey.ListOffsets,
  name: 'ListOffsets',
  minVersion: 2,
  maxVersion: 3,
  handle(r, _version, ctx) {
    r.int32(); // replica id
    const isolation = r.int8();
    const topics = r.array((r) => ({
      topic: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), timestamp: r.int64() })),
    }));
    const w = new Writer().int32(0);
    w.array(topics, (w, t) => {
      w.string(t.topic);
      w.array(t.partitions, (w, p) => {
        const log = ctx.state.topics.partition(t.topic, p.partition);
        if (!log) {
          w.int32(p.partition).int16(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1);
          return;
        }
        let offset: number;
        if (p.timestamp === EARLIEST) offset = log.logStartOffset;
        else if (p.timestamp === LATEST) offset = isolation === READ_COMMITTED ? log.lastStableOffset() : log.highWatermark;
        else offset = log.offsetForTimestamp(p.timestamp);
        w.int32(p.partition).int16(ErrorCode.NONE).int64(-1).int64(offset);
      });
    });
    return w;
  },
};
