/**
 * What the composition root (gateway/main.ts) calls to wire streaming from the configuration, so that
 * main stays a list of steps. Metrics are passed in as callbacks: stream code knows no Prometheus.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import type { LedgerPort } from '../ledger/port.js';
import { nhsaMessageNodes } from '../../adapters/nhsa/message-nodes.js';
import type { Bus, RunningSubscription } from './bus.js';
import type { EventMapping } from './event-records.js';
import { startIntake, type IntakeOptions } from './intake.js';
import { KafkaBus } from './kafka-bus.js';
import { MemoryBus } from './memory-bus.js';
import { OutboxRelay, type RelayOptions } from './relay.js';
import { topics, type Topics } from './topics.js';

/** Kafka when KAFKA_BROKERS is set; otherwise the in-memory bus (main must say so at start-up). */
export function createBus(config: Config, logger?: Logger): Bus {
  if (!config.KAFKA_BROKERS?.length) return new MemoryBus();
  return new KafkaBus({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    transactionalIdPrefix: `${config.KAFKA_CLIENT_ID}-${config.KAFKA_TRANSACTIONAL_ID ?? hostname()}`,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: Math.max(100, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 10)),
    ...(logger ? { logger } : {}),
  });
}

export function eventMapping(config: Config, programmes: ProgrammeSet): EventMapping {
  const insurerCodeOf = (programmeId: string) => programmes.get(programmeId)?.payer.insurerCode;
  return {
    topics: topics(config.KAFKA_TOPIC_PREFIX),
    insurerCodeOf,
    source: config.EVENT_SOURCE,
    // The 医保 platform's 2304-shaped view on nhsa.settlements (adapters/nhsa).
    nhsaNodes: nhsaMessageNodes(config.NHSA_FUND_PAY_TYPES, insurerCodeOf),
  };
}

/** Every topic the gateway writes or reads, for KafkaBus.ensureTopics at start-up. */
export function topicsToEnsure(t: Topics, programmes: ProgrammeSet): string[] {
  const insurerCodes = new Set(programmes.packs.flatMap((p) => (p.payer.insurerCode ? [p.payer.insurerCode] : [])));
  return [
    t.settlementEvents, t.dlq(t.settlementEvents), t.nhsaSettlements, t.dlq(t.nhsaSettlements), t.hisDischarges, t.dlq(t.hisDischarges), t.hisSettlements,
    ...[...insurerCodes].flatMap((code) => [t.insurerClaims(code), t.dlq(t.insurerClaims(code))]),
  ];
}

export type RelayHooks = Pick<RelayOptions, 'onPublished' | 'onFailure' | 'onUnmappable' | 'onBreakerStateChange'>;

export function createRelay(config: Config, ledger: LedgerPort, bus: Bus, programmes: ProgrammeSet, hooks: RelayHooks = {}): OutboxRelay {
  return new OutboxRelay({ ledger, bus, mapping: eventMapping(config, programmes), consumerName: config.RELAY_CONSUMER_NAME, batchSize: config.RELAY_BATCH_SIZE, ...hooks });
}

/** For /readyz: the relay keeps up (lag below RELAY_READY_MAX_LAG) and its breaker is closed. */
export async function relayReady(config: Config, relay: OutboxRelay): Promise<{ ready: boolean; lag: number }> {
  const lag = await relay.lag();
  return { ready: relay.publishing && lag <= config.RELAY_READY_MAX_LAG, lag };
}

export type IntakeHooks = Pick<IntakeOptions, 'onAnswered' | 'onDeadLetter' | 'onError'>;

export function startStreamIntake(config: Config, bus: Bus, service: IntakeOptions['service'], hooks: IntakeHooks = {}): Promise<RunningSubscription> {
  return startIntake({
    bus, service, topics: topics(config.KAFKA_TOPIC_PREFIX), groupId: config.KAFKA_INTAKE_GROUP, maxMessageBytes: config.BODY_LIMIT_BYTES, ...hooks,
  });
}
