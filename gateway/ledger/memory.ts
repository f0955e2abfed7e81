/**
 * The ledger in process memory: the embedded default (`npm start` without Redis) and the fast tests.
 * It answers exactly as RedisLedger does — the shared suite in test/ledger runs against both — down to
 * the settlement-id claim (see redis.ts) and the outbox's consumer-group semantics. Each method does
 * all its work synchronously, so it is as atomic as a Lua script. Everything going in or out is
 * deep-copied: a caller can never mutate the books through a reference.
 */
import { invariant } from '../errors.js';
import type { RosterRow } from '../../schemas/roster.js';
import type { ReversalNote } from '../../schemas/settlement.js';
import type {
  AccumulatorSnapshot, CommitOutcome, LedgerMemory, LedgerPort, OutboxEntry, OutboxEvent, OutboxEventHead, PersonReading, ReverseOutcome, NewSettlement, WriteGuard,
} from './port.js';
import { newRecord } from './codec.js';
import { packRecord, unpackRecord, type PackedSettlement } from './packed-record.js';
import { StoredSettlement } from './stored.js';
import { MemoryProjections } from './projection.js';
import {
  checkAck, checkCommit, checkDeltas, checkRead, checkReverse, checkRoster, isStorableSettlementId, rowsByPerson, sortedRows,
} from './validate.js';
import { eventData } from './event-data.js';
import { sendingWrite, SettlementIdClaimed } from './errors.js';
import { checkPart, indexMember, PERSON_SETTLEMENTS_MAX, personInPart, queryRange, recordInstantMs, type SettlementQuery } from './listing.js';

export interface MemoryLedgerOptions {
  /** As RedisLedgerOptions.claimIdleMs: entries pending at another consumer this long are taken over. 0 = never. */
  claimIdleMs?: number;
  /** The clock for idle times; tests may replace it. */
  now?: () => number;
}

interface Accumulators { version: number; values: Map<string, number> }

interface Pending { consumer: string; deliveredAt: number }

/**
 * An entry keeps its event's head and the stored record it refers to; the data is built when the relay
 * reads it, as the Redis ledger does (event-data.ts: byte-identical whenever built). Built at append, each
 * entry not yet acknowledged held the assembled text besides the record: a synthetic 三明 settlement took
 * 6.9 KB of heap with its entry pending, 6.2 KB now, 5.85 KB once acknowledged (test/bench/operations.ts).
 */
interface StoredEntry { seq: number; head: OutboxEventHead; record: PackedSettlement; pending: Pending | null }

const SAFE = Number.MAX_SAFE_INTEGER;
/** Preview markers kept at most (each expires anyway): memory stays bounded under any load. */
const MAX_PREVIEWS = 100_000;

/** A stored settlement copies the raw record's fields (strings, and the one flat map of numbers): the books cannot be reached through it. */
const copyRecord = (record: PackedSettlement): StoredSettlement => new StoredSettlement(unpackRecord(record));

const eventOf = (entry: StoredEntry): OutboxEvent => ({ ...entry.head, data: eventData(entry.head.type, unpackRecord(entry.record)) });

export class MemoryLedger implements LedgerPort {
  readonly kind = 'memory' as const;
  private readonly accumulators = new Map<string, Accumulators>();
  /** Packed (packed-record.ts): a city's year in memory is mostly these texts. */
  private readonly settlements = new Map<string, PackedSettlement>();
  /** settlement key → person, claimed before the version check and never removed, as in Redis. */
  private readonly claims = new Map<string, string>();
  /** roster id → person → period → row */
  private readonly rosters = new Map<string, Map<string, Map<string, RosterRow>>>();
  /** Unacknowledged entries in append order (Map keeps insertion order; acked ones are deleted). */
  private readonly outbox = new Map<number, StoredEntry>();
  private lastSeq = 0;
  /** The highest seq delivered to any consumer: entries after it are new (the group's last-delivered id). */
  private lastDelivered = 0;
  private readonly waiters = new Set<() => void>();
  private readonly claimIdleMs: number;
  private readonly now: () => number;
  private closed = false;
  /** preview key → expiry (ms); insertion order is age order, so the oldest is dropped first at the bound. */
  private readonly previews = new Map<string, number>();
  readonly projections = new MemoryProjections();

  constructor(options: MemoryLedgerOptions = {}) {
    this.claimIdleMs = options.claimIdleMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async readAccumulators(personId: string): Promise<AccumulatorSnapshot> {
    const acc = this.accumulators.get(personId);
    return { version: acc?.version ?? 0, values: Object.fromEntries(acc?.values ?? []) };
  }

  async readPerson(personId: string, rosterIds: readonly string[]): Promise<PersonReading> {
    return { accumulators: await this.readAccumulators(personId), rosters: this.rowsOf(rosterIds, personId) };
  }

  async getSettlement(hospitalId: string, settlementId: string): Promise<StoredSettlement | null> {
    if (!isStorableSettlementId(hospitalId, settlementId)) return null;
    const record = this.settlements.get(settlementKey(hospitalId, settlementId));
    return record ? copyRecord(record) : null;
  }

  async commit(settlement: NewSettlement, expectedVersion: number, event: OutboxEventHead, guard?: WriteGuard): Promise<CommitOutcome> {
    checkCommit(settlement, expectedVersion, event);
    const record = newRecord(settlement);
    sendingWrite(guard);
    const key = settlementKey(record.hospitalId, record.settlementId);
    const owner = this.claims.get(key) ?? record.personId;
    this.claims.set(key, owner);
    const stored = this.settlements.get(key);
    if (owner !== record.personId) {
      if (!stored) throw new SettlementIdClaimed(record.hospitalId, record.settlementId);
      return { outcome: 'conflict', record: copyRecord(stored) };
    }
    if (stored) return { outcome: stored.bodyHash === record.bodyHash ? 'replay' : 'conflict', record: copyRecord(stored) };
    const acc = this.accumulatorsOf(record.personId);
    if (acc.version !== expectedVersion) return { outcome: 'stale' };
    this.apply(acc, record.deltas, 1);
    const packed = packRecord(record);
    this.settlements.set(key, packed);
    this.projections.invalidate(record.personId, record.settledAt);
    this.append(event, packed);
    return { outcome: 'committed', record: new StoredSettlement(record, settlement.split) };
  }

  async reverse(hospitalId: string, settlementId: string, reversedAt: string, event: OutboxEventHead, guard?: WriteGuard, note?: ReversalNote): Promise<ReverseOutcome> {
    checkReverse(hospitalId, settlementId, event);
    sendingWrite(guard);
    if (!isStorableSettlementId(hospitalId, settlementId)) return { outcome: 'notFound' };
    const stored = this.settlements.get(settlementKey(hospitalId, settlementId));
    if (!stored) return { outcome: 'notFound' };
    if (stored.status === 'reversed') return { outcome: 'alreadyReversed', record: copyRecord(stored) };
    invariant(event.personId === stored.personId, 'the reversal event is about another person than the record');
    this.apply(this.accumulatorsOf(stored.personId), unpackRecord(stored).deltas, -1);
    // A new record, not the stored one changed: an outbox entry not yet relayed still refers to the one it was appended with.
    const reversed: PackedSettlement = { ...stored, status: 'reversed', reversedAt, ...(note && Object.keys(note).length > 0 ? { reversal: { ...note } } : {}) };
    this.settlements.set(settlementKey(hospitalId, settlementId), reversed);
    this.projections.invalidate(stored.personId, stored.settledAt);
    this.append(event, reversed);
    return { outcome: 'reversed', record: copyRecord(reversed) };
  }

  async rememberPreview(hospitalId: string, settlementId: string, ttlSeconds: number): Promise<void> {
    invariant(Number.isInteger(ttlSeconds) && ttlSeconds >= 1, 'a preview is remembered for a whole number of seconds');
    if (!isStorableSettlementId(hospitalId, settlementId)) return;
    const key = settlementKey(hospitalId, settlementId);
    this.previews.delete(key);
    if (this.previews.size >= MAX_PREVIEWS) {
      const oldest = this.previews.keys().next().value;
      if (oldest !== undefined) this.previews.delete(oldest);
    }
    this.previews.set(key, this.now() + ttlSeconds * 1000);
  }

  async wasPreviewed(hospitalId: string, settlementId: string): Promise<boolean> {
    const key = settlementKey(hospitalId, settlementId);
    const expiresAt = this.previews.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.now()) return true;
    this.previews.delete(key);
    return false;
  }

  async *listSettlements(query: SettlementQuery): AsyncGenerator<StoredSettlement> {
    const { fromMs, toMs } = queryRange(query);
    if (query.part) checkPart(query.part);
    const inPeriod: Array<{ ms: number; member: string; record: PackedSettlement }> = [];
    for (const record of this.settlements.values()) {
      if (!personInPart(record.personId, query.part)) continue;
      const ms = recordInstantMs(record, query.by);
      if (ms === null || ms < fromMs || ms >= toMs) continue;
      if (query.hospitalId !== undefined && record.hospitalId !== query.hospitalId) continue;
      inPeriod.push({ ms, member: indexMember(record.hospitalId, record.settlementId), record });
    }
    inPeriod.sort((a, b) => a.ms - b.ms || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
    for (const { record } of inPeriod) yield copyRecord(record);
  }

  async settlementsOfPerson(personId: string): Promise<StoredSettlement[]> {
    return [...this.settlements.values()]
      .filter((r) => r.personId === personId)
      .map((r) => ({ ms: Date.parse(r.settledAt), member: indexMember(r.hospitalId, r.settlementId), record: r }))
      .sort((a, b) => a.ms - b.ms || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
      .slice(0, PERSON_SETTLEMENTS_MAX)
      .map(({ record }) => copyRecord(record));
  }

  async putRoster(rosterId: string, rows: readonly RosterRow[], replace: boolean): Promise<void> {
    checkRoster(rosterId, rows);
    let roster = this.rosters.get(rosterId);
    if (!roster || replace) this.rosters.set(rosterId, (roster = new Map()));
    for (const [personId, periods] of rowsByPerson(structuredClone(rows))) {
      const existing = roster.get(personId);
      if (existing) for (const [period, row] of periods) existing.set(period, row);
      else roster.set(personId, periods);
    }
  }

  async rosterSize(rosterId: string): Promise<number> {
    return this.rosters.get(rosterId)?.size ?? 0;
  }

  async rosterRows(rosterIds: readonly string[], personIds: readonly string[]): Promise<Array<Record<string, RosterRow[]>>> {
    return personIds.map((personId) => this.rowsOf(rosterIds, personId));
  }

  private rowsOf(rosterIds: readonly string[], personId: string): Record<string, RosterRow[]> {
    const result: Record<string, RosterRow[]> = {};
    for (const rosterId of rosterIds) {
      result[rosterId] = structuredClone(sortedRows(this.rosters.get(rosterId)?.get(personId) ?? []));
    }
    return result;
  }

  async readOutbox(consumer: string, count: number, blockMs: number): Promise<OutboxEntry[]> {
    checkRead(consumer, count, blockMs);
    const found = this.takeOwnPendingAndIdle(consumer, count);
    if (found.length === 0 && blockMs > 0 && !this.closed) await this.waitForAppend(blockMs);
    if (found.length < count) found.push(...this.takeNew(consumer, count - found.length));
    return found.map((entry) => ({ entryId: String(entry.seq), event: eventOf(entry) }));
  }

  async ackOutbox(entryIds: readonly string[]): Promise<void> {
    checkAck(entryIds);
    for (const entryId of entryIds) {
      invariant(/^\d+$/.test(entryId), () => `outbox entry id ${JSON.stringify(entryId)} is not one of this ledger's`);
      const entry = this.outbox.get(Number(entryId));
      // As XACK: only a delivered (pending) entry can be acknowledged.
      if (entry?.pending) this.outbox.delete(entry.seq);
    }
  }

  async outboxLag(): Promise<number> { return this.outbox.size; }

  async memory(): Promise<LedgerMemory[]> { return []; }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the memory ledger is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiters) wake();
  }

  private accumulatorsOf(personId: string): Accumulators {
    let acc = this.accumulators.get(personId);
    if (!acc) this.accumulators.set(personId, (acc = { version: 0, values: new Map() }));
    return acc;
  }

  /** Checks every counter before changing any, like the Lua scripts, so a refusal leaves nothing half-done. */
  private apply(acc: Accumulators, deltas: Record<string, number>, sign: 1 | -1): void {
    checkDeltas(deltas);
    const next = Object.entries(deltas).map(([field, delta]): [string, number] => [field, (acc.values.get(field) ?? 0) + sign * delta]);
    for (const [field, value] of next) invariant(Math.abs(value) <= SAFE, `accumulator ${field} would leave the safe integer range`);
    // `+ 0` turns the -0 of a negated zero delta into 0, as Redis integers have no sign of zero.
    for (const [field, value] of next) acc.values.set(field, value + 0);
    acc.version += 1;
  }

  /** The event's data is built now, from the record as this step leaves it: the same text Redis builds when the relay reads. */
  private append(head: OutboxEventHead, record: PackedSettlement): void {
    const seq = ++this.lastSeq;
    const { id, type, personId, hospitalId, settlementId, time } = head;
    this.outbox.set(seq, { seq, head: { id, type, personId, hospitalId, settlementId, time }, record, pending: null });
    for (const wake of this.waiters) wake();
  }

  /** As XREADGROUP from id 0, then XAUTOCLAIM: this consumer's pending entries, then others' idle ones. */
  private takeOwnPendingAndIdle(consumer: string, count: number): StoredEntry[] {
    const now = this.now();
    const own: StoredEntry[] = [];
    for (const entry of this.outbox.values()) {
      if (own.length >= count) break;
      if (entry.pending?.consumer === consumer) own.push(entry);
    }
    const claimed: StoredEntry[] = [];
    if (this.claimIdleMs > 0) {
      for (const entry of this.outbox.values()) {
        if (own.length + claimed.length >= count) break;
        const pending = entry.pending;
        if (pending && pending.consumer !== consumer && now - pending.deliveredAt >= this.claimIdleMs) claimed.push(entry);
      }
    }
    const taken = [...own, ...claimed];
    for (const entry of taken) entry.pending = { consumer, deliveredAt: now };
    return taken;
  }

  /** As XREADGROUP with `>`: entries never delivered to the group, which become pending at this consumer. */
  private takeNew(consumer: string, count: number): StoredEntry[] {
    const now = this.now();
    const taken: StoredEntry[] = [];
    for (const entry of this.outbox.values()) {
      if (taken.length >= count) break;
      if (entry.seq <= this.lastDelivered) continue;
      entry.pending = { consumer, deliveredAt: now };
      this.lastDelivered = entry.seq;
      taken.push(entry);
    }
    return taken;
  }

  private waitForAppend(blockMs: number): Promise<void> {
    if (this.lastSeq > this.lastDelivered) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, blockMs);
      this.waiters.add(wake);
    });
  }
}

function settlementKey(hospitalId: string, settlementId: string): string {
  return `${hospitalId}\u0000${settlementId}`;
}
