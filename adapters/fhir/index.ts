/**
 * The FHIR R4 adapter: hospitals and regional platforms that keep their records in FHIR submit a Claim
 * and get a ClaimResponse (and later an ExplanationOfBenefit) of the same settlement the native API
 * makes — same service, same ledger. See adapters/fhir/README.md.
 */
import { Counter } from 'prom-client';
import type { GatewayPart, PartDeps } from '../../gateway/parts.js';
import { HospitalServers, loadHospitalServers } from './hospital-servers.js';
import { fhirRouter } from './routes.js';

const VERSION = '0.1.0';

export async function startFhir(deps: PartDeps): Promise<GatewayPart> {
  const { config, metrics, log } = deps;
  // Validated at start-up: a wrong file stops the gateway rather than failing the first claim.
  const servers = new HospitalServers({
    servers: loadHospitalServers(config.FHIR_SERVERS_FILE),
    registry: metrics.registry,
    log,
    resetTimeoutMs: config.FHIR_BREAKER_RESET_MS,
  });
  const requests = new Counter({ name: 'gateway_fhir_requests_total', help: 'FHIR adapter calls by operation and outcome (ok, replay, or the error status)', labelNames: ['operation', 'outcome'] as const, registers: [metrics.registry] });
  return {
    extension: {
      name: 'fhir',
      mount: (app, ctx) => {
        app.use('/fhir', fhirRouter({ service: deps.service, store: deps.store, servers, metrics, requests, log, bodyLimitBytes: config.BODY_LIMIT_BYTES, version: VERSION }, ctx));
      },
    },
    stop: () => servers.stop(),
  };
}
