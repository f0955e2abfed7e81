/** The small pure parts: claim state transitions, days and batch cut-offs, backoff and the token bucket, batches. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLAIM_STATES, currentOf, transition, type StateFact } from '../../../adapters/insurer/claim-states.js';
import { batchClosesAt, batchDayOf, chinaDay } from '../../../adapters/insurer/days.js';
import { TokenBucket } from '../../../adapters/insurer/pacing.js';
import { backoffMs } from '../../../gateway/resilience/backoff.js';
import { batchesCsv, buildBatches } from '../../../adapters/insurer/batches.js';
import type { ClaimView } from '../../../adapters/insurer/claims-store.js';

const RANK = { pending: 0, delivered: 1, accepted: 2, rejected: 2, paid: 3 } as const;

describe('claim states', () => {
  it('never moves a claim backwards, whatever order the facts arrive in', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...CLAIM_STATES), { maxLength: 12 }), (arrivals) => {
      const facts: StateFact[] = [];
      let rank = -1;
      arrivals.forEach((state, i) => {
        if (transition(facts, state) === 'new') facts.push({ state, at: new Date(1_700_000_000_000 + i).toISOString(), source: 'test' });
        const now = RANK[currentOf(facts)?.state ?? 'pending'];
        expect(now).toBeGreaterThanOrEqual(rank);
        rank = Math.max(rank, now);
      });
      expect(facts.some((f) => f.state === 'accepted') && facts.some((f) => f.state === 'rejected')).toBe(false);
      expect(facts.some((f) => f.state === 'rejected') && facts.some((f) => f.state === 'paid')).toBe(false);
    }), { numRuns: 500 });
  });

  it('says which: new, same, behind, contradicts', () => {
    const f = (state: StateFact['state']): StateFact => ({ state, at: '2024-01-01T00:00:00Z', source: 't' });
    expect(transition([], 'pending')).toBe('new');
    expect(transition([f('pending'), f('delivered')], 'delivered')).toBe('same');
    expect(transition([f('pending'), f('paid')], 'delivered')).toBe('behind');
    expect(transition([f('rejected')], 'accepted')).toBe('contradicts');
    expect(transition([f('rejected')], 'paid')).toBe('contradicts');
  });
});

describe('days and batch cut-offs (+08:00)', () => {
  const at = (iso: string) => Date.parse(iso);
  it('counts days in China Standard Time', () => {
    expect(chinaDay(at('2024-03-09T16:00:00Z'))).toBe('2024-03-10');
    expect(chinaDay(at('2024-03-09T15:59:59Z'))).toBe('2024-03-09');
  });

  it('puts a claim at or after the cut-off into the next day\'s batch', () => {
    expect(batchDayOf(at('2024-03-10T15:59:00+08:00'), '16:00', at('2024-03-10T15:59:01+08:00'))).toBe('2024-03-10');
    expect(batchDayOf(at('2024-03-10T16:00:00+08:00'), '16:00', at('2024-03-10T16:00:01+08:00'))).toBe('2024-03-11');
    expect(batchDayOf(at('2024-03-10T23:59:59+08:00'), '24:00', at('2024-03-10T23:59:59+08:00'))).toBe('2024-03-10');
    expect(batchClosesAt('2024-03-10', '24:00')).toBe(at('2024-03-11T00:00:00+08:00'));
  });

  it('never adds to a closed batch: a claim taken in late goes to the first batch still open', () => {
    expect(batchDayOf(at('2024-03-10T10:00:00+08:00'), '24:00', at('2024-03-12T09:00:00+08:00'))).toBe('2024-03-12');
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), fc.integer({ min: 0, max: 3 * 86_400_000 }), fc.constantFrom('00:00', '16:00', '23:30', '24:00'), (offset, lag, cutoff) => {
      const settled = at('2024-03-01T00:00:00+08:00') + offset;
      const day = batchDayOf(settled, cutoff, settled + lag);
      expect(batchClosesAt(day, cutoff)).toBeGreaterThan(settled + lag);
      expect(day >= chinaDay(settled)).toBe(true);
    }), { numRuns: 500 });
  });
});

describe('pacing', () => {
  it('backs off exponentially up to the cap, with full jitter', () => {
    expect(backoffMs(3, { initialMs: 100, maxMs: 10_000, random: () => 0.999999 })).toBe(799);
    expect(backoffMs(30, { initialMs: 100, maxMs: 10_000, random: () => 0.999999 })).toBe(9999);
    expect(backoffMs(5, { initialMs: 100, maxMs: 10_000, random: () => 0 })).toBe(0);
  });

  it('lets a burst through, then holds callers to the rate', async () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    for (let i = 0; i < 3; i++) await bucket.take();
    let taken = false;
    const waiting = bucket.take().then(() => { taken = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(taken).toBe(false);
    now += 100; // one token at 10/s
    await waiting;
    expect(taken).toBe(true);
  });
});

describe('daily batches', () => {
  const view = (claimId: string, kind: 'claim' | 'reversal', amount: string, hospitalId: string): ClaimView => ({
    v: 1, claimId, kind, ...(kind === 'reversal' ? { originalClaimId: claimId.replace('rev_', 'clm_') } : {}), insurerCode: 'ins', programme: 'p', gatewayId: `stl_${claimId}`, settlementId: claimId,
    hospitalId, amount, currency: 'CNY', settledOn: '2024-03-09', batchDay: '2024-03-10', takenAt: `2024-03-10T0${claimId.length % 9}:00:00Z`, state: 'delivered', history: [],
  });

  it('groups per hospital, sums claims and reversals, nets them (negative when reversals outweigh), and closes at the cut-off', () => {
    const entries = [view('clm_a', 'claim', '100.00', 'H1'), view('clm_b', 'claim', '0.50', 'H1'), view('rev_c', 'reversal', '300.00', 'H2')];
    const open = buildBatches('ins', '2024-03-10', '16:00', entries, Date.parse('2024-03-10T15:59:59+08:00'));
    expect(open.map((b) => [b.batchNo, b.status, b.claimCount, b.claimTotal, b.reversalCount, b.reversalTotal, b.total])).toEqual([
      ['ins-H1-20240310', 'open', 2, '100.50', 0, '0.00', '100.50'],
      ['ins-H2-20240310', 'open', 0, '0.00', 1, '300.00', '-300.00'],
    ]);
    const closed = buildBatches('ins', '2024-03-10', '16:00', entries, Date.parse('2024-03-10T16:00:00+08:00'));
    expect(closed.every((b) => b.status === 'closed' && b.closesAt === '2024-03-10T08:00:00.000Z')).toBe(true);
    expect(batchesCsv(closed).map((r) => r[9])).toEqual(['金额', '100.00', '0.50', '100.50', '-300.00', '-300.00']);
  });
});
