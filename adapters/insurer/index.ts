/**
 * Insurer direct pay (商保直赔) as a part of the gateway: claim delivery per configured insurer, the
 * claims' states, daily batches, statements and reconciliation. See README.md beside this file.
 */
import { readPartConfig } from '../../gateway/config.js';
import type { GatewayPart, PartDefinition, PartDeps } from '../../gateway/parts.js';
import { insurerAcls, insurerAudience } from './audience.js';
import { insurerVariables } from './variables.js';
import { topics } from '../../gateway/stream/topics.js';
import { ClaimsStore } from './claims-store.js';
import { loadInsurers, type Insurer } from './config.js';
import { InsurerDelivery } from './delivery.js';
import { createInsurerMetrics } from './metrics.js';
import { bindRoutes } from '../../gateway/http/route-table.js';
import { outboundClaim } from './claim-document.js';
import { insurerAnswer } from './insurer-client.js';
import { insurerRoutes } from './routes.js';
import { StatementsStore } from './statements-store.js';
import { NonceLedger } from './signed-calls.js';

export interface InsurerOptions {
  /** Insurers as already loaded (tests); default: INSURERS_FILE. */
  insurers?: Insurer[];
  /** With `insurers`: the hold index's key (default none: the unkeyed index of earlier releases). */
  holdIndexKey?: Buffer;
  clock?: () => Date;
  handleBudgetMs?: number;
}

/**
 * Insurer direct pay: its variables, its audience (a claim per paying supplementary line, a second payout's claims,
 * on a topic per insurer the packs name), its ACL grants and what it runs.
 */
export const insurerPart: PartDefinition = {
  name: 'insurer',
  variables: insurerVariables,
  audiences: ({ programmes }) => [insurerAudience((programme) => programmes.get(programme)?.payer.insurerCode, programmes.packs.flatMap((p) => (p.payer.insurerCode ? [p.payer.insurerCode] : [])))],
  kafkaAcls: insurerAcls,
  start: (deps) => startInsurers(deps),
};

async function startInsurers(deps: PartDeps, options: InsurerOptions = {}): Promise<GatewayPart> {
  const { config, log, bus, store } = deps;
  const vars = readPartConfig(insurerVariables, config);
  const { insurers, holdIndexKey } = options.insurers
    ? { insurers: options.insurers, holdIndexKey: options.holdIndexKey }
    : loadInsurers(vars.INSURERS_FILE, deps.programmes, vars.INSURER_BATCH_CUTOFF, process.env, config.NODE_ENV === 'production');
  const clock = options.clock ?? (() => new Date());
  const byCode = new Map(insurers.map((i) => [i.code, i]));
  const configured = new Set(byCode.keys());
  const unconfigured = [...new Set(deps.programmes.packs.flatMap((p) => (p.status === 'active' && p.payer.insurerCode && !configured.has(p.payer.insurerCode) ? [p.payer.insurerCode] : [])))];
  if (unconfigured.length) log.warn({ insurers: unconfigured }, 'insurer: no configuration for these insurer codes; their claims wait on Kafka until configured');
  if (insurers.length === 0) return {};
  if (!holdIndexKey) {
    log.warn('insurer: no holdIndexKey in INSURERS_FILE: persons held behind a dead letter are indexed by an unkeyed digest of their id number; for development only');
  }

  const t = topics(config.KAFKA_TOPIC_PREFIX);
  const metrics = createInsurerMetrics(deps.metrics.registry);
  const claims = new ClaimsStore(store, holdIndexKey);
  const statements = new StatementsStore(store, claims);
  const deliveries = new Map<string, InsurerDelivery>();
  if (vars.INSURER_DELIVERY_ENABLED) {
    for (const insurer of insurers) {
      const delivery = new InsurerDelivery({ insurer, bus, topics: t, claims, metrics, log, clock, ...(options.handleBudgetMs ? { handleBudgetMs: options.handleBudgetMs } : {}) });
      await delivery.start();
      deliveries.set(insurer.code, delivery);
    }
    log.info({ insurers: insurers.map((i) => `${i.code} (${i.identifiers})`) }, 'insurer: claim delivery started');
  }

  return {
    extension: {
      name: 'insurer',
      v1: bindRoutes(insurerRoutes, { insurers: byCode, deliveries, claims, statements, deadLetters: { bus, topics: t, claims }, ledger: deps.ledger, nonces: new NonceLedger(store), metrics, log, clock }),
      // What is POSTed to an insurer and what it answers: not endpoints of the gateway, published for insurers as schemas.
      schemas: { InsurerOutboundClaim: outboundClaim, InsurerAnswer: { schema: insurerAnswer, io: 'input' } },
    },
    // Reported in /readyz, never failing it: an insurer down holds its own claims, not the gateway.
    readiness: [...deliveries.values()].map((d) => ({
      name: `insurer:${d.snapshot().insurerCode}`,
      critical: false,
      // /readyz is public: the state in fixed words, never the last error's text (an insurer's address, a
      // library's words, claim ids) — GET /v1/insurers gives that to an admin or auditor.
      check: async () => {
        const { lastError, ...s } = d.snapshot();
        if (s.breaker !== 'closed') throw new Error(`breaker ${s.breaker}; ${s.waiting} claims waiting`);
        return { ...s, failing: lastError !== undefined };
      },
    })),
    async stop() {
      for (const d of deliveries.values()) await d.stop();
    },
  };
}
