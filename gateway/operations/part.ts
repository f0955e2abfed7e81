/** Programme operations as a part of the gateway: reports, second payout, what-if, the reports page. */
import { Histogram } from 'prom-client';
import { bindRoutes } from '../http/route-table.js';
import type { GatewayPart, PartDefinition, PartDeps } from '../parts.js';
import { hospitalNames } from './hospital-names.js';
import { reportsPage } from './page.js';
import { operationsRoutes } from './routes.js';

/** Programme operations: reports, second payout, what-if, the reports page. */
export const operationsPart: PartDefinition = { name: 'operations', start: (deps) => startOperations(deps) };

async function startOperations(deps: PartDeps, clock?: () => Date): Promise<GatewayPart> {
  const passes = new Histogram({
    name: 'gateway_operations_pass_duration_seconds', help: 'Report, second-payout and what-if passes over the stored settlements, by pass and outcome',
    labelNames: ['pass', 'outcome'] as const, buckets: [0.05, 0.25, 1, 2.5, 5, 10, 30, 120], registers: [deps.metrics.registry],
  });
  const v1 = bindRoutes(operationsRoutes, {
    hospitalName: hospitalNames(deps.config),
    observe: (pass, outcome, seconds) => passes.observe({ pass, outcome }, seconds),
    programmes: deps.programmes, ledger: deps.ledger, store: deps.store, bus: deps.bus, log: deps.log,
    mapping: deps.mapping,
    requestTimeoutMs: deps.config.REQUEST_TIMEOUT_MS, ...(clock ? { clock } : {}),
  });
  return { extension: { name: 'operations', v1, surfaces: [reportsPage()] } };
}
