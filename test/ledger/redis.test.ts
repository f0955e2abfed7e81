import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger, type RedisLedgerOptions } from '../../gateway/ledger/redis.js';
import { KeySpace, spreadTag } from '../../gateway/ledger/keys.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { HOSPITAL, record, settledEvent, uniqueId } from './fixtures.js';
import { ledgerSuite } from './suite.js';
import { migrationCases } from './migration-case.js';
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
    const tag = `${prefix}:{${spreadTag(b, 4)}}`;
    const probe = new Redis(server.url);
    const keys = (await probe.keys(`${prefix}:*`)).sort();
    expect(keys).toEqual([
      `${prefix}:idx:${HOSPITAL}:ZY2020031000017`,
      `${prefix}:layout`,
      `${prefix}:roster:weihai-2020-medical:persons`,
      `${tag}:acc:${person}`,
      `${tag}:outbox`,
      `${tag}:person:${person}`,
      `${tag}:roster:weihai-2020-medical:${person}`,
      `${tag}:settled`,
      `${tag}:stl:${HOSPITAL}:ZY2020031000017`,
    ].sort());
    for (const key of keys) expect(await probe.ttl(key)).toBe(-1);
    expect(await probe.get(`${prefix}:layout`)).toBe('2 4');
    expect(await probe.hget(`${tag}:acc:${person}`, '_v')).toBe('1');
    expect(await probe.hget(`${tag}:stl:${HOSPITAL}:ZY2020031000017`, 'deltas')).toBe(JSON.stringify(r.deltas));
    // The group exists on every shard once the outbox is read, even on shards nobody wrote to.
    await ledger.readOutbox('relay-1', 1, 0);
    for (let shard = 0; shard < 4; shard++) {
      const groups = await probe.xinfo('GROUPS', new KeySpace(prefix, 4).outbox(shard));
      expect(JSON.stringify(groups)).toContain('relay');
    }
    probe.disconnect();
    await ledger.close();
  });

  it('stores a commit\'s record, outbox entry and indexes field for field as the releases that sent one argument per field did', async () => {
    const prefix = uniqueId('packed');
    const ledger = ledgerAt(prefix, { outboxShards: 2 });
    // Three deltas (one negative), Chinese in the split and request: the packed head and both byte arguments unpacked.
    const r = record({ personId: uniqueId('P'), settlementId: uniqueId('S'), deltas: { 'basic:2024:paid': 150_000, 'aid|2024|fund.paid': -7, 'x.y': 0 } });
    const requestJson = JSON.stringify({ settlementId: r.settlementId, items: [{ name: '头孢克肟片' }], note: 'line\nbreak' });
    const committed = { ...r, requestJson };
    const event = settledEvent(committed);
    expect((await ledger.commit(committed, 0, event)).outcome).toBe('committed');
    const keys = new KeySpace(prefix, 2).person(r.personId);
    const probe = new Redis(server.url);
    const member = `${HOSPITAL}:${r.settlementId}`;
    expect(await probe.hgetall(keys.settlement(HOSPITAL, r.settlementId))).toEqual({
      gatewayId: r.gatewayId, hospitalId: HOSPITAL, settlementId: r.settlementId, personId: r.personId, bodyHash: r.bodyHash,
      status: 'settled', splitJson: JSON.stringify(r.split), requestJson, deltas: JSON.stringify(r.deltas), settledAt: r.settledAt, recordVersion: '2',
    });
    const [entry] = await probe.xrange(keys.outbox, '-', '+');
    expect(entry?.[1]).toEqual(['id', event.id, 'type', 'settlement.settled', 'personId', r.personId, 'hospitalId', HOSPITAL, 'settlementId', r.settlementId, 'time', event.time]);
    expect(await probe.hgetall(keys.accumulators)).toEqual({ 'basic:2024:paid': '150000', 'aid|2024|fund.paid': '-7', 'x.y': '0', _v: '1' });
    const score = String(Date.parse(r.settledAt));
    expect(await probe.zrange(keys.timeIndex('settledAt'), 0, -1, 'WITHSCORES')).toEqual([member, score]);
    expect(await probe.zrange(keys.personIndex, 0, -1, 'WITHSCORES')).toEqual([member, score]);
    expect(await probe.get(new KeySpace(prefix, 2).index(HOSPITAL, r.settlementId))).toBe(r.personId);
    probe.disconnect();
    await ledger.close();
  });

  it('refuses a commit whose field would hold the packed head\'s separator, before sending it', async () => {
    const ledger = ledgerAt(uniqueId('sep'));
    const r = { ...record({ personId: uniqueId('P'), settlementId: uniqueId('S') }), bodyHash: 'abc\ndef' };
    await expect(ledger.commit(r, 0, settledEvent(r))).rejects.toThrow(/line break/);
    const s = record({ personId: uniqueId('P'), settlementId: uniqueId('S'), deltas: { 'basic:2024\npaid': 1 } });
    await expect(ledger.commit(s, 0, settledEvent(s))).rejects.toThrow(/not allowed/);
    await ledger.close();
  });

  it('recreates the consumer groups if the streams were deleted under it', async () => {
    const prefix = uniqueId('flush');
    const ledger = ledgerAt(prefix, { outboxShards: 2 });
    await ledger.readOutbox('relay-1', 1, 0);
    const probe = new Redis(server.url);
    await probe.del(new KeySpace(prefix, 2).outbox(0), new KeySpace(prefix, 2).outbox(1));
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
    await probe.xadd(new KeySpace(prefix, 1).outbox(0), '*', 'id', 'evt_old', 'type', 'settlement.settled', 'personId', 'P1', 'hospitalId', HOSPITAL, 'settlementId', 'OLD1', 'time', '2024-03-10T09:12:44+08:00', 'data', data);
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

  it('reads and writes data of key layout 1 ({b<n>} tags, 16 buckets, no marker) where it lies', async () => {
    const prefix = uniqueId('l1');
    const legacy = new KeySpace(prefix, 16, 1);
    const person = uniqueId('P');
    const old = record({ personId: person, settlementId: uniqueId('S'), deltas: { a: 7 } });
    const { split, ...fields } = old;
    // What a commit of the release before left: the record, the claim, the accumulators and both indexes.
    const probe = new Redis(server.url);
    const keys = legacy.person(person);
    await probe.hset(keys.settlement(HOSPITAL, old.settlementId), { ...fields, status: 'settled', splitJson: JSON.stringify(split), deltas: JSON.stringify(old.deltas), recordVersion: '2' });
    await probe.set(legacy.index(HOSPITAL, old.settlementId), person);
    await probe.hset(keys.accumulators, { a: '7', _v: '1' });
    await probe.zadd(keys.timeIndex('settledAt'), Date.parse(old.settledAt), `${HOSPITAL}:${old.settlementId}`);
    await probe.zadd(keys.personIndex, Date.parse(old.settledAt), `${HOSPITAL}:${old.settlementId}`);

    const ledger = ledgerAt(prefix, { outboxShards: 4 });
    expect((await ledger.getSettlement(HOSPITAL, old.settlementId))?.firstAnswer).toBe(JSON.stringify(split));
    expect(await ledger.readAccumulators(person)).toEqual({ version: 1, values: { a: 7 } });
    const listed: string[] = [];
    for await (const s of ledger.listSettlements({ from: '2024-03-01', to: '2024-04-01' })) listed.push(s.settlementId);
    expect(listed).toEqual([old.settlementId]);
    expect((await ledger.settlementsOfPerson(person)).map((s) => s.settlementId)).toEqual([old.settlementId]);
    // A new settlement of the same person goes where the person's data is, and the outbox relays it.
    const next = record({ personId: person, settlementId: uniqueId('S'), deltas: { a: 3 } });
    expect((await ledger.commit(next, 1, settledEvent(next))).outcome).toBe('committed');
    expect(await probe.exists(keys.settlement(HOSPITAL, next.settlementId))).toBe(1);
    expect(await probe.hget(keys.accumulators, 'a')).toBe('10');
    expect((await ledger.readOutbox('relay-1', 10, 0)).map((e) => e.event.settlementId)).toEqual([next.settlementId]);
    expect((await ledger.reverse(HOSPITAL, old.settlementId, '2024-03-11T10:00:00+08:00', { ...settledEvent(old), id: 'rev', type: 'settlement.reversed' })).outcome).toBe('reversed');
    expect(await probe.get(`${prefix}:layout`)).toBeNull();
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

describe('the key migration on a standalone redis', () => {
  migrationCases(() => new Redis(server.url, { maxRetriesPerRequest: 1 }), () => ({ REDIS_URL: server.url }));
});
