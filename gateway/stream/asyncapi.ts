/**
 * The AsyncAPI 3.0 document of every topic the gateway writes or reads, generated from the zod schemas of
 * schemas/messages.ts (payloads and headers as JSON Schema draft-07), the topic names (topics.ts) and, when
 * given, the topic specifications (topic-specs.ts, as Kafka channel bindings). The core declares its own
 * topics (the log, the intake's); each part's audience declares its own (event-records.ts `Audience.asyncApi`),
 * in the same terms, and the document renders both alike. A consumer team reads this, served at
 * /asyncapi.json beside /openapi.json, instead of the zod source.
 */
import * as z from 'zod';
import { jsonSchema } from '../../schemas/json-schema.js';
import { deadLetter, dischargeAnswer, SETTLEMENT_EVENT_TYPES, settlementEventData } from '../../schemas/messages.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { CORRELATION_ID_HEADER, REPLY_TO_HEADER } from './intake.js';
import type { TopicSpec } from './topic-specs.js';
import type { Topics } from './topics.js';

/** A message: its headers and payload as zod schemas, rendered as JSON Schema draft-07. */
export interface MessageSpec {
  title: string;
  summary?: string;
  headers?: z.ZodType;
  payload: z.ZodType;
  /** 'input' for what the gateway reads, 'output' (the default) for what it writes. */
  io?: 'input' | 'output';
  /** The record's key: the insured person's id (the default), or whatever the sender keyed its request by. */
  key?: 'person' | 'request';
}

/** A channel: one topic, or a family of topics whose address names its parameters (`{hospitalId}`). */
export interface ChannelSpec {
  address: string;
  description: string;
  /** Names of messages: the contribution's own or the core's (`DeadLetter` for a dead-letter topic). */
  messages: readonly string[];
  /** Each parameter with its values where known; the first value names the topic whose specification the Kafka binding states. */
  parameters?: Readonly<Record<string, { description: string; values: readonly string[] }>>;
}

/** What the gateway does on a channel. */
export interface OperationSpec {
  action: 'send' | 'receive';
  channel: string;
  summary: string;
  reply?: { channel: string; address?: { location: string; description: string } };
}

/** What the core or a part declares in the document: ids are unique across the whole document. */
export interface AsyncApiContribution {
  messages?: Readonly<Record<string, MessageSpec>>;
  channels: Readonly<Record<string, ChannelSpec>>;
  operations: Readonly<Record<string, OperationSpec>>;
}

export interface AsyncApiSource {
  version: string;
  topics: Topics;
  /** Hospitals whose HIS send on their own topics (KAFKA_INTAKE_HOSPITALS): the values of {hospitalId}. */
  hospitalIds?: Iterable<string>;
  /** With the specifications, each channel states its partitions, replicas and retention (Kafka binding). */
  specs?: readonly TopicSpec[];
  /** The parts' audiences' channels, messages and operations (gateway/parts.ts), after the core's. */
  parts?: readonly AsyncApiContribution[];
}

const SCHEMA_FORMAT = 'application/schema+json;version=draft-07';
const KAFKA_BINDING_VERSION = '0.5.0';

const schemaOf = (schema: z.ZodType, io: 'input' | 'output') => ({ schemaFormat: SCHEMA_FORMAT, schema: jsonSchema(schema, io, 'draft-7') });

/** CloudEvents 1.0 binary mode over Kafka: the attributes as ce_* headers (event-records.ts writes them). */
export function cloudEventHeaders(types: readonly string[], idDescription: string) {
  return z.object({
    ce_specversion: z.literal('1.0'),
    ce_id: z.string().meta({ description: idDescription }),
    ce_type: z.enum(types as [string, ...string[]]),
    ce_source: z.string().meta({ description: 'EVENT_SOURCE of the gateway' }),
    ce_time: z.string().meta({ description: 'when the ledger committed it (ISO 8601)' }),
    ce_subject: z.string().meta({ description: 'hospitalId/settlementId' }).optional(),
    'content-type': z.literal('application/json'),
  });
}

const correlationHeaders = z.object({
  [CORRELATION_ID_HEADER]: z.string().meta({ description: 'echoed from the discharge message; absent there → topic/partition/offset of it' }),
  'content-type': z.enum(['application/json', 'application/problem+json']),
});

const KEYS = {
  person: { kafka: { key: { type: 'string', description: 'the insured person\'s id: one person\'s messages stay in order' }, bindingVersion: KAFKA_BINDING_VERSION } },
  request: { kafka: { key: { type: 'string', description: 'the discharge message\'s key (the person id is recommended)' }, bindingVersion: KAFKA_BINDING_VERSION } },
};

/** The core's topics: the log and its dead letters, the intake's requests, answers and dead letters, shared or per hospital. */
function coreContribution(t: Topics, hospitals: readonly string[]): AsyncApiContribution {
  const hospitalParameters = { hospitalId: { description: 'a hospital of KAFKA_INTAKE_HOSPITALS: its HIS alone may write (and read the answers of) these topics', values: hospitals } };
  return {
    messages: {
      SettlementEvent: {
        title: 'A committed settlement or reversal',
        summary: 'The log: every committed settlement and reversal with its accumulator deltas and the request as sent. Consumers dedupe by ce_id.',
        headers: cloudEventHeaders(SETTLEMENT_EVENT_TYPES, 'the outbox event id'), payload: settlementEventData,
      },
      DischargeRequest: {
        title: 'A settlement request sent by a hospital as a message', io: 'input', key: 'request',
        headers: z.object({
          [CORRELATION_ID_HEADER]: z.string().optional(),
          [REPLY_TO_HEADER]: z.string().meta({ description: 'where to answer: his.settlements (default) or another his.* topic of the hospital, which must exist' }).optional(),
        }),
        payload: settlementRequest,
      },
      DischargeAnswer: { title: 'The answer to one discharge message: the split, or the problem', key: 'request', headers: correlationHeaders, payload: dischargeAnswer },
      DeadLetter: { title: 'A message the gateway could not take or deliver, with why; never dropped silently', payload: deadLetter },
    },
    channels: {
      settlementEvents: { address: t.settlementEvents, description: 'The log: the second copy of every settlement, kept for ever (npm run replay rebuilds the accumulators from it).', messages: ['SettlementEvent'] },
      settlementEventsDlq: { address: t.dlq(t.settlementEvents), description: 'Events some audience could not get, or records too large; npm run republish puts them back.', messages: ['DeadLetter'] },
      hisDischarges: { address: t.hisDischarges, description: 'Settlement requests sent by hospitals as messages.', messages: ['DischargeRequest'] },
      hisDischargesDlq: { address: t.dlq(t.hisDischarges), description: 'Discharge messages rejected, and answers that could not be written (undeliveredAnswer: the stay may be settled).', messages: ['DeadLetter'] },
      hisSettlements: { address: t.hisSettlements, description: 'Answers to his.discharges (or to the topic a message names in reply-to).', messages: ['DischargeAnswer'] },
      hospitalDischarges: { address: t.hisDischargesOfAddress, description: 'Settlement requests of one hospital, written by its HIS alone (ACLs); one naming another hospital is dead-lettered (FORBIDDEN on hospital.id), never settled.', messages: ['DischargeRequest'], parameters: hospitalParameters },
      hospitalDischargesDlq: { address: t.dlq(t.hisDischargesOfAddress), description: 'That hospital\'s rejected discharges and answers that could not be written; its HIS may read them.', messages: ['DeadLetter'], parameters: hospitalParameters },
      hospitalSettlements: { address: t.hisSettlementsOfAddress, description: 'Answers to that hospital\'s discharges, read by its HIS alone.', messages: ['DischargeAnswer'], parameters: hospitalParameters },
    },
    operations: {
      publishSettlementEvents: { action: 'send', channel: 'settlementEvents', summary: 'The outbox relay publishes each committed settlement and reversal (acks=all, idempotent).' },
      deadLetterSettlementEvents: { action: 'send', channel: 'settlementEventsDlq', summary: 'The relay dead-letters what an audience could not get.' },
      settleDischarges: {
        action: 'receive', channel: 'hisDischarges', summary: 'The streaming intake settles each message and answers once, in one Kafka transaction with the consumed offset.',
        reply: { channel: 'hisSettlements', address: { location: `$message.header#/${REPLY_TO_HEADER}`, description: 'the message\'s reply-to header (his.* topics only), else his.settlements' } },
      },
      deadLetterDischarges: { action: 'send', channel: 'hisDischargesDlq', summary: 'The intake dead-letters rejected messages and answers it could not write.' },
      settleHospitalDischarges: {
        action: 'receive', channel: 'hospitalDischarges', summary: 'Scoped per hospital (KAFKA_INTAKE_HOSPITALS): the intake settles each message for that hospital only and answers once, in one Kafka transaction with the consumed offset.',
        reply: { channel: 'hospitalSettlements' },
      },
      deadLetterHospitalDischarges: { action: 'send', channel: 'hospitalDischargesDlq', summary: 'The intake dead-letters that hospital\'s rejected messages and answers it could not write.' },
    },
  };
}

/** The Kafka binding of a channel from its topic's specification: what a consumer may rely on (retention above all). */
function kafkaBinding(spec: TopicSpec | undefined) {
  if (!spec) return {};
  const retention = (name: string) => (spec.configs[name] === undefined ? {} : { [name]: Number(spec.configs[name]) });
  return {
    bindings: {
      kafka: {
        partitions: spec.partitions,
        ...(spec.replicationFactor > 0 ? { replicas: spec.replicationFactor } : {}),
        topicConfiguration: { 'cleanup.policy': [spec.configs['cleanup.policy'] ?? 'delete'], ...retention('retention.ms'), ...retention('retention.bytes') },
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
  };
}

/** Puts the contributions' entries together; an id declared twice is a composition error, not a choice. */
function merged<T>(what: string, entries: ReadonlyArray<Readonly<Record<string, T>>>): Map<string, T> {
  const all = new Map<string, T>();
  for (const [id, entry] of entries.flatMap((e) => Object.entries(e))) {
    if (all.has(id)) throw new Error(`AsyncAPI: the ${what} ${id} is declared twice`);
    all.set(id, entry);
  }
  return all;
}

export function asyncApiDocument({ version, topics: t, hospitalIds = [], specs = [], parts = [] }: AsyncApiSource) {
  const contributions = [coreContribution(t, [...new Set(hospitalIds)]), ...parts];
  const messageSpecs = merged('message', contributions.map((c) => c.messages ?? {}));
  const channelSpecs = merged('channel', contributions.map((c) => c.channels));
  const operationSpecs = merged('operation', contributions.map((c) => c.operations));

  const messages = Object.fromEntries([...messageSpecs].map(([name, m]) => {
    const io = m.io ?? 'output';
    return [name, {
      name, title: m.title, ...(m.summary ? { summary: m.summary } : {}), contentType: 'application/json',
      ...(m.headers ? { headers: schemaOf(m.headers, io) } : {}), payload: schemaOf(m.payload, io), bindings: KEYS[m.key ?? 'person'],
    }];
  }));
  const specOf = (name: string) => specs.find((s) => s.name === name);
  const channels = Object.fromEntries([...channelSpecs].map(([id, c]) => {
    for (const m of c.messages) if (!messageSpecs.has(m)) throw new Error(`AsyncAPI: channel ${id} names the message ${m}, which nothing declares`);
    const parameters = Object.entries(c.parameters ?? {});
    // The binding states the specification of the first topic the address stands for.
    const first = parameters.reduce((address, [name, p]) => (p.values[0] ? address.replace(`{${name}}`, p.values[0]) : address), c.address);
    return [id, {
      address: c.address, description: c.description,
      messages: Object.fromEntries(c.messages.map((m) => [m, { $ref: `#/components/messages/${m}` }])),
      ...(c.parameters ? { parameters: Object.fromEntries(parameters.map(([name, p]) => [name, { description: p.description, ...(p.values.length > 0 ? { enum: [...p.values] } : {}) }])) } : {}),
      ...kafkaBinding(specOf(first)),
    }];
  }));
  const channelOf = (id: string, operation: string) => {
    const channel = channelSpecs.get(id);
    if (!channel) throw new Error(`AsyncAPI: operation ${operation} names the channel ${id}, which nothing declares`);
    return { channel: { $ref: `#/channels/${id}` }, messages: channel.messages.map((m) => ({ $ref: `#/channels/${id}/messages/${m}` })) };
  };
  const operations = Object.fromEntries([...operationSpecs].map(([id, o]) => {
    const { channel, messages: opMessages } = channelOf(o.channel, id);
    return [id, {
      action: o.action, channel, summary: o.summary, messages: opMessages,
      ...(o.reply ? { reply: { ...(o.reply.address ? { address: o.reply.address } : {}), ...channelOf(o.reply.channel, id) } } : {}),
    }];
  }));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'One-stop settlement gateway (一站式结算): Kafka topics',
      version,
      description: `Every topic the gateway writes or reads${t.prefix ? ` (names carry the prefix "${t.prefix}")` : ''}. Payloads and headers are JSON Schema draft-07 generated from the gateway's zod schemas (schemas/messages.ts); money is a string with two decimals. Operations are the gateway's own.`,
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}

export type AsyncApiDocument = ReturnType<typeof asyncApiDocument>;
