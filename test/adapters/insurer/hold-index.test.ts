/**
 * The index of persons held behind a dead letter (issue 23): keyed by an HMAC of the id number under
 * holdIndexKey, so that nobody reading the store can find a person by hashing candidate numbers. Holds
 * written by earlier releases under the unkeyed digest are still read, moved to the keyed id when their
 * person is next seen, and released with the keyed one.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ClaimsStore } from '../../../adapters/insurer/claims-store.js';
import { MemoryStore } from '../../../gateway/ledger/documents/memory.js';

const CODE = 'chinalife-weihai';
const HELD = `insurer.${CODE}.held`;
const PERSON = '371002195001011234';
const KEY = Buffer.from('hold-index-key-for-tests-0123456789');
/** What earlier releases stored: an unkeyed SHA-256 anyone can compute from a candidate number. */
const unkeyed = (person: string) => createHash('sha256').update(`person:${person}`).digest('hex').slice(0, 40);
/** An id under another key, as someone without ours would compute it. */
const keyedWith = (key: string, person: string) => `k${createHmac('sha256', key).update(`person:${person}`).digest('hex').slice(0, 40)}`;

/** Every id of the held collection, as a reader of the store sees them. */
async function heldIds(store: MemoryStore, candidates: string[]): Promise<string[]> {
  const docs = await store.getMany(HELD, candidates);
  return candidates.filter((_, i) => docs[i] !== null);
}

describe('hold index', () => {
  it('stores a hold under a keyed id that neither the unkeyed digest nor another key finds', async () => {
    const store = new MemoryStore();
    const claims = new ClaimsStore(store, KEY);
    await claims.hold(CODE, PERSON, 'clm_1');
    expect(await claims.isHeld(CODE, PERSON)).toBe(true);
    expect(await claims.isHeld(CODE, '371002195001015678')).toBe(false);
    expect(await heldIds(store, [unkeyed(PERSON), keyedWith('guess', PERSON)])).toEqual([]);
    expect(await heldIds(store, [keyedWith(KEY.toString(), PERSON)])).toHaveLength(1);
    await claims.release(CODE, PERSON);
    expect(await claims.isHeld(CODE, PERSON)).toBe(false);
  });

  it('reads a hold stored under the old unkeyed id, and moves it to the keyed id when the person is seen', async () => {
    const store = new MemoryStore();
    await store.put(HELD, unkeyed(PERSON), JSON.stringify({ since: 'clm_old' }));
    const claims = new ClaimsStore(store, KEY);
    expect(await claims.isHeld(CODE, PERSON)).toBe(true);
    expect(await heldIds(store, [unkeyed(PERSON)])).toEqual([]);
    expect(JSON.parse((await store.get(HELD, keyedWith(KEY.toString(), PERSON)))!)).toEqual({ since: 'clm_old' });
    expect(await claims.isHeld(CODE, PERSON)).toBe(true);
  });

  it('a replay releases a hold whichever id it was stored under', async () => {
    const store = new MemoryStore();
    await store.put(HELD, unkeyed(PERSON), JSON.stringify({ since: 'clm_old' }));
    const claims = new ClaimsStore(store, KEY);
    await claims.release(CODE, PERSON);
    expect(await claims.isHeld(CODE, PERSON)).toBe(false);
    expect(await heldIds(store, [unkeyed(PERSON), keyedWith(KEY.toString(), PERSON)])).toEqual([]);
  });
});
