/**
 * PersonRosters (gateway/operations/person-rosters.ts): a pass asks the ledger for the rows of the rosters that hold
 * anyone, never for the empty ones, and gives each person the rows they have.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import type { PersonBook } from '../../gateway/ledger/port.js';
import { PersonRosters } from '../../gateway/operations/person-rosters.js';
import type { RosterRow } from '../../schemas/roster.js';

const row = (personId: string): RosterRow => ({ personId, from: '2024-01-01', to: '2024-12-31', categories: ['dibao'], preExisting: false, attributes: {} });

/** The memory ledger, with every rosterRows call's rosters noted (and rosterSize only when `sizes`). */
function watched(ledger: MemoryLedger, sizes: boolean): { book: Pick<PersonBook, 'rosterRows' | 'rosterSize'>; asked: string[][] } {
  const asked: string[][] = [];
  const rosterRows: PersonBook['rosterRows'] = (rosterIds, personIds) => { asked.push([...rosterIds]); return ledger.rosterRows(rosterIds, personIds); };
  return { book: sizes ? { rosterRows, rosterSize: (id) => ledger.rosterSize(id) } : { rosterRows }, asked };
}

describe('the roster rows of a pass', () => {
  it('asks only for the rosters that hold anyone, and gives each person their rows', async () => {
    const ledger = new MemoryLedger();
    await ledger.putRoster('enrolled', [row('P1'), row('P3')], false);
    await ledger.putRoster('aid', [row('P3')], false);
    const { book, asked } = watched(ledger, true);
    const rosters = new PersonRosters(book, ['enrolled', 'empty', 'aid', 'also-empty']);
    await rosters.readPersons(['P1', 'P2']);
    await rosters.readPersons(['P3', 'P1']);
    expect(asked).toEqual([['enrolled', 'aid'], ['enrolled', 'aid']]);
    expect(rosters.of('P1')).toEqual({ enrolled: [row('P1')] });
    expect(rosters.of('P2')).toEqual({});
    expect(rosters.of('P3')).toEqual({ enrolled: [row('P3')], aid: [row('P3')] });
  });

  it('asks nothing when every roster is empty, and every roster when the ledger cannot tell their sizes', async () => {
    const ledger = new MemoryLedger();
    const none = watched(ledger, true);
    const empty = new PersonRosters(none.book, ['a', 'b']);
    await empty.readPersons(['P1']);
    expect(none.asked).toEqual([]);
    expect(empty.of('P1')).toEqual({});
    await ledger.putRoster('b', [row('P1')], false);
    const blind = watched(ledger, false);
    const all = new PersonRosters(blind.book, ['a', 'b']);
    await all.readPersons(['P1']);
    expect(blind.asked).toEqual([['a', 'b']]);
    expect(all.of('P1')).toEqual({ b: [row('P1')] });
  });
});
