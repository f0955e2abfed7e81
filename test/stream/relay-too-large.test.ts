/**
 * The relay and a record too large for Kafka, against the run's Apache Kafka broker (message.max.bytes at
 * its default, ~1 MiB). A bill within every limit of the contract (1000 items, texts of 200 characters,
 * body < 2 MiB) makes a settlement.events record over that. The relay must not retry it for ever, holding
 * up everyone's settlements behind it: the record is dead-lettered to settlement.events.dlq with its size
 * and ids (never its data), the event's other records and every later entry are published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { republishPlan } from '../../gateway/stream/republish.js';
import { DEFAULT_MAX_MESSAGE_BYTES, recordBytes } from '../../gateway/stream/record-size.js';
import { deadLetter } from '../../schemas/messages.js';
import type { SettlementRequestInput } from '../../schemas/settlement.js';
import { collect, kafkaUnderTest, mappingFor, PERSONS, testBus, waitFor, weihaiBody, weihaiService, type KafkaUnderTest, type Seen } from './support.js';
import { nhsaSettlementsTopic } from '../../adapters/nhsa/audience.js';
import { insurerClaimsTopic } from '../../adapters/insurer/audience.js';

let kafka: KafkaUnderTest;
beforeAll(async () => { kafka = await kafkaUnderTest(); });
afterAll(async () => { await kafka.stop(); });

/** 1000 items (LIMITS.itemsPerBill), code and name of 200 characters each (LIMITS.textLength): 1.47 MB of JSON. */
function largeBill(settlementId: string): SettlementRequestInput {
  const big = weihaiBody(PERSONS[0], settlementId);
  big.items = Array.from({ length: 1000 }, (_, i) => ({ code: `${'码'.repeat(196)}${String(i).padStart(4, '0')}`, name: '药'.repeat(200), amount: '10.00', class: 'A' as const }));
  return big;
}

const subjects = (seen: readonly Seen[], topic: string): string[] => seen.filter((m) => m.topic === topic).map((m) => m.headers.ce_subject!);

describe('outbox relay: a record larger than Kafka takes', () => {
  it('dead-letters only the oversized record, with sizes and ids; the event\'s other records and every later entry are published', async () => {
    const { ledger, service, topics } = await weihaiService();
    const big = largeBill('BIG1');
    expect(Buffer.byteLength(JSON.stringify(big))).toBeLessThan(2 * 1024 * 1024); // within BODY_LIMIT_BYTES' default
    await service.settle(big, undefined);
    await service.settle(weihaiBody(PERSONS[1], 'SMALL1'), undefined); // another person, committed after it

    const bus = testBus(kafka.brokers);
    const errors: string[] = [];
    const tooLarge: Array<{ eventId: string; reason: string }> = [];
    const relay = new OutboxRelay({
      ledger, bus, mapping: mappingFor(topics), readBlockMs: 50, backoffInitialMs: 50, backoffMaxMs: 400, publishTimeoutMs: 5_000, breakerResetMs: 300,
      onFailure: (e) => { errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e)); },
      onTooLarge: (eventId, reason) => tooLarge.push({ eventId, reason }),
    });
    const dlq = topics.dlq(topics.settlementEvents);
    const reader = await collect(kafka.brokers, [topics.settlementEvents, nhsaSettlementsTopic(topics), dlq]);
    relay.start();
    try {
      await waitFor(() => subjects(reader.seen, topics.settlementEvents).includes('H37100200001/SMALL1') && subjects(reader.seen, dlq).includes('H37100200001/BIG1')
        && subjects(reader.seen, nhsaSettlementsTopic(topics)).length >= 2, 30_000, 'SMALL1 published, BIG1 dead-lettered');
      await waitFor(async () => (await relay.lag()) === 0, 5_000, 'lag 0');
      expect({ lag: await relay.lag(), failures: relay.failures, errors }).toEqual({ lag: 0, failures: 0, errors: [] });
      expect(subjects(reader.seen, topics.settlementEvents)).toEqual(['H37100200001/SMALL1']);
      // The 医保 platform's message of the large bill is small: it goes out like any other.
      expect(subjects(reader.seen, nhsaSettlementsTopic(topics)).sort()).toEqual(['H37100200001/BIG1', 'H37100200001/SMALL1']);

      const letters = reader.seen.filter((m) => m.topic === dlq);
      expect(letters).toHaveLength(1);
      const letter = deadLetter.parse(JSON.parse(letters[0]!.value));
      const eventId = letter.original.headers.ce_id!;
      expect(letters[0]!.headers).toMatchObject({ ce_type: 'settlement.too-large', ce_id: eventId, ce_subject: 'H37100200001/BIG1' });
      // The event's head stays, for npm run republish; the data, which is what is too large, does not.
      expect(letter.original).toMatchObject({ value: null, key: PERSONS[0], headers: { ce_type: 'settlement.settled', ce_subject: 'H37100200001/BIG1' } });
      expect(letter.problem).toMatchObject({ code: 'UNMAPPABLE_EVENT', errors: [{ path: topics.settlementEvents }] });
      expect(letter.problem.detail).toMatch(new RegExp(`outbox event ${eventId} \\(settlement.settled\\) of settlement BIG1 of hospital H37100200001: its ${topics.settlementEvents.replaceAll('.', '\\.')} record is \\d+ bytes .* over KAFKA_MAX_MESSAGE_BYTES ${DEFAULT_MAX_MESSAGE_BYTES}`));
      expect(letters[0]!.value).not.toMatch(/码|药/);
      expect(recordBytes({ topic: dlq, key: letters[0]!.key!, value: letters[0]!.value, headers: letters[0]!.headers })).toBeLessThan(4_096);
      expect(tooLarge).toEqual([{ eventId, reason: letter.problem.detail }]);
    } finally {
      await relay.stop();
      await reader.stop();
      await bus.close();
    }
  }, 90_000);

  it('dead-letters a record the broker refuses although it passed the check, found record by record, and goes on', async () => {
    const { ledger, service, topics } = await weihaiService();
    await service.settle(weihaiBody(PERSONS[2], 'BEFORE1'), undefined);
    await service.settle(largeBill('BIG2'), undefined);
    await service.settle(weihaiBody(PERSONS[1], 'AFTER1'), undefined);

    const bus = testBus(kafka.brokers);
    const tooLarge: string[] = [];
    // A limit above the broker's: as when KAFKA_MAX_MESSAGE_BYTES was set higher than the cluster allows.
    const relay = new OutboxRelay({
      ledger, bus, mapping: mappingFor(topics), readBlockMs: 50, backoffInitialMs: 50, backoffMaxMs: 400, publishTimeoutMs: 5_000, breakerResetMs: 300,
      maxMessageBytes: 8 * 1024 * 1024, onTooLarge: (_eventId, reason) => tooLarge.push(reason),
    });
    const dlq = topics.dlq(topics.settlementEvents);
    const reader = await collect(kafka.brokers, [topics.settlementEvents, dlq]);
    relay.start();
    try {
      await waitFor(async () => (await relay.lag()) === 0, 30_000, 'the outbox drained');
      await waitFor(() => subjects(reader.seen, topics.settlementEvents).length >= 2 && subjects(reader.seen, dlq).length >= 1, 10_000, 'the records on Kafka');
      // Records the broker took from the refused batch go out again one by one: at least once, same ce_id.
      const events = reader.seen.filter((m) => m.topic === topics.settlementEvents);
      expect([...new Set(events.map((m) => m.headers.ce_subject))].sort()).toEqual(['H37100200001/AFTER1', 'H37100200001/BEFORE1']);
      expect(new Set(events.map((m) => m.headers.ce_id)).size).toBe(2);
      const letters = reader.seen.filter((m) => m.topic === dlq).map((m) => deadLetter.parse(JSON.parse(m.value)));
      expect(letters).toHaveLength(1);
      expect(letters[0]!.original).toMatchObject({ value: null, headers: { ce_subject: 'H37100200001/BIG2' } });
      expect(letters[0]!.problem.detail).toMatch(/BIG2 .*the broker refused it as too large \(MESSAGE_TOO_LARGE\)/);
      expect(tooLarge).toHaveLength(1);
      expect(relay.failures).toBe(0);
    } finally {
      await relay.stop();
      await reader.stop();
      await bus.close();
    }
  }, 90_000);

  it('stays too large for npm run republish: its plan names the record and publishes nothing', async () => {
    const { ledger, service, topics } = await weihaiService();
    await service.settle(largeBill('BIG3'), undefined);
    const record = (await ledger.getSettlement('H37100200001', 'BIG3'))!;
    const plan = republishPlan(record, [{ id: 'evt_01BIG3', type: 'settlement.settled', time: record.settledAt }], mappingFor(topics), DEFAULT_MAX_MESSAGE_BYTES);
    expect(plan.problems).toEqual([expect.stringMatching(new RegExp(`^event evt_01BIG3: its ${topics.settlementEvents.replaceAll('.', '\\.')} record is \\d+ bytes .*still over KAFKA_MAX_MESSAGE_BYTES ${DEFAULT_MAX_MESSAGE_BYTES}$`))]);
    expect(plan.records.map((r) => r.topic)).toEqual([nhsaSettlementsTopic(topics), insurerClaimsTopic(topics, 'chinalife-weihai')]);
  });
});
