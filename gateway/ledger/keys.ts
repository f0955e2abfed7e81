/**
 * The Redis key layout (see README.md in this folder). Every key one settlement's script touches —
 * the person's accumulators, the settlement record, the outbox shard, the time indexes — carries its
 * bucket's hash tag, so a Redis Cluster keeps them in one slot and a single Lua script may touch them all.
 *
 * Two layouts, read by what the data says (detectLayout, redis.ts): layout 1 (up to issue 21) tags bucket b
 * `{b<b>}`, which lands wherever CRC16 puts it — 16 buckets in 16 slots scattered at random, so a Cluster's
 * masters get unequal shares and, past 16 masters, some get none. Layout 2 tags bucket b of N with the first
 * `{s<b>-<k>}` (k = 0, 1, …) whose slot lies in the b-th of N equal ranges of the 16 384 slots: the buckets
 * stand evenly over the slot space, so masters holding equal slot ranges (as `redis-cli --cluster create`
 * and rebalancing leave them) hold equal numbers of buckets, and N ≥ 4 × masters spreads every master's share.
 */
import { hash } from 'node:crypto';
import { invariant } from '../errors.js';
import { CLUSTER_SLOTS, keySlot } from './slots.js';

/** Identifiers become key parts: no ':' (ambiguity) and no '{' '}' (hash tags). The schemas already allow only these. */
const KEY_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isKeyPart(value: string): boolean { return KEY_PART.test(value); }

export function assertKeyPart(what: string, value: string): void {
  invariant(isKeyPart(value), () => `${what} ${JSON.stringify(value)} is not a safe key part`);
}

/**
 * The bucket of a person: stable across processes and releases (sha1, not a runtime hash), so one
 * person always lands in one bucket — that is what keeps their outbox events in commit order.
 * Changing `shards` re-buckets everyone: it is fixed for the life of the data.
 */
function bucketOf(personId: string, shards: number): number {
  // One-shot: the same digest as createHash().update().digest(), without a Hash object per call (twice a settlement).
  return hash('sha1', personId, 'buffer').readUInt32BE(0) % shards;
}

/** The keys of one person's slot (KeySpace.person). */
export interface PersonKeys {
  bucket: number;
  accumulators: string;
  personIndex: string;
  outbox: string;
  timeIndex(by: 'settledAt' | 'reversedAt'): string;
  settlement(hospitalId: string, settlementId: string): string;
  roster(rosterId: string): string;
  /** The operations' day projection of the bucket for a settlement day (projection.ts): the commit and reverse scripts delete it. */
  projection(day: string): string;
}

export const KEY_LAYOUTS = [1, 2] as const;
export type KeyLayout = (typeof KEY_LAYOUTS)[number];
/** The layout a ledger with no data yet is written in. */
export const CURRENT_KEY_LAYOUT: KeyLayout = 2;
/** Buckets of layout 1: fixed at 16, the only count a gateway could run with then. */
export const LAYOUT_1_BUCKETS = 16;

/** The layout marker's text while `npm run ledger:migrate -- --apply` moves layout 1's buckets (migrate.ts): the ledger is closed until it ends. */
export const movingMarker = (buckets: number): string => `moving ${CURRENT_KEY_LAYOUT} ${buckets}`;
export const isMovingMarker = (text: string): boolean => text.startsWith('moving ');
/** A SCAN pattern matching every key of layout 1 under `prefix` (`<prefix>:{b<n>}:…`), and perhaps others a bucket's prefix then tells apart. */
export const layout1Pattern = (prefix: string): string => `${prefix}:{b[0-9]*}:*`;

/** Layout 2's hash tag of bucket `bucket` of `buckets`: the first `s<b>-<k>` whose slot lies in the bucket's range. */
export function spreadTag(bucket: number, buckets: number): string {
  const from = Math.floor((bucket * CLUSTER_SLOTS) / buckets);
  const to = Math.floor(((bucket + 1) * CLUSTER_SLOTS) / buckets);
  for (let k = 0; ; k++) {
    const tag = `s${bucket}-${k}`;
    const slot = keySlot(`{${tag}}`);
    if (slot >= from && slot < to) return tag;
  }
}

export class KeySpace {
  private readonly tags: string[];

  constructor(readonly prefix: string, readonly shards: number, readonly layout: KeyLayout = CURRENT_KEY_LAYOUT) {
    invariant(/^[A-Za-z0-9._-]{1,32}$/.test(prefix), `prefix ${JSON.stringify(prefix)} must be 1–32 of [A-Za-z0-9._-]`);
    invariant(Number.isInteger(shards) && shards >= 1 && shards <= 1024, `buckets ${shards} must be an integer in 1..1024`);
    // Worked out once: a key is built on every call.
    this.tags = Array.from({ length: shards }, (_, b) => `${prefix}:{${layout === 1 ? `b${b}` : spreadTag(b, shards)}}`);
  }

  bucket(personId: string): number { return bucketOf(personId, this.shards); }

  private tag(bucket: number): string {
    const tag = this.tags[bucket];
    invariant(tag !== undefined, () => `bucket ${bucket} is not one of ${this.shards}`);
    return tag;
  }

  /** What every key of a bucket starts with, `<prefix>:{<tag>}`: the migration moves a bucket's keys by it. */
  bucketPrefix(bucket: number): string { return this.tag(bucket); }

  /** Where the layout and bucket count of the data are recorded (layout 2 on): `"<layout> <buckets>"`. */
  layoutMarker(): string { return `${this.prefix}:layout`; }

  /** One person's keys, their bucket hashed once: a settlement touches six keys of one slot. */
  person(personId: string): PersonKeys {
    const bucket = this.bucket(personId);
    const tag = this.tag(bucket);
    return {
      bucket,
      accumulators: `${tag}:acc:${personId}`,
      personIndex: `${tag}:person:${personId}`,
      outbox: this.outbox(bucket),
      timeIndex: (by) => this.timeIndex(bucket, by),
      settlement: (hospitalId, settlementId) => this.settlementInBucket(bucket, hospitalId, settlementId),
      roster: (rosterId) => this.rosterInBucket(bucket, rosterId, personId),
      projection: (day) => this.projection(bucket, day),
    };
  }

  accumulators(personId: string): string { return this.person(personId).accumulators; }

  settlement(personId: string, hospitalId: string, settlementId: string): string {
    return this.settlementInBucket(this.bucket(personId), hospitalId, settlementId);
  }

  outbox(bucket: number): string { return `${this.tag(bucket)}:outbox`; }

  /** The bucket's settlements by time (zset, epoch ms → "<hospitalId>:<settlementId>"), for listings. */
  timeIndex(bucket: number, by: 'settledAt' | 'reversedAt'): string { return `${this.tag(bucket)}:${by === 'settledAt' ? 'settled' : 'reversed'}`; }

  /** The bucket's day projection (hash, field → text; projection.ts): a cache of the operations', under the bucket's tag. */
  projection(bucket: number, day: string): string { return `${this.tag(bucket)}:proj:${day}`; }

  /** One person's settlements by settledAt (zset, same members). */
  personIndex(personId: string): string { return this.person(personId).personIndex; }

  /** A record's key when its bucket is known (from a bucket's time index). */
  settlementInBucket(bucket: number, hospitalId: string, settlementId: string): string {
    return `${this.tag(bucket)}:stl:${hospitalId}:${settlementId}`;
  }

  /** settlement id → person id; no hash tag: looked up before the bucket is known. */
  index(hospitalId: string, settlementId: string): string { return `${this.prefix}:idx:${hospitalId}:${settlementId}`; }

  /** A preview's marker (expires); touched only by single-key commands, so its slot does not matter. */
  preview(hospitalId: string, settlementId: string): string { return `${this.prefix}:pre:${hospitalId}:${settlementId}`; }

  roster(rosterId: string, personId: string): string { return this.person(personId).roster(rosterId); }

  /** A person's roster hash when their bucket is known (a pass reading many persons' rows: RedisLedger.rosterRows). */
  rosterInBucket(bucket: number, rosterId: string, personId: string): string { return `${this.tag(bucket)}:roster:${rosterId}:${personId}`; }

  rosterPersons(rosterId: string): string { return `${this.prefix}:roster:${rosterId}:persons`; }
}

/** Outbox entry ids name their shard: stream ids alone repeat across shards. */
export function outboxEntryId(bucket: number, streamId: string): string { return `${bucket}/${streamId}`; }

export function parseOutboxEntryId(entryId: string, shards: number): { bucket: number; streamId: string } {
  const match = /^(\d{1,4})\/(\d+-\d+)$/.exec(entryId);
  const bucket = match ? Number(match[1]) : -1;
  invariant(match !== null && bucket < shards, () => `outbox entry id ${JSON.stringify(entryId)} is not one of this ledger's`);
  return { bucket, streamId: match[2] ?? '' };
}
