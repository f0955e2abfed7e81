import type { Reader, Writer } from '../codec.js';
import type { BrokerState } from '../state.js';

export interface RequestContext {
  state: BrokerState;
  clientId: string | null;
  /** Aborted when the connection closes, so long-polls stop waiting for a dead client. */
  signal: AbortSignal;
  /** The key/version table this broker advertises (for ApiVersions). */
  supported: readonly { key: number; min: number; max: number }[];
}

export interface ApiHandler {
  key: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /** Returns the response body, or null when no response is sent (Produce with acks=0). */
  handle(r: Reader, version: number, ctx: RequestContext): Writer | null | Promise<Writer | null>;
}

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
} as const;
