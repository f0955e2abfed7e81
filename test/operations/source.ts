/** The ledger's records as a SettlementSource: listSettlements once it is on the port, else from the year's own list. */
import type { SettlementRecord } from '../../gateway/ledger/port.js';
import type { SettlementQuery, SettlementSource } from '../../gateway/operations/records.js';
import type { SyntheticYear } from './synthetic-year.js';

export function sourceOf(year: SyntheticYear): SettlementSource {
  const ledger = year.ledger as unknown as Partial<SettlementSource>;
  if (typeof ledger.listSettlements === 'function') return ledger as SettlementSource;
  return {
    async *listSettlements(q: SettlementQuery): AsyncIterable<SettlementRecord> {
      const records = (await year.records()).sort((a, b) => a.settledAt.localeCompare(b.settledAt));
      for (const r of records) if (r.settledAt >= q.from && r.settledAt < q.to) yield r;
    },
  };
}
