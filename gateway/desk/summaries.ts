/** Settlements as the desk's lists show them: one summary each, the patient masked, and a day's totals per payer. */
import type { DayList, SettlementSummary } from '../../schemas/desk.js';
import { LAYERS, type Layer, type SettlementRequest } from '../../schemas/settlement.js';
import { formatFen, parseFen } from '../engine/money.js';
import type { SettlementRecord } from '../ledger/port.js';
import { maskId, maskName } from '../log.js';
import { currentSplit } from '../service/settlements.js';

/** Limits of one answer: a day of one hospital's discharge window is far below this. */
export const MAX_LISTED = 5_000;

const fenOf = (text: string): number => parseFen(text) ?? 0;

export function summarise(record: SettlementRecord): SettlementSummary {
  const split = currentSplit(record);
  // Only the name is read from the stored request; it is masked before it leaves.
  const name = (JSON.parse(record.requestJson) as { patient?: Partial<SettlementRequest['patient']> }).patient?.name;
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

/** The day's list with totals of the settlements still in force, per payer in waterfall order. */
export function dayTotals(hospitalId: string, date: string, summaries: SettlementSummary[]): DayList {
  const byPayer = new Map<string, { layer: Layer; payer: string; fen: number }>();
  let totalFen = 0;
  let patientFen = 0;
  let reversed = 0;
  for (const s of summaries) {
    if (s.status === 'reversed') { reversed++; continue; }
    totalFen += fenOf(s.total);
    patientFen += fenOf(s.patientPays);
    for (const p of s.payers) {
      const key = `${p.layer}|${p.payer}`;
      const entry = byPayer.get(key) ?? { layer: p.layer, payer: p.payer, fen: 0 };
      entry.fen += fenOf(p.amount);
      byPayer.set(key, entry);
    }
  }
  const order = (l: Layer) => LAYERS.indexOf(l);
  return {
    hospitalId,
    date,
    settlements: summaries,
    totals: {
      settled: summaries.length - reversed,
      reversed,
      total: formatFen(totalFen),
      patientPays: formatFen(patientFen),
      byPayer: [...byPayer.values()].sort((a, b) => order(a.layer) - order(b.layer)).map((e) => ({ layer: e.layer, payer: e.payer, amount: formatFen(e.fen) })),
    },
  };
}
