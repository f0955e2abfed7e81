/**
 * Each audience of an event is mapped on its own. A supplementary pack may omit payer.insurerCode
 * (schemas/pack.ts; a county's pack in PROGRAMMES_DIR): when it pays, its claim cannot be routed to an
 * insurer topic. That claim alone is dead-lettered, with the reason; the log (settlement.events) and the
 * 医保 platform's message (nhsa.settlements), which have nothing to do with the insurer, go out as usual.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { deadLetter, nhsaSettlement } from '../../schemas/messages.js';
import { mappingFor, PERSONS, waitFor, weihaiBody, weihaiService } from './support.js';
import { nhsaSettlementsTopic } from '../../adapters/nhsa/audience.js';

describe('outbox relay: an insurer claim that cannot be routed', () => {
  it('publishes the event and its nhsa.settlements message; dead-letters only the claim, with its reason and the event\'s data', async () => {
    const { ledger, service, topics } = await weihaiService();
    const { split } = await service.settle(weihaiBody(PERSONS[0], 'NOCODE1'), undefined);
    await service.settle(weihaiBody(PERSONS[1], 'NOCODE2'), undefined);
    const paying = split.lines.filter((l) => l.layer === 'supplementary' && l.amount !== '0.00');
    expect(paying.map((l) => l.programme)).toEqual(['weihai-2020-medical']);
    const bus = new MemoryBus();
    const unmappable: Array<{ eventId: string; reason: string }> = [];
    // As programmes.get(id)?.payer.insurerCode answers for a pack whose payer has no insurerCode.
    const mapping = mappingFor(topics, () => undefined);
    const relay = new OutboxRelay({ ledger, bus, mapping, readBlockMs: 20, onUnmappable: (eventId, reason) => unmappable.push({ eventId, reason }) });
    relay.start();
    try {
      await waitFor(async () => (await ledger.outboxLag()) === 0, 5_000, 'the outbox drained');
    } finally {
      await relay.stop();
    }
    expect(bus.messages(topics.settlementEvents)).toHaveLength(2);
    // The platform's own message does not depend on an insurer's topic name.
    const nhsa = bus.messages(nhsaSettlementsTopic(topics)).map((m) => nhsaSettlement.parse(JSON.parse(m.value!.toString('utf8'))));
    expect(nhsa.map((n) => n.settlementId)).toEqual(['NOCODE1', 'NOCODE2']);

    const letters = bus.messages(topics.dlq(topics.settlementEvents));
    expect(letters).toHaveLength(2); // one per event, each naming its claim
    const first = deadLetter.parse(JSON.parse(letters[0]!.value!.toString('utf8')));
    const eventId = bus.messages(topics.settlementEvents)[0]!.headers.ce_id!;
    expect(letters[0]!.headers).toMatchObject({ ce_type: 'settlement.unmappable', ce_id: eventId, ce_subject: 'H37100200001/NOCODE1' });
    expect(first.problem).toMatchObject({
      code: 'UNMAPPABLE_EVENT',
      errors: [{ path: 'insurer claim weihai-2020-medical', message: `outbox event ${eventId}: programme weihai-2020-medical pays ${paying[0]!.amount} but its pack names no payer.insurerCode` }],
    });
    // The data stays with the letter (it is small): what the claim would have been built from.
    expect(first.original.value).toBe(bus.messages(topics.settlementEvents)[0]!.value!.toString('utf8'));
    expect(unmappable.map((u) => u.eventId)).toEqual([eventId, bus.messages(topics.settlementEvents)[1]!.headers.ce_id]);
  });

  it('still dead-letters every audience (and publishes the log) when the event\'s record is gone', async () => {
    const { ledger, service, topics } = await weihaiService();
    await service.settle(weihaiBody(PERSONS[0], 'GONE1'), undefined);
    const bus = new MemoryBus();
    // The record deleted behind the ledger's back: the entry's data is empty (ledger/README.md, Outbox).
    const gone = Object.assign(Object.create(ledger) as typeof ledger, {
      readOutbox: async (...args: Parameters<typeof ledger.readOutbox>) => (await ledger.readOutbox(...args)).map((e) => ({ ...e, event: { ...e.event, data: '' } })),
    });
    const relay = new OutboxRelay({ ledger: gone, bus, mapping: mappingFor(topics), readBlockMs: 20 });
    relay.start();
    try {
      await waitFor(async () => (await ledger.outboxLag()) === 0, 5_000, 'the outbox drained');
    } finally {
      await relay.stop();
    }
    expect(bus.messages(topics.settlementEvents)).toHaveLength(1);
    expect(bus.messages(nhsaSettlementsTopic(topics))).toHaveLength(0);
    const letter = deadLetter.parse(JSON.parse(bus.messages(topics.dlq(topics.settlementEvents))[0]!.value!.toString('utf8')));
    expect(letter.problem.errors).toEqual([{ path: 'every audience', message: expect.stringMatching(/GONE1 it refers to is missing from the ledger/) }]);
  });
});
