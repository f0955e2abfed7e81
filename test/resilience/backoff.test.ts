/** The one backoff: capped exponential, jittered by the share asked for; bounded retries on top of it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, withRetries } from '../../gateway/resilience/backoff.js';

describe('backoffMs', () => {
  it('doubles from the first step up to the cap; full jitter draws from [0, step)', () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, { initialMs: 100, maxMs: 10_000, random: top }))).toEqual([99, 199, 399, 799, 1599, 3199, 6399, 9999]);
    expect(backoffMs(3, { initialMs: 100, maxMs: 10_000, random: () => 0 })).toBe(0);
    expect(backoffMs(1_000, { initialMs: 100, maxMs: 10_000, random: top })).toBe(9999); // no overflow past the cap
  });

  it('keeps the share of the step that is not jittered', () => {
    // jitter 0.2: 80–100 % of the step (the Kafka consumer's restart, whose pauses must grow).
    expect(backoffMs(0, { initialMs: 200, maxMs: 1_000, jitter: 0.2, random: () => 0 })).toBe(160);
    expect(backoffMs(2, { initialMs: 200, maxMs: 1_000, jitter: 0.2, random: () => 0.999999 })).toBe(799);
    expect(backoffMs(5, { initialMs: 200, maxMs: 1_000, jitter: 0, random: () => 0.5 })).toBe(1_000);
  });

  it('is a whole number of milliseconds within [step × (1 − jitter), step] for any draw', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 600_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (doublings, initialMs, extra, jitter, draw) => {
        const maxMs = initialMs + extra;
        const step = Math.min(maxMs, initialMs * 2 ** Math.min(doublings, 30));
        const wait = backoffMs(doublings, { initialMs, maxMs, jitter, random: () => draw });
        expect(Number.isInteger(wait)).toBe(true);
        expect(wait).toBeGreaterThanOrEqual(Math.floor(step * (1 - jitter)) - 1);
        expect(wait).toBeLessThanOrEqual(step);
      }));
  });
});

describe('withRetries', () => {
  const backoff = { initialMs: 1, maxMs: 2 };

  it('tries again a bounded number of times, then throws the last error', async () => {
    let calls = 0;
    const told: Array<[number, boolean]> = [];
    await expect(withRetries(async () => { calls++; throw new Error(`down ${calls}`); }, { retries: 2, backoff, retryable: () => true, onFailure: (_e, n, again) => told.push([n, again]) }))
      .rejects.toThrow('down 3');
    expect(calls).toBe(3);
    expect(told).toEqual([[0, true], [1, true], [2, false]]);
  });

  it('answers the first success, and never retries what cannot get better', async () => {
    let calls = 0;
    expect(await withRetries(async (n) => { calls++; if (n < 1) throw new Error('blip'); return 'ok'; }, { retries: 3, backoff, retryable: () => true })).toBe('ok');
    expect(calls).toBe(2);
    calls = 0;
    await expect(withRetries(async () => { calls++; throw new Error('404'); }, { retries: 3, backoff, retryable: (e) => !(e instanceof Error && e.message === '404') })).rejects.toThrow('404');
    expect(calls).toBe(1);
  });
});
