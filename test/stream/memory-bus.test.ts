/** The in-memory bus (embedded default): same contract as Kafka for the relay and the intake. */
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { startIntake } from '../../gateway/stream/intake.js';
import { dischargeAnswer } from '../../schemas/messages.js';
import { mappingFor, PERSONS, waitFor, weihaiBody, weihaiService } from './support.js';

describe('memory bus', () => {
  it('relays the outbox and answers discharges like the Kafka bus', async () => {
    const { ledger, service, topics } = await weihaiService();
    const bus = new MemoryBus();
    const relay = new OutboxRelay({ ledger, bus, mapping: mappingFor(topics), readBlockMs: 20 });
    const intake = await startIntake({ bus, service, topics, groupId: 'g', maxMessageBytes: 65_536 });
    relay.start();
    try {
      await bus.publish([{ topic: topics.hisDischarges, key: PERSONS[0], value: JSON.stringify(weihaiBody(PERSONS[0], 'B1')), headers: { 'correlation-id': 'm-1' } }]);
      await bus.publish([{ topic: topics.hisDischarges, key: 'x', value: 'nope', headers: {} }]);
      await waitFor(() => bus.messages(topics.hisSettlements).length === 2 && bus.messages(topics.settlementEvents).length === 1, 3_000, 'answers and event');
      const first = bus.messages(topics.hisSettlements)[0]!;
      expect(first.headers['correlation-id']).toBe('m-1');
      expect(dischargeAnswer.parse(JSON.parse(first.value!.toString()))).toMatchObject({ outcome: 'settled', replay: false });
      expect(bus.messages(topics.dlq(topics.hisDischarges))).toHaveLength(1);
      const replayed: string[] = [];
      await bus.readToEnd(topics.settlementEvents, (m) => { replayed.push(m.headers.ce_id!); });
      expect(replayed).toHaveLength(1);
    } finally {
      await relay.stop();
      await intake.stop();
      await bus.close();
    }
  });
});
