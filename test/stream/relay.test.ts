/**
 * The outbox relay against Kafka over TCP: every committed settlement and reversal published once,
 * with CloudEvents headers, in per-person order; nothing lost while the broker is down or when the
 * relay dies between publish and acknowledgement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { insurerClaim, nhsaSettlement, settlementEventData } from '../../schemas/messages.js';
import { collect, kafkaUnderTest, mappingFor, PERSONS, testBus, ownBrokers, startOwnKafka, waitFor, weihaiBody, weihaiService, type KafkaUnderTest, type Seen } from './support.js';
import { nhsaSettlementsTopic } from '../../adapters/nhsa/audience.js';
import { insurerClaimsTopic } from '../../adapters/insurer/audience.js';

let kafka: KafkaUnderTest;
beforeAll(async () => { kafka = await kafkaUnderTest(); });
afterAll(async () => { await kafka.stop(); });

/** Per person, the (type, settlementId) sequence as published, first occurrence of each ce_id only. */
function perPerson(seen: readonly Seen[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const ids = new Set<string>();
  for (const m of seen) {
    const id = m.headers.ce_id!;
    if (ids.has(id)) continue;
    ids.add(id);
    const list = out.get(m.key!) ?? [];
    list.push(`${m.headers.ce_type}:${m.headers.ce_subject}`);
    out.set(m.key!, list);
  }
  return out;
}

function fastRelay(ledger: LedgerPort, bus: ReturnType<typeof testBus>, t: ReturnType<typeof mappingFor>['topics'], extra: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}): OutboxRelay {
  return new OutboxRelay({ ledger, bus, mapping: mappingFor(t), batchSize: 10, readBlockMs: 50, backoffInitialMs: 50, backoffMaxMs: 400, publishTimeoutMs: 5_000, breakerResetMs: 300, ...extra });
}

describe('outbox relay', () => {
  it('publishes every settlement and reversal once, with CloudEvents headers, in per-person order', async () => {
    const { ledger, service, topics } = await weihaiService();
    const expected = new Map<string, string[]>();
    const note = (person: string, type: string, sid: string): void => { expected.set(person, [...(expected.get(person) ?? []), `${type}:H37100200001/${sid}`]); };
    let claims = 0;
    for (let round = 0; round < 4; round++) {
      for (const person of PERSONS) {
        const sid = `ZY${round}-${person.slice(-4)}`;
        const { split } = await service.settle(weihaiBody(person, sid), undefined);
        note(person, 'settlement.settled', sid);
        claims += split.lines.filter((l) => l.layer === 'supplementary' && l.amount !== '0.00').length;
      }
    }
    await service.reverse('H37100200001', `ZY0-${PERSONS[0].slice(-4)}`, {}, undefined);
    note(PERSONS[0], 'settlement.reversed', `ZY0-${PERSONS[0].slice(-4)}`);
    claims += 1; // the reversal of the first stay's paying line
    const total = 13;

    const bus = testBus(kafka.brokers);
    const relay = fastRelay(ledger, bus, topics);
    const reader = await collect(kafka.brokers, [topics.settlementEvents, nhsaSettlementsTopic(topics), insurerClaimsTopic(topics, 'chinalife-weihai')]);
    relay.start();
    try {
      // Each topic is fetched on its own: wait for all three, not for the first to be complete.
      const count = (topic: string): number => reader.seen.filter((m) => m.topic === topic).length;
      await waitFor(() => count(topics.settlementEvents) >= total && count(nhsaSettlementsTopic(topics)) >= total && count(insurerClaimsTopic(topics, 'chinalife-weihai')) >= claims, 30_000, 'all events');
      await waitFor(async () => (await relay.lag()) === 0, 5_000, 'lag 0');
      const events = reader.seen.filter((m) => m.topic === topics.settlementEvents);
      expect(events).toHaveLength(total);
      expect(new Set(events.map((m) => m.headers.ce_id)).size).toBe(total);
      for (const m of events) {
        expect(m.headers).toMatchObject({ ce_specversion: '1.0', ce_source: 'urn:settlement-gateway:test', 'content-type': 'application/json' });
        expect(m.headers.ce_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
        const data = settlementEventData.parse(JSON.parse(m.value));
        expect(data.split.personId).toBe(m.key);
      }
      expect(perPerson(events)).toEqual(expected);

      const nhsa = reader.seen.filter((m) => m.topic === nhsaSettlementsTopic(topics)).map((m) => nhsaSettlement.parse(JSON.parse(m.value)));
      expect(nhsa).toHaveLength(total);
      expect(nhsa.every((n) => n.lines.every((l) => ['basic', 'majorIllness', 'aid'].includes(l.layer)))).toBe(true);

      const insurer = reader.seen.filter((m) => m.topic === insurerClaimsTopic(topics, 'chinalife-weihai'));
      expect(insurer).toHaveLength(claims);
      const parsed = insurer.map((m) => insurerClaim.parse(JSON.parse(m.value)));
      const reversal = parsed.find((c) => c.kind === 'reversal')!;
      expect(parsed.some((c) => c.claimId === reversal.originalClaimId)).toBe(true);
      // Only what a claim needs: no name, no diagnoses, no items.
      for (const m of insurer) expect(m.value).not.toMatch(/张三|icd10|items|"name"/);
    } finally {
      await relay.stop();
      await reader.stop();
      await bus.close();
    }
  });

  it.skipIf(!ownBrokers)('keeps settling while the broker is down; after restart everything arrives once, in order', async () => {
    // A broker of its own: the run's shared one serves other files while this one is killed.
    const own = await startOwnKafka(1);
    let passed = false;
    const [brokerId] = own.brokerIds as [number];
    const { ledger, service, topics } = await weihaiService();
    const bus = testBus(own.brokers);
    const relay = fastRelay(ledger, bus, topics);
    const reader = await collect(own.brokers, [topics.settlementEvents]);
    const expected = new Map<string, string[]>();
    const settle = async (n: number, tag: string): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const person = PERSONS[i % PERSONS.length]!;
        const sid = `${tag}${i}`;
        await service.settle(weihaiBody(person, sid, '9000.00'), undefined);
        expected.set(person, [...(expected.get(person) ?? []), `settlement.settled:H37100200001/${sid}`]);
      }
    };
    let down = false;
    relay.start();
    try {
      await settle(6, 'A');
      await waitFor(() => reader.seen.length >= 6, 10_000, 'first events');
      await own.kill(brokerId, 'SIGKILL'); // a crash: no controlled shutdown
      down = true;
      await settle(30, 'B'); // the desk does not notice: the ledger commits, the outbox grows
      await waitFor(async () => (await relay.lag()) >= 25, 5_000, 'outbox growing');
      await waitFor(() => relay.failures > 0, 10_000, 'publish failures while the broker is down');
      await own.restart(brokerId); // same ports, same log dirs
      down = false;
      await waitFor(() => reader.seen.length >= 36, 60_000, 'all events after restart');
      await waitFor(async () => (await relay.lag()) === 0, 5_000, 'lag 0');
      await new Promise((r) => setTimeout(r, 300));
      expect(reader.seen).toHaveLength(36);
      expect(new Set(reader.seen.map((m) => m.headers.ce_id)).size).toBe(36);
      expect(perPerson(reader.seen)).toEqual(expected);
      passed = true;
    } finally {
      if (!passed) own.keepLogs();
      if (down) await own.restart(brokerId);
      await relay.stop();
      await reader.stop();
      await bus.close();
      await own.stop();
    }
  }, 180_000);

  it('re-delivers a batch published but not acknowledged when the relay dies; duplicates carry the same ce_id', async () => {
    const { ledger, service, topics } = await weihaiService();
    for (let i = 0; i < 12; i++) await service.settle(weihaiBody(PERSONS[i % 3]!, `K${i}`, '9000.00'), undefined);
    // The first relay "dies" after Kafka acknowledged its first batch and before the ledger ack.
    let died!: () => void;
    const dead = new Promise<void>((resolve) => { died = resolve; });
    const dying: LedgerPort = Object.assign(Object.create(ledger) as LedgerPort, {
      ackOutbox: async () => { died(); throw new Error('killed between publish and ack'); },
    });
    const reader = await collect(kafka.brokers, [topics.settlementEvents]);
    const bus1 = testBus(kafka.brokers);
    const first = fastRelay(dying, bus1, topics, { consumerName: 'relay-0' });
    first.start();
    await dead;
    await first.stop();
    await bus1.close();
    expect(await ledger.outboxLag()).toBe(12);

    const bus2 = testBus(kafka.brokers);
    const second = fastRelay(ledger, bus2, topics, { consumerName: 'relay-0' });
    second.start();
    try {
      await waitFor(async () => (await ledger.outboxLag()) === 0, 10_000, 'outbox drained');
      // The re-published copies may sit on another partition than the last new id: wait for both.
      await waitFor(() => new Set(reader.seen.map((m) => m.headers.ce_id)).size >= 12 && reader.seen.length > 12, 10_000, 'all ids and the re-published batch');
      const byId = new Map<string, Seen[]>();
      for (const m of reader.seen) byId.set(m.headers.ce_id!, [...(byId.get(m.headers.ce_id!) ?? []), m]);
      expect(byId.size).toBe(12); // nothing lost
      for (const copies of byId.values()) {
        // A re-published event is the same event: same key, value and headers.
        for (const c of copies) expect({ key: c.key, value: c.value, headers: c.headers }).toEqual({ key: copies[0]!.key, value: copies[0]!.value, headers: copies[0]!.headers });
      }
      expect(reader.seen.length).toBeGreaterThan(12); // the first batch went out twice
    } finally {
      await second.stop();
      await reader.stop();
      await bus2.close();
    }
  });
});
