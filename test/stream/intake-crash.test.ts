/**
 * The streaming intake when kafkajs gives its consumer up for good. kafkajs restarts a consumer by itself
 * only after a retriable crash; after a non-retriable one (CRASH with restart: false) it disconnects it
 * and stops, and the intake would go silent. Provoked here through kafkajs's own path, as an operator's
 * ACL change does in production: this file's broker runs Kafka's StandardAuthorizer (everything allowed
 * where no ACL says otherwise), and an ACL denying the intake's consumer group makes the next heartbeat
 * fail with GROUP_AUTHORIZATION_FAILED (non-retriable for kafkajs) — and every consumer started while it
 * stands fail too. The bus must report each crash, start a new consumer after a growing pause until the
 * ACL is taken back, and still answer every discharge exactly once. The same broker serves issue 23's
 * reply topic that the gateway may not write.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { SettlementService, type SettleOutcome } from '../../gateway/service/settlements.js';
import { SubscriptionCrashed } from '../../gateway/stream/bus.js';
import { startIntake } from '../../gateway/stream/intake.js';
import { topics as topicNames, type Topics } from '../../gateway/stream/topics.js';
import { topicsToEnsure } from '../../gateway/stream/wiring.js';
import { deadLetter, dischargeAnswer } from '../../schemas/messages.js';
import type { TestKafka } from '../support/kafka/cluster.js';
import { requestBody } from '../support/requests.js';
import { collect, createTopics, EXTERNAL_CLUSTER_SKIP, ownBrokers, programmes, sleep, startOwnKafka, testBus, testKafka, uniquePrefix, waitFor, type Seen, testAudiences } from './support.js';

// The ACL enums are not among the names Node's ESM loader finds in kafkajs's CommonJS exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** KRaft's authorizer; without any ACL on a resource everyone may use it, as on the shared broker. */
const AUTHORIZER = { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': true };
const PERSON_COUNT = 4;
const personOf = (i: number): string => `99010019900202${String(i % PERSON_COUNT).padStart(4, '0')}`;

let kafka: TestKafka;

/** Every client here is PLAINTEXT, hence User:ANONYMOUS; the ACL names the group, so only the intake is hit. */
const denyGroup = (groupId: string) => ({
  resourceType: AclResourceTypes.GROUP, resourceName: groupId, resourcePatternType: ResourcePatternTypes.LITERAL,
  principal: 'User:ANONYMOUS', host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.DENY,
});

async function withAdmin<T>(work: (admin: ReturnType<kafkajs.Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = testKafka(kafka.brokers).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

async function send(topic: string, from: number, to: number, tag: string): Promise<void> {
  const producer = testKafka(kafka.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic, acks: -1,
      messages: Array.from({ length: to - from }, (_, k) => {
        const i = from + k;
        return { key: personOf(i), value: JSON.stringify(requestBody({ settlementId: `${tag}${i}`, patient: { id: personOf(i) } })), headers: { 'correlation-id': `c-${i}` } };
      }),
    });
  } finally {
    await producer.disconnect();
  }
}

async function prepareTopics(): Promise<Topics> {
  const t = topicNames(uniquePrefix());
  await createTopics(kafka.brokers, topicsToEnsure(t, testAudiences()));
  return t;
}

const perCorrelationId = (messages: readonly Seen[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m.headers['correlation-id'] ?? '', (counts.get(m.headers['correlation-id'] ?? '') ?? 0) + 1);
  return counts;
};

describe.skipIf(!ownBrokers)(ownBrokers ? 'intake consumer given up by kafkajs (non-retriable crash)' : `intake crash: skipped, ${EXTERNAL_CLUSTER_SKIP}`, () => {
  beforeAll(async () => { kafka = await startOwnKafka(1, AUTHORIZER); }, 180_000);
  afterAll(async () => { await kafka?.stop(); });
  beforeEach(({ onTestFailed }) => { onTestFailed(() => { kafka.keepLogs(); }); });

  it('group ACL denied: each crash reported, new consumers after growing pauses, back by itself when the ACL goes; every discharge answered once', async () => {
    const ledger = new MemoryLedger();
    const service = new SettlementService({ ledger, programmes });
    const t = await prepareTopics();
    const groupId = `${t.prefix}intake`;
    const reader = await collect(kafka.brokers, [t.hisSettlements, t.dlq(t.hisDischarges)]);
    const answers = () => reader.seen.filter((m) => m.topic === t.hisSettlements);
    const bus = testBus(kafka.brokers, { restartInitialMs: 200, restartMaxMs: 1_000 });
    const errors: unknown[] = [];
    const crashes = () => errors.filter((e): e is SubscriptionCrashed => e instanceof SubscriptionCrashed);
    // The hook throws after noting the error, as a broken logger would: the bus must carry on regardless.
    const intake = await startIntake({ bus, service, topics: t, groupId, maxMessageBytes: 64 * 1024, onError: (e) => { errors.push(e); throw new TypeError('a broken onError hook'); } });
    const acl = denyGroup(groupId);
    let denied = false;
    try {
      await send(t.hisDischarges, 0, 8, 'AC');
      await waitFor(() => answers().length >= 8, 30_000, 'the first discharges answered');

      await withAdmin((a) => a.createAcls({ acl: [acl] }));
      denied = true;
      await waitFor(() => crashes().length >= 1, 30_000, 'the crash reported');
      await send(t.hisDischarges, 8, 16, 'AC');
      // The consumers the bus starts while the ACL stands are refused as well: reported, each after a longer pause.
      await waitFor(() => crashes().length >= 3, 30_000, 'restarts refused while the ACL stands');
      expect(answers()).toHaveLength(8); // nothing answered meanwhile: the intake really was down
      await withAdmin((a) => a.deleteAcls({ filters: [acl] }));
      denied = false;
      await send(t.hisDischarges, 16, 20, 'AC');
      await waitFor(() => answers().length >= 20, 60_000, 'every discharge answered after the ACL was taken back');
      await sleep(1_000); // room for a duplicate to show up

      const [first, second, third] = crashes();
      expect(first!.reason).toMatch(/^GROUP_AUTHORIZATION_FAILED: /);
      expect(first).toMatchObject({ groupId, topic: t.hisDischarges });
      expect(first!.cause).toBeInstanceOf(Error);
      // Doubling from 200 ms (less up to 20 % jitter), never past the 1 s cap.
      expect(first!.restartInMs).toBeGreaterThanOrEqual(160);
      expect(second!.restartInMs).toBeGreaterThan(first!.restartInMs);
      expect(third!.restartInMs).toBeGreaterThan(second!.restartInMs);
      for (const crash of crashes()) expect(crash.restartInMs).toBeLessThanOrEqual(1_000);

      expect(perCorrelationId(answers())).toEqual(new Map(Array.from({ length: 20 }, (_, i) => [`c-${i}`, 1])));
      for (const m of answers()) expect(dischargeAnswer.parse(JSON.parse(m.value))).toMatchObject({ outcome: 'settled', split: { status: 'settled' } });
      expect(reader.seen.filter((m) => m.topic === t.dlq(t.hisDischarges))).toEqual([]);
      expect(await ledger.outboxLag()).toBe(20); // one ledger commit per discharge
      for (let i = 0; i < 20; i++) expect((await ledger.getSettlement('H99000000001', `AC${i}`))?.status).toBe('settled');
    } finally {
      if (denied) await withAdmin((a) => a.deleteAcls({ filters: [acl] })).catch(() => undefined);
      await intake.stop();
      await reader.stop();
      await bus.close();
    }
  }, 120_000);

  it('stopped while a restart is pending: the pause is cancelled and no consumer comes back', async () => {
    const ledger = new MemoryLedger();
    const t = await prepareTopics();
    const groupId = `${t.prefix}intake`;
    const RESTART_MS = 3_000;
    const bus = testBus(kafka.brokers, { restartInitialMs: RESTART_MS, restartMaxMs: RESTART_MS });
    const errors: unknown[] = [];
    const crashes = () => errors.filter((e): e is SubscriptionCrashed => e instanceof SubscriptionCrashed);
    const intake = await startIntake({ bus, service: new SettlementService({ ledger, programmes }), topics: t, groupId, maxMessageBytes: 64 * 1024, onError: (e) => { errors.push(e); } });
    const members = () => withAdmin(async (a) => (await a.describeGroups([groupId])).groups[0]?.members.map((m) => m.memberId) ?? []);
    const acl = denyGroup(groupId);
    let denied = false;
    try {
      await waitFor(async () => (await members()).length === 1, 30_000, 'the intake in its group');
      const crashed = await members();
      await withAdmin((a) => a.createAcls({ acl: [acl] }));
      denied = true;
      await waitFor(() => crashes().length >= 1, 30_000, 'the crash reported');
      const stopping = Date.now();
      await intake.stop();
      expect(Date.now() - stopping).toBeLessThan(RESTART_MS); // did not wait for the restart
      await withAdmin((a) => a.deleteAcls({ filters: [acl] }));
      denied = false;
      await sleep(RESTART_MS + 1_000);
      // The crashed member could not leave (LeaveGroup was denied too): it lingers until its session
      // times out. A consumer started after stop() would join and stay.
      expect((await members()).filter((id) => !crashed.includes(id))).toEqual([]);
      await waitFor(async () => (await members()).length === 0, 20_000, 'the group empty');
      expect(crashes()).toHaveLength(1);
    } finally {
      if (denied) await withAdmin((a) => a.deleteAcls({ filters: [acl] })).catch(() => undefined);
      await intake.stop();
      await bus.close();
    }
  }, 60_000);

  it('issue 23: a reply-to topic the gateway may not write (ACL) is dead-lettered after bounded tries; the others answered', async () => {
    const ledger = new MemoryLedger();
    const t = await prepareTopics();
    const forbidden = `${t.prefix}his.h3.settlements`;
    await createTopics(kafka.brokers, [forbidden]);
    const acl = {
      resourceType: AclResourceTypes.TOPIC, resourceName: forbidden, resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:ANONYMOUS', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.DENY,
    };
    await withAdmin((a) => a.createAcls({ acl: [acl] }));
    const reader = await collect(kafka.brokers, [t.hisSettlements, t.dlq(t.hisDischarges)]);
    const bus = testBus(kafka.brokers);
    const intake = await startIntake({ bus, service: new SettlementService({ ledger, programmes }), topics: t, groupId: `${t.prefix}intake`, maxMessageBytes: 64 * 1024 });
    try {
      const producer = testKafka(kafka.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({
        topic: t.hisDischarges, acks: -1,
        messages: Array.from({ length: 5 }, (_, i) => ({
          key: personOf(i), value: JSON.stringify(requestBody({ settlementId: `FB${i}`, patient: { id: personOf(i) } })),
          headers: { 'correlation-id': `c-${i}`, ...(i === 2 ? { 'reply-to': forbidden } : {}) },
        })),
      });
      await producer.disconnect();
      const dead = () => reader.seen.filter((m) => m.topic === t.dlq(t.hisDischarges));
      await waitFor(() => reader.seen.length >= 5 && dead().length >= 1, 30_000, 'four answers and a dead letter');
      expect(perCorrelationId(reader.seen.filter((m) => m.topic === t.hisSettlements))).toEqual(new Map([['c-0', 1], ['c-1', 1], ['c-3', 1], ['c-4', 1]]));
      const letter = deadLetter.parse(JSON.parse(dead()[0]!.value));
      expect(letter.undeliveredAnswer).toMatchObject({ topic: forbidden, reason: 'topic-forbidden', attempts: 3, outcome: 'settled', settlementId: 'FB2' });
      expect(await ledger.outboxLag()).toBe(5);
    } finally {
      await withAdmin((a) => a.deleteAcls({ filters: [acl] })).catch(() => undefined);
      await intake.stop();
      await reader.stop();
      await bus.close();
    }
  }, 60_000);

  it('an onError hook that throws while a batch is retried does not crash the consumer: answered once, no crash', async () => {
    const ledger = new MemoryLedger();
    const settlements = new SettlementService({ ledger, programmes });
    let failures = 0;
    const flaky = {
      async settle(body: unknown): Promise<SettleOutcome> {
        if (failures++ === 0) throw new Error('ledger briefly unreachable');
        return settlements.settle(body, undefined);
      },
    };
    const t = await prepareTopics();
    const reader = await collect(kafka.brokers, [t.hisSettlements]);
    const bus = testBus(kafka.brokers, { restartInitialMs: 200, restartMaxMs: 1_000 });
    const errors: unknown[] = [];
    // A TypeError escaping eachBatch is one kafkajs never retries: it would give the consumer up.
    const intake = await startIntake({ bus, service: flaky, topics: t, groupId: `${t.prefix}intake`, maxMessageBytes: 64 * 1024, onError: (e) => { errors.push(e); throw new TypeError('a broken onError hook'); } });
    try {
      await send(t.hisDischarges, 0, 3, 'HK');
      await waitFor(() => reader.seen.length >= 3, 30_000, 'the answers');
      await sleep(1_000);
      expect(perCorrelationId(reader.seen)).toEqual(new Map([['c-0', 1], ['c-1', 1], ['c-2', 1]]));
      expect(errors.length).toBeGreaterThanOrEqual(1);
      expect(errors.filter((e) => e instanceof SubscriptionCrashed)).toEqual([]);
      expect(await ledger.outboxLag()).toBe(3);
    } finally {
      await intake.stop();
      await reader.stop();
      await bus.close();
    }
  }, 60_000);
});
