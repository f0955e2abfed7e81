/**
 * The roster rows of the persons a pass meets, read a day of settlements at a time: the day's new persons'
 * rows are asked for together (on Redis a script per bucket, ledger/redis.ts) before its settlements are
 * passed on, instead of one round trip per person and roster — a city's year meets ~2.5×10⁵ persons. Rows
 * are read as they stand now (rosters are not versioned in time), once per person per pass; a pass keeps of
 * them only what it reads (`keep`), so a report holds a few numbers a person, not every row's categories and
 * attributes for the rest of the pass. A roster that holds nobody when the pass first reads is not asked for at
 * all: a replay asks for every pack's roster, and where most are empty (a county that loaded one) the probes of
 * the empty ones were most of what reading the rosters cost.
 */
import { invariant } from '../errors.js';
import type { PersonBook } from '../ledger/port.js';
import type { RosterRow } from '../../schemas/roster.js';

export class PersonRows<T> {
  private readonly kept = new Map<string, T>();
  /** The rosters that hold anyone, asked once a pass (every one when the ledger cannot tell). */
  private heldRosterIds: Promise<readonly string[]> | null = null;

  constructor(
    private readonly ledger: Pick<PersonBook, 'rosterRows' | 'rosterSize'>,
    private readonly rosterIds: readonly string[],
    /** What the pass keeps of a person's rows of each roster. */
    private readonly keep: (rows: Record<string, RosterRow[]>) => T,
  ) {}

  /** Reads the rows of the persons not met before, together. */
  async readPersons(personIds: Iterable<string>): Promise<void> {
    const fresh = new Set<string>();
    for (const personId of personIds) if (!this.kept.has(personId)) fresh.add(personId);
    const persons = [...fresh];
    const rosterIds = await (this.heldRosterIds ??= this.rostersHoldingAnyone());
    const read = rosterIds.length ? await this.ledger.rosterRows(rosterIds, persons) : [];
    persons.forEach((personId, i) => this.kept.set(personId, this.keep(read[i] ?? {})));
  }

  /**
   * The days, each passed on once its persons' rows are read: the next day's rows are asked for before this day is
   * passed on, so the pass works on one day while the ledger answers for the next (else it waits a round trip a day).
   */
  async *readAhead<D extends { personIds(): Iterable<string> }>(days: AsyncIterable<D>): AsyncGenerator<D> {
    let pending: { day: D; read: Promise<void> } | null = null;
    for await (const day of days) {
      const read = this.readPersons(day.personIds());
      read.catch(() => undefined); // awaited in turn below: its failure is the pass's, never unhandled
      if (pending) {
        await pending.read;
        yield pending.day;
      }
      pending = { day, read };
    }
    if (pending) {
      await pending.read;
      yield pending.day;
    }
  }

  /** The rosters with a person on them. A member is added before their rows (putRoster), so an empty one has no rows. */
  private async rostersHoldingAnyone(): Promise<readonly string[]> {
    const { ledger } = this;
    if (!ledger.rosterSize) return this.rosterIds;
    const sizes = await Promise.all(this.rosterIds.map((rosterId) => ledger.rosterSize?.(rosterId)));
    return this.rosterIds.filter((_, i) => sizes[i] !== 0);
  }

  /** What was kept of the person's rows; read by `readPersons` (or `readAhead`) before. */
  of(personId: string): T {
    const kept = this.kept.get(personId);
    invariant(kept !== undefined, 'roster rows asked for a person before their settlements were read');
    return kept;
  }
}

/** A person on none of the rosters: one object for all of them (the engine reads a roster absent as no rows). */
const ON_NO_ROSTER: Readonly<Record<string, RosterRow[]>> = Object.freeze({});

/**
 * The rows themselves, of the rosters the person is on (a replay: the engine reads them). The others are left out:
 * a pass over several sets asks for every pack's roster, and an empty list per person and roster was most of what
 * a city's year held of rosters.
 */
export class PersonRosters extends PersonRows<Readonly<Record<string, RosterRow[]>>> {
  constructor(ledger: Pick<PersonBook, 'rosterRows' | 'rosterSize'>, rosterIds: readonly string[]) {
    super(ledger, rosterIds, (rows) => {
      const on = Object.entries(rows).filter(([, list]) => list.length > 0);
      return on.length === 0 ? ON_NO_ROSTER : Object.fromEntries(on);
    });
  }
}
