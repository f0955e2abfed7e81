/** The day's list: totals per payer over every settlement in force, the list itself bounded. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DayListBuilder, MAX_LISTED } from '../../gateway/desk/summaries.js';
import { formatFen } from '../../gateway/engine/money.js';
import type { SettlementSummary } from '../../schemas/desk.js';

const summary = (i: number, basicFen: number, patientFen: number, status: 'settled' | 'reversed' = 'settled'): SettlementSummary => ({
  gatewayId: `stl_${i}`, settlementId: `S${i}`, hospitalId: 'H1', patient: { id: '99***' }, status,
  total: formatFen(basicFen + patientFen), patientPays: formatFen(patientFen),
  payers: [{ layer: 'aid', payer: '医疗救助基金', amount: '0.00' }, { layer: 'basic', payer: '统筹基金', amount: formatFen(basicFen) }],
  settledAt: '2024-03-10T09:00:00+08:00',
});

describe('DayListBuilder', () => {
  it('totals every payer and the patient over the settlements in force: payers + patient = total', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), fc.boolean()), { maxLength: 40 }), (rows) => {
      const day = new DayListBuilder('H1', '2024-03-10');
      rows.forEach(([basic, patient, reversed], i) => day.add(summary(i, basic, patient, reversed ? 'reversed' : 'settled')));
      const { totals } = day.result();
      const inForce = rows.filter(([, , reversed]) => !reversed);
      expect(totals.settled).toBe(inForce.length);
      expect(totals.total).toBe(formatFen(inForce.reduce((s, [b, p]) => s + b + p, 0)));
      expect(totals.byPayer.map((p) => p.layer)).toEqual(inForce.length ? ['basic', 'aid'] : []);
    }));
  });

  it('stops the list at the limit but still counts every settlement', () => {
    const day = new DayListBuilder('H1', '2024-03-10');
    for (let i = 0; i <= MAX_LISTED; i++) day.add(summary(i, 100, 1));
    const result = day.result();
    expect(result.settlements).toHaveLength(MAX_LISTED);
    expect(result.truncated).toBe(true);
    expect(result.totals.settled).toBe(MAX_LISTED + 1);
    expect(result.totals.total).toBe(formatFen(101 * (MAX_LISTED + 1)));
  });
});
