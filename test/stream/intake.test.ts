/**
 * Streaming intake against Kafka over TCP: a discharge message is settled through the service and
 * answered once, inside a transaction with the consumed offset; poison goes to the DLQ with its
 * reason; a redelivered or retried message replays instead of settling twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIntake } from '../../gateway/stream/intake.js';
import type { SettleOutcome } from '../../gateway/service/settlements.js';
import { deadLetter, dischargeAnswer } from '../../schemas/messages.js';
import { topicsToEnsure } from '../../gateway/stream/wiring.js';
import { batchBytes } from '../../gateway/stream/record-size.js';
import { collect, createTopics, kafkaUnderTest, PERSONS, testBus, testKafka, waitFor, sleep, weihaiBody, weihaiService, type KafkaUnderTest, testAudiences } from './support.js';

let kafka: KafkaUnderTest;
beforeAll(async () => { kafka = await kafkaUnderTest(); });
afterAll(async () => { await kafka.stop(); });

async function send(topic: string, messages: Array<{ key?: string; value: string; headers?: Record<string, string> }>): Promise<void> {
  const producer = testKafka(kafka.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

async function setUp(service?: { settle(body: unknown): Promise<SettleOutcome> }) {
  const base = await weihaiService();
  const { topics } = base;
  await createTopics(kafka.brokers, topicsToEnsure(topics, testAudiences()));
  const reader = await collect(kafka.brokers, [topics.hisSettlements, topics.dlq(topics.hisDischarges), `${topics.prefix}his.h2.settlements`]);
  const bus = testBus(kafka.brokers);
  const errors: unknown[] = [];
  const intake = await startIntake({ bus, service: service ?? base.service, topics, groupId: `${topics.prefix}intake`, maxMessageBytes: 64 * 1024, onError: (e) => errors.push(e) });
  const answers = () => reader.seen.filter((m) => m.topic !== topics.dlq(topics.hisDischarges));
  const dead = () => reader.seen.filter((m) => m.topic === topics.dlq(topics.hisDischarges));
  return {
    ...base, reader, bus, errors, answers, dead,
    async tearDown() { await intake.stop(); await reader.stop(); await bus.close(); },
  };
}

describe('streaming intake', () => {
  it('settles a discharge message and answers once, echoing the correlation id', async () => {
    const t = await setUp();
    try {
      await send(t.topics.hisDischarges, [{ key: PERSONS[0], value: JSON.stringify(weihaiBody(PERSONS[0], 'M1')), headers: { 'correlation-id': 'c-1' } }]);
      await waitFor(() => t.answers().length >= 1, 10_000, 'the answer');
      await sleep(300);
      expect(t.answers()).toHaveLength(1);
      const [m] = t.answers();
      expect(m!.headers['correlation-id']).toBe('c-1');
      const answer = dischargeAnswer.parse(JSON.parse(m!.value));
      expect(answer).toMatchObject({ outcome: 'settled', replay: false, split: { settlementId: 'M1', status: 'settled' } });
      expect((await t.ledger.getSettlement('H37100200001', 'M1'))?.status).toBe('settled');
      expect(await t.ledger.outboxLag()).toBe(1);
      expect(t.dead()).toHaveLength(0);
    } finally { await t.tearDown(); }
  });

  it('dead-letters poison with the problem and the original payload, answering the problem, and goes on', async () => {
    const t = await setUp();
    try {
      const invalid = { ...weihaiBody(PERSONS[1], 'M2'), items: [] };
      const backwards = weihaiBody(PERSONS[1], 'M3');
      backwards.encounter.admittedOn = '2020-04-01';
      await send(t.topics.hisDischarges, [
        { key: 'x', value: '{not json', headers: { 'correlation-id': 'p-1' } },
        { key: PERSONS[1], value: JSON.stringify(invalid), headers: { 'correlation-id': 'p-2' } },
        { key: PERSONS[1], value: JSON.stringify(weihaiBody(PERSONS[1], 'M4')), headers: { 'correlation-id': 'p-3', 'reply-to': t.topics.settlementEvents } },
        { key: PERSONS[1], value: JSON.stringify(weihaiBody(PERSONS[1], 'M5')), headers: { 'correlation-id': 'ok', 'reply-to': `${t.topics.prefix}his.h2.settlements` } },
      ]);
      await waitFor(() => t.answers().length >= 4 && t.dead().length >= 3, 10_000, 'answers and dead letters');
      const letters = t.dead().map((m) => ({ id: m.headers['correlation-id'], letter: deadLetter.parse(JSON.parse(m.value)) }));
      expect(letters.map((l) => l.id)).toEqual(['p-1', 'p-2', 'p-3']);
      expect(letters[0]!.letter).toMatchObject({ problem: { status: 400, code: 'INVALID_REQUEST', detail: '请求体不是有效的 JSON' }, original: { value: '{not json', topic: t.topics.hisDischarges, key: 'x' } });
      expect(letters[1]!.letter.problem.errors.some((e) => e.path === 'items')).toBe(true);
      expect(letters[2]!.letter.problem.errors[0]?.path).toBe('headers.reply-to');
      const ok = t.answers().find((m) => m.headers['correlation-id'] === 'ok')!;
      expect(ok.topic).toBe(`${t.topics.prefix}his.h2.settlements`);
      const rejected = t.answers().filter((m) => m.headers['correlation-id'] !== 'ok').map((m) => dischargeAnswer.parse(JSON.parse(m.value)));
      expect(rejected.every((a) => a.outcome === 'rejected')).toBe(true);
      expect(await t.ledger.getSettlement('H37100200001', 'M4')).toBeNull(); // a forbidden reply-to settles nothing
    } finally { await t.tearDown(); }
  });

  it('a redelivered message replays the stored split: one commit, the second answer says replay', async () => {
    const t = await setUp();
    try {
      const value = JSON.stringify(weihaiBody(PERSONS[2], 'M6'));
      await send(t.topics.hisDischarges, [{ key: PERSONS[2], value, headers: { 'correlation-id': 'r-1' } }, { key: PERSONS[2], value, headers: { 'correlation-id': 'r-2' } }]);
      await waitFor(() => t.answers().length >= 2, 10_000, 'two answers');
      const [a, b] = t.answers().map((m) => dischargeAnswer.parse(JSON.parse(m.value)));
      expect(a).toMatchObject({ outcome: 'settled', replay: false });
      expect(b).toMatchObject({ outcome: 'settled', replay: true });
      if (a?.outcome === 'settled' && b?.outcome === 'settled') expect(b.split).toEqual(a.split);
      expect(await t.ledger.outboxLag()).toBe(1);
    } finally { await t.tearDown(); }
  });

  it('a crash after the ledger commit and before the Kafka commit answers once, from the replay', async () => {
    const base = await weihaiService();
    let crashes = 0;
    const crashing = {
      async settle(body: unknown): Promise<SettleOutcome> {
        const outcome = await base.service.settle(body, undefined);
        if (crashes++ === 0) throw new Error('process died before the transaction committed');
        return outcome;
      },
    };
    const t = await setUp(crashing);
    try {
      await send(t.topics.hisDischarges, [{ key: PERSONS[0], value: JSON.stringify(weihaiBody(PERSONS[0], 'M7')), headers: { 'correlation-id': 'x-1' } }]);
      await waitFor(() => t.answers().length >= 1, 10_000, 'the answer');
      await sleep(400);
      expect(t.answers()).toHaveLength(1);
      expect(dischargeAnswer.parse(JSON.parse(t.answers()[0]!.value))).toMatchObject({ outcome: 'settled', replay: true });
      expect(t.errors.length).toBe(1);
      expect(await base.ledger.outboxLag()).toBe(1); // settled once
    } finally { await t.tearDown(); }
  });

  it('reports its lag per partition: the messages waiting when the batch came, less each chunk committed, down to 0', async () => {
    const base = await weihaiService();
    const t = base.topics;
    await createTopics(kafka.brokers, topicsToEnsure(t, testAudiences()));
    // Sent before the intake starts, one person (one partition): the first batch holds all ten.
    await send(t.hisDischarges, Array.from({ length: 10 }, (_, i) => ({ key: PERSONS[0], value: JSON.stringify(weihaiBody(PERSONS[0], `LG${i}`)) })));
    const bus = testBus(kafka.brokers);
    const reports: Array<Map<number, number>> = [];
    const intake = await startIntake({ bus, service: base.service, topics: t, groupId: `${t.prefix}intake`, maxMessageBytes: 64 * 1024, maxMessagesPerTransaction: 3, onLag: (lag) => { reports.push(new Map(lag)); } });
    try {
      await waitFor(() => reports.some((r) => [...r.values()].includes(0)), 20_000, 'the lag back to 0');
      const partitions = new Set(reports.flatMap((r) => [...r.keys()]));
      expect(partitions.size).toBe(1);
      const [partition] = partitions;
      const seen = reports.filter((r) => r.has(partition!)).map((r) => r.get(partition!));
      // 10 waiting when the batch came; chunks of three committed: 7, 4, 1, then 0.
      expect(seen).toEqual([10, 7, 4, 1, 0]);
      expect(await base.ledger.outboxLag()).toBe(10);
    } finally {
      await intake.stop();
      await bus.close();
    }
  });

  it('answers a chunk whose answers would not fit in one record batch in several transactions, each within the limit, every message once and in order', async () => {
    const base = await weihaiService();
    const t = base.topics;
    await createTopics(kafka.brokers, topicsToEnsure(t, testAudiences()));
    // One person (one partition each way), sent before the intake starts: the first batch holds all ten. A 威海
    // answer is ~2.9 KB: ten of them (~29 KB) would make one batch far over this limit, and three fit.
    const limit = 12 * 1024;
    await send(t.hisDischarges, Array.from({ length: 10 }, (_, i) => ({ key: PERSONS[0], value: JSON.stringify(weihaiBody(PERSONS[0], `RB${i}`)) })));
    const reader = await collect(kafka.brokers, [t.hisSettlements]);
    const bus = testBus(kafka.brokers, { maxMessageBytes: limit });
    const intake = await startIntake({ bus, service: base.service, topics: t, groupId: `${t.prefix}intake`, maxMessageBytes: 64 * 1024 });
    try {
      await waitFor(() => reader.seen.length >= 10, 20_000, 'ten answers');
      await sleep(300);
      const seen = [...reader.seen].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
      expect(seen.map((m) => { const answer = dischargeAnswer.parse(JSON.parse(m.value)); return answer.outcome === 'settled' ? answer.split.settlementId : answer.outcome; })).toEqual(Array.from({ length: 10 }, (_, i) => `RB${i}`));
      // A transaction's records are consecutive in the partition; its commit marker takes the next offset.
      const transactions: Array<typeof seen> = [];
      seen.forEach((m, i) => {
        if (i > 0 && BigInt(m.offset) === BigInt(seen[i - 1]!.offset) + 1n) transactions[transactions.length - 1]!.push(m);
        else transactions.push([m]);
      });
      expect(transactions.length).toBeGreaterThan(1);
      for (const records of transactions) expect(batchBytes(records.map((m) => ({ topic: m.topic, key: m.key ?? '', value: m.value, headers: m.headers })))).toBeLessThanOrEqual(limit);
      expect(await base.ledger.outboxLag()).toBe(10); // each settled once, however often its chunk was handled
    } finally {
      await intake.stop();
      await reader.stop();
      await bus.close();
    }
  });
});
