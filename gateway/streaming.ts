/** Wires the stream side (bus, outbox relay, streaming intake) into the gateway process. */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { ProgrammeSet } from './engine/programme-set.js';
import type { ReadinessCheck } from './http/app.js';
import type { Metrics } from './http/metrics.js';
import type { LedgerPort } from './ledger/port.js';
import type { SettlementService } from './service/settlements.js';

export interface StreamingDeps { config: Config; ledger: LedgerPort; service: SettlementService; programmes: ProgrammeSet; metrics: Metrics; log: Logger }
export interface Streaming { kind: 'kafka' | 'memory' | 'none'; readiness: ReadinessCheck[]; stop(): Promise<void> }

export async function startStreaming(_deps: StreamingDeps): Promise<Streaming> {
  return { kind: 'none', readiness: [], stop: async () => {} };
}
