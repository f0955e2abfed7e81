/**
 * The roster rows of the persons a pass meets, read a page of records at a time: the page's new persons'
 * rows are asked for together (pipelined on Redis) before its records are handed on, instead of one round
 * trip per person — a city's year meets ~2.5×10⁵ persons. Rows are read as they stand now (rosters are not
 * versioned in time), once per person per pass.
 */
import { invariant } from '../errors.js';
import { LISTING_PAGE, type SettlementQuery } from '../ledger/listing.js';
import type { PersonBook } from '../ledger/port.js';
import type { StoredSettlement } from '../ledger/stored.js';
import type { RosterRow } from '../../schemas/roster.js';
import type { SettlementSource } from './records.js';

export class PersonRosters {
  private readonly rows = new Map<string, Record<string, RosterRow[]>>();

  constructor(private readonly ledger: Pick<PersonBook, 'rosterRows'>, private readonly rosterIds: readonly string[]) {}

  /** The source's records in its order, each person's rows read before their first record is handed on. */
  async *records(source: SettlementSource, query: SettlementQuery): AsyncGenerator<StoredSettlement> {
    let page: StoredSettlement[] = [];
    for await (const record of source.listSettlements(query)) {
      page.push(record);
      if (page.length < LISTING_PAGE) continue;
      await this.readPersons(page);
      yield* page;
      page = [];
    }
    await this.readPersons(page);
    yield* page;
  }

  /** The person's rows of each roster; read by `records` before their first record. */
  of(personId: string): Record<string, RosterRow[]> {
    const rows = this.rows.get(personId);
    invariant(rows !== undefined, 'roster rows asked for a person before their record was read');
    return rows;
  }

  private async readPersons(page: readonly StoredSettlement[]): Promise<void> {
    const fresh = [...new Set(page.map((r) => r.personId))].filter((personId) => !this.rows.has(personId));
    const read = this.rosterIds.length ? await Promise.all(fresh.map((personId) => this.ledger.rosterRows(this.rosterIds, personId))) : [];
    fresh.forEach((personId, i) => this.rows.set(personId, read[i] ?? {}));
  }
}
