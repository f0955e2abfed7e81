/**
 * Stream benchmark (not a test): `npx tsx test/bench/stream.ts`.
 * - intake: discharge messages in → answers out, end to end through Kafka, the settlement service and
 *   the ledger on a Redis started here, as the gateway runs it and as the HTTP rows it is compared with
 *   (one transaction per chunk of up to 500 messages, fewer when their answers would not fit in one record batch);
 * - relay: outbox events → Kafka (settlement.events + nhsa + insurer topics), acks included;
 * - the intake again as the HTTP rows measure the gateway: gateway/main.ts in a process of its own, fed and read by
 *   this one, with its CPU, the broker's and Redis's per discharge; and the same process loaded over HTTP in the same
 *   round (the HTTP rows' load), so that each round gives the intake's rate as a share of the HTTP rate of the same
 *   process in the same minute — issue 25's goal 2 — which this machine's drift (±25 % from one minute to the next)
 *   makes the only honest ratio (BENCH_ROUNDS rounds, 3 by default, the intake first in every other; BENCH_BEFORE=<a
 *   checkout> measures that checkout's gateway in the same rounds, and BENCH_GATEWAY_FLAGS are this checkout's
 *   gateway's node flags, as in http.ts).
 * Against one Apache Kafka broker started here (test/support/kafka), or KAFKA_BROKERS if set; the
 * same two paths on the in-memory bus beside it, to show what Kafka itself costs. Each Kafka intake row gives its
 * share of the gateway's HTTP rate when given one (npm run bench passes its own; BENCH_HTTP_RATE when run alone).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import type { Bus } from '../../gateway/stream/bus.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { topicsToEnsure } from '../../gateway/stream/wiring.js';
import { startKafka } from '../support/kafka/cluster.js';
import { externalBrokers } from '../support/kafka/external.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { startIntake } from '../../gateway/stream/intake.js';
import { topics as topicNames } from '../../gateway/stream/topics.js';
import { requestBody, twentyItemBill } from '../support/requests.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { freePort } from '../support/ports.js';
import { cpuMs, GATEWAY_FLAGS, load, median } from './http.js';
import { collect, createTopics, mappingFor, programmes, testBus, testKafka, uniquePrefix, waitFor, testAudiences } from '../stream/support.js';

const INTAKE_MESSAGES = Number(process.env.BENCH_INTAKE_MESSAGES ?? 2_000);
/**
 * Answered before the clock starts, as the HTTP rows' servers are warmed up: the intake's first messages wait
 * for the consumer group's join, the first transactional producer (on a new broker, Kafka creating
 * `__transaction_state`) and the JIT — 1.4 s of a 3.7 s run of 2 000 (traced 2026-12-06), a start-up cost, not a rate.
 */
const INTAKE_WARMUP = Number(process.env.BENCH_INTAKE_WARMUP ?? 300);
const RELAY_EVENTS = Number(process.env.BENCH_RELAY_EVENTS ?? 5_000);
/** Rounds of the gateway-process intake (each checkout once a round, every other round in the opposite order). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** The HTTP load of the same gateway process in each round: as long as the HTTP rows' rounds, after a warm-up of 2 s. */
const HTTP_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** A checkout of the code before (node_modules linked), whose gateway's intake is measured in the same rounds: as in http.ts. */
const BEFORE_DIR = process.env.BENCH_BEFORE;
const PERSONS = 500;

const body = (i: number, stem = 'B') => requestBody({ settlementId: `${stem}${i}`, patient: { id: `9901001980${String(i % PERSONS).padStart(8, '0')}` }, items: twentyItemBill(i) });

interface Discharge { key: string; value: string }

/** Seconds from sending INTAKE_MESSAGES discharges to their last answer, once INTAKE_WARMUP others were answered. */
async function timedIntake(send: (messages: Discharge[]) => Promise<void>, answered: () => number, onClockStart?: () => void): Promise<number> {
  const discharges = (count: number, stem: string): Discharge[] => Array.from({ length: count }, (_, i) => ({ key: body(i, stem).patient.id, value: JSON.stringify(body(i, stem)) }));
  await send(discharges(INTAKE_WARMUP, 'W'));
  await waitFor(() => answered() >= INTAKE_WARMUP, 300_000, 'the warm-up\'s answers');
  const measured = discharges(INTAKE_MESSAGES, 'B');
  onClockStart?.();
  const started = performance.now();
  await send(measured);
  await waitFor(() => answered() >= INTAKE_WARMUP + INTAKE_MESSAGES, 300_000, 'all answers');
  return (performance.now() - started) / 1000;
}

interface Figures { intake: { messages: number; seconds: number }; relay: { events: number; records: number; seconds: number } }

/** The intake's ledger: on Redis, opened as the gateway opens it (gateway/storage.ts), a prefix of its own per run. */
function intakeLedger(redis: TestRedis, prefix: string): RedisLedger {
  return new RedisLedger(new Redis(redis.url, { maxRetriesPerRequest: 1, enableAutoPipelining: true }), { prefix });
}

async function benchIntake(brokers: string[], redis: TestRedis): Promise<Figures['intake']> {
  const t = topicNames(uniquePrefix());
  const ledger = intakeLedger(redis, `${t.prefix}gw`);
  const service = new SettlementService({ ledger, programmes });
  await createTopics(brokers, topicsToEnsure(t, testAudiences()));
  const bus = testBus(brokers);
  const reader = await collect(brokers, [t.hisSettlements]);
  const intake = await startIntake({ bus, service, topics: t, groupId: `${t.prefix}bench`, maxMessageBytes: 1 << 20 });
  const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const seconds = await timedIntake(async (messages) => {
    for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: t.hisDischarges, acks: -1, messages: messages.slice(i, i + 500) });
  }, () => reader.seen.length);
  await producer.disconnect();
  await intake.stop();
  await reader.stop();
  await bus.close();
  await ledger.close();
  return { messages: INTAKE_MESSAGES, seconds };
}

interface ProcessRun { perSecond: number; httpPerSecond: number; cpu: { gateway: number; broker: number; redis: number }; load: [number, number] }

/**
 * The intake as the gateway runs it and as the HTTP rows measure the gateway: `gateway/main.ts` of `cwd` in a process of
 * its own (KAFKA_BROKERS, REDIS_URL, the intake on, the relay off), fed and read by this one. CPU per answered discharge,
 * µs, of the gateway, the broker's JVM and Redis (from /proc) over the timed messages. The same process is then (or,
 * `httpFirst`, first) loaded over HTTP as the HTTP rows load a gateway: its req/s beside the intake's rate.
 */
async function benchIntakeProcess(brokers: string[], redis: TestRedis, brokerPid: number | undefined, cwd: string | undefined, httpFirst: boolean): Promise<ProcessRun> {
  const t = topicNames(uniquePrefix());
  await createTopics(brokers, topicsToEnsure(t, testAudiences()));
  const reader = await collect(brokers, [t.hisSettlements]);
  const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const group = `${t.prefix}bench`;
  const port = await freePort();
  const gateway = spawn(process.execPath, [...(cwd === undefined ? GATEWAY_FLAGS : []), '--import', 'tsx', 'gateway/main.ts'], {
    cwd,
    env: {
      ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', REDIS_URL: redis.url,
      KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: t.prefix, KAFKA_REPLICATION_FACTOR: '1', KAFKA_TOPIC_PARTITIONS: '3', KAFKA_INTAKE_GROUP: group, RELAY_ENABLED: 'false', INTAKE_ENABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => gateway.once('exit', () => resolve()));
  const untilExit = <T>(work: Promise<T>): Promise<T> => Promise.race([
    work, exited.then(() => { throw new Error(`the gateway (${cwd ?? 'this checkout'}) exited with ${gateway.exitCode ?? gateway.signalCode}`); }),
  ]);
  /** The HTTP rows' load on this gateway process, after a warm-up of 2 s: its req/s. */
  const httpRate = async (): Promise<number> => {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true, 60_000, 'the gateway\'s HTTP port');
    await untilExit(load(`http://127.0.0.1:${port}`, '/v1/settlements', 2));
    const measured = await untilExit(load(`http://127.0.0.1:${port}`, '/v1/settlements', HTTP_SECONDS));
    if (measured.errors + measured.non2xx > 0) throw new Error(`the gateway's HTTP load had ${measured.errors} errors and ${measured.non2xx} non-2xx answers`);
    return measured.rps;
  };
  try {
    const httpBefore = httpFirst ? await httpRate() : undefined;
    let before = { gateway: 0, broker: 0, redis: 0 };
    const load: [number, number] = [0, 0];
    const seconds = await untilExit(timedIntake(async (messages) => {
      for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: t.hisDischarges, acks: -1, messages: messages.slice(i, i + 500) });
    }, () => reader.seen.length, () => {
      before = { gateway: cpuMs(gateway.pid), broker: cpuMs(brokerPid), redis: cpuMs(redis.pid) };
      load[0] = loadavg()[0]!;
    }));
    load[1] = loadavg()[0]!;
    const perMessage = (now: number, was: number) => ((now - was) / INTAKE_MESSAGES) * 1000;
    const cpu = { gateway: perMessage(cpuMs(gateway.pid), before.gateway), broker: perMessage(cpuMs(brokerPid), before.broker), redis: perMessage(cpuMs(redis.pid), before.redis) };
    return { perSecond: INTAKE_MESSAGES / seconds, httpPerSecond: httpBefore ?? await httpRate(), load, cpu };
  } finally {
    gateway.kill('SIGTERM');
    await exited; // its shutdown done before the next round's gateway starts
    await producer.disconnect();
    await reader.stop();
  }
}

async function benchIntakeInMemory(redis: TestRedis): Promise<Figures['intake']> {
  const t = topicNames(uniquePrefix());
  const ledger = intakeLedger(redis, `${t.prefix}gw`);
  const service = new SettlementService({ ledger, programmes });
  const bus = new MemoryBus();
  const intake = await startIntake({ bus, service, topics: t, groupId: 'bench', maxMessageBytes: 1 << 20 });
  const seconds = await timedIntake(async (messages) => {
    for (let i = 0; i < messages.length; i += 500) await bus.publish(messages.slice(i, i + 500).map((m) => ({ ...m, topic: t.hisDischarges, headers: {} })));
  }, () => bus.messages(t.hisSettlements).length);
  await intake.stop();
  await bus.close();
  await ledger.close();
  return { messages: INTAKE_MESSAGES, seconds };
}

async function benchRelay(bus: Bus, prepare: (t: ReturnType<typeof topicNames>) => Promise<void>): Promise<Figures['relay']> {
  const ledger = new MemoryLedger();
  const service = new SettlementService({ ledger, programmes });
  for (let i = 0; i < RELAY_EVENTS; i++) await service.settle(body(i), undefined);
  const t = topicNames(uniquePrefix());
  await prepare(t);
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

function rows(where: string, f: Figures): Array<Record<string, string | number>> {
  return [
    { path: `intake (${where}): his.discharges → settle → his.settlements`, items: f.intake.messages, seconds: f.intake.seconds.toFixed(2), 'per second': Math.round(f.intake.messages / f.intake.seconds) },
    { path: `relay (${where}): outbox → ${f.relay.records} records`, items: f.relay.events, seconds: f.relay.seconds.toFixed(2), 'per second': Math.round(f.relay.events / f.relay.seconds) },
  ];
}

/**
 * The stream rows; `httpRate`: the gateway on Redis's req/s in the same run (npm run bench's HTTP rows), for each
 * intake row's share of it (issue 25, goal 2), so the ratio is of one run.
 */
export async function benchStream(httpRate?: number): Promise<void> {
  const ofHttp = (perSecond: number): Record<string, string> => (httpRate ? { 'of the HTTP rate': (perSecond / httpRate).toFixed(2) } : {});
  const external = externalBrokers();
  const kafka = external.length > 0 ? null : await startKafka({ brokers: 1 });
  const redis = await startRedis();
  try {
    const brokers = kafka?.brokers ?? external;
    const onKafka: Figures = {
      intake: await benchIntake(brokers, redis),
      relay: await benchRelay(testBus(brokers), (t) => createTopics(brokers, topicsToEnsure(t, testAudiences()))),
    };
    const inMemory: Figures = { intake: await benchIntakeInMemory(redis), relay: await benchRelay(new MemoryBus(), async () => undefined) };
    const where = kafka ? `Apache Kafka ${kafka.version}, one broker on this machine` : `Kafka ${brokers.join(',')}`;
    console.log(`\nstream benchmark (${where}; the intakes settle on a Redis ledger, the relays read the in-memory one; node ${process.version})`);
    console.table([...rows('Kafka', onKafka), ...rows('in-memory bus', inMemory)].map((row) => (String(row.path).startsWith('intake (Kafka)') ? { ...row, ...ofHttp(Number(row['per second'])) } : row)));
    const brokerPid = kafka?.pid(kafka.brokerIds[0]!);
    const checkouts: Array<{ name: string; cwd: string | undefined; runs: ProcessRun[] }> = [{ name: 'this checkout', cwd: undefined, runs: [] }, ...(BEFORE_DIR ? [{ name: `before (${BEFORE_DIR})`, cwd: BEFORE_DIR, runs: [] }] : [])];
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of round % 2 === 0 ? checkouts : [...checkouts].reverse()) c.runs.push(await benchIntakeProcess(brokers, redis, brokerPid, c.cwd, round % 2 === 1));
    }
    const us = (values: readonly number[]) => `${Math.round(median(values))} µs`;
    console.log(`\nintake (Kafka) in the gateway's own process, ${INTAKE_MESSAGES} discharges after ${INTAKE_WARMUP}, and the same process over HTTP (${HTTP_SECONDS} s, the HTTP rows' load) in the same round, ${ROUNDS} round(s), HTTP first in every other (medians; each round's figures and load in brackets); CPU per discharge:`);
    console.table(checkouts.map((c) => {
      const perSecond = median(c.runs.map((r) => r.perSecond));
      const shares = c.runs.map((r) => r.perSecond / r.httpPerSecond);
      return {
        gateway: c.name,
        'per second': `${Math.round(perSecond)} (${c.runs.map((r) => `${Math.round(r.perSecond)} at ${r.load[0].toFixed(1)}–${r.load[1].toFixed(1)}`).join(', ')})`,
        'HTTP req/s, same process': `${Math.round(median(c.runs.map((r) => r.httpPerSecond)))} (${c.runs.map((r) => Math.round(r.httpPerSecond)).join(', ')})`,
        'of its HTTP rate': `${median(shares).toFixed(2)} (${shares.map((x) => x.toFixed(2)).join(', ')})`,
        ...ofHttp(perSecond),
        'gateway CPU': us(c.runs.map((r) => r.cpu.gateway)), 'broker CPU': us(c.runs.map((r) => r.cpu.broker)), 'Redis CPU': us(c.runs.map((r) => r.cpu.redis)),
      };
    }));
  } finally {
    await redis.stop();
    await kafka?.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchStream(Number(process.env.BENCH_HTTP_RATE) || undefined);
