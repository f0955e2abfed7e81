/** Per-insurer metrics, on the gateway's registry (GET /metrics). */
import { Counter, Gauge, type Registry } from 'prom-client';

export function createInsurerMetrics(registry: Registry) {
  return {
    /** The insurers' breakers register gateway_insurer_breaker_state here (gateway/resilience/breaker.ts). */
    registry,
    deliveries: new Counter({
      name: 'gateway_insurer_deliveries_total',
      help: 'Claim deliveries by insurer and outcome: delivered, accepted, rejected, duplicate, retried, refused, dead_lettered',
      labelNames: ['insurer', 'outcome'] as const, registers: [registry],
    }),
    lagSeconds: new Gauge({ name: 'gateway_insurer_delivery_lag_seconds', help: 'Age of the oldest claim being delivered (0 when idle)', labelNames: ['insurer'] as const, registers: [registry] }),
    waiting: new Gauge({ name: 'gateway_insurer_claims_waiting', help: 'Claims taken from Kafka and not yet delivered or dead-lettered', labelNames: ['insurer'] as const, registers: [registry] }),
    deadLetters: new Counter({ name: 'gateway_insurer_dead_letters_total', help: 'Claims dead-lettered per insurer', labelNames: ['insurer'] as const, registers: [registry] }),
    replayed: new Counter({ name: 'gateway_insurer_dead_letters_replayed_total', help: 'Dead letters replayed per insurer', labelNames: ['insurer'] as const, registers: [registry] }),
    signedCallsRefused: new Counter({
      name: 'gateway_insurer_signed_calls_refused_total',
      help: "An insurer's signed calls (callbacks, statement uploads) refused, by insurer and problem code: SIGNATURE_INVALID, SIGNATURE_EXPIRED, NONCE_REPLAYED",
      labelNames: ['insurer', 'code'] as const, registers: [registry],
    }),
  };
}
export type InsurerMetrics = ReturnType<typeof createInsurerMetrics>;
