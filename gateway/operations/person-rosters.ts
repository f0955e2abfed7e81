/**
 * The roster rows of the persons a pass meets, read a day of settlements at a time: the day's new persons'
 * rows are asked for together (pipelined on Redis) before its settlements are passed on, instead of one round
 * trip per person — a city's year meets ~2.5×10⁵ persons. Rows are read as they stand now (rosters are not
 * versioned in time), once per person per pass.
 */
import { invariant } from '../errors.js';
import type { PersonBook } from '../ledger/port.js';
import type { RosterRow } from '../../schemas/roster.js';

export class PersonRosters {
  private readonly rows = new Map<string, Record<string, RosterRow[]>>();

  constructor(private readonly ledger: Pick<PersonBook, 'rosterRows'>, private readonly rosterIds: readonly string[]) {}

  /** Reads the rows of the persons not met before, together. */
  async readPersons(personIds: Iterable<string>): Promise<void> {
    const fresh = [...new Set(personIds)].filter((personId) => !this.rows.has(personId));
    const read = this.rosterIds.length ? await Promise.all(fresh.map((personId) => this.ledger.rosterRows(this.rosterIds, personId))) : [];
    fresh.forEach((personId, i) => this.rows.set(personId, read[i] ?? {}));
  }

  /** The person's rows of each roster; read by `readPersons` before. */
  of(personId: string): Record<string, RosterRow[]> {
    const rows = this.rows.get(personId);
    invariant(rows !== undefined, 'roster rows asked for a person before their settlements were read');
    return rows;
  }
}
