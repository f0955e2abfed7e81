import { Writer } from '../codec.js';
import { ErrorCode } from '../errors.js';
import { ApiKey, type ApiHandler } from './types.js';

/** FindCoordinator v1-2: this node coordinates every group and transactional id. */
export const findCoordinator: ApiHandler = {
  key: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  minVersion: 1,
  maxVersion: 2,
  handle(r, _version, ctx) {
    r.string(); // key
    r.int8(); // type: 0 group, 1 transaction
    const { nodeId, host, port } = ctx.state.config;
    return new Writer().int32(0).int16(ErrorCode.NONE).nullableString(null).int32(nodeId).string(host).int32(port);
  },
};

/** JoinGroup v2-3 (same layout; no static membership, no MEMBER_ID_REQUIRED round trip). */
export const joinGroup: ApiHandler = {
  key: ApiKey.JoinGroup,
  name: 'JoinGroup',
  minVersion: 2,
  maxVersion: 3,
  async handle(r, _version, ctx) {
    const groupId = r.string();
    const sessionTimeoutMs = r.int32();
    const rebalanceTimeoutMs = r.int32();
    const memberId = r.string();
    const protocolType = r.string();
    const protocols = r.array((r) => ({ name: r.string(), metadata: r.bytes() }));
    const res = await ctx.state.groups.join({
      groupId,
      memberId,
      clientId: ctx.clientId ?? '',
      sessionTimeoutMs,
      rebalanceTimeoutMs,
      protocolType,
      protocols,
    });
    const w = new Writer().int32(0).int16(res.error).int32(res.generationId).string(res.protocol);
    w.string(res.leaderId).string(res.memberId);
    return w.array(res.members, (w, m) => w.string(m.memberId).bytes(m.metadata));
  },
};

/** SyncGroup v1-2: followers wait until the leader delivers the assignment. */
export const syncGroup: ApiHandler = {
  key: ApiKey.SyncGroup,
  name: 'SyncGroup',
  minVersion: 1,
  maxVersion: 2,
  async handle(r, _version, ctx) {
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    const assignments = r.array((r) => ({ memberId: r.string(), assignment: r.bytes() }));
    const res = await ctx.state.groups.sync(groupId, generationId, memberId, assignments);
    return new Writer().int32(0).int16(res.error).bytes(res.assignment);
  },
};

/** Heartbeat v1-2. */
export const heartbeat: ApiHandler = {
  key: ApiKey.Heartbeat,
  name: 'Heartbeat',
  minVersion: 1,
  maxVersion: 2,
  handle(r, _version, ctx) {
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    return new Writer().int32(0).int16(ctx.state.groups.heartbeat(groupId, generationId, memberId));
  },
};

/** LeaveGroup v1-2 (single member per request). */
export const leaveGroup: ApiHandler = {
  key: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  minVersion: 1,
  maxVersion: 2,
  handle(r, _version, ctx) {
    const groupId = r.string();
    const memberId = r.string();
    return new Writer().int32(0).int16(ctx.state.groups.leave(groupId, memberId));
  },
};

/** OffsetCommit v3-4 (same layout). Retention time is ignored: offsets never expire here. */
export const offsetCommit: ApiHandler = {
  key: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  minVersion: 3,
  maxVersion: 4,
  handle(r, _version, ctx) {
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    r.int64(); // retention time
    const topics = r.array((r) => ({
      topic: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), offset: r.int64(), metadata: r.nullableString() })),
    }));
    const { groups, topics: store } = ctx.state;
    const groupError = groupId ? groups.checkCommit(groupId, generationId, memberId) : ErrorCode.INVALID_GROUP_ID;
    const results = topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        let error: number = groupError;
        if (error === ErrorCode.NONE && !store.partition(t.topic, p.partition)) error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        if (error === ErrorCode.NONE) groups.commitOffsets(groupId, [{ topic: t.topic, ...p }]);
        return { partition: p.partition, error };
      }),
    }));
    const w = new Writer().int32(0);
    return w.array(results, (w, t) => {
      w.string(t.topic);
      w.array(t.partitions, (w, p) => w.int32(p.partition).int16(p.error));
    });
  },
};

/** OffsetFetch v3-4: null topics means every committed partition of the group. */
export const offsetFetch: ApiHandler = {
  key: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  minVersion: 3,
  maxVersion: 4,
  handle(r, _version, ctx) {
    const groupId = r.string();
    const requested = r.nullableArray((r) => ({ topic: r.string(), partitions: r.array((r) => r.int32()) }));
    const { groups } = ctx.state;
    const topics =
      requested ??
      Object.values(
        groups.committed(groupId).reduce<Record<string, { topic: string; partitions: number[] }>>((acc, o) => {
          const entry = (acc[o.topic] ??= { topic: o.topic, partitions: [] });
          entry.partitions.push(o.partition);
          return acc;
        }, {}),
      );
    const w = new Writer().int32(0);
    w.array(topics, (w, t) => {
      w.string(t.topic);
      w.array(t.partitions, (w, partition) => {
        const c = groups.committedOffset(groupId, t.topic, partition);
        w.int32(partition).int64(c?.offset ?? -1).nullableString(c ? c.metadata : '').int16(ErrorCode.NONE);
      });
    });
    return w.int16(ErrorCode.NONE);
  },
};
