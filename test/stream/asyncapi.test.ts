/**
 * Issue 23: the topics are published as AsyncAPI 3.0 at /asyncapi.json, generated from the zod schemas.
 * The served document is read over a socket and validated by @asyncapi/parser; it has a channel for every
 * topic the gateway creates; and the records the gateway really writes — the relay's event, 医保 and
 * insurer records, the intake's answer and dead letter — each pass the JSON Schemas of one of their
 * channel's messages, headers and payload (Ajv, draft-07).
 */
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dischargeHandler } from '../../gateway/stream/intake.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { OutboxRelay } from '../../gateway/stream/relay.js';
import { topics as topicNames } from '../../gateway/stream/topics.js';
import { topicsToEnsure } from '../../gateway/stream/wiring.js';
import { call, startTestGateway, type TestGateway } from '../support/gateway.js';
import { mappingFor, PERSONS, programmes, waitFor, weihaiBody, weihaiService } from './support.js';

const PREFIX = 'prod.';

interface Schema { schemaFormat: string; schema: object }
interface MessageDoc { name: string; headers?: Schema; payload: Schema }
interface AsyncApiDoc {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }>; parameters?: Record<string, { enum?: string[] }> }>;
  components: { messages: Record<string, MessageDoc> };
}

let gw: TestGateway;
let served: { status: number; text: string; contentType: string | null };
beforeAll(async () => {
  gw = await startTestGateway({ KAFKA_TOPIC_PREFIX: PREFIX });
  const answer = await call(gw.url, '/asyncapi.json', { token: null });
  served = { status: answer.status, text: answer.text, contentType: answer.headers.get('content-type') };
});
afterAll(async () => { await gw?.stop(); });

const documentOf = (): AsyncApiDoc => {
  const parsed: unknown = JSON.parse(served.text);
  expect(parsed).toMatchObject({ asyncapi: '3.0.0' });
  return parsed as AsyncApiDoc; // shape checked by @asyncapi/parser in the first test
};

/** The channel whose address names the topic: literally, or with {insurerCode} one of its listed codes. */
function channelOf(doc: AsyncApiDoc, topic: string) {
  return Object.values(doc.channels).find((c) => {
    if (c.address === topic) return true;
    const codes = c.parameters?.insurerCode?.enum ?? [];
    return codes.some((code) => c.address.replace('{insurerCode}', code) === topic);
  });
}

describe('AsyncAPI document of the Kafka topics', () => {
  it('is served publicly beside /openapi.json and is a valid AsyncAPI 3.0 document', async () => {
    expect(served.status).toBe(200);
    expect(served.contentType).toMatch(/^application\/json/);
    const { document, diagnostics } = await new Parser().parse(served.text);
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const openapi = (await call(gw.url, '/openapi.json', { token: null })).json as { paths: Record<string, unknown> };
    expect(openapi.paths['/asyncapi.json']).toBeDefined();
  });

  it('has a channel for every topic the gateway creates, the log kept for ever', () => {
    const doc = documentOf();
    const missing = topicsToEnsure(topicNames(PREFIX), programmes).filter((topic) => channelOf(doc, topic) === undefined);
    expect(missing).toEqual([]);
    expect(JSON.stringify(channelOf(doc, `${PREFIX}settlement.events`))).toContain('"retention.ms":-1');
  });

  it('accepts, message by message, the records the relay and the intake really write', async () => {
    const doc = documentOf();
    const ajv = new Ajv({ strict: false, allErrors: true });
    (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
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
    const discharges = [
      { topic: t.hisDischarges, partition: 0, offset: '0', key: Buffer.from(PERSONS[0]), value: Buffer.from(JSON.stringify(weihaiBody(PERSONS[0], 'AS1'))), headers: { 'correlation-id': 'a-1' } },
      { topic: t.hisDischarges, partition: 0, offset: '1', key: Buffer.from('x'), value: Buffer.from('{not json'), headers: {} as Record<string, string> },
    ];
    const written = await handle(discharges);
    relay.start();
    try {
      await waitFor(() => bus.messages(t.settlementEvents).length === 1, 5_000, 'the relayed event');
    } finally { await relay.stop(); }
    const relayed = topicsToEnsure(t, programmes).flatMap((topic) => bus.messages(topic).map((m) => ({ topic, headers: m.headers, value: m.value!.toString('utf8') })));
    const records = [...written.map((r) => ({ topic: r.topic, headers: r.headers, value: r.value })), ...relayed];
    expect(new Set(records.map((r) => r.topic))).toEqual(new Set([t.hisSettlements, t.dlq(t.hisDischarges), t.settlementEvents, t.nhsaSettlements, ...relayed.map((r) => r.topic)]));
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
