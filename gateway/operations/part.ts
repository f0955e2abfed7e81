/** Programme operations as a part of the gateway: reports, second payout, what-if, the reports page. */
import { Histogram } from 'prom-client';
import { loadHospitals } from '../desk/hospitals.js';
import type { GatewayPart, PartDeps } from '../parts.js';
import { topics } from '../stream/topics.js';
import { operationsOpenApiPaths } from './openapi.js';
import { mountReportsPage } from './page.js';
import { operationsRoutes } from './routes.js';

export async function startOperations(deps: PartDeps, clock?: () => Date): Promise<GatewayPart> {
  const passes = new Histogram({
    name: 'gateway_operations_pass_duration_seconds', help: 'Report, second-payout and what-if passes over the stored settlements, by pass and outcome',
    labelNames: ['pass', 'outcome'] as const, buckets: [0.05, 0.25, 1, 2.5, 5, 10, 30, 120], registers: [deps.metrics.registry],
  });
  // The names the desk's slip prints; a report lists a hospital without one by its id.
  const names = new Map(loadHospitals(deps.config.HOSPITALS_FILE, deps.config.NODE_ENV === 'production').hospitals.map((h) => [h.id, h.name]));
  const v1 = operationsRoutes({
    hospitalName: (id) => names.get(id),
    observe: (pass, outcome, seconds) => passes.observe({ pass, outcome }, seconds),
    programmes: deps.programmes, ledger: deps.ledger, store: deps.store, bus: deps.bus,
    topics: topics(deps.config.KAFKA_TOPIC_PREFIX), eventSource: deps.config.EVENT_SOURCE,
    requestTimeoutMs: deps.config.REQUEST_TIMEOUT_MS, ...(clock ? { clock } : {}),
  });
  return { extension: { name: 'operations', v1, mount: (app) => mountReportsPage(app), openapi: () => ({ paths: operationsOpenApiPaths() }) } };
}
