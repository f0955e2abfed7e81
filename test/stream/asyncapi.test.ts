/**
 * Issue 23: the topics are published as AsyncAPI 3.0 at /asyncapi.json, generated from the zod schemas.
 * The served document is read over a socket and validated by @asyncapi/parser; it has a channel for every
 * topic the gateway creates; and the records the gateway really writes — the relay's event, 医保 and
 * insurer records, the intake's answer and dead letter — each pass the JSON Schemas of one of their
 * channel's messages, headers and payload (Ajv, draft-07).
 */
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { InboundMessage } from '../../gateway/stream/bus.js';
import { dischargeHandler } from '../../gateway/stream/intake.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { topics as topicNames } from '../../gateway/stream/topics.js';
import { topicsToEnsure } from '../../gateway/stream/wiring.js';
import { call, startTestGateway, type TestGateway } from '../support/gateway.js';
import { mappingFor, PERSONS, waitFor, weihaiBody, weihaiService, testAudiences } from './support.js';
import { nhsaSettlementsTopic } from '../../adapters/nhsa/audience.js';

const PREFIX = 'prod.';
/** The intake scoped per hospital (KAFKA_INTAKE_HOSPITALS): the 威海 hospital of weihaiBody. */
const HOSPITAL = 'H37100200001';

/** What this test reads of the served document (the whole of it is checked by @asyncapi/parser). */
const multiFormatSchema = z.object({ schemaFormat: z.string(), schema: z.record(z.string(), z.unknown()) });
type Schema = z.infer<typeof multiFormatSchema>;
const asyncApiDoc = z.object({
  asyncapi: z.literal('3.0.0'),
  channels: z.record(z.string(), z.object({
    address: z.string(),
    messages: z.record(z.string(), z.object({ $ref: z.string() })),
    parameters: z.record(z.string(), z.object({ enum: z.array(z.string()).optional() })).optional(),
    bindings: z.object({ kafka: z.object({ partitions: z.int(), topicConfiguration: z.record(z.string(), z.unknown()) }) }).optional(),
  })),
  components: z.object({ messages: z.record(z.string(), z.object({ headers: multiFormatSchema.optional(), payload: multiFormatSchema })) }),
});
type AsyncApiDoc = z.infer<typeof asyncApiDoc>;

let gw: TestGateway;
let served: { status: number; text: string; contentType: string | null };
beforeAll(async () => {
  gw = await startTestGateway({ KAFKA_TOPIC_PREFIX: PREFIX, KAFKA_INTAKE_HOSPITALS: HOSPITAL });
  const answer = await call(gw.url, '/asyncapi.json', { token: null });
  served = { status: answer.status, text: answer.text, contentType: answer.headers.get('content-type') };
});
afterAll(async () => { await gw?.stop(); });

const documentOf = (): AsyncApiDoc => asyncApiDoc.parse(JSON.parse(served.text));

/** The channel whose address names the topic: literally, or with {insurerCode} or {hospitalId} one of its listed values. */
function channelOf(doc: AsyncApiDoc, topic: string) {
  return Object.values(doc.channels).find((c) => {
    if (c.address === topic) return true;
    const codes = c.parameters?.insurerCode?.enum ?? [];
    const hospitals = c.parameters?.hospitalId?.enum ?? [];
    return codes.some((code) => c.address.replace('{insurerCode}', code) === topic) || hospitals.some((id) => c.address.replace('{hospitalId}', id) === topic);
  });
}

describe('AsyncAPI document of the Kafka topics', () => {
  it('is served publicly beside /openapi.json and is a valid AsyncAPI 3.0 document', async () => {
    expect(served.status).toBe(200);
    expect(served.contentType).toMatch(/^application\/json/);
    const { document, diagnostics } = await new Parser().parse(served.text);
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const openapi = z.object({ paths: z.record(z.string(), z.unknown()) }).parse((await call(gw.url, '/openapi.json', { token: null })).json);
    expect(openapi.paths['/asyncapi.json']).toBeDefined();
  });

  it('has a channel for every topic the gateway creates, the log kept for ever', () => {
    const doc = documentOf();
    const t = topicNames(PREFIX);
    const hospitalTopics = [t.hisDischargesOf(HOSPITAL), t.dlq(t.hisDischargesOf(HOSPITAL)), t.hisSettlementsOf(HOSPITAL)];
    const missing = [...topicsToEnsure(t, testAudiences()), ...hospitalTopics].filter((topic) => channelOf(doc, topic) === undefined);
    expect(missing).toEqual([]);
    expect(channelOf(doc, `${PREFIX}settlement.events`)?.bindings?.kafka.topicConfiguration).toMatchObject({ 'retention.ms': -1, 'cleanup.policy': ['delete'] });
  });

  it('accepts, message by message, the records the relay and the intake really write', async () => {
    const doc = documentOf();
    // Formats (date-time, …) are not asserted: the check is of shapes, types and enumerations.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const rejects = (schema: Schema | undefined, value: unknown): string | null => {
      if (!schema) return null;
      expect(schema.schemaFormat).toBe('application/schema+json;version=draft-07');
      const validate = ajv.compile(schema.schema);
      return validate(value) ? null : ajv.errorsText(validate.errors);
    };

    // What the gateway writes, on the in-memory bus: 威海 stays that pay the medical programme's insurer.
    const { ledger, service } = await weihaiService();
    const t = topicNames(PREFIX);
    const bus = new MemoryBus();
    const relay = new OutboxRelay({ ledger, bus, mapping: mappingFor(t), readBlockMs: 20 });
    const handle = dischargeHandler({ bus, service, topics: t, groupId: 'g', maxMessageBytes: 1 << 20 });
    const discharges: InboundMessage[] = [
      { topic: t.hisDischarges, partition: 0, offset: '0', key: Buffer.from(PERSONS[0]), value: Buffer.from(JSON.stringify(weihaiBody(PERSONS[0], 'AS1'))), headers: { 'correlation-id': 'a-1' } },
      { topic: t.hisDischarges, partition: 0, offset: '1', key: Buffer.from('x'), value: Buffer.from('{not json'), headers: {} },
    ];
    // Scoped per hospital: a discharge settled on the hospital's own topic, and one there for another hospital.
    const scoped = dischargeHandler({ bus, service, topics: t, groupId: 'g', maxMessageBytes: 1 << 20 }, undefined, HOSPITAL);
    const own = t.hisDischargesOf(HOSPITAL);
    const written = [...await handle(discharges), ...await scoped([
      { topic: own, partition: 0, offset: '0', key: Buffer.from(PERSONS[1]), value: Buffer.from(JSON.stringify(weihaiBody(PERSONS[1], 'AS2'))), headers: { 'correlation-id': 'a-2' } },
      { topic: own, partition: 0, offset: '1', key: Buffer.from(PERSONS[2]), value: Buffer.from(JSON.stringify({ ...weihaiBody(PERSONS[2], 'AS3'), hospital: { id: 'H99000000001', region: '990100', level: 3 } })), headers: {} },
    ])];
    relay.start();
    try {
      await waitFor(() => bus.messages(t.settlementEvents).length === 2, 5_000, 'the relayed events');
    } finally { await relay.stop(); }
    const relayed = topicsToEnsure(t, testAudiences()).flatMap((topic) => bus.messages(topic).map((m) => ({ topic, headers: m.headers, value: m.value!.toString('utf8') })));
    const records = [...written.map((r) => ({ topic: r.topic, headers: r.headers, value: r.value })), ...relayed];
    expect(new Set(records.map((r) => r.topic))).toEqual(new Set([t.hisSettlements, t.dlq(t.hisDischarges), t.hisSettlementsOf(HOSPITAL), t.dlq(own), t.settlementEvents, nhsaSettlementsTopic(t), ...relayed.map((r) => r.topic)]));
    expect(relayed.some((r) => r.topic.includes('insurer.'))).toBe(true);

    for (const record of records) {
      const channel = channelOf(doc, record.topic);
      expect(channel, record.topic).toBeDefined();
      const value: unknown = JSON.parse(record.value);
      const verdicts = Object.values(channel!.messages).map((ref) => {
        const message = doc.components.messages[ref.$ref.split('/').pop()!]!;
        return rejects(message.headers, record.headers) ?? rejects(message.payload, value);
      });
      expect(verdicts.some((v) => v === null), `${record.topic}: ${verdicts.join(' | ')}`).toBe(true);
    }
  });
});
