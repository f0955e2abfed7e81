/**
 * The FHIR R4 adapter: hospitals and regional platforms that keep their records in FHIR submit a Claim
 * and get a ClaimResponse (and later an ExplanationOfBenefit) of the same settlement the native API
 * makes — same service, same ledger. See adapters/fhir/README.md.
 */
import { Counter } from 'prom-client';
import { readPartConfig } from '../../gateway/config.js';
import type { GatewayPart, PartDefinition, PartDeps } from '../../gateway/parts.js';
import { fhirVariables } from './variables.js';
import { HospitalServers, loadHospitalServers, RETRY_PAUSE_MAX_MS } from './hospital-servers.js';
import { loadStructureDefinitions } from './definitions.js';
import { fhirSurface } from './routes.js';
import { SettlementSearch } from './search.js';
import { terminologyOf } from './terminology.js';

/** The adapter's version, as the CapabilityStatement states it. */
const VERSION = '0.1.0';

/** The FHIR R4 adapter: its variables and what it runs (HTTP only: no audience on Kafka). */
export const fhirPart: PartDefinition = { name: 'fhir', variables: fhirVariables, start: (deps) => startFhir(deps) };

async function startFhir(deps: PartDeps): Promise<GatewayPart> {
  const { config, metrics, log } = deps;
  const vars = readPartConfig(fhirVariables, config);
  // Validated at start-up: a wrong file stops the gateway rather than failing the first claim.
  const configured = loadHospitalServers(vars.FHIR_SERVERS_FILE, { production: config.NODE_ENV === 'production', warn: (message) => log.warn(message), env: process.env });
  for (const [hospitalId, server] of Object.entries(configured)) {
    // Every read with its retries must end before the request timeout, so the caller always gets an OperationOutcome.
    const worstMs = (server.retries + 1) * (server.timeoutMs + 100) + server.retries * RETRY_PAUSE_MAX_MS;
    if (worstMs >= config.REQUEST_TIMEOUT_MS) {
      throw new Error(`FHIR_SERVERS_FILE: hospital ${hospitalId}: (retries + 1) × timeoutMs (${worstMs} ms with pauses) must stay below REQUEST_TIMEOUT_MS (${config.REQUEST_TIMEOUT_MS} ms)`);
    }
  }
  if (Object.keys(configured).length > 0) log.info({ hospitals: Object.keys(configured) }, 'fhir: hospital FHIR servers configured');
  const servers = new HospitalServers({
    servers: configured,
    registry: metrics.registry,
    log,
    resetTimeoutMs: vars.FHIR_BREAKER_RESET_MS,
  });
  const definitions = loadStructureDefinitions();
  const started = new Date().toISOString();
  const terminology = terminologyOf(deps.programmes, started);
  const requests = new Counter({ name: 'gateway_fhir_requests_total', help: 'FHIR adapter calls by operation and outcome (ok, replay, or the error status)', labelNames: ['operation', 'outcome'] as const, registers: [metrics.registry] });
  return {
    extension: {
      name: 'fhir',
      surfaces: [fhirSurface({
        service: deps.service, ledger: deps.ledger, store: deps.store, servers, metrics, requests, log, version: VERSION, definitions, terminology, started,
        searches: new SettlementSearch({ ledger: deps.ledger, store: deps.store }),
      })],
    },
    stop: () => servers.stop(),
  };
}
