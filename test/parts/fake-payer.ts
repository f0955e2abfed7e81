/**
 * A payer adapter that is not in the repository: "ACME 互助", the payer of the programmes its variable
 * ACME_PROGRAMMES lists, which takes a remittance of each line of theirs in a committed settlement and of each
 * payment of their yearly payouts, on a topic of its own, documented in AsyncAPI, and lets its own readers (the
 * ACL file's `acmeReaders`) read it.
 * It is built only from what the core offers a part (gateway/parts.ts, gateway/stream/*) — the test beside it
 * composes it with the gateway's parts as main.ts does, to show that adding a payer needs no core change.
 */
import * as z from 'zod';
import { readPartConfig } from '../../gateway/config.js';
import type { PartDefinition } from '../../gateway/parts.js';
import { cloudEventHeaders } from '../../gateway/stream/asyncapi.js';
import type { Audience } from '../../gateway/stream/event-records.js';
import { aclName, aclPrincipal, aclSection, allow } from '../../gateway/stream/kafka-acls.js';
import { workingTopic } from '../../gateway/stream/topic-specs.js';
import type { Topics } from '../../gateway/stream/topics.js';

const acmeVariables = z.object({ ACME_PROGRAMMES: z.string().default('').transform((text) => text.split(',').filter((id) => id !== '')) });
const REMITTANCE_TYPES = ['acme.remittance.settled', 'acme.remittance.reversed', 'acme.remittance.payout'] as const;

export const acmeRemittance = z.object({ id: z.string(), kind: z.enum(['settled', 'reversed', 'payout']), personId: z.string(), programme: z.string(), amount: z.string() });

export const acmeRemittancesTopic = (t: Topics): string => t.named('acme.remittances');

function acmeAudience(programmes: readonly string[]): Audience {
  return {
    recordsOf: (read) => read.split.lines.filter((line) => programmes.includes(line.programme) && line.amount !== '0.00').map((line) => ({
      audience: acmeRemittancesTopic(read.topics),
      build: () => ({
        topic: acmeRemittancesTopic(read.topics), key: read.event.personId,
        value: JSON.stringify(acmeRemittance.parse({ id: `${read.event.id}.acme.${line.programme}`, kind: read.kind, personId: read.event.personId, programme: line.programme, amount: line.amount })),
        headers: read.headers(`acme.${line.programme}`, REMITTANCE_TYPES[read.kind === 'settled' ? 0 : 1]),
      }),
    })),
    topics: (t) => workingTopic(t, acmeRemittancesTopic(t)),
    asyncApi: (t) => ({
      messages: { AcmeRemittance: { title: 'What ACME 互助 is owed or paid', headers: cloudEventHeaders(REMITTANCE_TYPES, 'the event id + ".acme." + programme'), payload: acmeRemittance } },
      channels: {
        acmeRemittances: { address: acmeRemittancesTopic(t), description: 'Remittances for ACME 互助.', messages: ['AcmeRemittance'] },
        acmeRemittancesDlq: { address: t.dlq(acmeRemittancesTopic(t)), description: 'Remittances ACME 互助 refused.', messages: ['DeadLetter'] },
      },
      operations: { publishAcmeRemittances: { action: 'send', channel: 'acmeRemittances', summary: 'The relay (and a second payout) publish the remittances.' } },
    }),
    payoutRecords: (programme) => (!programmes.includes(programme.id) ? undefined : ({ payout, topics, headers }) => payout.payments.map((p) => {
      const id = `acme_${programme.id}_${payout.year}_${p.personId}`;
      return { topic: acmeRemittancesTopic(topics), key: p.personId, value: JSON.stringify(acmeRemittance.parse({ id, kind: 'payout', personId: p.personId, programme: programme.id, amount: p.amount })), headers: headers(id, REMITTANCE_TYPES[2]) };
    })),
  };
}

export const acmePart: PartDefinition = {
  name: 'acme',
  variables: acmeVariables,
  audiences: ({ config }) => [acmeAudience(readPartConfig(acmeVariables, config).ACME_PROGRAMMES)],
  kafkaAcls: {
    gatewayPrefixes: (t) => [t.named('acme.')],
    section: aclSection('acmeReaders', z.object({ principal: aclPrincipal, group: aclName }).strict(), (reader, t) => [
      ...allow(reader.principal, 'TOPIC', acmeRemittancesTopic(t), 'LITERAL', ['READ', 'DESCRIBE']),
      ...allow(reader.principal, 'GROUP', reader.group, 'PREFIXED', ['READ']),
    ]),
  },
  start: async () => ({}),
};
