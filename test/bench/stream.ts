/**
 * Stream benchmark (not a test): `npx tsx test/bench/stream.ts`.
 * - intake: discharge messages in → answers out, end to end through Kafka, the settlement service and
 *   the in-memory ledger (one transaction per chunk of up to 100 messages);
 * - relay: outbox events → Kafka (settlement.events + nhsa + insurer topics), acks included.
 * Against the in-process test broker unless KAFKA_BROKERS is set (figures then mean something).
 */
import { performance } from 'node:perf_hooks';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { startIntake } from '../../gateway/stream/intake.js';
import { topics as topicNames } from '../../gateway/stream/topics.js';
import { requestBody, twentyItemBill } from '../support/requests.js';
import { collect, kafkaUnderTest, mappingFor, programmes, testBus, testKafka, uniquePrefix, waitFor } from '../stream/support.js';

const INTAKE_MESSAGES = Number(process.env.BENCH_INTAKE_MESSAGES ?? 2_000);
const RELAY_EVENTS = Number(process.env.BENCH_RELAY_EVENTS ?? 5_000);
const PERSONS = 500;

const body = (i: number) => requestBody({ settlementId: `B${i}`, patient: { id: `9901001980${String(i % PERSONS).padStart(8, '0')}` }, items: twentyItemBill(i) });

async function benchIntake(brokers: string[]): Promise<{ messages: number; seconds: number }> {
  const ledger = new MemoryLedger();
  const service = new SettlementService({ ledger, programmes });
  const t = topicNames(uniquePrefix());
  const bus = testBus(brokers);
  const reader = await collect(brokers, [t.hisSettlements]);
  const intake = await startIntake({ bus, service, topics: t, groupId: `${t.prefix}bench`, maxMessageBytes: 1 << 20 });
  const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const payloads = Array.from({ length: INTAKE_MESSAGES }, (_, i) => ({ key: body(i).patient.id, value: JSON.stringify(body(i)) }));
  const started = performance.now();
  for (let i = 0; i < payloads.length; i += 500) await producer.send({ topic: t.hisDischarges, acks: -1, messages: payloads.slice(i, i + 500) });
  await waitFor(() => reader.seen.length >= INTAKE_MESSAGES, 300_000, 'all answers');
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  await intake.stop();
  await reader.stop();
  await bus.close();
  return { messages: INTAKE_MESSAGES, seconds };
}

async function benchRelay(brokers: string[]): Promise<{ events: number; records: number; seconds: number }> {
  const ledger = new MemoryLedger();
  const service = new SettlementService({ ledger, programmes });
  for (let i = 0; i < RELAY_EVENTS; i++) await service.settle(body(i));
  const t = topicNames(uniquePrefix());
  const bus = testBus(brokers);
  let records = 0;
  const relay = new OutboxRelay({ ledger, bus, mapping: mappingFor(t), batchSize: 200, readBlockMs: 20, onPublished: (_e, r) => { records += r; } });
  const started = performance.now();
  relay.start();
  await waitFor(async () => (await ledger.outboxLag()) === 0, 300_000, 'outbox drained');
  const seconds = (performance.now() - started) / 1000;
  await relay.stop();
  await bus.close();
  return { events: RELAY_EVENTS, records, seconds };
}

const kafka = await kafkaUnderTest();
try {
  const intake = await benchIntake(kafka.brokers);
  const relay = await benchRelay(kafka.brokers);
  const where = kafka.broker ? 'in-process test broker' : `Kafka ${kafka.brokers.join(',')}`;
  console.log(`\nstream benchmark (${where}, node ${process.version})`);
  console.table([
    { path: 'intake: his.discharges → settle → his.settlements', items: intake.messages, seconds: intake.seconds.toFixed(2), 'per second': Math.round(intake.messages / intake.seconds) },
    { path: `relay: outbox → Kafka (${relay.records} records)`, items: relay.events, seconds: relay.seconds.toFixed(2), 'per second': Math.round(relay.events / relay.seconds) },
  ]);
} finally {
  await kafka.stop();
}
