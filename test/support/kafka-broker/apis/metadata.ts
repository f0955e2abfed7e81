import { Writer } from '../codec.js';
import { ErrorCode } from '../errors.js';
import { TopicStore } from '../log.js';
import type { BrokerState } from '../state.js';
import { ApiKey, type ApiHandler } from './types.js';

const CLUSTER_ID = 'kafka-test-broker';

/** Create a topic on first use when both the broker and the request allow it (Kafka's auto.create.topics.enable). */
export function autoCreate(state: BrokerState, name: string, requested: boolean): boolean {
  if (state.topics.get(name)) return true;
  if (!requested || !state.config.autoCreateTopics || !TopicStore.isValidName(name)) return false;
  state.topics.create(name, state.config.defaultPartitions);
  return true;
}

/** Metadata v5-6 (same layout). The single node is leader, sole replica and controller for everything. */
export const metadata: ApiHandler = {
  key: ApiKey.Metadata,
  name: 'Metadata',
  minVersion: 5,
  maxVersion: 6,
  handle(r, _version, ctx) {
    const requested = r.nullableArray((r) => r.string());
    const allowAutoCreate = r.bool();
    const { state } = ctx;
    const { nodeId, host, port } = state.config;
    const names = requested ?? state.topics.names();
    const w = new Writer().int32(0);
    w.array([nodeId], (w, id) => w.int32(id).string(host).int32(port).nullableString(null));
    w.nullableString(CLUSTER_ID).int32(nodeId);
    w.array(names, (w, name) => {
      // Creation is instantaneous here, so the topic is reported ready in the same response
      // (a real broker answers LEADER_NOT_AVAILABLE first and clients retry).
      const exists = autoCreate(state, name, allowAutoCreate);
      const topic = state.topics.get(name);
      if (!exists || !topic) {
        const code = TopicStore.isValidName(name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
        w.int16(code).string(name).bool(false).int32(0);
        return;
      }
      w.int16(ErrorCode.NONE).string(name).bool(false);
      w.array(topic.partitions, (w, p) => {
        w.int16(ErrorCode.NONE).int32(p.partition).int32(nodeId);
        w.array([nodeId], (w, n) => w.int32(n)); // replicas
        w.array([nodeId], (w, n) => w.int32(n)); // isr
        w.array([], (w, n: number) => w.int32(n)); // offline replicas
      });
    });
    return w;
  },
};
