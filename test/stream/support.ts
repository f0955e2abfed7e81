/**
 * Shared set-up of the stream tests: the Kafka under test (the run's Apache Kafka broker started by
 * test/support/kafka/global-setup.ts, or an external cluster when KAFKA_BROKERS is set), buses with
 * small timeouts, readers that collect a topic, and a settlement service on the in-memory ledger with
 * 威海 programmes that pay insurers.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { inject } from 'vitest';
import { startKafka, type ClientAccess, type TestKafka } from '../support/kafka/cluster.js';
import type { PropertyOverrides } from '../support/kafka/properties.js';
import { externalBrokers } from '../support/kafka/external.js';
import { KafkaBus } from '../../gateway/stream/kafka-bus.js';
import { headerText } from '../../gateway/stream/bus.js';
import { topics, type Topics } from '../../gateway/stream/topics.js';
import type { Audience, EventMapping } from '../../gateway/stream/event-records.js';
import { nhsaAudience } from '../../adapters/nhsa/audience.js';
import { insurerAudience, type InsurerCodeOf } from '../../adapters/insurer/audience.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { rosterRow } from '../../schemas/roster.js';
import { compliantItems, requestBody } from '../support/requests.js';
import type { SettlementRequestInput } from '../../schemas/settlement.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const external = externalBrokers();
/** True when the tests start their own brokers: only then may a test kill and restart one. */
export const ownBrokers = external.length === 0;
export const EXTERNAL_CLUSTER_SKIP = 'KAFKA_BROKERS points at an external cluster: tests that kill brokers run only on brokers started here';

export interface KafkaUnderTest { brokers: string[]; stop(): Promise<void> }

/** The run's shared broker (or the external cluster); a broker of the file's own if the run has none. */
export async function kafkaUnderTest(): Promise<KafkaUnderTest> {
  if (!ownBrokers) return { brokers: external, stop: async () => undefined };
  const shared = inject('kafkaBrokers');
  if (shared.length > 0) return { brokers: shared, stop: async () => undefined };
  const kafka = await startKafka({ brokers: 1 });
  return { brokers: kafka.brokers, stop: () => kafka.stop() };
}

/** Brokers of the test's own, to kill and restart or to set up differently (never the shared one: other files are using it). */
export const startOwnKafka = (brokers: 1 | 3, serverProperties?: PropertyOverrides, secured?: { users: Record<string, string> }): Promise<TestKafka> =>
  startKafka({ brokers, ...(serverProperties ? { serverProperties } : {}), ...(secured ? { secured } : {}) });

/** A fresh prefix per test: runs against a shared real cluster never see each other's messages. */
export const uniquePrefix = (): string => `t${randomUUID().slice(0, 8)}.`;

export const programmes = loadProgrammes();

/** The insurers the packs pay through: the insurer topics the gateway creates. */
const insurerCodes = programmes.packs.flatMap((p) => (p.payer.insurerCode ? [p.payer.insurerCode] : []));

/** The parts' audiences with the native nhsa.settlements fields and the insurer claims (`insurerCodeOf`: where each programme's claims go), and their topics. */
export const testAudiences = (insurerCodeOf: InsurerCodeOf = (id) => programmes.get(id)?.payer.insurerCode): Audience[] => [nhsaAudience(), insurerAudience(insurerCodeOf, insurerCodes)];

/** The relay's mapping of those audiences. */
export function mappingFor(t: Topics, insurerCodeOf?: InsurerCodeOf): EventMapping {
  return { topics: t, source: 'urn:settlement-gateway:test', audiences: testAudiences(insurerCodeOf) };
}

export function testBus(brokers: string[], extra: Partial<ConstructorParameters<typeof KafkaBus>[0]> = {}): KafkaBus {
  return new KafkaBus({
    brokers, clientId: `test-${randomUUID().slice(0, 8)}`, logLevel: logLevel.NOTHING,
    connectionTimeoutMs: 500, requestTimeoutMs: 3_000, retries: 3, retryInitialMs: 50, retryMaxMs: 300,
    sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 3_000, heartbeatIntervalMs: 200, fetchMaxWaitMs: 100,
    transactionTimeoutMs: 10_000, readToEndTimeoutMs: 15_000,
    ...extra,
  });
}

/** A kafkajs client of the tests; `access` on a secured cluster (TestKafka.access). */
export function testKafka(brokers: string[], access: ClientAccess = {}): Kafka {
  return new Kafka({ brokers, clientId: `test-${randomUUID().slice(0, 8)}`, ...access, logLevel: logLevel.NOTHING, connectionTimeout: 500, requestTimeout: 3_000, retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 300 } });
}

/** -1 asks Kafka for its default.replication.factor: 1 on one broker, 3 on three, whatever an external cluster says. */
const CLUSTER_DEFAULT_REPLICATION = -1;

/** Creates the topics that do not exist yet and waits for their leaders, like the gateway's start-up. */
export async function createTopics(brokers: string[], topicNames: readonly string[], access: ClientAccess = {}): Promise<void> {
  const bus = testBus(brokers, access);
  try {
    await bus.ensureTopics(topicNames.map((name) => ({ name, role: 'working', partitions: 3, replicationFactor: CLUSTER_DEFAULT_REPLICATION, configs: {} })));
  } finally {
    await bus.close();
  }
}

export interface Seen { topic: string; partition: number; offset: string; key: string | null; value: string; headers: Record<string, string> }

/** Collects every committed message of the topics from their beginning (read_committed, like a real consumer); on a secured cluster as `access`'s user, in a group under its granted prefix. */
export async function collect(brokers: string[], topicNames: string[], access: ClientAccess = {}, groupPrefix = 'reader'): Promise<{ seen: Seen[]; stop(): Promise<void> }> {
  const kafka = testKafka(brokers, access);
  // Create first: Kafka answers a subscription to a topic that does not exist yet with UNKNOWN_TOPIC_OR_PARTITION.
  await createTopics(brokers, topicNames, access);
  const consumer: Consumer = kafka.consumer({ groupId: `${groupPrefix}-${randomUUID()}`, readUncommitted: false, sessionTimeout: 6_000, rebalanceTimeout: 3_000, heartbeatInterval: 200, maxWaitTimeInMs: 100, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 300 } });
  const seen: Seen[] = [];
  // A reader whose group coordinator failed over may be handed records again from its last committed
  // offset; the same record (same partition and offset) is kept once, a published duplicate is not.
  const records = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topics: topicNames, fromBeginning: true });
  let joined!: () => void;
  const ready = new Promise<void>((resolve) => { joined = resolve; });
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const record = `${topic}/${partition}/${message.offset}`;
      if (records.has(record)) return;
      records.add(record);
      seen.push({ topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? '', headers: headerText(message.headers) });
    },
  });
  await ready;
  return { seen, stop: () => consumer.disconnect() };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const PERSONS = ['371002195001011234', '371002196002022345', '371002197003033456'] as const;

/** A ledger with the three persons on the 威海 poverty roster, and a service on it. */
export async function weihaiService(): Promise<{ ledger: MemoryLedger; service: SettlementService; topics: Topics }> {
  const ledger = new MemoryLedger();
  await ledger.putRoster('weihai-2020-poverty', PERSONS.map((personId) => rosterRow.parse({ personId, from: '2020-01-01', to: '2020-12-31', categories: ['poverty-alleviated'] })), false);
  const service = new SettlementService({ ledger, programmes });
  return { ledger, service, topics: topics(uniquePrefix()) };
}

/** A 威海 stay: the medical programme pays until the person's burden reaches 10%. */
export function weihaiBody(personId: string, settlementId: string, basicYuan = '6000.00'): SettlementRequestInput {
  return requestBody({
    settlementId,
    hospital: { id: 'H37100200001', region: '371002', level: 3 },
    patient: { id: personId, name: '张三', insuredRegion: '371002', categories: ['poverty-alleviated'] },
    encounter: { admittedOn: '2020-03-01', dischargedOn: '2020-03-10' },
    items: compliantItems('10000.00'),
    upstream: { basic: basicYuan },
  });
}
