/**
 * The AsyncAPI 3.0 document of every topic the gateway writes or reads, generated from the zod schemas of
 * schemas/messages.ts (payloads and headers as JSON Schema draft-07), the topic names (topics.ts) and, when
 * given, the topic specifications (topic-specs.ts, as Kafka channel bindings). A consumer team reads this,
 * served at /asyncapi.json beside /openapi.json, instead of the zod source.
 */
import { z } from 'zod';
import { jsonSchema } from '../../schemas/json-schema.js';
import { deadLetter, dischargeAnswer, INSURER_CLAIM_TYPES, insurerClaim, NHSA_SETTLEMENT_TYPES, nhsaSettlement, SECOND_PAYOUT_CLAIM_TYPE, secondPayoutClaim, SETTLEMENT_EVENT_TYPES, settlementEventData } from '../../schemas/messages.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { CORRELATION_ID_HEADER, REPLY_TO_HEADER } from './intake.js';
import type { TopicSpec } from './topic-specs.js';
import type { Topics } from './topics.js';

export interface AsyncApiSource {
  version: string;
  topics: Topics;
  /** Insurers the packs pay through: the values of the insurer topics' {insurerCode}. */
  insurerCodes: Iterable<string>;
  /** Hospitals whose HIS send on their own topics (KAFKA_INTAKE_HOSPITALS): the values of {hospitalId}. */
  hospitalIds?: Iterable<string>;
  /** With the specifications, each channel states its partitions, replicas and retention (Kafka binding). */
  specs?: readonly TopicSpec[];
}

const SCHEMA_FORMAT = 'application/schema+json;version=draft-07';
const KAFKA_BINDING_VERSION = '0.5.0';

const schemaOf = (schema: z.ZodType, io: 'input' | 'output') => ({ schemaFormat: SCHEMA_FORMAT, schema: jsonSchema(schema, io, 'draft-7') });

/** CloudEvents 1.0 binary mode over Kafka: the attributes as ce_* headers (event-records.ts writes them). */
function cloudEventHeaders(types: readonly string[], idDescription: string) {
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

const personKey = { kafka: { key: { type: 'string', description: 'the insured person\'s id: one person\'s messages stay in order' }, bindingVersion: KAFKA_BINDING_VERSION } };
const requestKey = { kafka: { key: { type: 'string', description: 'the discharge message\'s key (the person id is recommended)' }, bindingVersion: KAFKA_BINDING_VERSION } };

const messages = {
  SettlementEvent: {
    name: 'SettlementEvent', title: 'A committed settlement or reversal',
    summary: 'The log: every committed settlement and reversal with its accumulator deltas and the request as sent. Consumers dedupe by ce_id.',
    contentType: 'application/json',
    headers: schemaOf(cloudEventHeaders(SETTLEMENT_EVENT_TYPES, 'the outbox event id'), 'output'),
    payload: schemaOf(settlementEventData, 'output'), bindings: personKey,
  },
  NhsaSettlement: {
    name: 'NhsaSettlement', title: 'What the 医保 platform needs of a settlement',
    contentType: 'application/json',
    headers: schemaOf(cloudEventHeaders(NHSA_SETTLEMENT_TYPES, 'the event id + ".nhsa"'), 'output'),
    payload: schemaOf(nhsaSettlement, 'output'), bindings: personKey,
  },
  InsurerClaim: {
    name: 'InsurerClaim', title: 'A direct-pay claim (or its reversal) of one supplementary line',
    contentType: 'application/json',
    headers: schemaOf(cloudEventHeaders(INSURER_CLAIM_TYPES, 'the event id + "." + programme'), 'output'),
    payload: schemaOf(insurerClaim, 'output'), bindings: personKey,
  },
  SecondPayoutClaim: {
    name: 'SecondPayoutClaim', title: 'A person\'s share of a programme\'s yearly second payout (ce_type insurer.claim.second-payout)',
    contentType: 'application/json',
    headers: schemaOf(cloudEventHeaders([SECOND_PAYOUT_CLAIM_TYPE], 'the claim id'), 'output'),
    payload: schemaOf(secondPayoutClaim, 'output'), bindings: personKey,
  },
  DischargeRequest: {
    name: 'DischargeRequest', title: 'A settlement request sent by a hospital as a message',
    contentType: 'application/json',
    headers: schemaOf(z.object({
      [CORRELATION_ID_HEADER]: z.string().optional(),
      [REPLY_TO_HEADER]: z.string().meta({ description: 'where to answer: his.settlements (default) or another his.* topic of the hospital, which must exist' }).optional(),
    }), 'input'),
    payload: schemaOf(settlementRequest, 'input'), bindings: requestKey,
  },
  DischargeAnswer: {
    name: 'DischargeAnswer', title: 'The answer to one discharge message: the split, or the problem',
    contentType: 'application/json',
    headers: schemaOf(correlationHeaders, 'output'),
    payload: schemaOf(dischargeAnswer, 'output'), bindings: requestKey,
  },
  DeadLetter: {
    name: 'DeadLetter', title: 'A message the gateway could not take or deliver, with why; never dropped silently',
    contentType: 'application/json',
    payload: schemaOf(deadLetter, 'output'), bindings: personKey,
  },
};
type MessageName = keyof typeof messages;

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

export function asyncApiDocument({ version, topics: t, insurerCodes, hospitalIds = [], specs = [] }: AsyncApiSource) {
  const codes = [...new Set(insurerCodes)];
  const hospitals = [...new Set(hospitalIds)];
  const specOf = (name: string) => specs.find((s) => s.name === name);
  const hospitalParameters = { hospitalId: { description: 'a hospital of KAFKA_INTAKE_HOSPITALS: its HIS alone may write (and read the answers of) these topics', ...(hospitals.length > 0 ? { enum: hospitals } : {}) } };
  const insurerParameters = { insurerCode: { description: 'the insurer code a pack names as payer.insurerCode', ...(codes.length > 0 ? { enum: codes } : {}) } };
  const insurerAddress = t.insurerClaimsAddress;
  const channel = (address: string, description: string, message: readonly MessageName[], parameters?: object) => ({
    address, description,
    messages: Object.fromEntries(message.map((m) => [m, { $ref: `#/components/messages/${m}` }])),
    ...(parameters ? { parameters } : {}),
    ...kafkaBinding(specOf(address.includes('{insurerCode}') && codes[0] ? address.replace('{insurerCode}', codes[0]) : address.includes('{hospitalId}') && hospitals[0] ? address.replace('{hospitalId}', hospitals[0]) : address)),
  });
  const channels = {
    settlementEvents: channel(t.settlementEvents, 'The log: the second copy of every settlement, kept for ever (npm run replay rebuilds the accumulators from it).', ['SettlementEvent']),
    settlementEventsDlq: channel(t.dlq(t.settlementEvents), 'Events some audience could not get, or records too large; npm run republish puts them back.', ['DeadLetter']),
    nhsaSettlements: channel(t.nhsaSettlements, 'Settlements for the 医保 platform (2304-shaped); delivered by the gateway\'s nhsa adapter.', ['NhsaSettlement']),
    nhsaSettlementsDlq: channel(t.dlq(t.nhsaSettlements), 'Messages the 医保 platform rejected or that kept failing.', ['DeadLetter']),
    insurerClaims: channel(insurerAddress, 'Direct-pay claims of one insurer (internal: the full ID number); delivered by the gateway\'s insurer adapter.', ['InsurerClaim', 'SecondPayoutClaim'], insurerParameters),
    insurerClaimsDlq: channel(t.dlq(insurerAddress), 'Claims the insurer refused, or held behind one.', ['DeadLetter'], insurerParameters),
    hisDischarges: channel(t.hisDischarges, 'Settlement requests sent by hospitals as messages.', ['DischargeRequest']),
    hisDischargesDlq: channel(t.dlq(t.hisDischarges), 'Discharge messages rejected, and answers that could not be written (undeliveredAnswer: the stay may be settled).', ['DeadLetter']),
    hisSettlements: channel(t.hisSettlements, 'Answers to his.discharges (or to the topic a message names in reply-to).', ['DischargeAnswer']),
    hospitalDischarges: channel(t.hisDischargesOfAddress, 'Settlement requests of one hospital, written by its HIS alone (ACLs); one naming another hospital is dead-lettered (FORBIDDEN on hospital.id), never settled.', ['DischargeRequest'], hospitalParameters),
    hospitalDischargesDlq: channel(t.dlq(t.hisDischargesOfAddress), 'That hospital\'s rejected discharges and answers that could not be written; its HIS may read them.', ['DeadLetter'], hospitalParameters),
    hospitalSettlements: channel(t.hisSettlementsOfAddress, 'Answers to that hospital\'s discharges, read by its HIS alone.', ['DischargeAnswer'], hospitalParameters),
  };
  const ref = (id: keyof typeof channels) => ({ $ref: `#/channels/${id}` });
  const messagesOf = (id: keyof typeof channels) => Object.keys(channels[id].messages).map((m) => ({ $ref: `#/channels/${id}/messages/${m}` }));
  const op = (action: 'send' | 'receive', id: keyof typeof channels, summary: string) => ({ action, channel: ref(id), summary, messages: messagesOf(id) });
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'One-stop settlement gateway (一站式结算): Kafka topics',
      version,
      description: `Every topic the gateway writes or reads${t.prefix ? ` (names carry the prefix "${t.prefix}")` : ''}. Payloads and headers are JSON Schema draft-07 generated from the gateway's zod schemas (schemas/messages.ts); money is a string with two decimals. Operations are the gateway's own.`,
    },
    defaultContentType: 'application/json',
    channels,
    operations: {
      publishSettlementEvents: op('send', 'settlementEvents', 'The outbox relay publishes each committed settlement and reversal (acks=all, idempotent).'),
      deadLetterSettlementEvents: op('send', 'settlementEventsDlq', 'The relay dead-letters what an audience could not get.'),
      publishNhsaSettlements: op('send', 'nhsaSettlements', 'The relay publishes the 医保 platform\'s view.'),
      deliverNhsaSettlements: op('receive', 'nhsaSettlements', 'The nhsa adapter delivers them to the platform.'),
      deadLetterNhsaSettlements: op('send', 'nhsaSettlementsDlq', 'The nhsa adapter dead-letters what the platform refused.'),
      publishInsurerClaims: op('send', 'insurerClaims', 'The relay (and the second payout) publish the claims.'),
      deliverInsurerClaims: op('receive', 'insurerClaims', 'The insurer adapter delivers them.'),
      deadLetterInsurerClaims: op('send', 'insurerClaimsDlq', 'The insurer adapter dead-letters refused claims.'),
      settleDischarges: {
        ...op('receive', 'hisDischarges', 'The streaming intake settles each message and answers once, in one Kafka transaction with the consumed offset.'),
        reply: {
          address: { location: `$message.header#/${REPLY_TO_HEADER}`, description: 'the message\'s reply-to header (his.* topics only), else his.settlements' },
          channel: ref('hisSettlements'),
          messages: messagesOf('hisSettlements'),
        },
      },
      deadLetterDischarges: op('send', 'hisDischargesDlq', 'The intake dead-letters rejected messages and answers it could not write.'),
      settleHospitalDischarges: {
        ...op('receive', 'hospitalDischarges', 'Scoped per hospital (KAFKA_INTAKE_HOSPITALS): the intake settles each message for that hospital only and answers once, in one Kafka transaction with the consumed offset.'),
        reply: { channel: ref('hospitalSettlements'), messages: messagesOf('hospitalSettlements') },
      },
      deadLetterHospitalDischarges: op('send', 'hospitalDischargesDlq', 'The intake dead-letters that hospital\'s rejected messages and answers it could not write.'),
    },
    components: { messages },
  };
}

export type AsyncApiDocument = ReturnType<typeof asyncApiDocument>;
