/** Settlements as the desk's lists show them: one summary each, the patient masked, and a day's totals per payer. */
import type { DayList, SettlementSummary } from '../../schemas/desk.js';
import { LAYERS, type Layer } from '../../schemas/settlement.js';
import { formatFen, parseFen } from '../engine/money.js';
import { maskId, maskName } from '../log.js';
import type { StoredSettlement } from '../ledger/stored.js';

/** Limits of one answer: a day of one hospital's discharge window is far below this. */
export const MAX_LISTED = 5_000;

const fenOf = (text: string): number => parseFen(text) ?? 0;

export function summarise(record: StoredSettlement): SettlementSummary {
  const split = record.split;
  // Only the name is read from the stored request (by its version's reader); it is masked before it leaves.
  const name = record.request.patient.name;
  return {
    gatewayId: split.gatewayId,
    settlementId: split.settlementId,
    hospitalId: split.hospitalId,
    patient: { id: maskId(record.personId), ...(typeof name === 'string' ? { name: maskName(name) } : {}) },
    status: record.status,
    total: split.total,
    patientPays: split.patientPays,
    payers: split.lines.map((l) => ({ layer: l.layer, payer: l.payer, amount: l.amount })),
    settledAt: record.settledAt,
    ...(record.reversedAt ? { reversedAt: record.reversedAt } : {}),
  };
}

/**
 * The day's list, built one record at a time: totals per payer (in waterfall order) over every
 * settlement still in force, the list itself bounded at MAX_LISTED (then `truncated`).
 */
export class DayListBuilder {
  private readonly byPayer = new Map<string, { layer: Layer; payer: string; fen: number }>();
  private readonly settlements: SettlementSummary[] = [];
  private totalFen = 0;
  private patientFen = 0;
  private settled = 0;
  private reversed = 0;
  private truncated = false;

  constructor(private readonly hospitalId: string, private readonly date: string) {}

  add(summary: SettlementSummary): void {
    if (this.settlements.length < MAX_LISTED) this.settlements.push(summary);
    else this.truncated = true;
    if (summary.status === 'reversed') { this.reversed++; return; }
    this.settled++;
    this.totalFen += fenOf(summary.total);
    this.patientFen += fenOf(summary.patientPays);
    for (const p of summary.payers) {
      const key = `${p.layer}|${p.payer}`;
      const entry = this.byPayer.get(key) ?? { layer: p.layer, payer: p.payer, fen: 0 };
      entry.fen += fenOf(p.amount);
      this.byPayer.set(key, entry);
    }
  }

  result(): DayList {
    const order = (l: Layer) => LAYERS.indexOf(l);
    return {
      hospitalId: this.hospitalId,
      date: this.date,
      settlements: this.settlements,
      ...(this.truncated ? { truncated: true } : {}),
      totals: {
        settled: this.settled,
        reversed: this.reversed,
        total: formatFen(this.totalFen),
        patientPays: formatFen(this.patientFen),
        byPayer: [...this.byPayer.values()].sort((a, b) => order(a.layer) - order(b.layer)).map((e) => ({ layer: e.layer, payer: e.payer, amount: formatFen(e.fen) })),
      },
    };
  }
}
