/** Programme operations as a part of the gateway: reports, second payout, what-if, the reports page. */
import type { GatewayPart, PartDeps } from '../parts.js';
import { topics } from '../stream/topics.js';
import { mountReportsPage } from './page.js';
import { operationsRoutes } from './routes.js';

export async function startOperations(deps: PartDeps, clock?: () => Date): Promise<GatewayPart> {
  const v1 = operationsRoutes({
    programmes: deps.programmes, ledger: deps.ledger, store: deps.store, bus: deps.bus,
    topics: topics(deps.config.KAFKA_TOPIC_PREFIX), eventSource: deps.config.EVENT_SOURCE,
    requestTimeoutMs: deps.config.REQUEST_TIMEOUT_MS, ...(clock ? { clock } : {}),
  });
  return { extension: { name: 'operations', v1, mount: (app) => mountReportsPage(app) } };
}
