/**
 * Issue 23: an answer the intake cannot write must not hold up every hospital's discharges. On a broker
 * of this file's own with auto.create.topics.enable=false (the shared broker creates topics on produce,
 * so a missing reply topic could not happen there), a discharge whose reply-to names a topic that does
 * not exist, and one whose answer is over its topic's max.message.bytes, each sit between good discharges
 * of several hospitals on every partition: the good ones are answered, the bad one is dead-lettered
 * after bounded tries with the settlement's outcome, and nothing is settled twice.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { RecordsUndeliverable, type Bus, type Subscription } from '../../gateway/stream/bus.js';
import { recordBytes } from '../../gateway/stream/record-size.js';
import { startIntake, type UndeliveredAnswer } from '../../gateway/stream/intake.js';
import { topics as topicNames, type Topics } from '../../gateway/stream/topics.js';
import { topicsToEnsure } from '../../gateway/stream/wiring.js';
import { deadLetter, dischargeAnswer } from '../../schemas/messages.js';
import type { TestKafka } from '../support/kafka/cluster.js';
import { requestBody } from '../support/requests.js';
import { collect, createTopics, EXTERNAL_CLUSTER_SKIP, ownBrokers, programmes, startOwnKafka, testBus, testKafka, uniquePrefix, waitFor, testAudiences } from './support.js';

const HOSPITALS = ['H99000000001', 'H99000000002', 'H99000000003', 'H99000000004'];
const GOOD = 40;
const personOf = (i: number): string => `99010019800303${String(i).padStart(4, '0')}`;

let kafka: TestKafka;

interface Discharge { key: string; value: string; headers: Record<string, string> }

/** Discharge i: hospital i mod 4, a person of its own (so the keys spread over every partition). */
function discharge(t: Topics, i: number, replyTo?: string): Discharge {
  const body = requestBody({ settlementId: `UD${i}`, hospital: { id: HOSPITALS[i % HOSPITALS.length]! }, patient: { id: personOf(i) } });
  return { key: personOf(i), value: JSON.stringify(body), headers: { 'correlation-id': `c-${i}`, ...(replyTo ? { 'reply-to': replyTo } : {}) } };
}

async function send(topic: string, messages: Discharge[]): Promise<void> {
  const producer = testKafka(kafka.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** The intake on fresh topics, with the answers, dead letters, errors and undeliverable reports it produced. */
async function setUp(extraTopicsOf: (t: Topics) => Array<{ topic: string; configEntries: Array<{ name: string; value: string }> }> = () => []) {
  const ledger = new MemoryLedger();
  const service = new SettlementService({ ledger, programmes });
  const t = topicNames(uniquePrefix());
  const extraTopics = extraTopicsOf(t);
  await createTopics(kafka.brokers, topicsToEnsure(t, testAudiences()));
  if (extraTopics.length > 0) {
    const admin = testKafka(kafka.brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: extraTopics.map((e) => ({ ...e, numPartitions: 3, replicationFactor: 1 })), waitForLeaders: false });
    await admin.disconnect();
    await createTopics(kafka.brokers, extraTopics.map((e) => e.topic)); // waits for their leaders
  }
  const reader = await collect(kafka.brokers, [t.hisSettlements, t.dlq(t.hisDischarges)]);
  const bus = testBus(kafka.brokers);
  const errors: unknown[] = [];
  const reports: UndeliveredAnswer[] = [];
  const intake = await startIntake({
    bus, service, topics: t, groupId: `${t.prefix}intake`, maxMessageBytes: 64 * 1024,
    onError: (e) => errors.push(e), onUndeliverable: (a) => reports.push(a),
  });
  return {
    t, ledger, errors, reports,
    answers: () => reader.seen.filter((m) => m.topic === t.hisSettlements),
    dead: () => reader.seen.filter((m) => m.topic === t.dlq(t.hisDischarges)),
    async tearDown() { await intake.stop(); await reader.stop(); await bus.close(); },
  };
}

describe.skipIf(!ownBrokers)(ownBrokers ? 'intake answers that cannot be written (auto-create off)' : `undeliverable answers: skipped, ${EXTERNAL_CLUSTER_SKIP}`, () => {
  beforeAll(async () => { kafka = await startOwnKafka(1, { 'auto.create.topics.enable': false }); }, 180_000);
  afterAll(async () => { await kafka?.stop(); });
  beforeEach(({ onTestFailed }) => { onTestFailed(() => { kafka.keepLogs(); }); });

  it('a reply-to naming a missing topic: the 40 others answered, that one dead-lettered as settled, nothing settled twice', async () => {
    const s = await setUp();
    const missing = `${s.t.prefix}his.h9.settlements`;
    try {
      const messages = Array.from({ length: GOOD + 1 }, (_, i) => (i === GOOD / 2 ? discharge(s.t, i, missing) : discharge(s.t, i)));
      await send(s.t.hisDischarges, messages);
      // Before issue 23 no answer came at all: the chunk holding the bad one was retried for ever.
      await waitFor(() => s.answers().length >= GOOD && s.dead().length >= 1, 20_000, 'the good answers and the dead letter');

      const answered = s.answers().map((m) => m.headers['correlation-id']).sort();
      expect(answered).toEqual(Array.from({ length: GOOD + 1 }, (_, i) => i).filter((i) => i !== GOOD / 2).map((i) => `c-${i}`).sort());
      for (const m of s.answers()) expect(dischargeAnswer.parse(JSON.parse(m.value))).toMatchObject({ outcome: 'settled' });

      expect(s.dead()).toHaveLength(1);
      const letter = deadLetter.parse(JSON.parse(s.dead()[0]!.value));
      expect(s.dead()[0]!.headers['correlation-id']).toBe(`c-${GOOD / 2}`);
      expect(letter.problem).toMatchObject({ code: 'ANSWER_UNDELIVERABLE', status: 502, errors: [{ path: 'headers.reply-to' }] });
      expect(letter.problem.detail).toContain('结算已完成');
      expect(letter.problem.detail).toContain(missing);
      expect(letter.undeliveredAnswer).toMatchObject({
        topic: missing, reason: 'topic-missing', attempts: 3, outcome: 'settled', settlementId: `UD${GOOD / 2}`, hospitalId: HOSPITALS[(GOOD / 2) % 4],
        lookup: `/v1/settlements/${HOSPITALS[(GOOD / 2) % 4]}/UD${GOOD / 2}`,
      });
      expect(letter.original).toMatchObject({ topic: s.t.hisDischarges, key: personOf(GOOD / 2) });
      expect(typeof letter.undeliveredAnswer?.gatewayId).toBe('string');

      // The stay is settled, once: one ledger commit per discharge, the retries replayed it.
      expect((await s.ledger.getSettlement(HOSPITALS[(GOOD / 2) % 4]!, `UD${GOOD / 2}`))?.status).toBe('settled');
      expect(await s.ledger.outboxLag()).toBe(GOOD + 1);
      // Bounded: two attempts reported, the third dead-lettered; reported once, for the log and the metric.
      expect(s.errors.filter((e) => e instanceof RecordsUndeliverable)).toHaveLength(2);
      expect(s.reports).toEqual([expect.objectContaining({ topic: missing, reason: 'topic-missing', key: personOf(GOOD / 2), correlationId: `c-${GOOD / 2}`, settlementId: `UD${GOOD / 2}` })]);
    } finally { await s.tearDown(); }
  }, 60_000);

  it('a reply topic deleted after the intake wrote to it: that answer dead-lettered as missing, the others answered', async () => {
    const ownOf = (t: Topics) => `${t.prefix}his.h7.settlements`;
    const s = await setUp((t) => [{ topic: ownOf(t), configEntries: [] }]);
    const own = ownOf(s.t);
    const reader = await collect(kafka.brokers, [own]);
    try {
      await send(s.t.hisDischarges, [discharge(s.t, 0, own)]);
      await waitFor(() => reader.seen.length >= 1, 20_000, 'the answer on the hospital\'s own topic');
      await reader.stop();
      const admin = testKafka(kafka.brokers).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [own] });
      await waitFor(async () => !(await admin.listTopics()).includes(own), 10_000, 'the topic gone');
      await admin.disconnect();

      await send(s.t.hisDischarges, [discharge(s.t, 1), discharge(s.t, 2, own), discharge(s.t, 3), discharge(s.t, 5)]);
      await waitFor(() => s.answers().length >= 3 && s.dead().length >= 1, 30_000, 'the good answers and the dead letter');
      expect(s.answers().map((m) => m.headers['correlation-id']).sort()).toEqual(['c-1', 'c-3', 'c-5']);
      expect(deadLetter.parse(JSON.parse(s.dead()[0]!.value)).undeliveredAnswer).toMatchObject({ topic: own, reason: 'topic-missing', outcome: 'settled', settlementId: 'UD2' });
      expect(await s.ledger.outboxLag()).toBe(5);
    } finally { await reader.stop(); await s.tearDown(); }
  }, 60_000);

  it('an answer over its reply topic\'s max.message.bytes: refused by the broker inside the transaction, found, dead-lettered; the others answered', async () => {
    const smallOf = (t: Topics) => `${t.prefix}his.small.settlements`;
    const s = await setUp((t) => [{ topic: smallOf(t), configEntries: [{ name: 'max.message.bytes', value: '1024' }] }]);
    const small = smallOf(s.t);
    try {
      const messages = Array.from({ length: 13 }, (_, i) => (i === 6 ? discharge(s.t, i, small) : discharge(s.t, i)));
      await send(s.t.hisDischarges, messages);
      await waitFor(() => s.answers().length >= 12 && s.dead().length >= 1, 20_000, 'the good answers and the dead letter');
      expect(s.answers().map((m) => m.headers['correlation-id']).sort()).toEqual(Array.from({ length: 13 }, (_, i) => i).filter((i) => i !== 6).map((i) => `c-${i}`).sort());
      const letter = deadLetter.parse(JSON.parse(s.dead()[0]!.value));
      expect(letter.undeliveredAnswer).toMatchObject({ topic: small, reason: 'too-large', outcome: 'settled', settlementId: 'UD6' });
      expect(letter.problem.errors[0]?.path).toBe('(answer)');
      expect(s.dead()).toHaveLength(1);
      expect(await s.ledger.outboxLag()).toBe(13);
    } finally { await s.tearDown(); }
  }, 60_000);
});

describe('the dead letter standing in for an undeliverable answer (no broker)', () => {
  it('carries the original message when it fits under the bus\'s record limit, and else only its place', async () => {
    let subscription: Subscription | undefined;
    const bus: Bus = {
      kind: 'memory',
      subscribe: async (s) => { subscription = s; return { stop: async () => undefined }; },
      publish: async () => undefined, readToEnd: async () => undefined, close: async () => undefined,
    };
    const t = topicNames(uniquePrefix());
    await startIntake({ bus, service: new SettlementService({ ledger: new MemoryLedger(), programmes }), topics: t, groupId: 'g', maxMessageBytes: 64 * 1024 });
    const body = JSON.stringify(requestBody({ settlementId: 'BIG1' }));
    const [answer] = await subscription!.handle([{ topic: t.hisDischarges, partition: 1, offset: '7', key: Buffer.from('k'), value: Buffer.from(body), headers: { 'correlation-id': 'b-1', 'reply-to': `${t.prefix}his.h9.settlements` } }]);
    const letterOf = (maxRecordBytes: number) => {
      const [record] = subscription!.undeliverable!([{ record: answer!, reason: 'topic-missing', attempts: 3, maxRecordBytes }]);
      expect(record!.topic).toBe(t.dlq(t.hisDischarges));
      return { bytes: recordBytes(record!), letter: deadLetter.parse(JSON.parse(record!.value)) };
    };
    const roomy = letterOf(1 << 20);
    expect(roomy.letter.original).toMatchObject({ value: body, partition: 1, offset: '7' });
    const tight = letterOf(roomy.bytes - 1);
    expect(tight.bytes).toBeLessThanOrEqual(roomy.bytes - 1);
    expect(tight.letter.original).toMatchObject({ value: null, partition: 1, offset: '7', topic: t.hisDischarges });
    expect(tight.letter.undeliveredAnswer).toMatchObject({ outcome: 'settled', settlementId: 'BIG1', reason: 'topic-missing' });
  });
});
