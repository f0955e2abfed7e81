/**
 * The one delivery consumer on its own (the 医保 and insurer deliveries test it over real sockets): bounds of
 * refusals, transient attempts and unreachability; a person held behind their dead message while others go on;
 * a replay in the original order that releases the person once all went out; the breaker's refusals sending
 * nothing and never overwriting lastError.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DeliveryConsumer, type DeliveryBounds, type DeliveryLedger, type DeliveryOutcome, type SendOutcome } from '../../gateway/resilience/delivery.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import type { InboundMessage } from '../../gateway/stream/bus.js';
import { deadLetter } from '../../schemas/messages.js';

const TOPIC = 'things';
const DLQ = 'things.dlq';

const message = (offset: number, person: string, id: string): InboundMessage => ({
  topic: TOPIC, partition: 0, offset: String(offset), key: Buffer.from(person), headers: {}, value: Buffer.from(JSON.stringify({ id })),
});

/** An in-memory ledger as an adapter keeps one: done ids, dead ids with reasons, held persons. */
function memoryLedger() {
  const done = new Set<string>();
  const dead = new Map<string, string>();
  const held = new Map<string, string>();
  const released: string[] = [];
  const ledger: DeliveryLedger<string, string> = {
    known: async (item) => (done.has(item.id) ? { kind: 'done' } : dead.has(item.id) ? { kind: 'dead', reason: dead.get(item.id)! } : null),
    heldBehind: async (item) => (item.person === null ? null : held.get(item.person) ?? null),
    delivered: async (item) => { done.add(item.id); dead.delete(item.id); },
    dead: async (item, reason) => { dead.set(item.id, reason); if (item.person !== null && !held.has(item.person)) held.set(item.person, item.id); },
    release: async (person) => { held.delete(person); released.push(person); },
    recordedDead: async () => [],
  };
  return { ledger, done, dead, held, released };
}

function consumer(send: (id: string) => Promise<SendOutcome<string>>, bounds: Partial<DeliveryBounds> = {}) {
  const bus = new MemoryBus();
  const state = memoryLedger();
  const outcomes: DeliveryOutcome[] = [];
  const sent: string[] = [];
  const delivery = new DeliveryConsumer<string, string>({
    name: 'test delivery', bus, topic: TOPIC, dlqTopic: DLQ, groupId: 'test',
    read: (m) => {
      const id = String((JSON.parse(m.value!.toString('utf8')) as { id: string }).id);
      return { kind: 'send', item: { id, person: m.key?.toString('utf8') ?? null, message: m, event: id } };
    },
    send: (id) => { sent.push(id); return send(id); },
    ledger: state.ledger,
    words: {
      refused: (reason, n) => `refused ${n}: ${reason}`, exhausted: (reason, n) => `failed ${n}: ${reason}`,
      unreachable: (_since, ms, reason) => `unreachable ${ms}: ${reason}`, held: (behind) => `held behind ${behind}`,
      problem: (reason) => ({ type: 'about:blank', title: 'failed', status: 502, detail: reason, errors: [] }),
    },
    bounds: { refusals: 2, transientAttempts: 3, backoff: { initialMs: 1, maxMs: 2 }, ...bounds },
    breaker: { name: 'test', timeoutMs: 1_000, resetMs: 60_000, volumeThreshold: 100, state: { name: 'gateway_test_breaker_state', help: 'test' } },
    registry: new Registry(),
    log: pino({ level: 'silent' }),
    count: (outcome) => outcomes.push(outcome),
    batchBudgetMs: 2_000,
    replayBudgetMs: 2_000,
  });
  const handle = async (messages: InboundMessage[]) => {
    const letters = await delivery.handle(messages);
    await bus.publish(letters);
    return letters.map((l) => deadLetter.parse(JSON.parse(l.value)).problem.detail);
  };
  return { delivery, state, outcomes, sent, handle };
}

describe('DeliveryConsumer', () => {
  it('dead-letters at the refusal bound, holds the person behind it, and a replay sends the person in order and releases them', async () => {
    const refusing = new Set(['a1']);
    const c = consumer(async (id) => (refusing.has(id) ? { kind: 'refused', reason: 'no' } : { kind: 'done', answer: `receipt ${id}` }));
    const reasons = await c.handle([message(0, 'A', 'a1'), message(1, 'B', 'b1'), message(2, 'A', 'a2')]);
    expect(reasons).toEqual(['refused 2: no', 'held behind a1']);
    expect(c.sent).toEqual(['a1', 'a1', 'b1']); // a2 never sent ahead of a1
    expect([...c.state.done]).toEqual(['b1']);
    expect(c.outcomes).toEqual(['refused', 'refused', 'dead', 'delivered', 'held']);

    // Refused again: a1 stays dead with the new reason, a2 behind it, unsent; A stays held.
    const again = await c.delivery.replay();
    expect(again).toEqual({ replayed: [], failed: [{ id: 'a1', reason: 'refused 2: no' }, { id: 'a2', reason: 'held behind a1' }], skipped: 0 });
    expect(c.state.held.get('A')).toBe('a1');

    refusing.clear();
    expect(await c.delivery.replay()).toEqual({ replayed: ['a1', 'a2'], failed: [], skipped: 0 });
    expect(c.sent.slice(-2)).toEqual(['a1', 'a2']);
    expect(c.state.released).toEqual(['A']);
    expect(c.outcomes.filter((o) => o === 'replayed')).toHaveLength(2);
    expect(c.outcomes.filter((o) => o === 'dead')).toHaveLength(1); // a refusal in a replay is not a new dead letter
    expect(await c.delivery.replay()).toEqual({ replayed: [], failed: [], skipped: 2 });
    await c.delivery.stop();
  });

  it('dead-letters after the transient bound, or once the other side has answered nothing for the unreachable bound', async () => {
    const down = consumer(async () => { throw new Error('ECONNREFUSED'); });
    expect(await down.handle([message(0, 'A', 'x1')])).toEqual(['failed 3: ECONNREFUSED']);
    expect(down.sent).toEqual(['x1', 'x1', 'x1']);
    expect(down.delivery.lastError).toBe('ECONNREFUSED');
    await down.delivery.stop();

    const gone = consumer(async () => { await new Promise((resolve) => setTimeout(resolve, 20)); throw new Error('HTTP 503'); }, { transientAttempts: undefined, unreachableMs: 100 });
    expect(await gone.handle([message(0, 'A', 'y1')])).toEqual(['unreachable 100: HTTP 503']);
    expect(gone.sent.length).toBeGreaterThanOrEqual(2); // the first failure starts the clock; a later one finds it run out
    await gone.delivery.stop();
  });

  it('hands an undelivered batch back to the bus at its budget, keeping the tries it made', async () => {
    let calls = 0;
    const c = consumer(async () => { calls++; await new Promise((resolve) => setTimeout(resolve, 300)); throw new Error('slow failure'); }, { transientAttempts: 10 });
    await expect(c.delivery.handle([message(0, 'A', 'z1')])).rejects.toThrow(/handed back/);
    const first = calls;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThan(10);
    // The redone batch goes on counting from there: dead at the tenth failure, not the tenth of this batch.
    let letters: Array<string | undefined> = [];
    for (let i = 0; i < 20 && letters.length === 0; i++) letters = await c.handle([message(0, 'A', 'z1')]).catch(() => []);
    expect(letters).toEqual(['failed 10: slow failure']);
    expect(calls).toBe(10);
    await c.delivery.stop();
  }, 20_000);
});
