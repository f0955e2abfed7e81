/**
 * A roster replaced by a large load (more rows than a merge batch) never shows a person of the load as off the roster
 * while it runs, on either ledger: the persons the load leaves out are removed at its end, and everyone else keeps
 * their old rows until their new ones are written. Before, the first batch replaced the roster with its own 1 000
 * persons and the later batches put the rest back, so a settlement meanwhile found them off it.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { loadRoster } from '../../gateway/rosters/load.js';
import { startRedis, type TestRedis } from '../support/redis.js';

const ROSTER = 'sanming-2024-puhui';
const PERSONS = 2_500;
const personId = (i: number) => `3504021980${String(i).padStart(8, '0')}`;
const row = (i: number, from: string) => ({ personId: personId(i), from, to: '2024-12-31' });

let redis: TestRedis;
beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis?.stop(); });

describe.each([
  ['memory', async (): Promise<LedgerPort> => new MemoryLedger()],
  ['redis', async (): Promise<LedgerPort> => new RedisLedger(new Redis(redis.url), { prefix: `rl${Date.now()}` })],
] as const)('a replacing roster load on the %s ledger', (_kind, open) => {
  it('keeps every person of the load on the roster throughout, and removes the ones it leaves out at the end', async () => {
    const ledger = await open();
    try {
      // On the roster before: everyone of the load, and one the load leaves out.
      await loadRoster(ledger, ROSTER, [...Array.from({ length: PERSONS }, (_, i) => row(i, '2024-01-01')), row(PERSONS, '2024-01-01')], false);
      const watched = [personId(0), personId(1_500), personId(PERSONS - 1)];
      const missing: string[] = [];
      let done = false;
      // Read between the load's own awaits (the memory ledger's are microtasks, Redis's round trips).
      const watch = (async () => {
        while (!done) {
          const rows = await ledger.rosterRows([ROSTER], watched);
          rows.forEach((r, k) => { if ((r[ROSTER] ?? []).length === 0) missing.push(watched[k]!); });
        }
      })();
      const result = await loadRoster(ledger, ROSTER, Array.from({ length: PERSONS }, (_, i) => row(i, '2024-03-01')), true);
      done = true;
      await watch;
      expect(result.accepted).toBe(PERSONS);
      expect(missing).toEqual([]);
      const after = await ledger.rosterRows([ROSTER], [...watched, personId(PERSONS)]);
      for (const r of after.slice(0, watched.length)) expect(r[ROSTER]).toMatchObject([{ from: '2024-03-01' }]);
      expect(after[watched.length]?.[ROSTER]).toEqual([]);
      expect(await ledger.rosterSize?.(ROSTER)).toBe(PERSONS);
    } finally {
      await ledger.close();
    }
  });
});
