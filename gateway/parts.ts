/**
 * A part of the gateway started beside the settlement service by the composition root (main.ts): an adapter
 * (医保 platform, insurers, FHIR), the desk, programme operations. A part contributes, and the core names none:
 * its configuration schema (its own variables, validated with the core's), its Kafka audiences (what each
 * committed event becomes for it), its routes (declared in the route table), its readiness checks and how it
 * stops. A new payer adapter is its folder and one line in main.ts.
 */
import type { Logger } from 'pino';
import type { Config, PartConfigSchema } from './config.js';
import type { ProgrammeSet } from './engine/programme-set.js';
import type { AppExtension, ReadinessCheck } from './http/app.js';
import type { Metrics } from './http/metrics.js';
import type { LedgerPort } from './ledger/port.js';
import type { SettlementService } from './service/settlements.js';
import type { DocumentStore } from './ledger/documents/port.js';
import type { Bus } from './stream/bus.js';
import type { Audience } from './stream/event-records.js';

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

/** What a part's audiences are built from: the relay's (and `npm run republish`'s) configuration and packs. */
export interface AudienceDeps { config: Config; programmes: ProgrammeSet }

/** A running part. */
export interface GatewayPart {
  extension?: AppExtension;
  readiness?: ReadinessCheck[];
  stop?(): Promise<void>;
}

/** A part as main.ts lists it. */
export interface PartDefinition {
  name: string;
  /** Its environment variables (read with readPartConfig); main.ts validates them with the core's before anything starts. */
  variables?: PartConfigSchema;
  /** Its audiences on Kafka: built before the relay starts, and by `npm run republish`. */
  audiences?(deps: AudienceDeps): Audience[];
  start(deps: PartDeps): Promise<GatewayPart>;
}
