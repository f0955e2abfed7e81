import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../gateway/ledger/documents/memory.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import { RedisStore } from '../../gateway/ledger/documents/redis.js';
import { startRedis, type TestRedis } from '../support/redis.js';

let server: TestRedis;
let client: Redis;
let n = 0;
beforeAll(async () => { server = await startRedis(); client = new Redis(server.url, { maxRetriesPerRequest: 1 }); });
afterAll(async () => { client?.disconnect(); await server?.stop(); });

const stores: Array<[string, () => DocumentStore]> = [
  ['memory', () => new MemoryStore()],
  // A prefix per test: its own keys on the shared server.
  ['redis', () => new RedisStore(client, `t${++n}`)],
];

describe.each(stores)('DocumentStore on %s', (_kind, make) => {
  it('puts, gets and answers null for what is absent', async () => {
    const store = make();
    expect(await store.put('claims', 'c1', '{"a":1}')).toBe(true);
    expect(await store.get('claims', 'c1')).toBe('{"a":1}');
    expect(await store.get('claims', 'c2')).toBeNull();
    expect(await store.get('other', 'c1')).toBeNull();
    expect(await store.getMany('claims', ['c2', 'c1'])).toEqual([null, '{"a":1}']);
    expect(await store.getMany('claims', [])).toEqual([]);
  });

  it('ifAbsent writes once and leaves the first document and its index alone', async () => {
    const store = make();
    expect(await store.put('msg', 'm1', 'first', { ifAbsent: true, index: { byDay: 20240310 } })).toBe(true);
    expect(await store.put('msg', 'm1', 'second', { ifAbsent: true, index: { byDay: 20240311 } })).toBe(false);
    expect(await store.get('msg', 'm1')).toBe('first');
    expect(await store.range('msg', 'byDay', 20240310, 20240310)).toEqual(['m1']);
    expect(await store.range('msg', 'byDay', 20240311, 20240311)).toEqual([]);
  });

  it('ranges by score then id, pages, and moves index entries when a document is rewritten', async () => {
    const store = make();
    await store.put('c', 'b', '{}', { index: { byDay: 2, byState: 1 } });
    await store.put('c', 'a', '{}', { index: { byDay: 2 } });
    await store.put('c', 'z', '{}', { index: { byDay: 1 } });
    await store.put('c', 'y', '{}', { index: { byDay: 3 } });
    expect(await store.range('c', 'byDay', 1, 3)).toEqual(['z', 'a', 'b', 'y']);
    expect(await store.range('c', 'byDay', 2, 2)).toEqual(['a', 'b']);
    expect(await store.range('c', 'byDay', 1, 3, { offset: 1, limit: 2 })).toEqual(['a', 'b']);
    expect(await store.range('c', 'byState', 0, 9)).toEqual(['b']);
    // Rewritten without byState and with another day: the old entries go.
    await store.put('c', 'b', '{"v":2}', { index: { byDay: 5 } });
    expect(await store.range('c', 'byState', 0, 9)).toEqual([]);
    expect(await store.range('c', 'byDay', 1, 9)).toEqual(['z', 'a', 'y', 'b']);
    expect(await store.range('c', 'none', 0, 9)).toEqual([]);
  });

  it('deletes a document with its index entries; deleting what is absent is fine', async () => {
    const store = make();
    await store.put('c', 'x', '{}', { index: { byDay: 7 } });
    await store.delete('c', 'x');
    await store.delete('c', 'never');
    expect(await store.get('c', 'x')).toBeNull();
    expect(await store.range('c', 'byDay', 0, 9)).toEqual([]);
    expect(await store.put('c', 'x', 'again', { ifAbsent: true })).toBe(true);
  });

  it('refuses names that would break a key and scores that are not safe integers', async () => {
    const store = make();
    await expect(store.put('c', 'a:b', '{}')).rejects.toThrow(/store name/);
    await expect(store.put('c{x}', 'a', '{}')).rejects.toThrow(/store name/);
    await expect(store.put('c', 'a', '{}', { index: { 'bad name': 1 } })).rejects.toThrow(/store name/);
    await expect(store.put('c', 'a', '{}', { index: { byDay: 1.5 } })).rejects.toThrow(/safe integers/);
    expect(await store.get('c', 'a')).toBeNull();
  });
});

describe('RedisStore key layout', () => {
  it('keeps a collection under one hash tag', async () => {
    const store = new RedisStore(client, 'layout');
    await store.put('insurer.claims', 'c1', '{}', { index: { byDay: 1 } });
    expect((await client.keys('layout:*')).sort()).toEqual([
      'layout:doc:{insurer.claims}:d:c1', 'layout:doc:{insurer.claims}:di:c1', 'layout:doc:{insurer.claims}:i:byDay',
    ]);
  });
});
