/**
 * The ledger port: where settlements, accumulators, rosters and the outbox live. Two implementations
 * behave identically (one test suite runs against both): Redis (production) and memory (embedded default).
 */
import type { RosterRow } from '../../schemas/roster.js';
import type { ReversalNote, Split } from '../../schemas/settlement.js';
import type { StoredSettlement } from './stored.js';
import type { SettlementQuery } from './listing.js';
import type { DayProjections } from './projection.js';

/** A person's year-to-date counters (fen) and the version the engine read them at. */
export interface AccumulatorSnapshot {
  version: number;
  values: Record<string, number>;
}

/**
 * What a commit stores: the settlement as computed, and the request as sent (its text is what the
 * idempotency fingerprint hashed, stored byte for byte). Read back as a `StoredSettlement` (stored.ts).
 */
export interface NewSettlement {
  gatewayId: string;
  hospitalId: string;
  settlementId: string;
  personId: string;
  /** sha256 of the request body as sent: the idempotency fingerprint. */
  bodyHash: string;
  /** The split as answered (status "settled"); stored as its JSON, which a replay answers byte for byte. */
  split: Split;
  requestJson: string;
  /** Counter increments the settlement makes; a reversal applies their negation. */
  deltas: Record<string, number>;
  settledAt: string;
}

/**
 * What a commit or reversal appends to the outbox: the event without its data, which refers to the
 * record written in the same step. The ledger builds the data from that record when the relay reads
 * the entry (event-data.ts), so a commit does not write the split and the request a second time.
 */
export interface OutboxEventHead {
  /** CloudEvents id; consumers dedupe by it. */
  id: string;
  type: 'settlement.settled' | 'settlement.reversed';
  personId: string;
  hospitalId: string;
  settlementId: string;
  time: string;
}

/** One entry of the outbox as the relay reads it: what it publishes to Kafka, in commit order per person. */
export interface OutboxEvent extends OutboxEventHead {
  /** JSON of { split, deltas, request, recordVersion } (event-data.ts); '' when the record it refers to is gone. */
  data: string;
}

export interface PersonReading {
  accumulators: AccumulatorSnapshot;
  rosters: Record<string, RosterRow[]>;
}

export type CommitOutcome =
  | { outcome: 'committed'; record: StoredSettlement }
  /** Same key, same body: the first answer, byte for byte. */
  | { outcome: 'replay'; record: StoredSettlement }
  /** Same key, different body. */
  | { outcome: 'conflict'; record: StoredSettlement }
  /** The accumulators moved since they were read: recompute and try again. */
  | { outcome: 'stale' };

export type ReverseOutcome =
  | { outcome: 'reversed'; record: StoredSettlement }
  | { outcome: 'alreadyReversed'; record: StoredSettlement }
  | { outcome: 'notFound' };

export interface OutboxEntry { entryId: string; event: OutboxEvent }

/**
 * The caller's deadline for one commit or reversal. Aborted before the ledger sends its write, the
 * write is never sent (CommitAborted: nothing was committed). `onSend` is told the moment the write
 * leaves the process: from then on, an error or a timeout leaves the outcome unknown.
 */
export interface WriteGuard {
  /** Only `aborted` is read: the call's deadline (call.ts) or any AbortSignal. */
  signal?: { readonly aborted: boolean };
  onSend?(): void;
}

/*
 * The ledger's jobs, one interface each: a consumer names the one it uses, so what it can touch is in its
 * signature. Both implementations (memory.ts, redis.ts) keep them all: `LedgerPort`.
 */

/** Settling: the atomic commit and reversal, and the record by its id. */
export interface SettlementBook {
  getSettlement(hospitalId: string, settlementId: string): Promise<StoredSettlement | null>;
  /**
   * Atomically: idempotency check on (hospitalId, settlementId); compare the person's accumulator
   * version with `expectedVersion`; apply `settlement.deltas`; store the record; append `event` to the outbox.
   */
  commit(settlement: NewSettlement, expectedVersion: number, event: OutboxEventHead, guard?: WriteGuard): Promise<CommitOutcome>;
  /**
   * Atomically: if the settlement is still settled, apply the negated deltas, mark it reversed at
   * `reversedAt` (with `note`, if any), append `event`. Repeating answers alreadyReversed with the stored record.
   */
  reverse(hospitalId: string, settlementId: string, reversedAt: string, event: OutboxEventHead, guard?: WriteGuard, note?: ReversalNote): Promise<ReverseOutcome>;
}

/** What the ledger knows of a person: year-to-date accumulators and roster rows. */
export interface PersonBook {
  readAccumulators(personId: string): Promise<AccumulatorSnapshot>;
  /** What a settlement reads of one person: the accumulators and their rows of the given rosters, as one read. */
  readPerson(personId: string, rosterIds: readonly string[]): Promise<PersonReading>;
  /** Merges rows (or replaces the roster's rows when `replace`). Rows are stored per person. */
  putRoster(rosterId: string, rows: readonly RosterRow[], replace: boolean): Promise<void>;
  /**
   * Each person's rows of each of the given rosters (none: an empty list), in the order of `personIds`: read
   * together, as a pass reads a day's new persons (Redis: one script per bucket and chunk, not a command per row).
   */
  rosterRows(rosterIds: readonly string[], personIds: readonly string[]): Promise<Array<Record<string, RosterRow[]>>>;
  /** How many persons the roster holds (any period): the enrolled count of reports. Optional so that test doubles need not have it. */
  rosterSize?(rosterId: string): Promise<number>;
}

/** Previews remembered on every gateway sharing the ledger. */
export interface PreviewMemory {
  /**
   * Remembers for `ttlSeconds` that (hospitalId, settlementId) was previewed, so that reversing a preview
   * is told apart from an unknown id (422, not 404). Bounded: entries expire (and memory keeps at most a fixed number).
   */
  rememberPreview(hospitalId: string, settlementId: string, ttlSeconds: number): Promise<void>;
  wasPreviewed(hospitalId: string, settlementId: string): Promise<boolean>;
}

/** Stored settlements read in order, for reconciliation, the desk's lists and reports. */
export interface SettlementListing {
  /**
   * Records whose settledAt (or reversedAt) lies in [from, to), in that time order (ties by hospital
   * and settlement id), read in bounded pages.
   */
  listSettlements(query: SettlementQuery): AsyncIterable<StoredSettlement>;
  /** The operations' cache of each day's settlements in compact form, kept fresh by commit and reverse (projection.ts). */
  readonly projections: DayProjections;
  /** A person's settlements (reversed ones too), in settledAt order; at most PERSON_SETTLEMENTS_MAX. */
  settlementsOfPerson(personId: string): Promise<StoredSettlement[]>;
}

/** The outbox, for the relay. */
export interface Outbox {
  /** Entries not yet acknowledged by `consumer`, oldest first, at most `count`. */
  readOutbox(consumer: string, count: number, blockMs: number): Promise<OutboxEntry[]>;
  ackOutbox(entryIds: readonly string[]): Promise<void>;
  /** Entries appended but not yet acknowledged: the relay's lag. */
  outboxLag(): Promise<number>;
}

/** One Redis master's memory: under noeviction, used reaching the limit refuses every commit. */
export interface LedgerMemory {
  /** "host:port" */
  node: string;
  usedBytes: number;
  /** maxmemory; 0 when the master has no limit (then the machine's memory is the limit). */
  limitBytes: number;
}

export interface LedgerPort extends SettlementBook, PersonBook, PreviewMemory, SettlementListing, Outbox {
  readonly kind: 'redis' | 'memory';
  ping(): Promise<void>;
  /** Each Redis master's memory (none for the memory ledger, which lives in this process). */
  memory(): Promise<LedgerMemory[]>;
  close(): Promise<void>;
}
