/** Replay: accumulators rebuilt from settlement.events agree with the ledger, and a gap is reported. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { replayAccumulators } from '../../gateway/stream/replay.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import type { InboundMessage, OutboundRecord } from '../../gateway/stream/bus.js';
import { kafkaUnderTest, mappingFor, PERSONS, testBus, waitFor, weihaiBody, weihaiService, type KafkaUnderTest } from './support.js';

let kafka: KafkaUnderTest;
beforeAll(async () => { kafka = await kafkaUnderTest(); });
afterAll(async () => { await kafka.stop(); });

describe('replay', () => {
  it('rebuilds accumulators from the log (reversals included) and reports what the log lacks', async () => {
    const { ledger, service, topics } = await weihaiService();
    for (let i = 0; i < 9; i++) await service.settle(weihaiBody(PERSONS[i % 3]!, `R${i}`, i % 2 ? '6000.00' : '8000.00'), undefined);
    await service.reverse('H37100200001', 'R0', {}, undefined);
    const bus = testBus(kafka.brokers);
    const relay = new OutboxRelay({ ledger, bus, mapping: mappingFor(topics), batchSize: 4, readBlockMs: 50 });
    relay.start();
    try {
      await waitFor(async () => (await ledger.outboxLag()) === 0, 10_000, 'relay drained');
      await relay.stop();
      const clean = await replayAccumulators({ bus, ledger, topic: topics.settlementEvents });
      expect(clean).toMatchObject({ events: 10, duplicates: 0, persons: 3, outboxLagAtStart: 0, differences: [], unreadable: [] });

      // Settled while the relay is stopped: the ledger is ahead of the log for this person.
      await service.settle(weihaiBody(PERSONS[1], 'R-late'), undefined);
      const behind = await replayAccumulators({ bus, ledger, topic: topics.settlementEvents });
      expect(behind.outboxLagAtStart).toBe(1);
      expect(behind.differences.length).toBeGreaterThan(0);
      expect(new Set(behind.differences.map((d) => d.personId))).toEqual(new Set([PERSONS[1]]));
    } finally {
      await relay.stop();
      await bus.close();
    }
  });

  it('counts a good copy published after an unreadable one under the same ce_id (npm run republish after a missing record)', async () => {
    const { ledger, service, topics } = await weihaiService();
    await service.settle(weihaiBody(PERSONS[0], 'R-empty'), undefined);
    const bus = new MemoryBus();
    const relay = new OutboxRelay({ ledger, bus, mapping: mappingFor(topics), batchSize: 4, readBlockMs: 50 });
    relay.start();
    try {
      await waitFor(async () => (await ledger.outboxLag()) === 0, 10_000, 'relay drained');
    } finally {
      await relay.stop();
    }
    let good: InboundMessage | undefined;
    await bus.readToEnd(topics.settlementEvents, (m) => { good = m; });
    if (!good) throw new Error('nothing relayed');
    // What went out first when the record was missing: the event with empty data; then the republished good copy.
    const empty: OutboundRecord = { topic: topics.settlementEvents, key: good.key!.toString('utf8'), value: '', headers: good.headers };
    const log = new MemoryBus();
    await log.publish([empty, { topic: topics.settlementEvents, key: good.key!.toString('utf8'), value: good.value!.toString('utf8'), headers: good.headers }]);
    const report = await replayAccumulators({ bus: log, ledger, topic: topics.settlementEvents });
    expect(report).toMatchObject({ events: 1, duplicates: 0, differences: [] });
    expect(report.unreadable).toHaveLength(1);
  });
});
