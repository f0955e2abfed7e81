/**
 * The key migration (gateway/ledger/migrate.ts) on a real Redis, standalone or Cluster: a ledger written in
 * layout 1 by the ledger itself (commits, reversals, rosters, an outbox partly delivered and partly acked),
 * counted by a dry run that changes nothing, moved by a run that crashes half-way and one that finishes it,
 * then read by a new ledger exactly as before — every record, person, listing and the outbox — and written on.
 */
import type { Cluster, Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { KeySpace, spreadTag } from '../../gateway/ledger/keys.js';
import { loadConfig } from '../../gateway/config.js';
import { migrateToLayout2, MigrationRefused } from '../../gateway/ledger/migrate.js';
import { createLogger } from '../../gateway/log.js';
import { openStorage } from '../../gateway/storage.js';
import type { OutboxEntry } from '../../gateway/ledger/port.js';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import type { StoredSettlement } from '../../gateway/ledger/stored.js';
import { scanKeys } from '../../gateway/ledger/scan.js';
import { HOSPITAL, record, REVERSED_AT, reversedEvent, settledEvent, uniqueId } from './fixtures.js';

type Client = Redis | Cluster;
const ROSTER = 'weihai-2020-medical';

const view = (s: StoredSettlement | null) => s && ({
  gatewayId: s.gatewayId, personId: s.personId, status: s.status, settledAt: s.settledAt, reversedAt: s.reversedAt, reversal: s.reversal,
  deltas: s.deltas, bodyHash: s.bodyHash, recordVersion: s.recordVersion, firstAnswer: s.firstAnswer,
});

/** Everything a reader can ask of the ledger about these persons and settlements (the outbox apart: reading it delivers). */
async function snapshot(ledger: RedisLedger, persons: readonly string[], settlementIds: readonly string[]) {
  const listed = async (by: 'settledAt' | 'reversedAt') => {
    const ids: string[] = [];
    for await (const s of ledger.listSettlements({ from: '2024-01-01', to: '2025-01-01', by })) ids.push(s.settlementId);
    return ids;
  };
  return {
    records: await Promise.all(settlementIds.map(async (id) => view(await ledger.getSettlement(HOSPITAL, id)))),
    persons: await Promise.all(persons.map(async (person) => ({
      accumulators: await ledger.readAccumulators(person),
      settlements: (await ledger.settlementsOfPerson(person)).map(view),
      rosters: (await ledger.rosterRows([ROSTER], [person]))[0],
    }))),
    settled: await listed('settledAt'),
    reversed: await listed('reversedAt'),
    lag: await ledger.outboxLag(),
  };
}

async function keysMatching(client: Client, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for await (const page of scanKeys(client, pattern)) found.push(...page);
  return found;
}

/** A client that fails its `del` after `deletes` of them, as a migration killed half-way would leave Redis. */
function crashingAfter(client: Client, deletes: number): Client {
  let done = 0;
  return new Proxy(client, {
    get(target, property) {
      if (property === 'del') {
        return async (key: string) => {
          done += 1;
          if (done > deletes) throw new Error('killed half-way');
          return target.del(key);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Registers the migration's tests on a Redis reached by `connect`, or by the gateway's configuration `env`
 * (REDIS_URL or REDIS_CLUSTER_NODES); `masters` counts the masters holding keys that match a pattern (a Cluster's spread).
 */
export function migrationCases(connect: () => Client, env: () => Record<string, string>, masters?: (pattern: string) => Promise<number[]>): void {
  it('moves a ledger of layout 1 to layout 2: dry run, a crash half-way, the finish; every read the same, the outbox where it was', async () => {
    const prefix = uniqueId('mig');
    const probe = connect();
    const legacy = new KeySpace(prefix, 16, 1);
    const persons = Array.from({ length: 24 }, () => uniqueId('P'));
    // One key of layout 1 as an older release left it: the ledger then reads and writes the whole prefix in layout 1.
    await probe.hset(legacy.accumulators(persons[0] ?? ''), { a: '0', _v: '0' });
    const ledger = new RedisLedger(connect(), { prefix });
    const settlementIds: string[] = [];
    const events: string[] = [];
    for (const [i, person] of persons.entries()) {
      const r = { ...record({ personId: person, settlementId: `S${String(i).padStart(3, '0')}`, deltas: { a: 100 + i } }), settledAt: `2024-03-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00+08:00` };
      expect((await ledger.commit(r, 0, settledEvent(r))).outcome).toBe('committed');
      settlementIds.push(r.settlementId);
      events.push(settledEvent(r).id);
      if (i % 5 === 0) {
        expect((await ledger.reverse(HOSPITAL, r.settlementId, REVERSED_AT, reversedEvent(r), undefined, { reason: '录入有误', operator: '李四' })).outcome).toBe('reversed');
        events.push(reversedEvent(r).id);
      }
    }
    await ledger.putRoster(ROSTER, persons.slice(0, 6).map((personId) => ({ personId, from: '2024-01-01', to: '2024-12-31', categories: ['dibao'], preExisting: false, attributes: {} })), false);
    // The relay took 10 entries, acknowledged 4: 6 pending at relay-1, the rest not yet delivered.
    const delivered = await ledger.readOutbox('relay-1', 10, 0);
    expect(delivered).toHaveLength(10);
    await ledger.ackOutbox(delivered.slice(0, 4).map((e) => e.entryId));
    const pending = delivered.slice(4);
    const before = await snapshot(ledger, persons, settlementIds);
    await ledger.close();
    expect(await keysMatching(probe, `${prefix}:{s*}:*`)).toEqual([]);

    const dry = await migrateToLayout2(probe, prefix, { apply: false });
    expect(dry).toMatchObject({ found: 'layout-1', applied: false, moved: 0, marker: null });
    // Per person: accumulators, person index; per settlement: the record; per bucket: outbox, time indexes; 6 roster hashes.
    expect(dry.keys.byKind).toMatchObject({ acc: 24, person: 24, stl: 24, roster: 6 });
    expect(dry.keys.total).toBe((await keysMatching(probe, `${prefix}:{b*}:*`)).length);
    expect(await probe.get(`${prefix}:layout`)).toBeNull();

    // Killed after 20 keys: the ledger stays closed (503) until a run finishes the move.
    await expect(migrateToLayout2(crashingAfter(probe, 20), prefix, { apply: true, gatewaysStopped: true })).rejects.toThrow('killed half-way');
    expect(await probe.get(`${prefix}:layout`)).toBe('moving 2 16');
    const meanwhile = new RedisLedger(connect(), { prefix });
    await expect(meanwhile.getSettlement(HOSPITAL, 'S001')).rejects.toMatchObject({ status: 503 });
    // /readyz (ledger.ping) says not ready while the move is unfinished.
    await expect(meanwhile.ping()).rejects.toMatchObject({ status: 503 });
    await meanwhile.close();
    const finish = await migrateToLayout2(probe, prefix, { apply: true, gatewaysStopped: true });
    expect(finish).toMatchObject({ found: 'moving', applied: true, marker: '2 16' });
    expect(finish.moved + 20).toBe(dry.keys.total);
    expect(await keysMatching(probe, `${prefix}:{b*}:*`)).toEqual([]);
    expect(await migrateToLayout2(probe, prefix, { apply: true, gatewaysStopped: true })).toMatchObject({ found: 'layout-2', moved: 0, marker: '2 16' });

    // The marker's 16 buckets win over a configured count: persons stay in their buckets, under the spread tags.
    const moved = new RedisLedger(connect(), { prefix, outboxShards: 64 });
    expect(await snapshot(moved, persons, settlementIds)).toEqual(before);
    const person = persons[1] ?? '';
    expect(await probe.exists(`${prefix}:{${spreadTag(legacy.bucket(person), 16)}}:acc:${person}`)).toBe(1);
    // The relay's pending entries come back to it first, by the same ids; then the rest, never the acknowledged.
    const relayed: OutboxEntry[] = await moved.readOutbox('relay-1', 100, 0);
    expect(relayed.slice(0, pending.length).map((e) => e.entryId).sort()).toEqual(pending.map((e) => e.entryId).sort());
    expect(relayed.map((e) => e.event.id).sort()).toEqual(events.filter((id) => !delivered.slice(0, 4).some((e) => e.event.id === id)).sort());
    expect(relayed.find((e) => e.entryId === pending[0]?.entryId)?.event).toEqual(pending[0]?.event);
    await moved.ackOutbox(relayed.map((e) => e.entryId));
    expect(await moved.outboxLag()).toBe(0);
    // And it writes on: the person's counters go on from where they were.
    const next = record({ personId: person, settlementId: 'S999', deltas: { a: 1 } });
    expect((await moved.commit(next, before.persons[1]?.accumulators.version ?? -1, settledEvent(next))).outcome).toBe('committed');
    expect((await moved.readAccumulators(person)).values.a).toBe(102);
    if (masters) for (const found of await masters(`${prefix}:{s*}:stl:*`)) expect(found).toBeGreaterThan(0);
    await moved.close();
    probe.disconnect();
  });

  it('refuses while a gateway is connected or keys of layout 1 lie beside a layout-2 marker; leaves an empty ledger unmarked', async () => {
    const prefix = uniqueId('mig');
    const probe = connect();
    await probe.hset(new KeySpace(prefix, 16, 1).accumulators('P1'), { a: '5', _v: '1' });
    // The gateway's books, opened as the gateway opens them: its connection is named, so the migration sees it.
    const gateway = await openStorage(loadConfig({ ...env(), REDIS_KEY_PREFIX: prefix }), createLogger('silent'));
    expect(await gateway.ledger.readAccumulators('P1')).toEqual({ version: 1, values: { a: 5 } });
    await expect(migrateToLayout2(probe, prefix, { apply: true, gatewaysStopped: true })).rejects.toBeInstanceOf(MigrationRefused);
    expect(await probe.get(`${prefix}:layout`)).toBeNull();
    await gateway.ledger.close();
    const empty = uniqueId('mig');
    expect(await migrateToLayout2(probe, empty, { apply: true })).toMatchObject({ found: 'empty', moved: 0, marker: null });
    expect(await probe.get(`${empty}:layout`)).toBeNull();
    // Keys of layout 1 beside a layout-2 marker: an older release wrote after the move; neither run touches them.
    const mixed = uniqueId('mig');
    await probe.set(`${mixed}:layout`, '2 16');
    await probe.hset(new KeySpace(mixed, 16, 1).accumulators('P1'), { a: '5', _v: '1' });
    await expect(migrateToLayout2(probe, mixed, { apply: false })).rejects.toBeInstanceOf(MigrationRefused);
    await expect(migrateToLayout2(probe, mixed, { apply: true, gatewaysStopped: true })).rejects.toBeInstanceOf(MigrationRefused);
    expect(await probe.hget(new KeySpace(mixed, 16, 1).accumulators('P1'), 'a')).toBe('5');
    probe.disconnect();
  });
}
