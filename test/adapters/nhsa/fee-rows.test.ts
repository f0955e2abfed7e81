/** Fee rows: the 2301 answer's classes agree with the engine's classification; refunds net into their rows. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyBill } from '../../../gateway/engine/bill.js';
import { settlementRequest } from '../../../schemas/settlement.js';
import { byRowExtension } from '../../../adapters/nhsa/catalogue/classify.js';
import { classesOf, netItems, rowsTotalFen } from '../../../adapters/nhsa/fee-rows.js';
import { feeRow, type FeeRow } from '../../../adapters/nhsa/inputs.js';
import { fenText } from '../../../adapters/nhsa/amounts.js';
import { requestBody } from '../../support/requests.js';

const row = (sn: string, amount: string, extra: Record<string, unknown> = {}): FeeRow => feeRow.parse({
  feedetl_sn: sn, mdtrt_id: 'M1', psn_no: 'P1', fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: `X${sn}`, medins_list_codg: `Y${sn}`,
  det_item_fee_sumamt: amount, cnt: 1, pric: amount, ...extra,
});

const rowArb = fc.tuple(fc.integer({ min: 1, max: 5_000_000 }), fc.constantFrom('01', '02', '03'), fc.constantFrom('0', '0.1', '0.15', '0.333333'), fc.integer({ min: 0, max: 100 }))
  .map(([fen, level, prop, overPercent]) => ({ fen, level, prop, overFen: level === '01' ? Math.floor((fen * overPercent) / 100) : 0 }));

describe('fee rows', () => {
  it('classifies each row as the engine classifies the bill (sum of the 2301 answers = the 2304 classes)', () => {
    fc.assert(fc.property(fc.array(rowArb, { minLength: 1, maxLength: 30 }), (specs) => {
      const rows = specs.map((s, i) => row(`R${i}`, fenText(s.fen), { chrgitm_lv: s.level, ...(s.level === '02' ? { selfpay_prop: s.prop } : {}), ...(s.overFen > 0 ? { overlmt_amt: fenText(s.overFen) } : {}) }));
      const sums = rows.map(classesOf).reduce((t, c) => ({ f: t.f + c.fulamtOwnpayFen, o: t.o + c.overlmtFen, p: t.p + c.preselfpayFen, i: t.i + c.inscpFen }), { f: 0, o: 0, p: 0, i: 0 });
      const bill = classifyBill(settlementRequest.parse(requestBody({ items: netItems(rows.map((r) => byRowExtension(r).row)).items })).items);
      expect([sums.f, sums.o, sums.p, sums.i]).toEqual([bill.outOfScopeFen, bill.overLimitFen, bill.preSelfPayFen, bill.compliantFen]);
      expect(rowsTotalFen(rows)).toBe(bill.totalFen);
    }), { numRuns: 500 });
  });

  it('nets refund rows into their originals and drops rows refunded in full', () => {
    const rows = [
      row('F1', '100.00', { chrgitm_lv: '01' }),
      row('F2', '50.00', { chrgitm_lv: '02', selfpay_prop: '0.10' }),
      row('F3', '-30.00', { chrgitm_lv: '01', cnt: -1, init_feedetl_sn: 'F1' }),
      row('F4', '-50.00', { chrgitm_lv: '02', cnt: -1, init_feedetl_sn: 'F2' }),
    ];
    const { items, rowOfItem } = netItems(rows.map((r) => byRowExtension(r).row));
    expect(items).toEqual([{ code: 'XF1', name: 'YF1', amount: '70.00', class: 'A' }]);
    expect(rowOfItem).toEqual(['F1']);
    expect(rowsTotalFen(rows)).toBe(7000);
    expect(classesOf(rows[2]!)).toEqual({ fulamtOwnpayFen: 0, overlmtFen: 0, preselfpayFen: 0, inscpFen: -3000 });
  });

  it('counts a row without chrgitm_lv as 丙类 (全自费)', () => {
    expect(classesOf(row('F1', '12.34'))).toEqual({ fulamtOwnpayFen: 1234, overlmtFen: 0, preselfpayFen: 0, inscpFen: 0 });
  });
});
