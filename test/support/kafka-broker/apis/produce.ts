import { Writer } from '../codec.js';
import { ErrorCode, type ErrorCodeValue } from '../errors.js';
import { BatchError, isControl, isTransactional, parseBatches, type BatchInfo } from '../records.js';
import type { BrokerState } from '../state.js';
import { ApiKey, type ApiHandler } from './types.js';

const DEBUG = process.env.KAFKA_TEST_BROKER_DEBUG === '1';

interface PartitionResult {
  partition: number;
  error: ErrorCodeValue;
  baseOffset: number;
}

function batchErrorCode(e: BatchError): ErrorCodeValue {
  return e.code === 'compression' ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : ErrorCode.CORRUPT_MESSAGE;
}

/** Transactional batches must come from the current epoch and target a partition added via AddPartitionsToTxn. */
function checkTransactional(state: BrokerState, transactionalId: string | null, topic: string, partition: number, b: BatchInfo): ErrorCodeValue {
  const coordinatorEpoch = state.txns.epochOf(b.producerId);
  if (coordinatorEpoch !== undefined && b.producerEpoch < coordinatorEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (!isTransactional(b)) return ErrorCode.NONE;
  if (transactionalId === null || coordinatorEpoch === undefined) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (!state.txns.isInTransaction(b.producerId, topic, partition)) return ErrorCode.INVALID_TXN_STATE;
  return ErrorCode.NONE;
}

function producePartition(state: BrokerState, transactionalId: string | null, topic: string, partition: number, records: Buffer | null): PartitionResult {
  const log = state.topics.partition(topic, partition);
  const fail = (error: ErrorCodeValue): PartitionResult => ({ partition, error, baseOffset: -1 });
  if (!log) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  let batches: BatchInfo[];
  try {
    batches = parseBatches(records ?? Buffer.alloc(0));
  } catch (e) {
    if (e instanceof BatchError) return fail(batchErrorCode(e));
    throw e;
  }
  if (batches.length === 0) return fail(ErrorCode.CORRUPT_MESSAGE);
  let firstBase = -1;
  // Batches are applied in order; an error stops the rest (kafkajs sends one batch per partition).
  for (const b of batches) {
    if (isControl(b)) return fail(ErrorCode.CORRUPT_MESSAGE); // only the coordinator writes markers
    const txnError = checkTransactional(state, transactionalId, topic, partition, b);
    if (txnError !== ErrorCode.NONE) return fail(txnError);
    const verdict = log.checkSequence(b);
    if (verdict.kind === 'error') return fail(verdict.code);
    if (DEBUG && verdict.kind === 'duplicate') console.error(`[kafka-test-broker] duplicate batch ${topic}/${partition} seq ${b.baseSequence}`);
    // A duplicate of a recently appended batch is acknowledged with its original offset, not stored again.
    const base = verdict.kind === 'duplicate' ? verdict.baseOffset : log.append(b);
    if (firstBase < 0) firstBase = base;
  }
  return { partition, error: ErrorCode.NONE, baseOffset: firstBase };
}

/** Produce v3-7: record batch v2 only; v5+ adds log_start_offset to the response. */
export const produce: ApiHandler = {
  key: ApiKey.Produce,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 7,
  handle(r, version, ctx) {
    const transactionalId = r.nullableString();
    const acks = r.int16();
    r.int32(); // timeout: writes are synchronous
    const topics = r.array((r) => ({
      topic: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), records: r.nullableBytes() })),
    }));
    const results = topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => producePartition(ctx.state, transactionalId, t.topic, p.partition, p.records)),
    }));
    ctx.state.logChanged();
    if (acks === 0) return null;
    const w = new Writer();
    w.array(results, (w, t) => {
      w.string(t.topic);
      w.array(t.partitions, (w, p) => {
        w.int32(p.partition).int16(p.error).int64(p.baseOffset).int64(-1);
        if (version >= 5) w.int64(0);
      });
    });
    return w.int32(0);
  },
};
