/**
 * Wires the stream side (bus, outbox relay, streaming intake) into the gateway process from the
 * configuration, so that the composition root (gateway/main.ts) stays a list of steps. Metrics come in
 * as a structural interface and callbacks: stream code knows no Prometheus and nothing of http/.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError, type Config } from '../config.js';
import type { LedgerPort } from '../ledger/port.js';
import type { ReadinessCheck } from '../readiness.js';
import type { SettlementService } from '../service/settlements.js';
import { maskId } from '../log.js';
import { RecordsUndeliverable, SubscriptionCrashed, type Bus, type RunningSubscription } from './bus.js';
import { asyncApiDocument, type AsyncApiDocument } from './asyncapi.js';
import type { Audience, EventMapping } from './event-records.js';
import { startIntake, type IntakeOptions } from './intake.js';
import { kafkaAccess, kafkaAccessRefusal, requiresSecureKafka } from './kafka-access.js';
import { KafkaBus } from './kafka-bus.js';
import { MemoryBus } from './memory-bus.js';
import { OutboxRelay, type RelayOptions } from './relay.js';
import { driftText, gatewayTopics, topicSpec, type TopicDrift, type TopicPolicy, type TopicSpec, type TopicUse } from './topic-specs.js';
import { topics, type Topics } from './topics.js';

/**
 * Kafka when KAFKA_BROKERS is set, over TLS and as the SASL user the configuration names (kafka-access.ts:
 * a ConfigError for what cannot work or, in production, for a connection without TLS or identity);
 * otherwise the in-memory bus (main must say so at start-up).
 */
export function createBus(config: Config, logger?: Logger): Bus {
  if (!config.KAFKA_BROKERS?.length) return new MemoryBus();
  const { warnings, ...access } = kafkaAccess(config);
  for (const warning of warnings) logger?.warn({ warning }, 'kafka: not secured as production requires (KAFKA_REQUIRE_SECURE)');
  return new KafkaBus({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    ...access,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES,
    heartbeatIntervalMs: Math.max(100, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 10)),
    ...(logger ? { logger } : {}),
  });
}

/** What each committed event becomes: the log, and the records of the parts' audiences (main.ts gathers them). */
export function eventMapping(config: Config, audiences: readonly Audience[]): EventMapping {
  return { topics: topics(config.KAFKA_TOPIC_PREFIX), source: config.EVENT_SOURCE, audiences };
}

/** The topics the parts' audiences declare. */
const partTopicsOf = (t: Topics, audiences: readonly Audience[]): TopicUse[] => audiences.flatMap((a) => a.topics(t));

/** Every topic the gateway writes or reads, the core's and the audiences'. */
export function topicsToEnsure(t: Topics, audiences: readonly Audience[]): string[] {
  return gatewayTopics(t, partTopicsOf(t, audiences)).map((g) => g.name);
}

/** The specification of every topic the gateway writes or reads, from the configuration (created so, checked at start-up). */
export function topicSpecsOf(config: Config, audiences: readonly Audience[]): TopicSpec[] {
  const policy: TopicPolicy = {
    partitions: config.KAFKA_TOPIC_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    retentionMs: config.KAFKA_RETENTION_MS, dlqRetentionMs: config.KAFKA_DLQ_RETENTION_MS,
  };
  const t = topics(config.KAFKA_TOPIC_PREFIX);
  return gatewayTopics(t, partTopicsOf(t, audiences), config.KAFKA_INTAKE_HOSPITALS).map((g) => topicSpec(g.name, g.role, policy));
}

/**
 * Creates missing topics as specified and checks every topic against its specification. Each difference is
 * logged and counted (gateway_kafka_topic_drift); one that loses data (finite retention on the log,
 * min.insync.replicas under 2 with three replicas) refuses the start in production (KAFKA_REQUIRE_SAFE_TOPICS),
 * as a Redis that is not durable does.
 */
export async function ensureTopicSpecs(config: Config, bus: KafkaBus, audiences: readonly Audience[], log: Logger, metrics: Pick<StreamMetrics, 'topicDrift'>): Promise<TopicDrift[]> {
  const drift = await bus.ensureTopics(topicSpecsOf(config, audiences));
  for (const d of drift) {
    metrics.topicDrift.set({ topic: d.topic, setting: d.setting, loses_data: String(d.losesData) }, 1);
    log.warn({ topic: d.topic, setting: d.setting, expected: d.expected, actual: d.actual, losesData: d.losesData }, 'kafka: topic differs from its specification');
  }
  const losing = drift.filter((d) => d.losesData);
  if (losing.length > 0 && (config.KAFKA_REQUIRE_SAFE_TOPICS ?? config.NODE_ENV === 'production')) {
    throw new ConfigError(losing.map((d) => `KAFKA_REQUIRE_SAFE_TOPICS: ${driftText(d)}; fix the topic (kafka-configs --alter) or start with KAFKA_REQUIRE_SAFE_TOPICS=false`));
  }
  return drift;
}

/** The AsyncAPI document of this configuration's topics: names with their prefix, the core's and the audiences' channels, each topic's specification. */
export function asyncApiOf(config: Config, audiences: readonly Audience[], version: string): AsyncApiDocument {
  const t = topics(config.KAFKA_TOPIC_PREFIX);
  return asyncApiDocument({ version, topics: t, hospitalIds: config.KAFKA_INTAKE_HOSPITALS ?? [], specs: topicSpecsOf(config, audiences), parts: audiences.map((a) => a.asyncApi(t)) });
}

/** /readyz (non-critical): the topics as specified, or each difference found at start-up. */
export function topicsReadiness(drift: readonly TopicDrift[]): ReadinessCheck {
  return {
    name: 'kafka-topics', critical: false,
    check: async () => {
      if (drift.length > 0) throw new Error(`topics differ from their specification: ${drift.map(driftText).join('; ')}`);
    },
  };
}

export type RelayHooks = Pick<RelayOptions, 'onPublished' | 'onFailure' | 'onUnmappable' | 'onTooLarge' | 'onBreakerStateChange' | 'registry'>;

function createRelay(config: Config, ledger: LedgerPort, bus: Bus, audiences: readonly Audience[], hooks: RelayHooks = {}): OutboxRelay {
  return new OutboxRelay({ ledger, bus, mapping: eventMapping(config, audiences), consumerName: config.RELAY_CONSUMER_NAME, batchSize: config.RELAY_BATCH_SIZE, maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES, ...hooks });
}

/** For /readyz: the relay keeps up (lag below RELAY_READY_MAX_LAG) and its breaker is closed. */
export async function relayReady(config: Config, relay: OutboxRelay): Promise<{ ready: boolean; lag: number }> {
  const lag = await relay.lag();
  return { ready: relay.publishing && lag <= config.RELAY_READY_MAX_LAG, lag };
}

export type IntakeHooks = Pick<IntakeOptions, 'onAnswered' | 'onDeadLetter' | 'onUndeliverable' | 'onError' | 'onLag'>;

/**
 * The streaming intake: on each hospital's own topic when KAFKA_INTAKE_HOSPITALS lists them, else on the
 * shared his.discharges — refused on Kafka where KAFKA_REQUIRE_SECURE holds (production), since whoever may
 * write it settles for any hospital.
 */
export function startStreamIntake(config: Config, bus: Bus, service: IntakeOptions['service'], hooks: IntakeHooks = {}): Promise<RunningSubscription> {
  if (bus.kind === 'kafka' && !config.KAFKA_INTAKE_HOSPITALS && requiresSecureKafka(config)) return Promise.reject(new ConfigError([SHARED_INTAKE]));
  return startIntake({
    bus, service, topics: topics(config.KAFKA_TOPIC_PREFIX), groupId: config.KAFKA_INTAKE_GROUP, maxMessageBytes: config.BODY_LIMIT_BYTES,
    ...(config.KAFKA_INTAKE_HOSPITALS ? { hospitals: config.KAFKA_INTAKE_HOSPITALS } : {}), ...hooks,
  });
}

const SHARED_INTAKE = 'KAFKA_INTAKE_HOSPITALS: the streaming intake would read the shared his.discharges, on which whoever may write settles for any hospital; list the hospitals (each HIS writes only its own his.discharges.<hospitalId>, deploy/kafka/acls.yaml) or set INTAKE_ENABLED=false [KAFKA_REQUIRE_SECURE]';

/** The gauges/counters the stream side feeds; structural, so stream/ needs nothing from http/metrics.ts. */
export interface StreamMetrics {
  relayPublished: { inc(events: number): void };
  /** The relay's breaker registers its own metrics here (gateway/resilience/breaker.ts). */
  registry: Registry;
  outboxLag: { set(lag: number): void };
  intakeConsumerCrashes: { inc(): void };
  intakeUndeliverable: { inc(labels: { reason: string }): void };
  intakeLag: { reset(): void; set(labels: { partition: string }, messages: number): void };
  topicDrift: { set(labels: { topic: string; setting: string; loses_data: string }, value: number): void };
}

/**
 * The intake's onError: a consumer the bus had to replace is counted and logged with why and when the
 * new one starts; any other failed attempt is logged as before. Deliberately not a readiness failure:
 * desk settlements over HTTP must stay in service while the Kafka intake is down.
 */
export function intakeErrorHook(log: Logger, metrics: Pick<StreamMetrics, 'intakeConsumerCrashes'>): (error: unknown) => void {
  return (error) => {
    if (error instanceof SubscriptionCrashed) {
      metrics.intakeConsumerCrashes.inc();
      log.error({ reason: error.reason, restartInMs: error.restartInMs, group: error.groupId, topic: error.topic }, 'intake: Kafka consumer crashed and kafkajs gave it up; a new one starts after restartInMs, from the committed offsets');
      return;
    }
    if (error instanceof RecordsUndeliverable) {
      // Topics and reasons only: the records carry the patient's data.
      const refused = [...new Set(error.failed.map((f) => `${f.record.topic} (${f.reason})`))];
      log.warn({ refused, attempts: Math.max(...error.failed.map((f) => f.attempts)) }, 'intake: answers cannot be written; tried again, then dead-lettered');
      return;
    }
    log.error({ err: error instanceof Error ? error.message : String(error) }, 'intake: error');
  };
}

/**
 * The intake's onLag: gateway_intake_lag_messages per partition this process holds, and only those — after a
 * rebalance another process reports the partitions it took.
 */
export function intakeLagHook(metrics: Pick<StreamMetrics, 'intakeLag'>): NonNullable<IntakeOptions['onLag']> {
  return (lagByPartition) => {
    metrics.intakeLag.reset();
    for (const [partition, messages] of lagByPartition) metrics.intakeLag.set({ partition: String(partition) }, messages);
  };
}

/** The intake's onUndeliverable: counted by reason and logged with where the message was and where its answer was to go, the key masked. */
export function intakeUndeliverableHook(log: Logger, metrics: Pick<StreamMetrics, 'intakeUndeliverable'>): NonNullable<IntakeOptions['onUndeliverable']> {
  return (answer) => {
    metrics.intakeUndeliverable.inc({ reason: answer.reason });
    log.error({ ...answer, key: answer.key === null ? null : maskId(answer.key) }, 'intake: answer could not be written; dead-lettered with the settlement outcome (his.discharges.dlq)');
  };
}

export interface StreamingDeps {
  config: Config; ledger: LedgerPort; service: SettlementService; metrics: StreamMetrics; log: Logger;
  /** The parts' audiences of each committed event, with their topics (main.ts). */
  audiences: readonly Audience[];
}
export interface Streaming { kind: 'kafka' | 'memory'; bus: Bus; readiness: ReadinessCheck[]; stop(): Promise<void> }

const LAG_SAMPLE_MS = 5_000;

export async function startStreaming({ config, ledger, service, metrics, log, audiences }: StreamingDeps): Promise<Streaming> {
  const bus = createBus(config, log);
  if (bus.kind === 'memory') log.warn('bus: in memory (no KAFKA_BROKERS) — settlements are not published to Kafka; for development only');
  else log.info({ brokers: config.KAFKA_BROKERS, prefix: config.KAFKA_TOPIC_PREFIX }, 'bus: Kafka');
  let drift: TopicDrift[] = [];
  if (bus instanceof KafkaBus) {
    try {
      drift = await ensureTopicSpecs(config, bus, audiences, log, metrics);
    } catch (error) {
      await bus.close().catch(() => undefined);
      // Refused credentials or a failed TLS handshake: the configuration's fault, said as such (as Redis's).
      throw kafkaAccessRefusal(error, config) ?? error;
    }
  }

  let relay: OutboxRelay | undefined;
  let lagTimer: NodeJS.Timeout | undefined;
  // One relay per deployment's outbox reader name: in cluster mode worker 0 only (several readers under one
  // name re-read each other's pending entries and publish them again; under several names a person's events
  // could overtake each other).
  if (config.RELAY_ENABLED && (config.GATEWAY_WORKER_INDEX ?? 0) === 0) {
    relay = createRelay(config, ledger, bus, audiences, {
      onPublished: (events) => metrics.relayPublished.inc(events),
      onFailure: (error, consecutive) => { if (consecutive === 1 || consecutive % 20 === 0) log.warn({ err: error instanceof Error ? error.message : String(error), consecutive }, 'relay: outbox read or Kafka publish failed; retrying, nothing is lost'); },
      onUnmappable: (eventId, reason) => log.error({ eventId, reason }, 'relay: event could not be mapped for some payers; their records dead-lettered, the others published'),
      onTooLarge: (eventId, reason) => log.error({ eventId, reason }, 'relay: record too large for Kafka; dead-lettered, not published (npm run republish once it fits)'),
      onBreakerStateChange: (state) => log.warn({ state }, 'relay: circuit breaker'),
      registry: metrics.registry,
    });
    relay.start();
    const sample = () => { relay?.lag().then((lag) => metrics.outboxLag.set(lag), () => undefined); };
    lagTimer = setInterval(sample, LAG_SAMPLE_MS);
    lagTimer.unref();
    sample();
  }

  let intake: RunningSubscription | undefined;
  if (config.INTAKE_ENABLED) {
    if (bus.kind === 'kafka' && !config.KAFKA_INTAKE_HOSPITALS && !requiresSecureKafka(config)) log.warn({ warning: SHARED_INTAKE }, 'kafka: not secured as production requires (KAFKA_REQUIRE_SECURE)');
    intake = await startStreamIntake(config, bus, service, {
      onDeadLetter: (status, detail) => log.warn({ status, detail }, 'intake: message dead-lettered'),
      onUndeliverable: intakeUndeliverableHook(log, metrics),
      onLag: intakeLagHook(metrics),
      onError: intakeErrorHook(log, metrics),
    });
  }

  const readiness: ReadinessCheck[] = bus instanceof KafkaBus ? [topicsReadiness(drift)] : [];
  if (relay) readiness.push({
    name: 'relay',
    check: async () => {
      const { ready, lag } = await relayReady(config, relay!);
      if (!ready) throw new Error(`relay not keeping up: lag ${lag}, publishing ${relay!.publishing}`);
      // The lag is shown while ready too: a Kafka outage raises it long before RELAY_READY_MAX_LAG.
      return { lag };
    },
  });

  return {
    kind: bus.kind,
    bus,
    readiness,
    async stop() {
      if (lagTimer) clearInterval(lagTimer);
      await intake?.stop();
      await relay?.stop();
      await bus.close();
    },
  };
}
