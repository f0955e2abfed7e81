/**
 * The 医保 platform adapter as a part of the gateway: the national interface at /nhsa/{infno}, the
 * delivery of nhsa.settlements to the platform, and the clerk's endpoints under /v1/nhsa.
 */
import { Counter } from 'prom-client';
import { ConfigError, readPartConfig } from '../../gateway/config.js';
import type { AudienceDeps, GatewayPart, PartDefinition, PartDeps } from '../../gateway/parts.js';
import type { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { bindRoutes } from '../../gateway/http/route-table.js';
import { topics } from '../../gateway/stream/topics.js';
import { loadHospitals } from '../../gateway/hospitals.js';
import type { RosterRow } from '../../schemas/roster.js';
import { clerkRoutes } from './clerk-routes.js';
import { NhsaDelivery } from './delivery.js';
import { basicTermsReader } from './basic-terms.js';
import { loadCatalogueFiles } from './catalogue/catalogue.js';
import { Classifier } from './catalogue/classify.js';
import { loadMappingsFile, Mappings } from './catalogue/mappings.js';
import { fundPayTypesFrom } from './fund-pay-types.js';
import { nhsaSurface } from './router.js';
import { Answers } from './answers.js';
import { SignIns } from './sign-in.js';
import { Stays } from './stays.js';
import { Files } from './files.js';
import { loadSecurity } from './security/config.js';
import { NhsaSecurity } from './security/envelope-security.js';
import { nhsaAudience, nhsaMessageNodes, nhsaSettlementsTopic } from './audience.js';
import { nhsaVariables, platformTokenOf, type NhsaVariables } from './variables.js';
import type { Mapping2304Options } from './settlement-2304.js';

/** The 医保 platform part: its variables, its audience (nhsa.settlements), its ACL grants and what it runs. */
export const nhsaPart: PartDefinition = {
  name: 'nhsa',
  variables: nhsaVariables,
  audiences: ({ config, programmes }: AudienceDeps) => [nhsaAudience(nhsaMessageNodes(mappingOf(readPartConfig(nhsaVariables, config), programmes)))],
  // The gateway owns nhsa.settlements and its dead letters (a prefix): it creates, writes and reads them.
  kafkaAcls: { gatewayPrefixes: (t) => [nhsaSettlementsTopic(t)] },
  start: (deps) => startNhsa(deps),
};

/** How a split maps to the 2304 shape: one reading for the national interface's answers and the nhsa.settlements records. */
function mappingOf(vars: NhsaVariables, programmes: ProgrammeSet): Mapping2304Options {
  return { fundPayTypes: fundPayTypesFrom(vars.NHSA_FUND_PAY_TYPES), insurerCodeOf: (programme) => programmes.get(programme)?.payer.insurerCode, basicTermsOf: basicTermsReader(programmes) };
}

export async function startNhsa(deps: PartDeps): Promise<GatewayPart> {
  const { config, log, metrics } = deps;
  const vars = readPartConfig(nhsaVariables, config);
  const token = platformTokenOf(vars, { production: config.NODE_ENV === 'production', warn: (message) => log.warn(message), env: process.env });
  const clock = () => new Date();
  const stays = new Stays(deps.store);
  const mapping = mappingOf(vars, deps.programmes);
  const { hospitals } = loadHospitals(config.HOSPITALS_FILE, config.NODE_ENV === 'production');
  const hospitalOf = (id: string) => hospitals.find((h) => h.id === id);
  const rosterIds = [...new Set(deps.programmes.packs.flatMap((p) => (p.eligibility.roster ? [p.eligibility.roster.id] : [])))];
  /** The person's rows on every roster the gateway holds. */
  const rosterRows = async (personId: string): Promise<RosterRow[]> => (rosterIds.length === 0 ? [] : (await deps.ledger.rosterRows(rosterIds, [personId])).flatMap((rows) => Object.values(rows).flat()));
  const catalogueFiles = (vars.NHSA_CATALOGUE_FILES ?? '').split(',').map((f) => f.trim()).filter((f) => f);
  const catalogue = catalogueFiles.length > 0 ? loadCatalogueFiles(catalogueFiles) : undefined;
  const classifier = new Classifier(catalogue, new Mappings(deps.store, loadMappingsFile(vars.NHSA_CATALOGUE_MAPPINGS_FILE)));
  if (catalogue) log.info({ files: catalogueFiles, codes: catalogue.size }, 'nhsa: 2301 rows classify by the 医保目录');
  else log.info('nhsa: NHSA_CATALOGUE_FILES not set — 2301 rows classify by the HIS\'s chrgitm_lv/selfpay_prop row extension (absent: 丙类)');
  const refusals = new Counter({ name: 'gateway_nhsa_security_refusals_total', help: 'National-interface calls refused by the region\'s security, by code', labelNames: ['code'] as const, registers: [metrics.registry] });
  const calls = new Counter({ name: 'gateway_nhsa_calls_total', help: 'National-interface calls by infno and outcome', labelNames: ['infno', 'outcome'] as const, registers: [metrics.registry] });

  const security = new NhsaSecurity(loadSecurity(vars.NHSA_SECURITY_FILE), deps.store);
  log.info({ mode: security.mode }, 'nhsa: national-interface security mode');

  const t = topics(config.KAFKA_TOPIC_PREFIX);
  let delivery: NhsaDelivery | undefined;
  if (vars.NHSA_PLATFORM_URL) {
    const problem = security.deliveryProblem();
    if (problem) throw new ConfigError([`NHSA_SECURITY_FILE: ${problem} (NHSA_PLATFORM_URL is set)`]);
    delivery = new NhsaDelivery({
      bus: deps.bus, store: deps.store, topic: nhsaSettlementsTopic(t), dlqTopic: t.dlq(nhsaSettlementsTopic(t)), groupId: vars.NHSA_DELIVERY_GROUP,
      url: vars.NHSA_PLATFORM_URL, token, format: vars.NHSA_DELIVERY_FORMAT, hospitalOf, timeoutMs: vars.NHSA_DELIVERY_TIMEOUT_MS,
      maxAttempts: vars.NHSA_DELIVERY_MAX_ATTEMPTS, backoffInitialMs: vars.NHSA_DELIVERY_BACKOFF_MS, backoffMaxMs: vars.NHSA_DELIVERY_BACKOFF_MAX_MS,
      breakerResetMs: vars.NHSA_BREAKER_RESET_MS, registry: metrics.registry, log,
      seal: (body, headers) => security.sealDelivery(body, headers, clock()),
    });
    await delivery.start();
    log.info({ group: vars.NHSA_DELIVERY_GROUP, format: vars.NHSA_DELIVERY_FORMAT }, 'nhsa: delivering nhsa.settlements to the 医保 platform');
  } else {
    log.info('nhsa: NHSA_PLATFORM_URL not set — delivery to the 医保 platform is disabled (nhsa.settlements is still published)');
  }

  return {
    extension: {
      name: 'nhsa',
      v1: bindRoutes(clerkRoutes, { ledger: deps.ledger, stays, mapping, delivery, log }),
      surfaces: [nhsaSurface({
        log, clock, bodyLimitBytes: config.BODY_LIMIT_BYTES, security,
        context: {
          stays, service: deps.service, ledger: deps.ledger, mapping, classifier, clock, hospitalOf, rosterRows,
          signIns: new SignIns(deps.store, vars.NHSA_SIGN_IN), answers: new Answers(deps.store), files: new Files(deps.store),
        },
        onCall: (infno, outcome) => calls.inc({ infno, outcome }),
        onRefused: (code) => refusals.inc({ code }),
      })],
    },
    async stop() { await delivery?.stop(); },
  };
}
