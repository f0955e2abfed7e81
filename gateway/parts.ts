/**
 * A part of the gateway started beside the settlement service by the composition root (main.ts):
 * an adapter (医保 platform, insurers, FHIR), the desk, programme operations. Each gets the same
 * dependencies and gives back its routes, its readiness checks and how it stops.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { ProgrammeSet } from './engine/programme-set.js';
import type { AppExtension, ReadinessCheck } from './http/app.js';
import type { Metrics } from './http/metrics.js';
import type { LedgerPort } from './ledger/port.js';
import type { SettlementService } from './service/settlements.js';
import type { DocumentStore } from './store/port.js';
import type { Bus } from './stream/bus.js';

export interface PartDeps {
  config: Config;
  ledger: LedgerPort;
  service: SettlementService;
  programmes: ProgrammeSet;
  metrics: Metrics;
  log: Logger;
  /** Kafka or the in-memory bus, as the gateway's own stream uses it. */
  bus: Bus;
  /** The adapters' own state (same Redis as the ledger, or memory). */
  store: DocumentStore;
}

export interface GatewayPart {
  extension?: AppExtension;
  readiness?: ReadinessCheck[];
  stop?(): Promise<void>;
}
