/**
 * The 医保 platform's audience on Kafka: each committed event as an nhsa.settlements record — the native
 * fields of the contract (schemas/messages.ts) and, beside them, the 2304-shaped nodes (setlinfo,
 * setldetail, ext) in the platform's number form (settlement-2304.ts).
 */
import { NHSA_SETTLEMENT_TYPES, nhsaSettlement, type NhsaSettlement } from '../../schemas/messages.js';
import type { Split } from '../../schemas/settlement.js';
import { cloudEventHeaders, type AsyncApiContribution } from '../../gateway/stream/asyncapi.js';
import { UnmappableEvent, type Audience, type ReadEvent } from '../../gateway/stream/event-records.js';
import { workingTopic } from '../../gateway/stream/topic-specs.js';
import type { Topics } from '../../gateway/stream/topics.js';
import type { StoredRequest } from '../../gateway/ledger/stored.js';
import { settlement2304Of, type Mapping2304Options } from './settlement-2304.js';
import { writeNational } from './wire.js';

/** The 2304-shaped nodes of a message, as the JSON text of an object. */
export type MessageNodes = (split: Split, request: StoredRequest) => string;

/** The nodes as the 2304 answer maps them (the same options as the national interface's own answers). */
export function nhsaMessageNodes(options: Mapping2304Options): MessageNodes {
  return (split, request) => writeNational(settlement2304Of(split, request, options));
}

/** What the 医保 platform needs of each settlement (schemas/messages.ts nhsaSettlement); its delivery reads it. */
export const nhsaSettlementsTopic = (t: Topics): string => t.named('nhsa.settlements');

/** `nodes` absent: the native fields only. */
export function nhsaAudience(nodes?: MessageNodes): Audience {
  return {
    recordsOf: (read) => [{ audience: nhsaSettlementsTopic(read.topics), build: () => nhsaRecord(read, nodes) }],
    topics: (t) => workingTopic(t, nhsaSettlementsTopic(t)),
    asyncApi: nhsaAsyncApi,
  };
}

function nhsaAsyncApi(t: Topics): AsyncApiContribution {
  const topic = nhsaSettlementsTopic(t);
  return {
    messages: {
      NhsaSettlement: { title: 'What the 医保 platform needs of a settlement', headers: cloudEventHeaders(NHSA_SETTLEMENT_TYPES, 'the event id + ".nhsa"'), payload: nhsaSettlement },
    },
    channels: {
      nhsaSettlements: { address: topic, description: 'Settlements for the 医保 platform (2304-shaped); delivered by the gateway\'s nhsa adapter.', messages: ['NhsaSettlement'] },
      nhsaSettlementsDlq: { address: t.dlq(topic), description: 'Messages the 医保 platform rejected or that kept failing.', messages: ['DeadLetter'] },
    },
    operations: {
      publishNhsaSettlements: { action: 'send', channel: 'nhsaSettlements', summary: 'The relay publishes the 医保 platform\'s view.' },
      deliverNhsaSettlements: { action: 'receive', channel: 'nhsaSettlements', summary: 'The nhsa adapter delivers them to the platform.' },
      deadLetterNhsaSettlements: { action: 'send', channel: 'nhsaSettlementsDlq', summary: 'The nhsa adapter dead-letters what the platform refused.' },
    },
  };
}

function nhsaRecord(read: ReadEvent, nodes: MessageNodes | undefined) {
  const { event, split, kind } = read;
  const nhsa: NhsaSettlement = {
    eventId: event.id, kind, gatewayId: split.gatewayId, settlementId: split.settlementId, hospitalId: split.hospitalId, personId: split.personId,
    currency: split.currency, total: split.total, outOfScope: split.outOfScope, overLimit: split.overLimit, preSelfPay: split.preSelfPay,
    compliant: split.compliant, patientPays: split.patientPays,
    lines: split.lines.flatMap((l) => (l.layer === 'basic' || l.layer === 'majorIllness' || l.layer === 'aid')
      ? [{ layer: l.layer, programme: l.programme, payer: l.payer, ...(l.fundPayType ? { fundPayType: l.fundPayType } : {}), mode: l.mode, amount: l.amount }]
      : []),
    ...(split.settledAt ? { settledAt: split.settledAt } : {}),
    ...(split.reversedAt ? { reversedAt: split.reversedAt } : {}),
  };
  // Additive: the extra nodes go beside the native fields, which keep their contract form.
  const nhsaJson = JSON.stringify(nhsa);
  const extra = nodes ? nodesOf(nodes, read) : undefined;
  return {
    topic: nhsaSettlementsTopic(read.topics), key: event.personId, value: extra && extra !== '{}' ? `${nhsaJson.slice(0, -1)},${extra.slice(1)}` : nhsaJson,
    headers: read.headers('nhsa', NHSA_SETTLEMENT_TYPES[kind === 'settled' ? 0 : 1]),
  };
}

/** A mapping that fails (an invariant of the 2304 shape) dead-letters the event's record rather than stall the relay. */
function nodesOf(nodes: MessageNodes, read: ReadEvent): string {
  const request = read.request();
  try {
    return nodes(read.split, request);
  } catch (error) {
    throw new UnmappableEvent(read.event.id, `the nhsa.settlements nodes could not be built: ${error instanceof Error ? error.message : String(error)}`);
  }
}
