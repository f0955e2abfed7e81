/**
 * The intake scoped per hospital (issue 23, item 3), on the in-memory bus: each hospital's HIS sends on its own
 * his.discharges.<hospitalId>; a discharge there is settled only for that hospital and answered on
 * his.settlements.<hospitalId>. A discharge naming another hospital is dead-lettered (FORBIDDEN on hospital.id)
 * and never settled; a reply-to naming another topic is refused; the shared his.discharges is not read at all.
 * The same against a secured broker, where the ACLs also keep a HIS off other hospitals' topics:
 * test/stream/kafka-secured.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { startIntake } from '../../gateway/stream/intake.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { topics as topicNames } from '../../gateway/stream/topics.js';
import { deadLetter, dischargeAnswer } from '../../schemas/messages.js';
import { requestBody } from '../support/requests.js';
import { programmes, sleep, waitFor } from './support.js';

const H1 = 'H99000000001';
const H2 = 'H99000000002';
const body = (settlementId: string, hospitalId: string) => JSON.stringify(requestBody({ settlementId, hospital: { id: hospitalId }, patient: { id: '990100198001011234' } }));
const text = (b: Buffer | null) => b?.toString('utf8') ?? '';

async function scopedIntake() {
  const ledger = new MemoryLedger();
  const service = new SettlementService({ ledger, programmes });
  const bus = new MemoryBus();
  const t = topicNames('scoped.');
  const intake = await startIntake({ bus, service, topics: t, groupId: 'intake', hospitals: [H1, H2], maxMessageBytes: 65_536 });
  return { ledger, bus, t, async stop() { await intake.stop(); await bus.close(); } };
}

describe('intake scoped per hospital', () => {
  it('settles a discharge on its hospital\'s own topic and answers on that hospital\'s answers topic', async () => {
    const s = await scopedIntake();
    try {
      expect(s.t.hisDischargesOf(H1)).toBe('scoped.his.discharges.H99000000001');
      await s.bus.publish([{ topic: s.t.hisDischargesOf(H1), key: 'p', value: body('S1', H1), headers: { 'correlation-id': 'c-1' } }]);
      await s.bus.publish([{ topic: s.t.hisDischargesOf(H2), key: 'p', value: body('S2', H2), headers: { 'correlation-id': 'c-2' } }]);
      await waitFor(() => s.bus.messages(s.t.hisSettlementsOf(H1)).length === 1 && s.bus.messages(s.t.hisSettlementsOf(H2)).length === 1, 3_000, 'each hospital\'s answer');
      const [answer] = s.bus.messages(s.t.hisSettlementsOf(H1));
      expect(answer!.headers['correlation-id']).toBe('c-1');
      expect(dischargeAnswer.parse(JSON.parse(text(answer!.value)))).toMatchObject({ outcome: 'settled', split: { hospitalId: H1, settlementId: 'S1' } });
      expect((await s.ledger.getSettlement(H2, 'S2'))?.status).toBe('settled');
      expect(s.bus.messages(s.t.hisSettlements)).toHaveLength(0);
    } finally { await s.stop(); }
  });

  it('a discharge for another hospital on a hospital\'s topic: dead-lettered FORBIDDEN on hospital.id, answered so, never settled', async () => {
    const s = await scopedIntake();
    try {
      await s.bus.publish([{ topic: s.t.hisDischargesOf(H1), key: 'p', value: body('X1', H2), headers: { 'correlation-id': 'c-x' } }]);
      await waitFor(() => s.bus.messages(s.t.dlq(s.t.hisDischargesOf(H1))).length === 1, 3_000, 'the dead letter');
      const letter = deadLetter.parse(JSON.parse(text(s.bus.messages(s.t.dlq(s.t.hisDischargesOf(H1)))[0]!.value)));
      expect(letter.problem).toMatchObject({ code: 'FORBIDDEN', status: 403, errors: [{ path: 'hospital.id', message: `应为 ${H1}，消息为 ${H2}` }] });
      expect(letter.problem.detail).toBe(`主题 scoped.his.discharges.${H1} 只受理医院 ${H1} 的结算，该消息未予结算`);
      expect(letter.original).toMatchObject({ topic: s.t.hisDischargesOf(H1), value: body('X1', H2) });
      expect(dischargeAnswer.parse(JSON.parse(text(s.bus.messages(s.t.hisSettlementsOf(H1))[0]!.value)))).toMatchObject({ outcome: 'rejected', problem: { code: 'FORBIDDEN' } });
      expect(await s.ledger.getSettlement(H2, 'X1')).toBeNull();
      expect(await s.ledger.outboxLag()).toBe(0);
    } finally { await s.stop(); }
  });

  it('a reply-to naming another topic (another hospital\'s answers) is refused and answered on the hospital\'s own; the shared his.discharges is not read', async () => {
    const s = await scopedIntake();
    try {
      await s.bus.publish([{ topic: s.t.hisDischargesOf(H1), key: 'p', value: body('R1', H1), headers: { 'correlation-id': 'c-r', 'reply-to': s.t.hisSettlementsOf(H2) } }]);
      await s.bus.publish([{ topic: s.t.hisDischarges, key: 'p', value: body('SHARED1', H1), headers: {} }]);
      await waitFor(() => s.bus.messages(s.t.hisSettlementsOf(H1)).length === 1, 3_000, 'the refusal');
      await sleep(200);
      const answer = dischargeAnswer.parse(JSON.parse(text(s.bus.messages(s.t.hisSettlementsOf(H1))[0]!.value)));
      expect(answer).toMatchObject({ outcome: 'rejected', problem: { code: 'INVALID_REQUEST', errors: [{ path: 'headers.reply-to', message: `应为本院应答主题 ${s.t.hisSettlementsOf(H1)}，或不带此头` }] } });
      expect(s.bus.messages(s.t.hisSettlementsOf(H2))).toHaveLength(0);
      expect(await s.ledger.getSettlement(H1, 'R1')).toBeNull();
      expect(await s.ledger.getSettlement(H1, 'SHARED1')).toBeNull();
      expect(s.bus.messages(s.t.hisSettlements)).toHaveLength(0);
    } finally { await s.stop(); }
  });

  it('names a hospital\'s topics only for ids that make one topic name (no dot, no wildcard)', () => {
    const t = topicNames('p.');
    expect(t.hisSettlementsOf('H1')).toBe('p.his.settlements.H1');
    expect(() => t.hisDischargesOf('H1.dlq')).toThrow(/not a valid hospital id/);
    expect(() => t.hisDischargesOf('*')).toThrow(/not a valid hospital id/);
    // A hospital's discharges topic is never a reply topic (the gateway would answer into an intake).
    expect(t.isAllowedReplyTo(t.hisDischargesOf('H1'))).toBe(false);
  });
});
