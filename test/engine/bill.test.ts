import { describe, expect, it } from 'vitest';
import { classifyBill } from '../../gateway/engine/bill.js';
import { Unprocessable } from '../../gateway/errors.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { request, requestBody } from '../support/requests.js';

const contractItems = [
  { code: 'XB01AC06A001', name: '阿司匹林肠溶片', amount: '12.60', class: 'A' as const },
  { code: 'XL01XE01A001', name: '某乙类药', amount: '2000.00', class: 'B' as const, selfPayRatio: '0.10' },
  { code: 'F00000000001', name: '某目录外耗材', amount: '800.00', class: 'C' as const },
  { code: '001101000010000', name: '床位费', amount: '300.00', class: 'A' as const, overLimit: '60.00' },
];

describe('bill classification', () => {
  it('classifies the contract example: total 3112.60, out of scope 800, over limit 60, pre-self-pay 200, compliant 2052.60', () => {
    expect(classifyBill(request({ items: contractItems }).items)).toEqual({
      totalFen: 311260, outOfScopeFen: 80000, overLimitFen: 6000, preSelfPayFen: 20000, compliantFen: 205260,
    });
  });

  it('rounds the pre-self-pay of each item half-up to the fen', () => {
    const totals = classifyBill(request({ items: [{ code: 'b', name: 'b', amount: '0.05', class: 'B', selfPayRatio: '0.10' }] }).items);
    expect(totals.preSelfPayFen).toBe(1); // 0.5 fen → 1 fen
    expect(totals.compliantFen).toBe(4);
  });

  it('rounds a long selfPayRatio product once: 0.01 × 0.49999999999999999999995 → 0.00', () => {
    const totals = classifyBill(request({ items: [{ code: 'b', name: 'b', amount: '0.01', class: 'B', selfPayRatio: '0.49999999999999999999995' }] }).items);
    expect(totals).toMatchObject({ preSelfPayFen: 0, compliantFen: 1 });
  });

  it('refuses a selfPayRatio with more than 40 decimals (400, naming the field)', () => {
    const result = settlementRequest.safeParse(requestBody({ items: [{ code: 'b', name: 'b', amount: '1.00', class: 'B', selfPayRatio: `0.${'3'.repeat(41)}` }] }));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['items.0.selfPayRatio']);
  });

  it('rejects an item whose self-pay parts exceed its amount, naming the item', () => {
    const items = [...contractItems, { code: 'x', name: 'x', amount: '100.00', class: 'B' as const, selfPayRatio: '0.5', overLimit: '60.00' }];
    try {
      classifyBill(request({ items }).items);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(Unprocessable);
      expect((error as Unprocessable).errors).toEqual([expect.objectContaining({ path: 'items.4' })]);
    }
  });

  it('rejects a class C item that also claims an over-limit part', () => {
    expect(() => classifyBill(request({ items: [{ code: 'c', name: 'c', amount: '10', class: 'C', overLimit: '1' }] }).items)).toThrow(Unprocessable);
  });

  it('lists every bad field, and reads a class B item without selfPayRatio as 0% pre-self-pay', () => {
    const body = requestBody({ items: [{ code: 'b', name: 'b', amount: '1.234', class: 'B' }, { code: 'c', name: 'c', amount: '-1', class: 'A' }] });
    const result = settlementRequest.safeParse(body);
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['items.0.amount', 'items.1.amount']);
    const totals = classifyBill(request({ items: [{ code: 'b', name: 'b', amount: '100', class: 'B' }] }).items);
    expect(totals).toMatchObject({ preSelfPayFen: 0, compliantFen: 10000 });
  });

  it('accepts national-extension ICD-10 codes and matches them by prefix', () => {
    expect(request({ encounter: { diagnoses: [{ icd10: 'C34.900x003', primary: true }] } }).encounter.diagnoses[0]?.icd10).toBe('C34.900x003');
    expect(settlementRequest.safeParse(requestBody({ encounter: { diagnoses: [{ icd10: 'lung', primary: true }] } })).success).toBe(false);
  });
});
