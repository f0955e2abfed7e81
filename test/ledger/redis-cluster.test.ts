import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { KeySpace } from '../../gateway/ledger/keys.js';
import { keySlot } from '../../gateway/ledger/slots.js';
import { startRedisCluster, type TestRedisCluster } from '../support/redis.js';
import { HOSPITAL, record, settledEvent, uniqueId } from './fixtures.js';
import { ledgerSuite, type LedgerOptions } from './suite.js';
import { migrationCases } from './migration-case.js';
import { scanKeys } from '../../gateway/ledger/scan.js';

let cluster: TestRedisCluster;
beforeAll(async () => { cluster = await startRedisCluster(3); });
afterAll(async () => { await cluster?.stop(); });

function connect(): Cluster {
  return new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
}

function ledgerAt(prefix: string, options: LedgerOptions = {}): RedisLedger {
  return new RedisLedger(connect(), { prefix, ...options });
}

ledgerSuite('redis (3-master cluster)', async (options) => {
  const prefix = uniqueId('t');
  return { ledger: ledgerAt(prefix, options), restart: async () => ledgerAt(prefix, options) };
});

describe('RedisLedger on a cluster', () => {
  it('reads the memory of every master, each named and with its limit', async () => {
    const ledger = ledgerAt(uniqueId('t'));
    try {
      const memory = await ledger.memory();
      expect(memory.map((m) => m.node).sort()).toEqual(cluster.nodes.map((n) => `${n.host}:${n.port}`).sort());
      for (const m of memory) {
        expect(m.usedBytes).toBeGreaterThan(0);
        expect(m.limitBytes).toBe(0); // the test cluster's masters have no maxmemory
      }
    } finally {
      await ledger.close();
    }
  });

  it('keeps every key of one settlement in one slot, the slot the ledger computes being the cluster\'s', async () => {
    const keys = new KeySpace('gw', 16);
    const probe = connect();
    const slot = async (key: string): Promise<number> => Number(await probe.call('CLUSTER', 'KEYSLOT', key));
    for (const person of ['P1', 'P371002195001011234', uniqueId('P')]) {
      const b = keys.bucket(person);
      const slots = new Set(await Promise.all([
        slot(keys.accumulators(person)), slot(keys.settlement(person, HOSPITAL, 'S1')), slot(keys.outbox(b)), slot(keys.roster('r', person)),
        slot(keys.timeIndex(b, 'settledAt')), slot(keys.personIndex(person)), slot(keys.projection(b, '2024-03-10')),
      ]));
      expect(slots.size).toBe(1);
      expect([...slots]).toEqual([keySlot(keys.outbox(b))]);
    }
    probe.disconnect();
  });

  /** The master (its port) serving each slot, from CLUSTER SLOTS. */
  async function slotOwners(probe: Cluster): Promise<(slot: number) => number> {
    const ranges: Array<{ from: number; to: number; port: number }> = [];
    const reply: unknown = await probe.call('CLUSTER', 'SLOTS');
    if (Array.isArray(reply)) {
      for (const range of reply) {
        if (Array.isArray(range) && Array.isArray(range[2])) ranges.push({ from: Number(range[0]), to: Number(range[1]), port: Number(range[2][1]) });
      }
    }
    return (slot) => ranges.find((r) => r.from <= slot && slot <= r.to)?.port ?? -1;
  }

  it('stands the buckets evenly over the slots: each of the 3 masters serves 5 or 6 of 16 buckets, 21 or 22 of 64', async () => {
    const probe = connect();
    const ownerOf = await slotOwners(probe);
    for (const [buckets, least] of [[16, 5], [64, 21]] as const) {
      const keys = new KeySpace('gw', buckets);
      const perMaster = new Map<number, number>();
      for (let b = 0; b < buckets; b++) {
        const port = ownerOf(keySlot(keys.outbox(b)));
        perMaster.set(port, (perMaster.get(port) ?? 0) + 1);
      }
      expect(perMaster.size).toBe(3);
      for (const count of perMaster.values()) expect(count).toBeGreaterThanOrEqual(least);
    }
    probe.disconnect();
  });

  it('spreads one ledger\'s data over every master, each commit in one slot, the listing and the outbox in order', async () => {
    const prefix = uniqueId('spread');
    const ledger = ledgerAt(prefix);
    const persons = Array.from({ length: 24 }, () => uniqueId('P'));
    const committed: string[] = [];
    for (const [i, person] of persons.entries()) {
      const r = { ...record({ personId: person, settlementId: `S${String(i).padStart(3, '0')}`, deltas: { a: 5 } }), settledAt: `2024-03-${String(1 + i).padStart(2, '0')}T10:00:00+08:00` };
      expect((await ledger.commit(r, 0, settledEvent(r))).outcome).toBe('committed');
      committed.push(r.settlementId);
    }
    // Every master holds some of the ledger's records, accumulators and outbox streams.
    const probe = connect();
    await probe.ping();
    const perMaster = await Promise.all(probe.nodes('master').map(async (node) => {
      let cursor = '0';
      let found = 0;
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:{*}:stl:*`, 'COUNT', 1000);
        found += keys.length;
        cursor = next;
      } while (cursor !== '0');
      return found;
    }));
    probe.disconnect();
    expect(perMaster).toHaveLength(3);
    for (const found of perMaster) expect(found).toBeGreaterThan(0);
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(24);
    const listed: string[] = [];
    for await (const s of ledger.listSettlements({ from: '2024-03-01', to: '2024-04-01' })) listed.push(s.settlementId);
    expect(listed).toEqual(committed);
    const relayed = (await ledger.readOutbox('relay-1', 100, 0)).map((e) => e.event.settlementId);
    expect([...relayed].sort()).toEqual(committed);
    await ledger.close();
  });

  it('commits and reverses for persons living on different masters', async () => {
    const ledger = ledgerAt(uniqueId('spread'));
    const persons = Array.from({ length: 12 }, () => uniqueId('P'));
    for (const person of persons) {
      const r = record({ personId: person, settlementId: uniqueId('S'), deltas: { a: 5 } });
      expect((await ledger.commit(r, 0, settledEvent(r))).outcome).toBe('committed');
      expect((await ledger.reverse(HOSPITAL, r.settlementId, r.settledAt, { ...settledEvent(r), id: 'rev', type: 'settlement.reversed' })).outcome).toBe('reversed');
      expect(await ledger.readAccumulators(person)).toEqual({ version: 2, values: { a: 0 } });
    }
    expect(await ledger.outboxLag()).toBe(24);
    await ledger.close();
  });
});

describe('the key migration on a 3-master cluster', () => {
  // Each master's own keys of the pattern: after the move, the ledger's records lie on every master.
  migrationCases(connect, () => ({ REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',') }), async (pattern) => {
    const probe = connect();
    await probe.ping();
    const perMaster = await Promise.all(probe.nodes('master').map(async (node) => {
      let found = 0;
      for await (const page of scanKeys(node, pattern)) found += page.length;
      return found;
    }));
    probe.disconnect();
    expect(perMaster).toHaveLength(3);
    return perMaster;
  });
});
