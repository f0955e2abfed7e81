import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { KeySpace } from '../../gateway/ledger/keys.js';
import { startRedisCluster, type TestRedisCluster } from '../support/redis.js';
import { HOSPITAL, record, settledEvent, uniqueId } from './fixtures.js';
import { ledgerSuite, type LedgerOptions } from './suite.js';

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
  it('keeps every key of one settlement in one slot, and spreads buckets over the masters', async () => {
    const keys = new KeySpace('gw', 16);
    const probe = connect();
    const slot = async (key: string): Promise<number> => Number(await probe.call('CLUSTER', 'KEYSLOT', key));
    for (const person of ['P1', 'P371002195001011234', uniqueId('P')]) {
      const b = keys.bucket(person);
      const slots = new Set(await Promise.all([
        slot(keys.accumulators(person)), slot(keys.settlement(person, HOSPITAL, 'S1')), slot(keys.outbox(b)), slot(keys.roster('r', person)),
      ]));
      expect(slots.size).toBe(1);
    }
    const masters = new Set<string>();
    const shardSlots = await Promise.all(Array.from({ length: 16 }, (_, b) => slot(keys.outbox(b))));
    // Each bucket's slot is served by some master; with 16 buckets on 3 masters, every master gets some.
    const owners = await probe.call('CLUSTER', 'SLOTS');
    if (Array.isArray(owners)) {
      for (const s of shardSlots) {
        for (const range of owners) {
          if (Array.isArray(range) && Number(range[0]) <= s && s <= Number(range[1]) && Array.isArray(range[2])) masters.add(String(range[2][1]));
        }
      }
    }
    expect(masters.size).toBe(3);
    probe.disconnect();
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
