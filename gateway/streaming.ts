/** Wires the stream side (bus, outbox relay, streaming intake) into the gateway process. */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { ProgrammeSet } from './engine/programme-set.js';
import type { ReadinessCheck } from './http/app.js';
import type { Metrics } from './http/metrics.js';
import type { LedgerPort } from './ledger/port.js';
import type { SettlementService } from './service/settlements.js';
import type { Bus, RunningSubscription } from './stream/bus.js';
import { KafkaBus } from './stream/kafka-bus.js';
import type { OutboxRelay } from './stream/relay.js';
import { topics } from './stream/topics.js';
import { createBus, createRelay, relayReady, startStreamIntake, topicsToEnsure } from './stream/wiring.js';

export interface StreamingDeps { config: Config; ledger: LedgerPort; service: SettlementService; programmes: ProgrammeSet; metrics: Metrics; log: Logger }
export interface Streaming { kind: 'kafka' | 'memory'; bus: Bus; readiness: ReadinessCheck[]; stop(): Promise<void> }

const LAG_SAMPLE_MS = 5_000;

export async function startStreaming({ config, ledger, service, programmes, metrics, log }: StreamingDeps): Promise<Streaming> {
  const bus = createBus(config, log);
  if (bus.kind === 'memory') log.warn('bus: in memory (no KAFKA_BROKERS) — settlements are not published to Kafka; for development only');
  else log.info({ brokers: config.KAFKA_BROKERS, prefix: config.KAFKA_TOPIC_PREFIX }, 'bus: Kafka');
  if (bus instanceof KafkaBus) {
    await bus.ensureTopics(topicsToEnsure(topics(config.KAFKA_TOPIC_PREFIX), programmes), config.KAFKA_TOPIC_PARTITIONS, config.KAFKA_REPLICATION_FACTOR);
  }

  let relay: OutboxRelay | undefined;
  let lagTimer: NodeJS.Timeout | undefined;
  if (config.RELAY_ENABLED) {
    relay = createRelay(config, ledger, bus, programmes, {
      onPublished: (events) => metrics.relayPublished.inc(events),
      onFailure: (error, consecutive) => { if (consecutive === 1 || consecutive % 20 === 0) log.warn({ err: error instanceof Error ? error.message : String(error), consecutive }, 'relay: outbox read or Kafka publish failed; retrying, nothing is lost'); },
      onUnmappable: (eventId, reason) => log.error({ eventId, reason }, 'relay: event could not be mapped for payers; dead-lettered'),
      onBreakerStateChange: (state) => log.warn({ state }, 'relay: circuit breaker'),
    });
    relay.start();
    const sample = () => { relay?.lag().then((lag) => metrics.outboxLag.set(lag), () => undefined); };
    lagTimer = setInterval(sample, LAG_SAMPLE_MS);
    lagTimer.unref();
    sample();
  }

  let intake: RunningSubscription | undefined;
  if (config.INTAKE_ENABLED) {
    intake = await startStreamIntake(config, bus, service, {
      onDeadLetter: (status, detail) => log.warn({ status, detail }, 'intake: message dead-lettered'),
      onError: (error) => log.error({ err: error instanceof Error ? error.message : String(error) }, 'intake: error'),
    });
  }

  const readiness: ReadinessCheck[] = relay ? [{
    name: 'relay',
    check: async () => {
      const { ready, lag } = await relayReady(config, relay!);
      if (!ready) throw new Error(`relay not keeping up: lag ${lag}, publishing ${relay!.publishing}`);
    },
  }] : [];

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
