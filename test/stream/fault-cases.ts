/**
 * Faults a Kafka operator asks about, on three Apache Kafka brokers (replication factor 3,
 * min.insync.replicas 2) with a separate KRaft controller, each broker a JVM killed with SIGKILL:
 * (a) the partition leader of settlement.events dies mid-relay;
 * (b) two of three brokers die: nothing can be acknowledged, the outbox holds, readiness says so;
 * (c) the transaction coordinator of the streaming intake dies while it answers.
 * Counts, per-person order and ce_id uniqueness are checked on what Kafka finally holds, read to its
 * end (read_committed) after the work is done.
 * Run on secured brokers (kafka-secured.test.ts:
 * SASL_SSL listeners, SCRAM users, the StandardAuthorizer with deploy/kafka/acls.yaml applied), where the relay
 * and the intake run as the gateway's SCRAM user on its published grants alone and the HIS sends as its own
 * user on its hospital's topic (the intake scoped per hospital): the configuration production allows (it refuses
 * plaintext and the unscoped intake). The plaintext variant (`secured: false`) ran as kafka-faults.test.ts on a cluster
 * of its own until its ~70 s pushed `npm test` near its 10 minutes; a plaintext listener on the secured cluster would
 * bring it back at no cost.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { loadConfig } from '../../gateway/config.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { startIntake } from '../../gateway/stream/intake.js';
import { aclBindings, applyAcls, readAclPlan } from '../../gateway/stream/kafka-acls.js';
import { transactionalIdOf } from '../../gateway/stream/kafka-bus.js';
import type { InboundMessage } from '../../gateway/stream/bus.js';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { topics as topicNames, type Topics } from '../../gateway/stream/topics.js';
import { relayReady, topicsToEnsure } from '../../gateway/stream/wiring.js';
import { dischargeAnswer } from '../../schemas/messages.js';
import type { ClientAccess, TestKafka } from '../support/kafka/cluster.js';
import { TRANSACTION_STATE_PARTITIONS } from '../support/kafka/properties.js';
import { requestBody } from '../support/requests.js';
import { createTopics, mappingFor, programmes, testBus, uniquePrefix, waitFor, testAudiences } from './support.js';
import { COMPOSED } from '../../gateway/main.js';

const PERSON_COUNT = 12;
const personOf = (i: number): string => `99010019900101${String(i % PERSON_COUNT).padStart(4, '0')}`;

const plan = readAclPlan(readFileSync(join(import.meta.dirname, '../../deploy/kafka/acls.yaml'), 'utf8'), COMPOSED.acls);
const userOf = (principal: string): string => principal.replace(/^User:/, '');
/** The SCRAM users a secured cluster needs for these tests: the gateway's and the HIS's. */
export const GATEWAY_USER = userOf(plan.gateway.principal);
const HIS = plan.hospitals[0]!;
export const HIS_USER = userOf(HIS.principal);
const HOSPITAL = HIS.hospitalIds[0]!; // requestBody's hospital, H99000000001
/** Names the published grants cover (a group under KAFKA_INTAKE_GROUP's prefix, transactional ids under the client id's). */
const INTAKE_GROUP = plan.gateway.groups[0]!;
const CLIENT_ID = plan.gateway.clientIds[0]!;

export interface Variant { name: string; secured: boolean }

let kafka: TestKafka;
let variant: Variant;
/** The gateway's and the HIS's connections: their SCRAM users on the secured cluster, nothing on the plaintext one. */
const gatewayAccess = (): ClientAccess => (variant.secured ? kafka.access(GATEWAY_USER) : {});
const hisAccess = (): ClientAccess => (variant.secured ? kafka.access(HIS_USER) : {});

function admin() {
  return new Kafka({ brokers: kafka.brokerIds.filter((id) => kafka.running(id)).map((id) => kafka.address(id)), clientId: 'fault-admin', ...kafka.access(), logLevel: logLevel.NOTHING, connectionTimeout: 1_000, requestTimeout: 5_000, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1_000 } }).admin();
}

/** The partition's leader, once the brokers know the topic (__transaction_state appears with the first transaction). */
async function leaderOf(topic: string, partition: number): Promise<number> {
  let leader = -1;
  await waitFor(async () => {
    const a = admin();
    try {
      await a.connect();
      const { topics } = await a.fetchTopicMetadata({ topics: [topic] });
      leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader ?? -1;
      return leader >= 0;
    } catch {
      return false;
    } finally {
      await a.disconnect().catch(() => undefined);
    }
  }, 60_000, `a leader of ${topic}/${partition}`);
  return leader;
}

/** Every partition of every topic (internal ones included) has all its replicas in sync again. */
async function waitForFullIsr(): Promise<void> {
  await waitFor(async () => {
    const a = admin();
    try {
      await a.connect();
      const { topics } = await a.fetchTopicMetadata();
      return topics.every((t) => t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length));
    } catch {
      return false;
    } finally {
      await a.disconnect().catch(() => undefined);
    }
  }, 120_000, 'every replica back in sync');
}

/** Java's String.hashCode, by which Kafka maps a transactional id to a __transaction_state partition. */
function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}
const transactionStatePartition = (transactionalId: string): number => {
  const h = javaHashCode(transactionalId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % TRANSACTION_STATE_PARTITIONS;
};

/** The error, its causes and aggregated errors as one text: kafkajs wraps the broker's error code. */
function errorText(error: unknown, depth = 0): string {
  if (depth > 5 || typeof error !== 'object' || error === null) return String(error);
  const e = error as { name?: string; type?: string; message?: string; cause?: unknown; errors?: unknown[] };
  return [e.name, e.type, e.message, e.cause ? errorText(e.cause, depth + 1) : '', ...(e.errors ?? []).map((x) => errorText(x, depth + 1))].filter(Boolean).join(' | ');
}

/** Everything the topic holds now, read_committed, to its end. */
async function readAll(topic: string): Promise<InboundMessage[]> {
  const bus = testBus(kafka.brokerIds.filter((id) => kafka.running(id)).map((id) => kafka.address(id)), { readToEndTimeoutMs: 60_000, ...kafka.access() });
  const out: InboundMessage[] = [];
  try {
    await bus.readToEnd(topic, (m) => { out.push(m); });
  } finally {
    await bus.close();
  }
  return out;
}

const text = (b: Buffer | null): string | null => b?.toString('utf8') ?? null;

/** How many events the persons' expected orders hold in all. */
const eventCount = (expected: ReadonlyMap<string, string[]>): number => [...expected.values()].reduce((n, list) => n + list.length, 0);

/**
 * settlement.events read to its end again until it holds every expected event (distinct ce_id) or a minute has
 * passed, then what was read. Why again: just after a fail-over the new leader's high watermark can stand below
 * records the old leader had acknowledged (acks=all) until its followers fetch from it again, so "the end" read
 * then stops short of records that are there. A record really lost never turns up, and expectDelivered says so.
 */
async function readAllEvents(topic: string, expected: ReadonlyMap<string, string[]>): Promise<InboundMessage[]> {
  const total = eventCount(expected);
  let events: InboundMessage[] = [];
  const whole = async () => new Set((events = await readAll(topic)).map((m) => m.headers.ce_id)).size >= total;
  await waitFor(whole, 60_000, `${total} events on ${topic}`).catch(() => undefined);
  return events;
}

/**
 * What a consumer of settlement.events must be able to rely on: each settlement once by ce_id (a
 * duplicate is byte-for-byte the same event), none missing, none extra, and per person the order in
 * which they were committed.
 */
function expectDelivered(events: readonly InboundMessage[], expected: ReadonlyMap<string, string[]>): void {
  const first = new Map<string, InboundMessage>();
  const order = new Map<string, string[]>();
  for (const m of events) {
    const id = m.headers.ce_id!;
    const seen = first.get(id);
    if (seen) {
      expect({ key: text(m.key), value: text(m.value), headers: m.headers }).toEqual({ key: text(seen.key), value: text(seen.value), headers: seen.headers });
      continue;
    }
    first.set(id, m);
    const person = text(m.key)!;
    order.set(person, [...(order.get(person) ?? []), m.headers.ce_subject!]);
  }
  const total = eventCount(expected);
  expect(first.size).toBe(total);
  expect(order).toEqual(expected);
}

function ledgerAndService() {
  const ledger = new MemoryLedger();
  return { ledger, service: new SettlementService({ ledger, programmes }) };
}

/** Settles n stays round-robin over the persons; records the expected per-person order of subjects. */
async function settle(service: SettlementService, expected: Map<string, string[]>, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const body = requestBody({ settlementId: `${tag}${i}`, patient: { id: personOf(i) } });
    await service.settle(body, undefined);
    expected.set(body.patient.id, [...(expected.get(body.patient.id) ?? []), `${body.hospital.id}/${body.settlementId}`]);
  }
}

/** The test's topics, created by the gateway's user after the published ACLs were applied for their prefix. */
async function prepareTopics(): Promise<Topics> {
  const t = topicNames(uniquePrefix());
  if (variant.secured) {
    const a = admin();
    await a.connect();
    try { await applyAcls(a, aclBindings(plan, t)); } finally { await a.disconnect(); }
  }
  await createTopics(kafka.brokers, [...topicsToEnsure(t, testAudiences()), t.hisDischargesOf(HOSPITAL), t.dlq(t.hisDischargesOf(HOSPITAL)), t.hisSettlementsOf(HOSPITAL)], gatewayAccess());
  return t;
}

function relayFor(ledger: MemoryLedger, t: Topics, extra: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) {
  const bus = testBus(kafka.brokers, gatewayAccess());
  const relay = new OutboxRelay({ ledger, bus, mapping: mappingFor(t), batchSize: 5, readBlockMs: 50, backoffInitialMs: 100, backoffMaxMs: 1_000, publishTimeoutMs: 10_000, breakerResetMs: 500, ...extra });
  return { bus, relay };
}

/**
 * The three fault tests on the cluster `cluster()` gives (three brokers and a controller, started and stopped by
 * the calling file, whole before each test): plaintext, or secured with the gateway and the HIS as their SCRAM users.
 */
export function describeFaults(v: Variant, cluster: () => TestKafka): void {
  describe(`Kafka faults on three brokers (RF 3, min.insync.replicas 2), ${v.name}`, () => {
    beforeEach(({ onTestFailed }) => {
      kafka = cluster();
      variant = v;
      onTestFailed(() => { kafka.keepLogs(); });
    });
    // Each test starts from a whole cluster: every broker up and every replica in sync.
    afterEach(async () => {
      for (const id of kafka.brokerIds) await kafka.restart(id);
      await waitForFullIsr();
    }, 240_000);

    it('(a) the leader of a settlement.events partition SIGKILLed mid-relay: all arrive, per-person order holds, duplicates are the same event', async () => {
      const { ledger, service } = ledgerAndService();
      const t = await prepareTopics();
      const expected = new Map<string, string[]>();
      await settle(service, expected, 150, 'A');
      let published = 0;
      const { bus, relay } = relayFor(ledger, t, { onPublished: (events) => { published += events; } });
      const victim = await leaderOf(t.settlementEvents, 0);
      relay.start();
      try {
        await waitFor(() => published >= 30, 60_000, 'the relay under way');
        await kafka.kill(victim, 'SIGKILL');
        // The desk keeps settling during the fail-over; the relay must carry these across it too.
        await settle(service, expected, 150, 'B');
        await waitFor(async () => (await ledger.outboxLag()) === 0, 120_000, 'the outbox drained after the fail-over');
        await relay.stop();
        expect(await leaderOf(t.settlementEvents, 0)).not.toBe(victim);
        expectDelivered(await readAllEvents(t.settlementEvents, expected), expected);
      } finally {
        await relay.stop();
        await bus.close();
      }
    }, 300_000);

    it('(b) two of three brokers down: not-enough-replicas, the outbox holds, readiness says so; all of it drains in order when one returns', async () => {
      const { ledger, service } = ledgerAndService();
      const t = await prepareTopics();
      const config = loadConfig({ NODE_ENV: 'test', RELAY_READY_MAX_LAG: '10' });
      const expected = new Map<string, string[]>();
      const failures: unknown[] = [];
      const { bus, relay } = relayFor(ledger, t, { onFailure: (error) => { failures.push(error); } });
      relay.start();
      try {
        await settle(service, expected, 20, 'A');
        await waitFor(async () => (await ledger.outboxLag()) === 0, 60_000, 'the first settlements relayed');
        expect(await relayReady(config, relay)).toEqual({ ready: true, lag: 0 });

        const [, ...down] = kafka.brokerIds as [number, number, number];
        await Promise.all(down.map((id) => kafka.kill(id, 'SIGKILL')));
        await settle(service, expected, 40, 'B'); // settlements still commit: the ledger does not need Kafka
        await waitFor(() => failures.some((e) => /NOT_ENOUGH_REPLICAS|fewer in-sync replicas/i.test(errorText(e))), 120_000, 'the broker left to refuse writes for want of in-sync replicas');
        // Nothing of B was acknowledged: Kafka could not take it with only one replica in sync.
        expect(await ledger.outboxLag()).toBe(40);
        expect(await relayReady(config, relay)).toMatchObject({ ready: false, lag: 40 });

        await kafka.restart(down[0]);
        await waitFor(async () => (await ledger.outboxLag()) === 0, 120_000, 'the outbox drained once a second broker returned');
        await waitFor(async () => (await relayReady(config, relay)).ready, 30_000, 'ready again');
        await relay.stop();
        expectDelivered(await readAllEvents(t.settlementEvents, expected), expected);
      } finally {
        await relay.stop();
        await bus.close();
      }
    }, 300_000);

    it('(c) the transaction coordinator\'s broker SIGKILLed during intake: each discharge settled once and answered once', async () => {
      const MESSAGES = 150;
      const BEFORE_KILL = 60;
      const { ledger, service } = ledgerAndService();
      const t = await prepareTopics();
      // Secured, the intake is scoped per hospital: the HIS's user may write its hospital's topic only.
      const [discharges, answersTopic] = variant.secured ? [t.hisDischargesOf(HOSPITAL), t.hisSettlementsOf(HOSPITAL)] : [t.hisDischarges, t.hisSettlements];
      const groupId = `${INTAKE_GROUP}-${t.prefix}`;
      // The coordinator of partition 0's answers (each partition has its own transactional id, perhaps its own coordinator).
      const transactionalId = transactionalIdOf(CLIENT_ID, variant.secured ? `${groupId}.${HOSPITAL}` : groupId, discharges, 0);
      const bus = testBus(kafka.brokers, { clientId: CLIENT_ID, ...gatewayAccess() });
      const errors: string[] = [];
      const intake = await startIntake({ bus, service, topics: t, groupId, ...(variant.secured ? { hospitals: [HOSPITAL] } : {}), maxMessageBytes: 64 * 1024, onError: (e) => { errors.push(errorText(e)); } });
      // A producer that waits out a leader election instead of failing the test.
      const producer = new Kafka({ brokers: kafka.brokers, clientId: 'fault-his', ...hisAccess(), logLevel: logLevel.NOTHING, connectionTimeout: 1_000, requestTimeout: 5_000, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 } }).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const send = (from: number, to: number) => producer.send({
        topic: discharges, acks: -1,
        messages: Array.from({ length: to - from }, (_, k) => {
          const i = from + k;
          return { key: personOf(i), value: JSON.stringify(requestBody({ settlementId: `TX${i}`, patient: { id: personOf(i) } })), headers: { 'correlation-id': `c-${i}` } };
        }),
      });
      try {
        await send(0, BEFORE_KILL);
        await waitFor(async () => (await ledger.outboxLag()) >= 20, 60_000, 'the intake under way').catch(async (e: unknown) => {
          throw new Error(`${String(e)}; settled ${await ledger.outboxLag()}; intake errors: ${errors.slice(-5).join('\n')}`);
        });
        const victim = await leaderOf('__transaction_state', transactionStatePartition(transactionalId));
        await kafka.kill(victim, 'SIGKILL');
        await send(BEFORE_KILL, MESSAGES);
        await waitFor(async () => (await ledger.outboxLag()) === MESSAGES, 120_000, 'every discharge settled').catch(async (e: unknown) => {
          throw new Error(`${String(e)}; settled ${await ledger.outboxLag()}; intake errors: ${errors.slice(-5).join('\n')}`);
        });
        // Committed up to the end of his.discharges: no transaction of this group is left to answer.
        await waitFor(async () => {
          const a = admin();
          try {
            await a.connect();
            const [ends, committed] = await Promise.all([a.fetchTopicOffsets(discharges), a.fetchOffsets({ groupId: variant.secured ? `${groupId}.${HOSPITAL}` : groupId, topics: [discharges] })]);
            const done = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
            return ends.every((e) => done.get(e.partition) === e.high);
          } catch {
            return false;
          } finally {
            await a.disconnect().catch(() => undefined);
          }
        }, 120_000, 'the intake to commit every offset');
        await intake.stop();

        const answers = await readAll(answersTopic);
        const ids = answers.map((m) => m.headers['correlation-id']);
        // The HIS's own producer (kafkajs, idempotent) may write a discharge twice while its broker dies:
        // seen here, 220 messages on his.discharges for 150 discharges. The gateway's promise is per message
        // and per discharge: every message answered exactly once (an aborted transaction's answers are never
        // read), every discharge answered, and settled exactly once — a repeated one is answered as a replay.
        const inputs = await readAll(discharges);
        const perId = (messages: readonly InboundMessage[]) => {
          const counts = new Map<string, number>();
          for (const m of messages) counts.set(m.headers['correlation-id'] ?? '', (counts.get(m.headers['correlation-id'] ?? '') ?? 0) + 1);
          return counts;
        };
        expect(perId(answers)).toEqual(perId(inputs));
        expect(new Set(ids)).toEqual(new Set(Array.from({ length: MESSAGES }, (_, i) => `c-${i}`)));
        const fresh = new Map<string, number>();
        for (const m of answers) {
          const answer = dischargeAnswer.parse(JSON.parse(text(m.value)!));
          expect(answer).toMatchObject({ outcome: 'settled', split: { status: 'settled' } });
          if (answer.outcome === 'settled' && !answer.replay) fresh.set(m.headers['correlation-id'] ?? '', (fresh.get(m.headers['correlation-id'] ?? '') ?? 0) + 1);
        }
        for (const [id, count] of fresh) expect(count, `${id} answered as a new settlement twice`).toBe(1);
        expect(await readAll(t.dlq(discharges))).toEqual([]);
        expect(await ledger.outboxLag()).toBe(MESSAGES); // one ledger commit per discharge, none twice
        for (let i = 0; i < MESSAGES; i++) expect((await ledger.getSettlement('H99000000001', `TX${i}`))?.status).toBe('settled');
      } finally {
        await producer.disconnect();
        await intake.stop();
        await bus.close();
      }
    }, 300_000);
  });
}
