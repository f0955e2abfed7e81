/**
 * A part of the gateway started beside the settlement service by the composition root (main.ts): an adapter
 * (医保 platform, insurers, FHIR), the desk, programme operations. A part contributes, and the core names none:
 * its configuration schema (its own variables, validated with the core's), its Kafka audiences (what each
 * committed event becomes for it, on which topics, documented how), its grants in the published ACL set, its
 * routes (declared in the route table), its readiness checks and how it stops. A new payer adapter is its
 * folder and one line in main.ts; `composeParts` is how main.ts puts the parts together.
 */
import type { Logger } from 'pino';
import * as z from 'zod';
import { configSchema, CONFIG_VARIABLES, type Config, type PartConfigSchema } from './config.js';
import type { ProgrammeSet } from './engine/programme-set.js';
import type { AppExtension, ReadinessCheck } from './http/app.js';
import type { Metrics } from './http/metrics.js';
import type { LedgerPort } from './ledger/port.js';
import type { SettlementService } from './service/settlements.js';
import type { DocumentStore } from './ledger/documents/port.js';
import type { Bus } from './stream/bus.js';
import type { Audience, EventMapping } from './stream/event-records.js';
import type { PartAcls } from './stream/kafka-acls.js';

export interface PartDeps {
  config: Config;
  ledger: LedgerPort;
  service: SettlementService;
  programmes: ProgrammeSet;
  metrics: Metrics;
  log: Logger;
  /** Kafka or the in-memory bus, as the gateway's own stream uses it. */
  bus: Bus;
  /** What each committed event becomes for every part (the relay's mapping): a payout outside a settlement is told the same way. */
  mapping: EventMapping;
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
  /** Its audiences on Kafka, with their topics and AsyncAPI: built before the relay starts, and by `npm run republish`. */
  audiences?(deps: AudienceDeps): Audience[];
  /** Its grants in the published ACL set (deploy/kafka/acls.yaml, `npm run kafka:acls`): on its topics, and to its section's readers. */
  kafkaAcls?: PartAcls;
  start(deps: PartDeps): Promise<GatewayPart>;
}

/** The parts put together, in their order: what the core is given of them. main.ts composes its PARTS so. */
export function composeParts(parts: readonly PartDefinition[]) {
  const variables = parts.flatMap((p) => (p.variables ? [p.variables] : []));
  return {
    /** Each part's variables, validated with the core's (loadConfig). */
    variables,
    /** Every variable the gateway reads: the core's and each part's (the deploy manifests are checked against it). */
    configurationVariables: [...CONFIG_VARIABLES, ...variables.flatMap((v) => Object.keys(v.shape))],
    /** The whole configuration's schema, the core's and each part's, for a check of a manifest's literal values. */
    configurationSchema: z.object(Object.assign({}, configSchema.shape, ...variables.map((v) => v.shape))),
    /** What each committed event becomes for the parts (the relay's, and `npm run republish`'s), and the topics it goes to. */
    audiences: (deps: AudienceDeps): Audience[] => parts.flatMap((p) => p.audiences?.(deps) ?? []),
    /** The parts' grants in the published ACL set. */
    acls: parts.flatMap((p) => (p.kafkaAcls ? [p.kafkaAcls] : [])),
  };
}
