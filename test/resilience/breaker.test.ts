/**
 * The one breaker: it opens on failures, refuses while open with BreakerOpen, keeps the last *real* failure
 * through its own refusals (issue 21: an open breaker overwrote an insurer's 401), lets answers through
 * without counting them, and reports state, failures and rejections by breaker and target.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Breaker, BreakerOpen, type BreakerState } from '../../gateway/resilience/breaker.js';

class Refusal extends Error {}

const metricLines = async (registry: Registry, name: string) => (await registry.metrics()).split('\n').filter((l) => l.startsWith(name));

function breaker(registry: Registry, call: (what: string) => Promise<string>, states: BreakerState[] = []) {
  return new Breaker({
    call, name: 'test', target: 'T1', timeoutMs: 100, resetMs: 60_000, volumeThreshold: 2,
    isAnswer: (error) => error instanceof Refusal,
    onState: (state) => states.push(state),
    metrics: { registry, state: { name: 'gateway_test_breaker_state', help: 'test', label: 'target' } },
  });
}

describe('Breaker', () => {
  it('keeps the last real failure while open: its own refusals never overwrite lastError', async () => {
    const registry = new Registry();
    const states: BreakerState[] = [];
    const b = breaker(registry, async (what) => { throw new Error(`HTTP 401 ${what}`); }, states);
    expect(b.lastError).toBeUndefined();
    await expect(b.fire('a')).rejects.toThrow('HTTP 401 a');
    await expect(b.fire('b')).rejects.toThrow('HTTP 401 b');
    expect(b.state).toBe('open');
    expect(states).toEqual(['open']);
    for (let i = 0; i < 5; i++) {
      const refused = await b.fire('c').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(BreakerOpen);
      expect((refused as BreakerOpen).lastError).toBe('HTTP 401 b');
    }
    expect(b.lastError).toBe('HTTP 401 b');
    expect(await metricLines(registry, 'gateway_test_breaker_state')).toEqual(['gateway_test_breaker_state{target="T1"} 2']);
    expect(await metricLines(registry, 'gateway_breaker_failures_total')).toEqual(['gateway_breaker_failures_total{breaker="test",target="T1",kind="error"} 2']);
    expect(await metricLines(registry, 'gateway_breaker_rejections_total')).toEqual(['gateway_breaker_rejections_total{breaker="test",target="T1"} 5']);
    b.shutdown();
  });

  it('passes an answer through without counting it against the other side, and counts a timeout as one', async () => {
    const registry = new Registry();
    let mode: 'refuse' | 'slow' = 'refuse';
    const b = breaker(registry, (what) => (mode === 'refuse' ? Promise.reject(new Refusal(`no ${what}`)) : new Promise((resolve) => setTimeout(() => resolve(what), 300))));
    for (let i = 0; i < 5; i++) await expect(b.fire(String(i))).rejects.toBeInstanceOf(Refusal);
    expect(b.state).toBe('closed');
    expect(b.lastError).toBeUndefined();
    mode = 'slow';
    await expect(b.fire('x')).rejects.toThrow(/Timed out/);
    expect(b.lastError).toMatch(/Timed out/);
    expect(await metricLines(registry, 'gateway_breaker_failures_total')).toEqual(['gateway_breaker_failures_total{breaker="test",target="T1",kind="timeout"} 1']);
    expect(await metricLines(registry, 'gateway_test_breaker_state')).toEqual(['gateway_test_breaker_state{target="T1"} 0']);
    b.shutdown();
  });

  it('shares one set of counters among the breakers of a registry', async () => {
    const registry = new Registry();
    const a = new Breaker({ call: async () => 'a', name: 'one', timeoutMs: 100, resetMs: 100, metrics: { registry, state: { name: 'gateway_one_breaker_state', help: 'one' } } });
    const b = new Breaker({ call: async () => { throw new Error('down'); }, name: 'two', target: 'x', timeoutMs: 100, resetMs: 100, metrics: { registry, state: { name: 'gateway_two_breaker_state', help: 'two', label: 'x' } } });
    expect(await a.fire()).toBe('a');
    await expect(b.fire()).rejects.toThrow('down');
    expect(await metricLines(registry, 'gateway_one_breaker_state')).toEqual(['gateway_one_breaker_state 0']);
    expect(await metricLines(registry, 'gateway_breaker_failures_total')).toEqual(['gateway_breaker_failures_total{breaker="two",target="x",kind="error"} 1']);
    a.shutdown();
    b.shutdown();
  });
});
