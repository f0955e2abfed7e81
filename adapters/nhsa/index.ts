/**
 * The 医保 platform adapter as a part of the gateway: the national interface at /nhsa/{infno}, the
 * delivery of nhsa.settlements to the platform, and the clerk's endpoints under /v1/nhsa.
 */
import { Counter } from 'prom-client';
import type { GatewayPart, PartDeps } from '../../gateway/parts.js';
import { bindRoutes } from '../../gateway/http/route-table.js';
import { topics } from '../../gateway/stream/topics.js';
import { loadHospitals } from '../../gateway/desk/hospitals.js';
import type { RosterRow } from '../../schemas/roster.js';
import { clerkRoutes } from './clerk-routes.js';
import { NhsaDelivery } from './delivery.js';
import { basicTermsReader } from './basic-terms.js';
import { fundPayTypesFrom } from './fund-pay-types.js';
import { nhsaSurface } from './router.js';
import { Answers } from './answers.js';
import { SignIns } from './sign-in.js';
import { Stays } from './stays.js';

export async function startNhsa(deps: PartDeps): Promise<GatewayPart> {
  const { config, log, metrics } = deps;
  const clock = () => new Date();
  const stays = new Stays(deps.store);
  const mapping = { fundPayTypes: fundPayTypesFrom(config.NHSA_FUND_PAY_TYPES), insurerCodeOf: (p: string) => deps.programmes.get(p)?.payer.insurerCode, basicTermsOf: basicTermsReader(deps.programmes) };
  const { hospitals } = loadHospitals(config.HOSPITALS_FILE, config.NODE_ENV === 'production');
  const hospitalOf = (id: string) => hospitals.find((h) => h.id === id);
  const rosterIds = [...new Set(deps.programmes.packs.flatMap((p) => (p.eligibility.roster ? [p.eligibility.roster.id] : [])))];
  /** The person's rows on every roster the gateway holds. */
  const rosterRows = async (personId: string): Promise<RosterRow[]> => (rosterIds.length === 0 ? [] : Object.values(await deps.ledger.rosterRows(rosterIds, personId)).flat());
  const calls = new Counter({ name: 'gateway_nhsa_calls_total', help: 'National-interface calls by infno and outcome', labelNames: ['infno', 'outcome'] as const, registers: [metrics.registry] });

  const t = topics(config.KAFKA_TOPIC_PREFIX);
  let delivery: NhsaDelivery | undefined;
  if (config.NHSA_PLATFORM_URL) {
    delivery = new NhsaDelivery({
      bus: deps.bus, store: deps.store, topic: t.nhsaSettlements, dlqTopic: t.dlq(t.nhsaSettlements), groupId: config.NHSA_DELIVERY_GROUP,
      url: config.NHSA_PLATFORM_URL, token: config.NHSA_PLATFORM_TOKEN, timeoutMs: config.NHSA_DELIVERY_TIMEOUT_MS,
      maxAttempts: config.NHSA_DELIVERY_MAX_ATTEMPTS, backoffInitialMs: config.NHSA_DELIVERY_BACKOFF_MS, backoffMaxMs: config.NHSA_DELIVERY_BACKOFF_MAX_MS,
      breakerResetMs: config.NHSA_BREAKER_RESET_MS, registry: metrics.registry, log,
    });
    await delivery.start();
    log.info({ group: config.NHSA_DELIVERY_GROUP }, 'nhsa: delivering nhsa.settlements to the 医保 platform');
  } else {
    log.info('nhsa: NHSA_PLATFORM_URL not set — delivery to the 医保 platform is disabled (nhsa.settlements is still published)');
  }

  return {
    extension: {
      name: 'nhsa',
      v1: bindRoutes(clerkRoutes, { ledger: deps.ledger, stays, mapping, delivery, log }),
      surfaces: [nhsaSurface({
        log, clock, bodyLimitBytes: config.BODY_LIMIT_BYTES,
        context: { stays, service: deps.service, ledger: deps.ledger, mapping, clock, hospitalOf, rosterRows, signIns: new SignIns(deps.store, config.NHSA_SIGN_IN), answers: new Answers(deps.store) },
        onCall: (infno, outcome) => calls.inc({ infno, outcome }),
      })],
    },
    async stop() { await delivery?.stop(); },
  };
}
