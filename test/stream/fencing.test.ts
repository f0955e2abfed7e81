/**
 * Issue 23: a partition's new owner fences its predecessor. The answers to a consumed partition go out under
 * that partition's transactional id, the same on every instance of the group (transactionalIdOf), so whoever
 * takes the partition over — the pod that replaces a lost one, or another replica after a rebalance — fences
 * what the predecessor left. Here the predecessor is caught with a transaction open (an answer sent, not
 * committed) under partition 0's id; a new worker is started and answers a discharge of partition 0. Kafka
 * must then refuse the old producer's commit, and read_committed readers must never see what the old
 * transaction wrote.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { createLogger } from '../../gateway/log.js';
import { transactionalIdOf } from '../../gateway/stream/kafka-bus.js';
import { hasKafkaErrorType } from '../../gateway/stream/kafka-errors.js';
import { topics as topicNames } from '../../gateway/stream/topics.js';
import { createBus, startStreamIntake, topicsToEnsure } from '../../gateway/stream/wiring.js';
import { dischargeAnswer } from '../../schemas/messages.js';
import { requestBody } from '../support/requests.js';
import { collect, createTopics, kafkaUnderTest, programmes, testBus, testKafka, uniquePrefix, waitFor, type KafkaUnderTest, testAudiences } from './support.js';

let kafka: KafkaUnderTest;
beforeAll(async () => { kafka = await kafkaUnderTest(); });
afterAll(async () => { await kafka.stop(); });

describe('a replaced worker fences its predecessor', () => {
  it('same partition → same transactional id: the old open transaction is aborted, its commit refused, nothing of it visible', async () => {
    const prefix = uniquePrefix();
    const t = topicNames(prefix);
    const config = loadConfig({ KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, KAFKA_CLIENT_ID: `fence-${randomUUID().slice(0, 8)}`, KAFKA_INTAKE_GROUP: `${prefix}intake`, KAFKA_SESSION_TIMEOUT_MS: '6000' });
    await createTopics(kafka.brokers, topicsToEnsure(t, testAudiences()));
    const reader = await collect(kafka.brokers, [t.hisSettlements]);

    // The predecessor, mid-transaction when its pod was lost: an answer written, the commit never sent.
    const transactionalId = transactionalIdOf(config.KAFKA_CLIENT_ID, config.KAFKA_INTAKE_GROUP, t.hisDischarges, 0);
    // Patient retries: the first transactional producer of a run waits for Kafka to create __transaction_state.
    const old = new Kafka({ brokers: kafka.brokers, clientId: 'predecessor', logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 } })
      .producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000 });
    await old.connect();
    const open = await old.transaction();
    await open.send({ topic: t.hisSettlements, acks: -1, messages: [{ key: 'old', value: 'written by the predecessor, never committed' }] });

    const bus = createBus(config, createLogger('silent'));
    const ledger = new MemoryLedger();
    const intake = await startStreamIntake(config, bus, new SettlementService({ ledger, programmes }));
    try {
      const producer = testKafka(kafka.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({ topic: t.hisDischarges, acks: -1, messages: [{ partition: 0, key: 'p', value: JSON.stringify(requestBody({ settlementId: 'FENCE1' })), headers: { 'correlation-id': 'f-1' } }] });
      await producer.disconnect();
      await waitFor(() => reader.seen.length >= 1, 20_000, 'the new worker\'s answer');
      expect(dischargeAnswer.parse(JSON.parse(reader.seen[0]!.value))).toMatchObject({ outcome: 'settled', split: { settlementId: 'FENCE1' } });

      // The new worker's first transaction took the id over: the old producer may no longer commit.
      const refused = await open.commit().then(() => null, (error: unknown) => error);
      expect(hasKafkaErrorType(refused, new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'])), String(refused)).toBe(true);
      const committed: string[] = [];
      const check = testBus(kafka.brokers);
      try {
        await check.readToEnd(t.hisSettlements, (m) => { committed.push(m.value?.toString('utf8') ?? ''); });
      } finally { await check.close(); }
      expect(committed).toHaveLength(1);
      expect(committed.join()).not.toContain('predecessor');
      expect(reader.seen.map((m) => m.key)).toEqual(['p']);
    } finally {
      await old.disconnect().catch(() => undefined);
      await intake.stop();
      await reader.stop();
      await bus.close();
    }
  }, 60_000);
});
