import { Writer } from '../codec.js';
import { ApiKey, type ApiHandler } from './types.js';

/** InitProducerId v0-1: fresh id for idempotent producers; id + bumped epoch for transactional ids. */
export const initProducerId: ApiHandler = {
  key: ApiKey.InitProducerId,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  handle(r, _version, ctx) {
    const transactionalId = r.nullableString();
    const timeoutMs = r.int32();
    const res = ctx.state.txns.initProducerId(transactionalId, timeoutMs);
    return new Writer().int32(0).int16(res.error).int64(res.producerId).int16(res.epoch);
  },
};

/** AddPartitionsToTxn v0-1. */
export const addPartitionsToTxn: ApiHandler = {
  key: ApiKey.AddPartitionsToTxn,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 1,
  handle(r, _version, ctx) {
    const transactionalId = r.string();
    const producerId = r.int64();
    const epoch = r.int16();
    const topics = r.array((r) => ({ topic: r.string(), partitions: r.array((r) => r.int32()) }));
    const flat = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    const results = ctx.state.txns.addPartitions(transactionalId, producerId, epoch, flat);
    const w = new Writer().int32(0);
    return w.array(topics, (w, t) => {
      w.string(t.topic);
      w.array(
        results.filter((x) => x.topic === t.topic),
        (w, x) => w.int32(x.partition).int16(x.error),
      );
    });
  },
};

/** AddOffsetsToTxn v0-1. */
export const addOffsetsToTxn: ApiHandler = {
  key: ApiKey.AddOffsetsToTxn,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 1,
  handle(r, _version, ctx) {
    const transactionalId = r.string();
    const producerId = r.int64();
    const epoch = r.int16();
    const groupId = r.string();
    return new Writer().int32(0).int16(ctx.state.txns.addOffsets(transactionalId, producerId, epoch, groupId));
  },
};

/** TxnOffsetCommit v0-1: offsets are held by the transaction until EndTxn commits them. */
export const txnOffsetCommit: ApiHandler = {
  key: ApiKey.TxnOffsetCommit,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 1,
  handle(r, _version, ctx) {
    const transactionalId = r.string();
    const groupId = r.string();
    const producerId = r.int64();
    const epoch = r.int16();
    const topics = r.array((r) => ({
      topic: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), offset: r.int64(), metadata: r.nullableString() })),
    }));
    const flat = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
    const error = ctx.state.txns.txnOffsetCommit(transactionalId, groupId, producerId, epoch, flat);
    const w = new Writer().int32(0);
    return w.array(topics, (w, t) => {
      w.string(t.topic);
      w.array(t.partitions, (w, p) => w.int32(p.partition).int16(error));
    });
  },
};

/** EndTxn v0-1: writes the markers and applies (or drops) pending offsets before answering. */
export const endTxn: ApiHandler = {
  key: ApiKey.EndTxn,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 1,
  handle(r, _version, ctx) {
    const transactionalId = r.string();
    const producerId = r.int64();
    const epoch = r.int16();
    const commit = r.bool();
    return new Writer().int32(0).int16(ctx.state.txns.endTxn(transactionalId, producerId, epoch, commit));
  },
};
