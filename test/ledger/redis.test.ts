import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger, type RedisLedgerOptions } from '../../gateway/ledger/redis.js';
import { KeySpace } from '../../gateway/ledger/keys.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { HOSPITAL, record, settledEvent, uniqueId } from './fixtures.js';
import { ledgerSuite } from './suite.js';
import type { RosterRow } from '../../schemas/roster.js';

let server: TestRedis;
beforeAll(async () => { server = await startRedis(); });
afterAll(async () => { await server?.stop(); });

function ledgerAt(prefix: string, options: RedisLedgerOptions = {}): RedisLedger {
  return new RedisLedger(new Redis(server.url, { maxRetriesPerRequest: 1 }), { prefix, ...options });
}

ledgerSuite('redis (standalone)', async (options) => {
  // A prefix per test: its own streams, groups and keys on the shared server.
  const prefix = uniqueId('t');
  return { ledger: ledgerAt(prefix, options), restart: async () => ledgerAt(prefix, options) };
});

describe('RedisLedger on a standalone redis', () => {
  it('reads back a roster row an older release stored that today\'s row schema refuses (a long attribute name, an unknown category)', async () => {
    const ledger = ledgerAt(`old-roster-${Date.now()}`);
    const stored = { personId: 'P1', from: '2024-01-01', to: '2024-12-31', categories: ['dibao', 'wubao-2019'], preExisting: true, attributes: { ['备注'.repeat(60)]: '旧版本写入' } };
    // As an older release wrote it: putRoster stores the rows it is given (today's loader validates before it).
    await ledger.putRoster('sanming-2024-puhui', [stored as unknown as RosterRow], false);
    const { rosters } = await ledger.readPerson('P1', ['sanming-2024-puhui']);
    expect(rosters['sanming-2024-puhui']).toEqual([{ ...stored, categories: ['dibao'] }]);
    await ledger.close();
  });

  it('lays out keys as documented, never expiring', async () => {
    const prefix = uniqueId('layout');
    const ledger = ledgerAt(prefix, { outboxShards: 4 });
    const person = 'P371002195001011234';
    const r = record({ personId: person, settlementId: 'ZY2020031000017' });
    await ledger.commit(r, 0, settledEvent(r));
    await ledger.putRoster('weihai-2020-medical', [{ personId: person, from: '2020-01-01', to: '2020-12-31', categories: [], preExisting: false, attributes: {} }], false);
    const b = new KeySpace(prefix, 4).bucket(person);
    const probe = new Redis(server.url);
    const keys = (await probe.keys(`${prefix}:*`)).sort();
    expect(keys).toEqual([
      `${prefix}:idx:${HOSPITAL}:ZY2020031000017`,
      `${prefix}:roster:weihai-2020-medical:persons`,
      `${prefix}:{b${b}}:acc:${person}`,
      `${prefix}:{b${b}}:outbox`,
      `${prefix}:{b${b}}:person:${person}`,
      `${prefix}:{b${b}}:roster:weihai-2020-medical:${person}`,
      `${prefix}:{b${b}}:settled`,
      `${prefix}:{b${b}}:stl:${HOSPITAL}:ZY2020031000017`,
    ].sort());
    for (const key of keys) expect(await probe.ttl(key)).toBe(-1);
    expect(await probe.hget(`${prefix}:{b${b}}:acc:${person}`, '_v')).toBe('1');
    expect(await probe.hget(`${prefix}:{b${b}}:stl:${HOSPITAL}:ZY2020031000017`, 'deltas')).toBe(JSON.stringify(r.deltas));
    // The group exists on every shard once the outbox is read, even on shards nobody wrote to.
    await ledger.readOutbox('relay-1', 1, 0);
    for (let shard = 0; shard < 4; shard++) {
      const groups = await probe.xinfo('GROUPS', `${prefix}:{b${shard}}:outbox`);
      expect(JSON.stringify(groups)).toContain('relay');
    }
    probe.disconnect();
    await ledger.close();
  });

  it('recreates the consumer groups if the streams were deleted under it', async () => {
    const prefix = uniqueId('flush');
    const ledger = ledgerAt(prefix, { outboxShards: 2 });
    await ledger.readOutbox('relay-1', 1, 0);
    const probe = new Redis(server.url);
    await probe.del(`${prefix}:{b0}:outbox`, `${prefix}:{b1}:outbox`);
    const r = record({ personId: uniqueId('P'), settlementId: uniqueId('S') });
    await ledger.commit(r, 0, settledEvent(r));
    expect((await ledger.readOutbox('relay-1', 10, 0)).map((e) => e.event.id)).toEqual([settledEvent(r).id]);
    probe.disconnect();
    await ledger.close();
  });

  it('writes an outbox entry that refers to its record (no second copy of split and request) and builds the event from it on read', async () => {
    const prefix = uniqueId('ref');
    const ledger = ledgerAt(prefix, { outboxShards: 2 });
    const r = record({ personId: uniqueId('P'), settlementId: uniqueId('S') });
    await ledger.commit(r, 0, settledEvent(r));
    const probe = new Redis(server.url);
    const outbox = new KeySpace(prefix, 2).person(r.personId).outbox;
    const [first] = await probe.xrange(outbox, '-', '+');
    expect(first?.[1].filter((_, i) => i % 2 === 0)).toEqual(['id', 'type', 'personId', 'hospitalId', 'settlementId', 'time']);
    const [entry] = await ledger.readOutbox('relay-1', 10, 0);
    expect(entry?.event).toEqual(settledEvent(r));
    probe.disconnect();
    await ledger.close();
  });

  it('publishes an entry written before entries referred to their record with the copy it carries', async () => {
    const prefix = uniqueId('old');
    const ledger = ledgerAt(prefix, { outboxShards: 1 });
    await ledger.readOutbox('relay-1', 1, 0); // the group exists, as it did when the old release wrote
    const probe = new Redis(server.url);
    const data = '{"split":{"old":true},"deltas":{},"request":{}}';
    await probe.xadd(`${prefix}:{b0}:outbox`, '*', 'id', 'evt_old', 'type', 'settlement.settled', 'personId', 'P1', 'hospitalId', HOSPITAL, 'settlementId', 'OLD1', 'time', '2024-03-10T09:12:44+08:00', 'data', data);
    const [entry] = await ledger.readOutbox('relay-1', 10, 0);
    expect(entry?.event).toEqual({ id: 'evt_old', type: 'settlement.settled', personId: 'P1', hospitalId: HOSPITAL, settlementId: 'OLD1', time: '2024-03-10T09:12:44+08:00', data });
    probe.disconnect();
    await ledger.close();
  });

  it('gives an entry whose record was deleted behind its back empty data (the relay dead-letters it) instead of stalling', async () => {
    const prefix = uniqueId('gone');
    const ledger = ledgerAt(prefix, { outboxShards: 1 });
    const r = record({ personId: uniqueId('P'), settlementId: uniqueId('S') });
    await ledger.commit(r, 0, settledEvent(r));
    const probe = new Redis(server.url);
    await probe.del(new KeySpace(prefix, 1).settlement(r.personId, HOSPITAL, r.settlementId));
    const [entry] = await ledger.readOutbox('relay-1', 10, 0);
    expect(entry?.event).toEqual({ ...settledEvent(r), data: '' });
    probe.disconnect();
    await ledger.close();
  });

  it('ping throws quickly when redis is unreachable', async () => {
    // Port 1: nothing listens there. The error listeners keep ioredis from logging the refusals.
    const quiet = (client: Redis): Redis => client.on('error', () => undefined);
    const dead = new RedisLedger(quiet(new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })), { pingTimeoutMs: 300 });
    const started = Date.now();
    await expect(dead.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_000);
    const unresponsive = new RedisLedger(quiet(new Redis({ port: 1, host: '127.0.0.1', retryStrategy: () => 1_000 })), { pingTimeoutMs: 300 });
    await expect(unresponsive.ping()).rejects.toThrow(/did not answer PING/);
    await dead.close();
    await unresponsive.close();
  });
});
