import type { ReversalNote } from '../../schemas/settlement.js';

/**
 * A settlement record as the ledger holds it: the split and the request as the JSON texts first written
 * (a replay answers them byte for byte; Lua never decodes them). Only the ledger sees this form; everyone
 * else reads a `StoredSettlement`.
 */
export interface RawSettlement {
  gatewayId: string;
  hospitalId: string;
  settlementId: string;
  personId: string;
  /** sha256 of the request body as sent: the idempotency fingerprint. */
  bodyHash: string;
  status: 'settled' | 'reversed';
  /** The split as first answered (status "settled"). */
  splitJson: string;
  /** The request as accepted. */
  requestJson: string;
  /** Counter increments the settlement made; a reversal applies their negation. */
  deltas: Record<string, number>;
  settledAt: string;
  reversedAt?: string;
  reversal?: ReversalNote;
  /** The version of the stored form (record, requestJson, splitJson): absent = 1. */
  recordVersion?: number;
}
