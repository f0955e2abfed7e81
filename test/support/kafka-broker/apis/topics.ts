import { Writer } from '../codec.js';
import { ErrorCode } from '../errors.js';
import { TopicStore } from '../log.js';
import { ApiKey, type ApiHandler } from './types.js';

/** CreateTopics v2-3 (same layout). Replica assignments and configs are accepted and ignored. */
export const createTopics: ApiHandler = {
  key: ApiKey.CreateTopics,
  name: 'CreateTopics',
  minVersion: 2,
  maxVersion: 3,
  handle(r, _version, ctx) {
    const reqs = r.array((r) => {
      const name = r.string();
      const numPartitions = r.int32();
      const replicationFactor = r.int16();
      const assignments = r.array((r) => ({ partition: r.int32(), replicas: r.array((r) => r.int32()) }));
      r.array((r) => ({ name: r.string(), value: r.nullableString() }));
      return { name, numPartitions, replicationFactor, assignments };
    });
    r.int32(); // timeout: creation is synchronous
    const validateOnly = r.bool();
    const { topics, config } = ctx.state;
    const results = reqs.map((t) => {
      const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? config.defaultPartitions : t.numPartitions;
      let error: number = ErrorCode.NONE;
      let message: string | null = null;
      if (!TopicStore.isValidName(t.name)) {
        error = ErrorCode.INVALID_TOPIC_EXCEPTION;
        message = `illegal topic name ${t.name}`;
      } else if (topics.get(t.name)) {
        error = ErrorCode.TOPIC_ALREADY_EXISTS;
        message = `Topic '${t.name}' already exists.`;
      } else if (partitions < 1) {
        error = ErrorCode.INVALID_PARTITIONS;
        message = 'Number of partitions must be larger than 0.';
      } else if (t.assignments.length === 0 && t.replicationFactor !== -1 && t.replicationFactor !== 1) {
        // Single node: asking for more replicas than brokers is an error in Kafka too.
        error = ErrorCode.INVALID_REPLICATION_FACTOR;
        message = `Replication factor: ${t.replicationFactor} larger than available brokers: 1.`;
      } else if (!validateOnly) {
        topics.create(t.name, partitions);
      }
      return { name: t.name, error, message };
    });
    return new Writer().int32(0).array(results, (w, x) => w.string(x.name).int16(x.error).nullableString(x.message));
  },
};

/** DeleteTopics v1. Data is dropped immediately; group offsets for the topic are left alone. */
export const deleteTopics: ApiHandler = {
  key: ApiKey.DeleteTopics,
  name: 'DeleteTopics',
  minVersion: 1,
  maxVersion: 1,
  handle(r, _version, ctx) {
    const names = r.array((r) => r.string());
    r.int32();
    const results = names.map((name) => ({
      name,
      error: ctx.state.topics.delete(name) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    }));
    return new Writer().int32(0).array(results, (w, x) => w.string(x.name).int16(x.error));
  },
};
