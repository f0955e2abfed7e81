/**
 * Settlement numbers of the desk's windows: every window asking within the same second gets its own
 * number, one the ledger already holds is passed over, and the hospitals do not share a sequence.
 */
import { describe, expect, it } from 'vitest';
import { CLAIM_DAYS_KEPT, NUMBERS_PER_SECOND_MAX, secondNumber, SettlementNumbers } from '../../gateway/desk/numbers.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { MemoryStore } from '../../gateway/ledger/documents/memory.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { HOSPITAL, record, settledEvent } from '../ledger/fixtures.js';

const NOW = new Date('2024-03-10T01:12:44.500Z'); // 09:12:44 in China

describe('settlement numbers for the desk', () => {
  it('reads the second in China time', () => {
    expect(secondNumber(NOW)).toBe('ZY20240310091244');
  });

  it('gives windows asking in the same second different numbers, each one a valid settlementId', async () => {
    const numbers = new SettlementNumbers(new MemoryStore(), new MemoryLedger());
    const given = await Promise.all(Array.from({ length: 12 }, (_, i) => numbers.issue(HOSPITAL, NOW, `window-${i}`)));
    expect(new Set(given).size).toBe(12);
    expect(given).toContain('ZY20240310091244');
    for (const id of given) {
      expect(id).toMatch(/^ZY20240310091244(-\d{1,2})?$/);
      expect(settlementRequest.shape.settlementId.safeParse(id).success).toBe(true);
    }
  });

  it('passes over a number the ledger already holds (typed from the HIS), and keeps hospitals apart', async () => {
    const ledger = new MemoryLedger();
    const taken = record({ personId: '990100198001011234', settlementId: secondNumber(NOW) });
    expect((await ledger.commit(taken, 0, settledEvent(taken))).outcome).toBe('committed');
    const numbers = new SettlementNumbers(new MemoryStore(), ledger);
    expect(await numbers.issue(HOSPITAL, NOW, 'desk')).toBe('ZY20240310091244-2');
    expect(await numbers.issue('H99000000002', NOW, 'desk')).toBe('ZY20240310091244');
  });

  it('refuses with 503 (nothing given) once the second\'s numbers are used up, and gives again the next second', async () => {
    const numbers = new SettlementNumbers(new MemoryStore(), new MemoryLedger());
    for (let i = 0; i < NUMBERS_PER_SECOND_MAX; i++) await numbers.issue(HOSPITAL, NOW, 'desk');
    await expect(numbers.issue(HOSPITAL, NOW, 'desk')).rejects.toMatchObject({ status: 503 });
    expect(await numbers.issue(HOSPITAL, new Date(NOW.getTime() + 1000), 'desk')).toBe('ZY20240310091245');
  });

  it('forgets the claims of days before the last two, and keeps those', async () => {
    expect(CLAIM_DAYS_KEPT).toBe(2);
    const store = new MemoryStore();
    const numbers = new SettlementNumbers(store, new MemoryLedger());
    const day = (n: number) => new Date(NOW.getTime() + n * 86_400_000);
    const given = [await numbers.issue(HOSPITAL, day(0), 'desk'), await numbers.issue(HOSPITAL, day(1), 'desk'), await numbers.issue(HOSPITAL, day(2), 'desk')];
    expect(await numbers.prune(day(2))).toBe(1);
    const kept = await Promise.all(given.map((id) => store.get('desk.numbers', `${HOSPITAL}.${id}`)));
    expect(kept.map((claim) => claim !== null)).toEqual([false, true, true]);
    expect(await numbers.prune(day(2))).toBe(0);
  });
});
