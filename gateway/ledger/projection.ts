/**
 * Day projections: a cache the programme operations keep in the ledger, one entry per (cell, settlement day
 * +08:00) holding the compact figures of every settlement of that cell and day (what the operations read of
 * them, built by gateway/operations/day-projection.ts). A cell is where a person's records live: a bucket of
 * the Redis ledger, one of `PERSON_CELLS` hash cells in memory; a shard's part of the persons (listing.ts
 * `part`) is the cells c ≡ index (mod count), so a part's listing and its cells hold the same persons.
 *
 * The ledger knows the entries only as texts under named fields. What makes them safe to cache is that the
 * ledger's own commit and reversal delete the entry of the day they write (the Redis scripts, one DEL of a key
 * of the person's slot; the memory ledger in the same synchronous step): an entry present is never stale. A
 * builder claims an entry first (`claim`: the entry replaced by a token), reads the records, then stores only
 * if its token is still there (`store`): a settlement or reversal committed in between deleted the token, so
 * what the builder read is not cached, and the next pass builds that day again.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { invariant } from '../errors.js';
import { instantMs, personCell, PERSON_CELLS } from './listing.js';
import type { KeySpace } from './keys.js';
import { guardCalls, type ScriptCall } from './script-guard.js';

/** The fields of an entry: the figures every pass reads, and the requests a replay reads besides. */
const PROJECTION_FIELDS = ['figures', 'requests'] as const;
export type ProjectionField = (typeof PROJECTION_FIELDS)[number];

export interface CellDay { cell: number; day: string }

/** The cache of day projections a ledger keeps (both ledgers: `LedgerPort.projections`). */
export interface DayProjections {
  /** How many cells the persons are kept in, and the cell of a person (stable for the life of the data). */
  cells(): Promise<{ count: number; of: (personId: string) => number }>;
  /** The named fields of each entry, in order; null for an entry absent or being built. */
  read(entries: readonly CellDay[], fields: readonly ProjectionField[]): Promise<Array<Array<string | null>>>;
  /** Replaces each entry by a claim; the token to store under. */
  claim(entries: readonly CellDay[]): Promise<string>;
  /** Stores the entry if the claim `token` still stands (nothing was written to that cell and day since); whether it did. */
  store(entry: CellDay, token: string, values: Readonly<Record<ProjectionField, string>>): Promise<boolean>;
}

/** The day (+08:00, the settlement day reports count by) of an instant: the projection a commit or reversal invalidates. */
export function projectionDay(instant: string): string {
  return new Date(instantMs(instant) + 8 * 3_600_000).toISOString().slice(0, 10);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const checkEntry = ({ cell, day }: CellDay, count: number): void => {
  invariant(Number.isInteger(cell) && cell >= 0 && cell < count && DAY.test(day), () => `projection entry ${cell} ${day} is not one of this ledger's`);
};
/** The field of a claim: its token. A reader finding only a claim treats the entry as absent. */
const CLAIM_FIELD = 'claim';

/** The memory ledger's entries: the same texts as Redis holds, so both are read by one path. */
export class MemoryProjections implements DayProjections {
  private readonly entries = new Map<string, Map<string, string>>();

  async cells(): Promise<{ count: number; of: (personId: string) => number }> { return { count: PERSON_CELLS, of: personCell }; }

  async read(entries: readonly CellDay[], fields: readonly ProjectionField[]): Promise<Array<Array<string | null>>> {
    return entries.map((entry) => {
      checkEntry(entry, PERSON_CELLS);
      const held = this.entries.get(key(entry));
      return fields.map((field) => held?.get(field) ?? null);
    });
  }

  async claim(entries: readonly CellDay[]): Promise<string> {
    const token = randomUUID();
    for (const entry of entries) {
      checkEntry(entry, PERSON_CELLS);
      this.entries.set(key(entry), new Map([[CLAIM_FIELD, token]]));
    }
    return token;
  }

  async store(entry: CellDay, token: string, values: Readonly<Record<ProjectionField, string>>): Promise<boolean> {
    checkEntry(entry, PERSON_CELLS);
    if (this.entries.get(key(entry))?.get(CLAIM_FIELD) !== token) return false;
    this.entries.set(key(entry), new Map(Object.entries(values)));
    return true;
  }

  /** Called by the memory ledger's commit and reversal, in their synchronous step: the person's entry of that day is gone. */
  invalidate(personId: string, settledAt: string): void {
    this.entries.delete(key({ cell: personCell(personId), day: projectionDay(settledAt) }));
  }
}

const key = ({ cell, day }: CellDay): string => `${cell}|${day}`;

/** KEYS: the entry. ARGV: the token. */
export const CLAIM_CALLS: readonly ScriptCall[] = [['DEL', 'KEYS[1]'], ['HSET', 'KEYS[1]']];
export const CLAIM_LUA = `${guardCalls(CLAIM_CALLS)}
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${CLAIM_FIELD}', ARGV[1])
return 1
`;

/** KEYS: the entry. ARGV: the token, then field/value pairs. Stores only over the claim still standing. */
export const STORE_CALLS: readonly ScriptCall[] = [['HGET', 'KEYS[1]'], ['DEL', 'KEYS[1]'], ['HSET', 'KEYS[1]']];
export const STORE_LUA = `${guardCalls(STORE_CALLS)}
if redis.call('HGET', KEYS[1], '${CLAIM_FIELD}') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`;

/**
 * The Redis ledger's entries: a hash per (bucket, day) under the bucket's tag (`KeySpace.projection`), so in a
 * Cluster it lives in the slot the commit and reverse scripts run in, and they delete it there.
 */
export class RedisProjections implements DayProjections {
  constructor(private readonly client: Redis | Cluster, private readonly keySpace: () => Promise<KeySpace>) {}

  async cells(): Promise<{ count: number; of: (personId: string) => number }> {
    const keys = await this.keySpace();
    return { count: keys.shards, of: (personId) => keys.bucket(personId) };
  }

  async read(entries: readonly CellDay[], fields: readonly ProjectionField[]): Promise<Array<Array<string | null>>> {
    const keys = await this.keySpace();
    // One HMGET per entry (the tools' connection is auto-pipelined: a window's entries leave in one write).
    return Promise.all(entries.map((entry) => {
      checkEntry(entry, keys.shards);
      return this.client.hmget(keys.projection(entry.cell, entry.day), ...fields);
    }));
  }

  async claim(entries: readonly CellDay[]): Promise<string> {
    const keys = await this.keySpace();
    const token = randomUUID();
    await Promise.all(entries.map((entry) => {
      checkEntry(entry, keys.shards);
      return this.client.eval(CLAIM_LUA, 1, keys.projection(entry.cell, entry.day), token);
    }));
    return token;
  }

  async store(entry: CellDay, token: string, values: Readonly<Record<ProjectionField, string>>): Promise<boolean> {
    const keys = await this.keySpace();
    checkEntry(entry, keys.shards);
    const pairs = PROJECTION_FIELDS.flatMap((field) => [field, values[field]]);
    return (await this.client.eval(STORE_LUA, 1, keys.projection(entry.cell, entry.day), token, ...pairs)) === 1;
  }
}
