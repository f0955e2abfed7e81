/**
 * A person's bucket is fixed for the life of the data: their accumulators, records and outbox entries live under
 * it, so a release that computed it differently would look for every returning person in the wrong place and
 * settle them from empty counters. These are the buckets the ledger has always given (sha1 of the id, its first
 * four bytes modulo the bucket count), written out so that no rewrite of the hashing can move them.
 */
import { describe, expect, it } from 'vitest';
import { KeySpace } from '../../gateway/ledger/keys.js';

describe('a person\'s bucket', () => {
  it.each([
    ['P1', 10, 10, 714],
    ['990100198001011234', 1, 33, 609],
    ['371002195001011234', 14, 46, 46],
    ['9901001980000000000001', 4, 20, 788],
  ])('of %s is %i of 16, %i of 64, %i of 1024, in either layout', (personId, of16, of64, of1024) => {
    for (const layout of [1, 2] as const) {
      expect(new KeySpace('gw', 16, layout).bucket(personId)).toBe(of16);
    }
    expect(new KeySpace('gw', 64).bucket(personId)).toBe(of64);
    expect(new KeySpace('gw', 1024).bucket(personId)).toBe(of1024);
  });
});
