/** Prometheus metrics of the gateway (prom-client), one registry per app so tests stay independent. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LedgerMemory } from '../ledger/port.js';

/**
 * `ledgerMemory`: read at each scrape (one INFO a Redis master), so the gauge is never older than the scrape; a
 * ledger that cannot be asked leaves the gauge empty for that scrape rather than failing /metrics.
 */
export function createMetrics(options: { ledgerMemory?: () => Promise<LedgerMemory[]> } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { ledgerMemory } = options;
  if (ledgerMemory) {
    new Gauge({
      name: 'gateway_ledger_memory_bytes', help: "Each Redis master's memory: kind=\"used\" (used_memory) and kind=\"limit\" (maxmemory, 0 for none); under noeviction a master at its limit refuses every commit",
      labelNames: ['node', 'kind'] as const, registers: [registry],
      async collect() {
        this.reset();
        const masters = await ledgerMemory().catch(() => []);
        for (const m of masters) {
          this.set({ node: m.node, kind: 'used' }, m.usedBytes);
          this.set({ node: m.node, kind: 'limit' }, m.limitBytes);
        }
      },
    });
  }
  return {
    registry,
    settlements: new Counter({ name: 'gateway_settlements_total', help: 'Settlement calls by operation and outcome', labelNames: ['operation', 'outcome'] as const, registers: [registry] }),
    programmeLines: new Counter({ name: 'gateway_programme_lines_total', help: 'Committed split lines by programme and whether they paid', labelNames: ['programme', 'paid'] as const, registers: [registry] }),
    httpDuration: new Histogram({
      name: 'gateway_http_request_duration_seconds', help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
    }),
    ledgerRetries: new Counter({ name: 'gateway_ledger_commit_retries_total', help: 'Recomputations after the accumulators moved under a settlement', registers: [registry] }),
    errors: new Counter({ name: 'gateway_errors_total', help: 'Error answers by status and type', labelNames: ['status', 'type'] as const, registers: [registry] }),
    outboxLag: new Gauge({ name: 'gateway_outbox_lag', help: 'Outbox entries not yet acknowledged by Kafka', registers: [registry] }),
    relayPublished: new Counter({ name: 'gateway_relay_published_total', help: 'Events the relay published to Kafka', registers: [registry] }),
    intakeUndeliverable: new Counter({ name: 'gateway_intake_undeliverable_answers_total', help: 'Answers to his.discharges that could not be written (topic missing or forbidden, too large) and were dead-lettered instead, by reason', labelNames: ['reason'] as const, registers: [registry] }),
    intakeLag: new Gauge({ name: 'gateway_intake_lag_messages', help: 'his.discharges messages not yet answered, per partition this process holds (as of its last batch or commit)', labelNames: ['partition'] as const, registers: [registry] }),
    topicDrift: new Gauge({ name: 'gateway_kafka_topic_drift', help: 'A topic setting that differs from its specification at start-up (1 per difference); loses_data="true" is refused in production', labelNames: ['topic', 'setting', 'loses_data'] as const, registers: [registry] }),
    intakeConsumerCrashes: new Counter({ name: 'gateway_intake_consumer_crashes_total', help: 'Times the Kafka intake consumer crashed for good (kafkajs gave it up) and the gateway started a new one', registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
