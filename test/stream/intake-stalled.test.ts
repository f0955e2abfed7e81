/**
 * A stalled intake instance (a long GC pause, a network partition, SIGSTOP) holds an answer transaction open
 * past its session timeout: the group gives its partitions to the other instance, which answers the same
 * discharges from the committed offset. When the stalled one wakes, its commit must be refused — else the HIS
 * gets those discharges answered twice (kafkajs's TxnOffsetCommit carries no group generation, KIP-447).
 *
 * Two buses in one process, one group, one KAFKA_CLIENT_ID (as the replicas of one deployment). The first is
 * stalled deterministically by the bus's test seam, inside its first transaction with the answers and the
 * offset sent and the commit not: kafkajs heartbeats only between and inside batches, so the stall stops its
 * heartbeats as a frozen process would, and the coordinator evicts it after the session timeout.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.js';
import type { InboundMessage } from '../../gateway/stream/bus.js';
import { startIntake } from '../../gateway/stream/intake.js';
import { hasKafkaErrorType } from '../../gateway/stream/kafka-errors.js';
import { topicsToEnsure } from '../../gateway/stream/wiring.js';
import { dischargeAnswer } from '../../schemas/messages.js';
import { createTopics, kafkaUnderTest, PERSONS, testBus, testKafka, waitFor, weihaiBody, weihaiService, type KafkaUnderTest, testAudiences } from './support.js';

const MESSAGES = 30;
/** Longer than the stall lasts: the stalled transaction is still open when it wakes, the case that answered twice (the broker would abort it at this bound). */
const TRANSACTION_TIMEOUT_MS = 120_000;
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const PARTITIONS = 3; // as createTopics makes them

/** A bus's debug trace, as messages: what its consumer did (joins, chunks, answerers closed). */
function traceOf(): { messages: string[]; logger: ReturnType<typeof createLogger> } {
  const messages: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => { const parsed: unknown = JSON.parse(line); if (typeof parsed === 'object' && parsed !== null && 'msg' in parsed && typeof parsed.msg === 'string') messages.push(parsed.msg); } });
  return { messages, logger };
}

let kafka: KafkaUnderTest;
beforeAll(async () => { kafka = await kafkaUnderTest(); });
afterAll(async () => { await kafka.stop(); });

/** Whether every partition's committed offset of the group has reached the topic's end. */
async function committedToEnd(brokers: string[], groupId: string, topic: string): Promise<boolean> {
  const admin = testKafka(brokers).admin();
  try {
    await admin.connect();
    const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const at = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
    return ends.every((e) => e.high === '0' || at.get(e.partition) === e.high);
  } catch {
    return false; // asked again: the coordinator may be moving
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

describe('an intake instance stalled mid-transaction', () => {
  it('is fenced by the partition\'s new owner: every discharge answered once, settled once', async () => {
    const { ledger, service, topics: t } = await weihaiService();
    await createTopics(kafka.brokers, topicsToEnsure(t, testAudiences()));
    const groupId = `${t.prefix}intake`;
    const producer = testKafka(kafka.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: t.hisDischarges, acks: -1,
      // Every partition gets discharges, so the instance that answers them all holds an answerer for each.
      messages: Array.from({ length: MESSAGES }, (_, i) => ({ partition: i % PARTITIONS, key: PERSONS[i % PERSONS.length]!, value: JSON.stringify(weihaiBody(PERSONS[i % PERSONS.length]!, `Z${i}`)), headers: { 'correlation-id': `z-${i}` } })),
    });
    await producer.disconnect();

    // The first transaction of the first instance stalls until released; later ones (after the release) do not.
    let stalledAt: number | undefined;
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const clientId = `stall-${randomUUID().slice(0, 8)}`;
    const [firstTrace, secondTrace] = [traceOf(), traceOf()];
    const first = testBus(kafka.brokers, {
      clientId, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS, logger: firstTrace.logger,
      beforeTransactionCommit: async ({ partition }) => {
        if (stalledAt !== undefined) return;
        stalledAt = partition;
        await released;
      },
    });
    const second = testBus(kafka.brokers, { clientId, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS, logger: secondTrace.logger });
    const firstErrors: unknown[] = [];
    const firstIntake = await startIntake({ bus: first, service, topics: t, groupId, maxMessageBytes: 64 * 1024, onError: (e) => { firstErrors.push(e); } });
    let firstStopped = false;
    const secondIntake = await (async () => {
      try {
        await waitFor(() => stalledAt !== undefined, 60_000, 'the first instance inside its first transaction');
        return await startIntake({ bus: second, service, topics: t, groupId, maxMessageBytes: 64 * 1024 });
      } catch (error) {
        release();
        await firstIntake.stop();
        await first.close();
        throw error;
      }
    })();
    try {
      // The second instance, given every partition once the first missed its session, answers all of them —
      // the stalled partition's discharges too, from the committed offset the stalled transaction did not move.
      await waitFor(() => committedToEnd(kafka.brokers, groupId, t.hisDischarges), 90_000, 'the second instance to commit every partition');
      // The first wakes and ends its transaction: refused (or, as before per-partition ids, committed).
      const joinsBefore = firstTrace.messages.filter((m) => m === 'kafka bus: joined the group').length;
      release();
      await waitFor(() => firstTrace.messages.some((m) => m === 'kafka bus: chunk fenced; dropped' || m === 'kafka bus: chunk committed'), 30_000, 'the woken instance to end its transaction');

      // Both idle, every transaction ended: reading to the end (read_committed) sees every answer given.
      const answers: InboundMessage[] = [];
      const check = testBus(kafka.brokers);
      try {
        await check.readToEnd(t.hisSettlements, (m) => { answers.push(m); });
      } finally { await check.close(); }
      const perId = new Map<string, number>();
      for (const m of answers) perId.set(m.headers['correlation-id'] ?? '', (perId.get(m.headers['correlation-id'] ?? '') ?? 0) + 1);
      const twice = [...perId].filter(([, n]) => n > 1).map(([id, n]) => `${id}×${n}`);
      expect(twice, `answered more than once (the stalled partition was ${stalledAt})`).toEqual([]);
      expect(new Set(perId.keys())).toEqual(new Set(Array.from({ length: MESSAGES }, (_, i) => `z-${i}`)));
      for (const m of answers) expect(dischargeAnswer.parse(JSON.parse(m.value?.toString('utf8') ?? ''))).toMatchObject({ outcome: 'settled' });
      expect(await ledger.outboxLag()).toBe(MESSAGES); // one ledger commit per discharge
      // The stalled instance learnt it was fenced (and dropped its chunk: nothing of it was read above).
      expect(firstErrors.some((e) => hasKafkaErrorType(e, FENCED)), firstErrors.map(String).join('\n')).toBe(true);
      // It rejoins the group (it did not crash), and the second, giving it partitions, closes the producers of those.
      await waitFor(() => firstTrace.messages.filter((m) => m === 'kafka bus: joined the group').length > joinsBefore, 60_000, 'the woken instance back in the group');
      await waitFor(() => secondTrace.messages.includes('kafka bus: answerers of partitions no longer ours closed'), 60_000, 'the second instance to close what it gave up');
      await Promise.all([secondIntake.stop(), firstIntake.stop()]);
      firstStopped = true;
    } finally {
      release();
      if (!firstStopped) await firstIntake.stop();
      await secondIntake.stop();
      await Promise.all([first.close(), second.close()]);
    }
  }, 180_000);
});
