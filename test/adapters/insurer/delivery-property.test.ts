/**
 * Delivery as a property: whatever an insurer answers, call by call (503s, refusals of some claims,
 * slow answers), every claim reaches it exactly once with a receipt — after one replay of the dead
 * letters — and each person's claims arrive in the order they were published. Real sockets (the mock
 * insurer), the in-memory bus and store, small timeouts.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaimsStore } from '../../../adapters/insurer/claims-store.js';
import { insurerConfig, type Insurer } from '../../../adapters/insurer/config.js';
import { InsurerDelivery } from '../../../adapters/insurer/delivery.js';
import { createInsurerMetrics } from '../../../adapters/insurer/metrics.js';
import { MemoryStore } from '../../../gateway/ledger/documents/memory.js';
import { MemoryBus } from '../../../gateway/stream/memory-bus.js';
import { topics } from '../../../gateway/stream/topics.js';
import type { InsurerClaim } from '../../../schemas/messages.js';
import { MockInsurer, type Decision } from '../../support/mock-insurer.js';
import { waitFor } from './support.js';
import { insurerClaimsTopic } from '../../../adapters/insurer/audience.js';

const CODE = 'prop-insurer';

function claimMessage(code: string, i: number, personId: string): InsurerClaim {
  return {
    claimId: `clm_g${i}_p`, kind: 'claim', eventId: `e${i}`, insurerCode: code, programme: 'p', payer: '保险公司', amount: `${i}.00`, currency: 'CNY',
    explanation: ['说明'], gatewayId: `g${i}`, settlementId: `S${i}`, hospitalId: 'H1', personIdNumber: personId, admittedOn: '2024-01-01', dischargedOn: '2024-01-02',
    settledAt: '2024-01-02T10:00:00+08:00',
  };
}

describe('claim delivery under arbitrary insurer answers', () => {
  let mock: MockInsurer;
  beforeAll(async () => { mock = await MockInsurer.start(); });
  afterAll(async () => { await mock?.stop(); });

  it('delivers every claim once and keeps each person\'s order, after one replay', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 14 }),
      fc.array(fc.constantFrom('ok', 'ok', '503', 'refuse', 'slow'), { minLength: 20, maxLength: 20 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 13 }), { maxLength: 3 }),
      async (personOfClaim, answers, refusedClaims) => {
        const code = `${CODE}-${run++}`;
        const insurer: Insurer = {
          ...insurerConfig.parse({ code, name: '测试', programmes: ['p'], endpoint: mock.url(code), timeoutMs: 100, retry: { initialMs: 1, maxMs: 20, maxAttempts: 2 }, breaker: { resetMs: 30, volumeThreshold: 2 }, rateLimit: { perSecond: 10_000, burst: 100 } }),
          cutoff: '24:00',
        };
        let call = 0;
        const refused = new Set(refusedClaims.map((i) => `clm_g${i}_p`));
        let refusing = true;
        mock.set(code, {
          latencyMs: 0,
          decide: (c): Decision => {
            if (refusing && refused.has(String(c.claimId))) return { http: 422, body: '{"error":"refused"}' };
            const answer = answers[call++ % answers.length];
            if (answer === '503') return { http: 503 };
            // Slower than the timeout: the gateway gives up on this call (the insurer may have seen it: the idempotency key covers that).
            if (answer === 'slow') return { status: 'received', delayMs: 200 };
            return { status: 'received' };
          },
        });
        const bus = new MemoryBus();
        const store = new MemoryStore();
        const claims = new ClaimsStore(store);
        const t = topics('');
        const delivery = new InsurerDelivery({ insurer, bus, topics: t, claims, metrics: createInsurerMetrics(new Registry()), log: pino({ level: 'silent' }), handleBudgetMs: 200 });
        await delivery.start();
        try {
          const messages = personOfClaim.map((p, i) => ({ claim: claimMessage(code, i, `P${p}`), person: `P${p}` }));
          await bus.publish(messages.map(({ claim, person }) => ({ topic: insurerClaimsTopic(t, code), key: person, value: JSON.stringify(claim), headers: {} })));
          const settled = async () => {
            const views = await claims.views(code, messages.map((m) => m.claim.claimId));
            return views.length === messages.length && views.every((v) => v.state === 'delivered' || v.deadLetter !== undefined);
          };
          await waitFor('every claim delivered or dead-lettered', settled, 20_000);
          refusing = false;
          await waitFor('the dead letters published', async () => bus.messages(t.dlq(insurerClaimsTopic(t, code))).length === (await claims.views(code, messages.map((m) => m.claim.claimId))).filter((v) => v.deadLetter).length);
          await delivery.replayDeadLetters();
          await waitFor('every claim delivered', async () => (await claims.views(code, messages.map((m) => m.claim.claimId))).every((v) => v.state === 'delivered'), 20_000);

          const delivered = mock.delivered(code).map((c) => String(c.claimId));
          expect(delivered.slice().sort()).toEqual(messages.map((m) => m.claim.claimId).sort());
          for (const person of new Set(messages.map((m) => m.person))) {
            const published = messages.filter((m) => m.person === person).map((m) => m.claim.claimId);
            expect(delivered.filter((id) => published.includes(id))).toEqual(published);
          }
        } finally {
          await delivery.stop();
          await bus.close();
        }
      },
    ), { numRuns: 12, endOnFailure: true });
  }, 120_000);
});
