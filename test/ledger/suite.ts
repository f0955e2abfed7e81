/**
 * The behaviour every LedgerPort must have, run against MemoryLedger, RedisLedger on a standalone
 * Redis and RedisLedger on a 3-master Cluster. Each test gets a fresh ledger (a new instance, or a new
 * key prefix), so outbox contents and lag belong to that test alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RosterRow } from '../../schemas/roster.js';
import type { LedgerPort, NewSettlement, OutboxEntry } from '../../gateway/ledger/port.js';
import { SettlementIdClaimed } from '../../gateway/ledger/errors.js';
import type { StoredSettlement } from '../../gateway/ledger/stored.js';
import { InvariantViolation } from '../../gateway/errors.js';
import { HOSPITAL, REVERSED_AT, bodyHash, record, reversedEvent, settledEvent, stored, uniqueId } from './fixtures.js';

export interface LedgerOptions { claimIdleMs?: number }

export interface LedgerUnderTest {
  ledger: LedgerPort;
  /** The same books through a new instance, as after a process restart (memory: the same instance). */
  restart(): Promise<LedgerPort>;
}

export type LedgerFactory = (options?: LedgerOptions) => Promise<LedgerUnderTest>;

/** Everything the outbox holds for `consumer`, reading in small pages until it is empty. */
async function drain(ledger: LedgerPort, consumer = 'relay-1', page = 5): Promise<OutboxEntry[]> {
  const all: OutboxEntry[] = [];
  for (;;) {
    const entries = await ledger.readOutbox(consumer, page, 0);
    if (entries.length === 0) return all;
    expect(entries.length).toBeLessThanOrEqual(page);
    all.push(...entries);
    await ledger.ackOutbox(entries.map((e) => e.entryId));
  }
}

function rosterRow(personId: string, from: string, to: string, categories: RosterRow['categories'] = []): RosterRow {
  return { personId, from, to, categories, preExisting: false, attributes: {} };
}

export function ledgerSuite(name: string, factory: LedgerFactory): void {
  describe(`ledger: ${name}`, () => {
    const opened: LedgerPort[] = [];
    const open = async (options?: LedgerOptions): Promise<LedgerUnderTest> => {
      const under = await factory(options);
      opened.push(under.ledger);
      return {
        ledger: under.ledger,
        restart: async () => {
          const next = await under.restart();
          opened.push(next);
          return next;
        },
      };
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((ledger) => ledger.close()));
    });

    it('remembers previews for a while, on every instance sharing the books', async () => {
      const { ledger, restart } = await open();
      const settlementId = uniqueId('PRE');
      expect(await ledger.wasPreviewed(HOSPITAL, settlementId)).toBe(false);
      await ledger.rememberPreview(HOSPITAL, settlementId, 60);
      expect(await ledger.wasPreviewed(HOSPITAL, settlementId)).toBe(true);
      expect(await (await restart()).wasPreviewed(HOSPITAL, settlementId)).toBe(true);
      expect(await ledger.wasPreviewed(HOSPITAL, uniqueId('PRE'))).toBe(false);
      expect(await ledger.wasPreviewed(HOSPITAL, 'not:a:key')).toBe(false);
    });

    it('commits: stores the record, applies the deltas, bumps the version', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const r = record({ personId: person, settlementId: uniqueId('S') });
      const result = await ledger.commit(r, 0, settledEvent(r));
      expect(result).toEqual({ outcome: 'committed', record: stored(r) });
      expect(await ledger.getSettlement(HOSPITAL, r.settlementId)).toEqual(stored(r));
      expect(await ledger.readAccumulators(person)).toEqual({ version: 1, values: r.deltas });
      expect(await ledger.readAccumulators(uniqueId('P'))).toEqual({ version: 0, values: {} });
      expect(await ledger.getSettlement(HOSPITAL, uniqueId('S'))).toBeNull();
    });

    it('answers a retry with the same body as a replay of the first answer, a different body as a conflict', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const settlementId = uniqueId('S');
      const first = record({ personId: person, settlementId, body: 'first' });
      await ledger.commit(first, 0, settledEvent(first));
      // A replay wins even over a stale version: it is answered before the version is looked at.
      expect(await ledger.commit(record({ personId: person, settlementId, body: 'first' }), 0, settledEvent(first)))
        .toEqual({ outcome: 'replay', record: stored(first) });
      const other = record({ personId: person, settlementId, body: 'second', deltas: { x: 1 } });
      const conflict = await ledger.commit(other, 1, settledEvent(other));
      expect(conflict).toEqual({ outcome: 'conflict', record: stored(first) });
      if (conflict.outcome === 'conflict') expect(conflict.record.firstAnswer).toBe(JSON.stringify(first.split));
      expect(await ledger.readAccumulators(person)).toEqual({ version: 1, values: first.deltas });
    });

    it('answers stale when the version moved, and writes nothing', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const a = record({ personId: person, settlementId: uniqueId('S') });
      await ledger.commit(a, 0, settledEvent(a));
      const lagBefore = await ledger.outboxLag();
      const b = record({ personId: person, settlementId: uniqueId('S'), deltas: { 'basic:2024:paid': 7 } });
      expect(await ledger.commit(b, 0, settledEvent(b))).toEqual({ outcome: 'stale' });
      expect(await ledger.commit(b, 2, settledEvent(b))).toEqual({ outcome: 'stale' });
      expect(await ledger.getSettlement(HOSPITAL, b.settlementId)).toBeNull();
      expect(await ledger.readAccumulators(person)).toEqual({ version: 1, values: a.deltas });
      expect(await ledger.outboxLag()).toBe(lagBefore);
      // The recomputed commit at the right version goes through.
      expect((await ledger.commit(b, 1, settledEvent(b))).outcome).toBe('committed');
    });

    it('applies deltas exactly across settlements, including zero and new counters', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const deltas: Record<string, number>[] = [{ a: 1, b: 0 }, { a: 999_999_999_999, c: 5 }, {}, { b: -3, c: 1 }];
      for (const [version, d] of deltas.entries()) {
        const r = record({ personId: person, settlementId: uniqueId('S'), deltas: d });
        expect((await ledger.commit(r, version, settledEvent(r))).outcome).toBe('committed');
      }
      expect(await ledger.readAccumulators(person)).toEqual({ version: 4, values: { a: 1_000_000_000_000, b: -3, c: 6 } });
    });

    it('keeps stored JSON byte for byte, including empty deltas and empty arrays', async () => {
      const { ledger } = await open();
      const r = record({ personId: uniqueId('P'), settlementId: uniqueId('S'), deltas: {} });
      await ledger.commit(r, 0, settledEvent(r));
      const read = await ledger.getSettlement(HOSPITAL, r.settlementId);
      expect(read?.deltas).toEqual({});
      expect(read?.firstAnswer).toBe(JSON.stringify(r.split));
      expect(read?.sentRequest()).toEqual(JSON.parse(r.requestJson));
      const [entry] = await ledger.readOutbox('relay-1', 10, 0);
      expect(entry?.event).toEqual(settledEvent(r));
      expect((await ledger.reverse(HOSPITAL, r.settlementId, REVERSED_AT, reversedEvent(r))).outcome).toBe('reversed');
    });

    it('copies what goes in and out: no caller can change the books through a reference', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const r = record({ personId: person, settlementId: uniqueId('S'), deltas: { a: 10 } });
      const event = settledEvent(r);
      const committed = await ledger.commit(r, 0, event);
      r.deltas.a = 99;
      r.split.patientPays = 'mutated';
      event.data = 'mutated';
      if (committed.outcome === 'committed') Object.assign(committed.record.deltas, { a: 77 });
      const read = await ledger.getSettlement(HOSPITAL, r.settlementId);
      expect(read?.deltas).toEqual({ a: 10 });
      expect(read?.split.patientPays).not.toBe('mutated');
      if (read) Object.assign(read, { status: 'reversed' });
      expect((await ledger.getSettlement(HOSPITAL, r.settlementId))?.status).toBe('settled');
      const snapshot = await ledger.readAccumulators(person);
      snapshot.values.a = 0;
      expect((await ledger.readAccumulators(person)).values).toEqual({ a: 10 });
      const [entry] = await ledger.readOutbox('relay-1', 1, 0);
      expect(entry?.event.data).not.toBe('mutated');
    });

    it('reverses: restores every counter exactly, bumps the version, marks the record', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const before = record({ personId: person, settlementId: uniqueId('S'), deltas: { a: 1234, b: 1 } });
      await ledger.commit(before, 0, settledEvent(before));
      const r = record({ personId: person, settlementId: uniqueId('S'), deltas: { a: 500, b: 0, c: 77 } });
      await ledger.commit(r, 1, settledEvent(r));
      const result = await ledger.reverse(HOSPITAL, r.settlementId, REVERSED_AT, reversedEvent(r));
      const reversed = stored(r, REVERSED_AT);
      expect(result).toEqual({ outcome: 'reversed', record: reversed });
      expect(await ledger.getSettlement(HOSPITAL, r.settlementId)).toEqual(reversed);
      // c was created by the reversed settlement: it stays, at exactly 0.
      expect(await ledger.readAccumulators(person)).toEqual({ version: 3, values: { a: 1234, b: 1, c: 0 } });
      // The same key and body after a reversal answers the stored (reversed) record.
      expect(await ledger.commit(r, 3, settledEvent(r))).toEqual({ outcome: 'replay', record: reversed });
    });

    it('answers a second reversal alreadyReversed and changes nothing; an unknown one notFound', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const r = record({ personId: person, settlementId: uniqueId('S') });
      await ledger.commit(r, 0, settledEvent(r));
      await ledger.reverse(HOSPITAL, r.settlementId, REVERSED_AT, reversedEvent(r));
      const lag = await ledger.outboxLag();
      const again = await ledger.reverse(HOSPITAL, r.settlementId, '2025-01-01T00:00:00+08:00', reversedEvent(r));
      expect(again).toEqual({ outcome: 'alreadyReversed', record: stored(r, REVERSED_AT) });
      expect(await ledger.readAccumulators(person)).toEqual({ version: 2, values: { 'basic:2024:paid': 0, 'weihai-2020-medical:2020:paid': 0 } });
      expect(await ledger.outboxLag()).toBe(lag);
      const unknown = record({ personId: person, settlementId: uniqueId('S') });
      expect(await ledger.reverse(HOSPITAL, unknown.settlementId, REVERSED_AT, reversedEvent(unknown))).toEqual({ outcome: 'notFound' });
      expect(await ledger.outboxLag()).toBe(lag);
    });

    it('refuses another person under a taken settlement id: conflict with the record, or SettlementIdClaimed without one', async () => {
      const { ledger } = await open();
      const [alice, bob] = [uniqueId('P'), uniqueId('P')];
      const settlementId = uniqueId('S');
      const mine = record({ personId: alice, settlementId, body: 'alice' });
      await ledger.commit(mine, 0, settledEvent(mine));
      const theirs = record({ personId: bob, settlementId, body: 'bob' });
      expect(await ledger.commit(theirs, 0, settledEvent(theirs))).toEqual({ outcome: 'conflict', record: stored(mine) });
      expect(await ledger.readAccumulators(bob)).toEqual({ version: 0, values: {} });

      // A claim left by a stale commit: invisible to readers, reusable by its person, closed to others.
      const other = uniqueId('S');
      const stale = record({ personId: alice, settlementId: other, body: 'alice again' });
      expect((await ledger.commit(stale, 0, settledEvent(stale))).outcome).toBe('stale');
      expect(await ledger.getSettlement(HOSPITAL, other)).toBeNull();
      expect((await ledger.reverse(HOSPITAL, other, REVERSED_AT, reversedEvent(stale))).outcome).toBe('notFound');
      const intruder = record({ personId: bob, settlementId: other, body: 'bob again' });
      await expect(ledger.commit(intruder, 0, settledEvent(intruder))).rejects.toBeInstanceOf(SettlementIdClaimed);
      expect((await ledger.commit(stale, 1, settledEvent(stale))).outcome).toBe('committed');
    });

    it('refuses invalid input before writing anything', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      for (const deltas of [{ a: 1.5 }, { _v: 1 }, { a: Number.MAX_SAFE_INTEGER + 1 }] as Record<string, number>[]) {
        const r = record({ personId: person, settlementId: uniqueId('S'), deltas });
        await expect(ledger.commit(r, 0, settledEvent(r))).rejects.toBeInstanceOf(InvariantViolation);
      }
      const r = record({ personId: person, settlementId: uniqueId('S') });
      await expect(ledger.commit({ ...r, settlementId: 'a:b' }, 0, { ...settledEvent(r), settlementId: 'a:b' })).rejects.toBeInstanceOf(InvariantViolation);
      await expect(ledger.commit(r, 0, reversedEvent(r))).rejects.toBeInstanceOf(InvariantViolation);
      expect(await ledger.readAccumulators(person)).toEqual({ version: 0, values: {} });
      expect(await ledger.outboxLag()).toBe(0);
      // Ids straight from a URL that nothing could have been stored under are simply not found.
      expect(await ledger.getSettlement(HOSPITAL, '{b1}:x')).toBeNull();
      const bad = { ...reversedEvent(r), settlementId: 'a:b' };
      expect(await ledger.reverse(HOSPITAL, 'a:b', REVERSED_AT, bad)).toEqual({ outcome: 'notFound' });
    });

    it('refuses a counter that would leave the safe integer range, leaving no partial commit', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const big = record({ personId: person, settlementId: uniqueId('S'), deltas: { a: Number.MAX_SAFE_INTEGER - 1 } });
      await ledger.commit(big, 0, settledEvent(big));
      const over = record({ personId: person, settlementId: uniqueId('S'), deltas: { b: 5, a: 2 } });
      await expect(ledger.commit(over, 1, settledEvent(over))).rejects.toThrow(/safe integer range/);
      expect(await ledger.readAccumulators(person)).toEqual({ version: 1, values: { a: Number.MAX_SAFE_INTEGER - 1 } });
      expect(await ledger.getSettlement(HOSPITAL, over.settlementId)).toBeNull();
      expect(await ledger.outboxLag()).toBe(1);
    });

    it('publishes committed and reversal events in order per person, nothing for replay, conflict or stale', async () => {
      const { ledger } = await open();
      const persons = Array.from({ length: 6 }, () => uniqueId('P'));
      const expected = new Map<string, string[]>(persons.map((p) => [p, []]));
      for (let round = 0; round < 3; round++) {
        for (const person of persons) {
          const version = (await ledger.readAccumulators(person)).version;
          const r = record({ personId: person, settlementId: uniqueId('S'), deltas: { a: round + 1 } });
          expect((await ledger.commit(r, version, settledEvent(r))).outcome).toBe('committed');
          expected.get(person)?.push(settledEvent(r).id);
          expect((await ledger.commit(r, version + 1, settledEvent(r))).outcome).toBe('replay');
          expect((await ledger.commit({ ...r, bodyHash: bodyHash('x') }, version + 1, settledEvent(r))).outcome).toBe('conflict');
          const late = record({ personId: person, settlementId: uniqueId('S') });
          expect((await ledger.commit(late, version, settledEvent(late))).outcome).toBe('stale');
          if (round === 1) {
            await ledger.reverse(HOSPITAL, r.settlementId, REVERSED_AT, reversedEvent(r));
            expected.get(person)?.push(reversedEvent(r).id);
          }
        }
      }
      expect(await ledger.outboxLag()).toBe(persons.length * 4);
      const entries = await drain(ledger);
      expect(new Set(entries.map((e) => e.entryId)).size).toBe(entries.length);
      for (const person of persons) {
        expect(entries.filter((e) => e.event.personId === person).map((e) => e.event.id)).toEqual(expected.get(person));
      }
      expect(await ledger.outboxLag()).toBe(0);
    });

    it('acknowledging removes from the lag; acknowledging twice changes nothing', async () => {
      const { ledger } = await open();
      const rs = Array.from({ length: 3 }, () => record({ personId: uniqueId('P'), settlementId: uniqueId('S') }));
      for (const r of rs) await ledger.commit(r, 0, settledEvent(r));
      expect(await ledger.outboxLag()).toBe(3);
      const [first, ...rest] = await ledger.readOutbox('relay-1', 2, 0);
      expect(rest).toHaveLength(1);
      if (!first) throw new Error('nothing read');
      await ledger.ackOutbox([first.entryId]);
      expect(await ledger.outboxLag()).toBe(2);
      await ledger.ackOutbox([first.entryId]);
      expect(await ledger.outboxLag()).toBe(2);
      await ledger.ackOutbox([]);
      const all = await ledger.readOutbox('relay-1', 10, 0);
      const unacked = rs.map((r) => r.settlementId).filter((id) => id !== first.event.settlementId);
      expect(all.map((e) => e.event.settlementId).sort()).toEqual(unacked.sort());
      await ledger.ackOutbox(all.map((e) => e.entryId));
      expect(await ledger.outboxLag()).toBe(0);
    });

    it('re-delivers unacknowledged entries to the same consumer after a restart, oldest first', async () => {
      const { ledger, restart } = await open();
      const person = uniqueId('P');
      const ids: string[] = [];
      for (let version = 0; version < 4; version++) {
        const r = record({ personId: person, settlementId: uniqueId('S') });
        await ledger.commit(r, version, settledEvent(r));
        ids.push(settledEvent(r).id);
      }
      const firstRead = await ledger.readOutbox('relay-a', 3, 0);
      expect(firstRead.map((e) => e.event.id)).toEqual(ids.slice(0, 3));
      const again = await restart();
      const redelivered = await again.readOutbox('relay-a', 10, 0);
      expect(redelivered.map((e) => e.event.id)).toEqual(ids);
      expect(redelivered.slice(0, 3).map((e) => e.entryId)).toEqual(firstRead.map((e) => e.entryId));
      // Another consumer does not get what relay-a holds (its entries are not idle long enough).
      expect(await again.readOutbox('relay-b', 10, 0)).toEqual([]);
      await again.ackOutbox(redelivered.map((e) => e.entryId));
      expect(await again.readOutbox('relay-a', 10, 0)).toEqual([]);
      expect(await again.outboxLag()).toBe(0);
    });

    it("takes over another consumer's entries once they are idle for claimIdleMs", async () => {
      const { ledger } = await open({ claimIdleMs: 100 });
      const r = record({ personId: uniqueId('P'), settlementId: uniqueId('S') });
      await ledger.commit(r, 0, settledEvent(r));
      const [held] = await ledger.readOutbox('dead-relay', 10, 0);
      expect(await ledger.readOutbox('new-relay', 10, 0)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const taken = await ledger.readOutbox('new-relay', 10, 0);
      expect(taken).toEqual([held]);
      await ledger.ackOutbox(taken.map((e) => e.entryId));
      expect(await ledger.outboxLag()).toBe(0);
    });

    it('waits up to blockMs for new entries, and no longer', async () => {
      const { ledger } = await open();
      let started = Date.now();
      expect(await ledger.readOutbox('relay-1', 10, 150)).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      const r = record({ personId: uniqueId('P'), settlementId: uniqueId('S') });
      started = Date.now();
      const waiting = ledger.readOutbox('relay-1', 10, 5_000);
      setTimeout(() => { void ledger.commit(r, 0, settledEvent(r)); }, 50);
      const entries = await waiting;
      expect(entries.map((e) => e.event.id)).toEqual([settledEvent(r).id]);
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('never returns more than count, and delivers every entry across all shards exactly once', async () => {
      const { ledger } = await open();
      const rs = Array.from({ length: 40 }, () => record({ personId: uniqueId('P'), settlementId: uniqueId('S') }));
      await Promise.all(rs.map((r) => ledger.commit(r, 0, settledEvent(r))));
      const entries = await drain(ledger, 'relay-1', 7);
      expect(entries.map((e) => e.event.settlementId).sort()).toEqual(rs.map((r) => r.settlementId).sort());
      expect(await ledger.outboxLag()).toBe(0);
    });

    it('merges roster rows per person and period; replace drops persons absent from the load', async () => {
      const { ledger } = await open();
      const roster = uniqueId('weihai-2020-medical-');
      const [a, b, c] = [uniqueId('A'), uniqueId('B'), uniqueId('C')];
      await ledger.putRoster(roster, [rosterRow(a, '2020-01-01', '2020-06-30'), rosterRow(b, '2020-01-01', '2020-12-31')], false);
      await ledger.putRoster(roster, [
        rosterRow(a, '2020-08-01', '2020-12-31', ['instant-help']),
        rosterRow(a, '2020-01-01', '2020-06-30', ['dibao']),
        rosterRow(c, '2020-03-01', '2020-12-31'),
      ], false);
      expect(await ledger.rosterRows([roster, 'absent-roster'], [a])).toEqual([{
        [roster]: [rosterRow(a, '2020-01-01', '2020-06-30', ['dibao']), rosterRow(a, '2020-08-01', '2020-12-31', ['instant-help'])],
        'absent-roster': [],
      }]);
      expect((await ledger.rosterRows([roster], [b]))[0]?.[roster]).toEqual([rosterRow(b, '2020-01-01', '2020-12-31')]);
      // The enrolled count of reports: persons, not rows.
      expect(await ledger.rosterSize?.(roster)).toBe(3);
      expect(await ledger.rosterSize?.('absent-roster')).toBe(0);

      await ledger.putRoster(roster, [rosterRow(a, '2020-02-01', '2020-12-31'), rosterRow(c, '2020-05-01', '2020-12-31')], true);
      expect(await ledger.rosterSize?.(roster)).toBe(2);
      expect((await ledger.rosterRows([roster], [a]))[0]?.[roster]).toEqual([rosterRow(a, '2020-02-01', '2020-12-31')]);
      expect((await ledger.rosterRows([roster], [b]))[0]?.[roster]).toEqual([]);
      expect((await ledger.rosterRows([roster], [c]))[0]?.[roster]).toEqual([rosterRow(c, '2020-05-01', '2020-12-31')]);
      // A person dropped by a replace can come back through a merge.
      await ledger.putRoster(roster, [rosterRow(b, '2020-07-01', '2020-12-31')], false);
      expect((await ledger.rosterRows([roster], [b]))[0]?.[roster]).toEqual([rosterRow(b, '2020-07-01', '2020-12-31')]);
      await ledger.putRoster(roster, [], true);
      expect(await ledger.rosterRows([roster], [a])).toEqual([{ [roster]: [] }]);
    });

    it('reads many persons\' rows of several rosters at once, each person\'s in the order asked, across buckets and more than a call holds', async () => {
      const { ledger } = await open();
      const [first, second] = [uniqueId('weihai-2020-medical-'), uniqueId('sanming-2024-puhui-')];
      // 1 200 persons of two rosters: 2 400 hashes, more than one script reads (ROSTER_KEYS_PER_CALL), in every bucket.
      const persons = Array.from({ length: 1200 }, (_, i) => uniqueId(`P${i}-`));
      await ledger.putRoster(first, persons.filter((_, i) => i % 2 === 0).map((p) => rosterRow(p, '2020-01-01', '2020-12-31')), false);
      await ledger.putRoster(second, persons.filter((_, i) => i % 3 === 0).map((p) => rosterRow(p, '2020-03-01', '2020-12-31', ['dibao'])), false);
      const asked = [...persons].reverse();
      const rows = await ledger.rosterRows([first, second, 'absent-roster'], asked);
      expect(rows).toHaveLength(asked.length);
      rows.forEach((of, i) => {
        const person = asked[i] ?? '';
        const at = persons.indexOf(person);
        expect(of).toEqual({
          [first]: at % 2 === 0 ? [rosterRow(person, '2020-01-01', '2020-12-31')] : [],
          [second]: at % 3 === 0 ? [rosterRow(person, '2020-03-01', '2020-12-31', ['dibao'])] : [],
          'absent-roster': [],
        });
      });
      expect(await ledger.rosterRows([first], [])).toEqual([]);
      expect(await ledger.rosterRows([], [persons[0] ?? ''])).toEqual([{}]);
    });

    it('loads a large roster in bounded batches', async () => {
      const { ledger } = await open();
      const roster = uniqueId('big-');
      const rows = Array.from({ length: 2_500 }, (_, i) => rosterRow(`R${i}`, '2024-01-01', '2024-12-31'));
      await ledger.putRoster(roster, rows, false);
      await ledger.putRoster(roster, rows.slice(0, 1_200), true);
      expect((await ledger.rosterRows([roster], ['R1199']))[0]?.[roster]).toHaveLength(1);
      expect((await ledger.rosterRows([roster], ['R1200']))[0]?.[roster]).toEqual([]);
    });

    it('30 concurrent commits of one settlement: exactly one committed, the rest replays', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const r = record({ personId: person, settlementId: uniqueId('S'), deltas: { a: 100 } });
      const results = await Promise.all(Array.from({ length: 30 }, () => ledger.commit(structuredClone(r), 0, settledEvent(r))));
      const outcomes = results.map((x) => x.outcome);
      expect(outcomes.filter((o) => o === 'committed')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'replay')).toHaveLength(29);
      for (const x of results) if (x.outcome !== 'stale') expect(x.record).toEqual(stored(r));
      expect(await ledger.readAccumulators(person)).toEqual({ version: 1, values: { a: 100 } });
      expect(await ledger.outboxLag()).toBe(1);
    });

    it('concurrent commits for one person at the same version: exactly one succeeds, the rest are stale', async () => {
      const { ledger } = await open();
      const person = uniqueId('P');
      const rs = Array.from({ length: 20 }, () => record({ personId: person, settlementId: uniqueId('S'), deltas: { a: 100 } }));
      const results = await Promise.all(rs.map((r) => ledger.commit(r, 0, settledEvent(r))));
      const outcomes = results.map((x) => x.outcome);
      expect(outcomes.filter((o) => o === 'committed')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'stale')).toHaveLength(19);
      expect(await ledger.readAccumulators(person)).toEqual({ version: 1, values: { a: 100 } });
      expect(await ledger.outboxLag()).toBe(1);
    });

    it('lists settlements of a period in time order across buckets and pages, by settled or reversed time and hospital', async () => {
      const { ledger } = await open();
      const persons = [uniqueId('P'), uniqueId('P'), uniqueId('P')];
      const hospitals = [HOSPITAL, 'H99000000002'];
      // Many equal times (ties are ordered by hospital and settlement id) and more records per person
      // than one page, so both the merge across buckets and the paging within one are exercised.
      const all: NewSettlement[] = [];
      for (let i = 0; i < 1_100; i++) {
        const personId = persons[i % 3] ?? '';
        const day = 1 + (i % 7);
        const r = { ...record({ personId, settlementId: `S${String(i).padStart(5, '0')}`, deltas: {} }),
          hospitalId: hospitals[i % 2] ?? HOSPITAL, settledAt: `2024-03-0${day}T${i % 2 ? '23:59:59' : '00:00:00'}+08:00` };
        expect((await ledger.commit(r, Math.floor(i / 3), { ...settledEvent(r), hospitalId: r.hospitalId })).outcome).toBe('committed');
        all.push(r);
      }
      const reversed = all.filter((_, i) => i % 10 === 0);
      for (const r of reversed) {
        const at = '2024-03-09T08:00:00+08:00';
        expect((await ledger.reverse(r.hospitalId, r.settlementId, at, { ...reversedEvent(r), hospitalId: r.hospitalId, time: at })).outcome).toBe('reversed');
      }
      const list = async (query: Parameters<LedgerPort['listSettlements']>[0]) => {
        const out: StoredSettlement[] = [];
        for await (const r of ledger.listSettlements(query)) out.push(r);
        return out;
      };
      const key = (r: NewSettlement) => `${Date.parse(r.settledAt).toString().padStart(15, '0')} ${r.hospitalId}:${r.settlementId}`;
      const expected = (pick: (r: NewSettlement) => boolean) => all.filter(pick).sort((a, b) => (key(a) < key(b) ? -1 : 1)).map((r) => r.settlementId);

      // Dates read as midnight in China; `to` is exclusive.
      const march2to5 = await list({ from: '2024-03-02', to: '2024-03-05' });
      expect(march2to5.map((r) => r.settlementId)).toEqual(expected((r) => r.settledAt >= '2024-03-02' && r.settledAt < '2024-03-05'));
      expect(march2to5.length).toBeGreaterThan(400);
      const reversedInList = march2to5.find((r) => r.status === 'reversed');
      expect(reversedInList?.reversedAt).toBe('2024-03-09T08:00:00+08:00');

      const hospitalB = await list({ from: '2024-03-01', to: '2024-03-08', hospitalId: 'H99000000002' });
      expect(hospitalB.map((r) => r.settlementId)).toEqual(expected((r) => r.hospitalId === 'H99000000002'));

      // Instants: the last second of 7 March is in, its next instant is not.
      const lastSecond = await list({ from: '2024-03-07T23:59:59+08:00', to: '2024-03-08T00:00:00+08:00' });
      expect(lastSecond.map((r) => r.settlementId)).toEqual(expected((r) => r.settledAt === '2024-03-07T23:59:59+08:00'));

      const byReversal = await list({ from: '2024-03-09', to: '2024-03-10', by: 'reversedAt' });
      expect(byReversal.map((r) => r.settlementId).sort()).toEqual(reversed.map((r) => r.settlementId).sort());
      expect(await list({ from: '2024-03-01', to: '2024-03-09', by: 'reversedAt' })).toEqual([]);
      await expect(list({ from: '2024-03-09', to: '2024-03-01' })).rejects.toBeInstanceOf(InvariantViolation);
      await expect(list({ from: 'yesterday', to: '2024-03-01' })).rejects.toBeInstanceOf(InvariantViolation);

      const ofPerson = await ledger.settlementsOfPerson(persons[1] ?? '');
      expect(ofPerson.map((r) => r.settlementId)).toEqual(expected((r) => r.personId === persons[1]));
      expect(await ledger.settlementsOfPerson(uniqueId('nobody'))).toEqual([]);
    });

    it('lists a part of the persons: the parts of one count hold every record once, each person whole, each part in time order', async () => {
      const { ledger } = await open();
      const persons = Array.from({ length: 24 }, () => uniqueId('P'));
      for (let i = 0; i < 240; i++) {
        const r = { ...record({ personId: persons[i % persons.length] ?? '', settlementId: uniqueId('S'), deltas: {} }), settledAt: `2024-05-0${1 + (i % 9)}T10:00:00+08:00` };
        expect((await ledger.commit(r, Math.floor(i / persons.length), settledEvent(r))).outcome).toBe('committed');
      }
      const list = async (query: Parameters<LedgerPort['listSettlements']>[0]) => {
        const out: StoredSettlement[] = [];
        for await (const r of ledger.listSettlements(query)) out.push(r);
        return out;
      };
      const period = { from: '2024-05-01', to: '2024-05-10' };
      const whole = await list(period);
      expect(whole).toHaveLength(240);
      const at = (r: StoredSettlement) => `${Date.parse(r.settledAt).toString().padStart(15, '0')} ${r.hospitalId}:${r.settlementId}`;
      for (const count of [1, 2, 3]) {
        const parts = await Promise.all(Array.from({ length: count }, (_, index) => list({ ...period, part: { index, count } })));
        const partOfPerson = new Map<string, number>();
        parts.forEach((part, index) => {
          expect(part.map(at)).toEqual([...part.map(at)].sort());
          for (const r of part) {
            expect(partOfPerson.get(r.personId) ?? index).toBe(index);
            partOfPerson.set(r.personId, index);
          }
        });
        expect(parts.flat().map(at).sort()).toEqual(whole.map(at));
        if (count > 1) expect(parts.every((part) => part.length > 0)).toBe(true);
      }
      await expect(list({ ...period, part: { index: 2, count: 2 } })).rejects.toBeInstanceOf(InvariantViolation);
    });

    it('answers ping while open', async () => {
      const { ledger } = await open();
      await expect(ledger.ping()).resolves.toBeUndefined();
    });
  });
}
