/**
 * The Redis key layout (see README.md in this folder). Every key one settlement's script touches —
 * the person's accumulators, the settlement record, the outbox shard — carries the same hash tag
 * `{b<bucket>}`, so a Redis Cluster keeps them in one slot and a single Lua script may touch them all.
 */
import { createHash } from 'node:crypto';
import { invariant } from '../errors.js';

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
export function bucketOf(personId: string, shards: number): number {
  return createHash('sha1').update(personId, 'utf8').digest().readUInt32BE(0) % shards;
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
}

export class KeySpace {
  constructor(readonly prefix: string, readonly shards: number) {
    invariant(/^[A-Za-z0-9._-]{1,32}$/.test(prefix), `prefix ${JSON.stringify(prefix)} must be 1–32 of [A-Za-z0-9._-]`);
    invariant(Number.isInteger(shards) && shards >= 1 && shards <= 1024, `outboxShards ${shards} must be an integer in 1..1024`);
  }

  bucket(personId: string): number { return bucketOf(personId, this.shards); }

  private tag(bucket: number): string { return `${this.prefix}:{b${bucket}}`; }

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
      roster: (rosterId) => `${tag}:roster:${rosterId}:${personId}`,
    };
  }

  accumulators(personId: string): string { return this.person(personId).accumulators; }

  settlement(personId: string, hospitalId: string, settlementId: string): string {
    return this.settlementInBucket(this.bucket(personId), hospitalId, settlementId);
  }

  outbox(bucket: number): string { return `${this.tag(bucket)}:outbox`; }

  /** The bucket's settlements by time (zset, epoch ms → "<hospitalId>:<settlementId>"), for listings. */
  timeIndex(bucket: number, by: 'settledAt' | 'reversedAt'): string { return `${this.tag(bucket)}:${by === 'settledAt' ? 'settled' : 'reversed'}`; }

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
