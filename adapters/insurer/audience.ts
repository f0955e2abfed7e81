/**
 * The insurers' audience on Kafka: one claim per paying supplementary line of a committed event, on the
 * topic of the insurer its pack names (payer.insurerCode); a reversal as its own claim referring to the first;
 * and a programme's yearly second payout, one claim per person paid. Here too the insurers' topics, as the
 * gateway creates and documents them, and the grants of the published ACL set on them.
 */
import { INSURER_CLAIM_TYPES, insurerClaim, SECOND_PAYOUT_CLAIM_TYPE, secondPayoutClaim, type InsurerClaim, type SecondPayoutClaim } from '../../schemas/messages.js';
import type { Split } from '../../schemas/settlement.js';
import { cloudEventHeaders, type AsyncApiContribution } from '../../gateway/stream/asyncapi.js';
import type { OutboundRecord } from '../../gateway/stream/bus.js';
import { UnmappableEvent, type Audience, type ReadEvent, type ReadPayout } from '../../gateway/stream/event-records.js';
import { aclName, aclPrincipal, aclSection, allow, type PartAcls } from '../../gateway/stream/kafka-acls.js';
import { workingTopic } from '../../gateway/stream/topic-specs.js';
import type { Topics } from '../../gateway/stream/topics.js';
import * as z from 'zod';

/** Where an insurer's claims go: the pack's payer.insurerCode. */
export type InsurerCodeOf = (programmeId: string) => string | undefined;

/** An insurer code as packs give it (schemas/pack.ts identifier); also a legal topic-name segment. */
const INSURER_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Direct-pay claims of one insurer (schemas/messages.ts insurerClaim, secondPayoutClaim). */
export function insurerClaimsTopic(t: Topics, insurerCode: string): string {
  if (!INSURER_CODE.test(insurerCode)) throw new Error(`not a valid insurer code for a topic name: ${insurerCode}`);
  return t.named(`insurer.${insurerCode}.claims`);
}

const ZERO = '0.00';

/** `insurerCodes`: the insurers the packs pay through, whose topics the gateway creates and documents. */
export function insurerAudience(insurerCodeOf: InsurerCodeOf, insurerCodes: Iterable<string> = []): Audience {
  const codes = [...new Set(insurerCodes)];
  return {
    recordsOf: (read) => read.split.lines
      .filter((line) => line.layer === 'supplementary' && line.amount !== ZERO)
      .map((line) => ({ audience: `insurer claim ${line.programme}`, build: () => claimRecord(read, line, insurerCodeOf) })),
    topics: (t) => codes.flatMap((code) => workingTopic(t, insurerClaimsTopic(t, code))),
    asyncApi: (t) => insurerAsyncApi(t, codes),
    payoutRecords: (programme) => {
      const insurerCode = programme.payer.insurerCode;
      return insurerCode ? (read) => secondPayoutRecords(read, insurerCode) : undefined;
    },
  };
}

function claimRecord(read: ReadEvent, line: Split['lines'][number], insurerCodeOf: InsurerCodeOf) {
  const { event, split, kind } = read;
  const insurerCode = insurerCodeOf(line.programme);
  if (!insurerCode) throw new UnmappableEvent(event.id, `programme ${line.programme} pays ${line.amount} but its pack names no payer.insurerCode`);
  const { encounter } = read.request();
  const claimId = `clm_${split.gatewayId}_${line.programme}`;
  const claim: InsurerClaim = {
    claimId: kind === 'settled' ? claimId : `rev_${split.gatewayId}_${line.programme}`,
    kind: kind === 'settled' ? 'claim' : 'reversal',
    ...(kind === 'reversed' ? { originalClaimId: claimId } : {}),
    eventId: event.id, insurerCode, programme: line.programme, payer: line.payer, amount: line.amount, currency: 'CNY',
    explanation: line.explanation, gatewayId: split.gatewayId, settlementId: split.settlementId, hospitalId: split.hospitalId,
    personIdNumber: split.personId, admittedOn: encounter.admittedOn, dischargedOn: encounter.dischargedOn,
    ...(split.settledAt ? { settledAt: split.settledAt } : {}),
    ...(split.reversedAt ? { reversedAt: split.reversedAt } : {}),
    bill: { total: split.total, compliant: split.compliant, outOfScope: split.outOfScope, overLimit: split.overLimit, preSelfPay: split.preSelfPay },
    ...(split.policyVersions[line.programme] ? { policyVersion: split.policyVersions[line.programme] } : {}),
  };
  return {
    topic: insurerClaimsTopic(read.topics, insurerCode), key: event.personId, value: JSON.stringify(claim),
    headers: read.headers(line.programme, INSURER_CLAIM_TYPES[claim.kind === 'claim' ? 0 : 1]),
  };
}

/** One claim per person paid, on the programme's insurer's topic; its id is the same however often it is published. */
function secondPayoutRecords({ programme, payout, topics, headers }: ReadPayout, insurerCode: string): OutboundRecord[] {
  return payout.payments.map((p) => {
    const claim: SecondPayoutClaim = {
      claimId: `sp_${programme.id}_${payout.year}_${p.personId}`, kind: 'secondPayout', insurerCode, programme: programme.id, payer: programme.payer.name,
      year: payout.year, amount: p.amount, currency: 'CNY', explanation: p.explanation, personIdNumber: p.personId, committedAt: payout.committedAt,
    };
    return { topic: insurerClaimsTopic(topics, insurerCode), key: p.personId, value: JSON.stringify(claim), headers: headers(claim.claimId, SECOND_PAYOUT_CLAIM_TYPE) };
  });
}

function insurerAsyncApi(t: Topics, codes: readonly string[]): AsyncApiContribution {
  const address = t.named('insurer.{insurerCode}.claims');
  const parameters = { insurerCode: { description: 'the insurer code a pack names as payer.insurerCode', values: codes } };
  return {
    messages: {
      InsurerClaim: {
        title: 'A direct-pay claim (or its reversal) of one supplementary line',
        headers: cloudEventHeaders(INSURER_CLAIM_TYPES, 'the event id + "." + programme'), payload: insurerClaim,
      },
      SecondPayoutClaim: {
        title: 'A person\'s share of a programme\'s yearly second payout (ce_type insurer.claim.second-payout)',
        headers: cloudEventHeaders([SECOND_PAYOUT_CLAIM_TYPE], 'the claim id'), payload: secondPayoutClaim,
      },
    },
    channels: {
      insurerClaims: { address, description: 'Direct-pay claims of one insurer (internal: the full ID number); delivered by the gateway\'s insurer adapter.', messages: ['InsurerClaim', 'SecondPayoutClaim'], parameters },
      insurerClaimsDlq: { address: t.dlq(address), description: 'Claims the insurer refused, or held behind one.', messages: ['DeadLetter'], parameters },
    },
    operations: {
      publishInsurerClaims: { action: 'send', channel: 'insurerClaims', summary: 'The relay (and the second payout) publish the claims.' },
      deliverInsurerClaims: { action: 'receive', channel: 'insurerClaims', summary: 'The insurer adapter delivers them.' },
      deadLetterInsurerClaims: { action: 'send', channel: 'insurerClaimsDlq', summary: 'The insurer adapter dead-letters refused claims.' },
    },
  };
}

/** An insurer of the ACL file's `insurers`: its principal, the code of the claims topic it reads, its groups' prefix. */
export const insurerAclEntry = z.object({ principal: aclPrincipal, insurerCode: aclName, group: aclName }).strict();

/**
 * The insurers' grants in the published ACL set: the gateway owns every insurer topic (`insurer.` as a prefix);
 * an insurer that consumes its own claims topic instead of the gateway's HTTP delivery (the file's `insurers`)
 * reads that topic, literally named, under its own groups, and nothing else.
 */
export const insurerAcls: PartAcls = {
  gatewayPrefixes: (t) => [t.named('insurer.')],
  section: aclSection('insurers', insurerAclEntry, (insurer, t) => [
    ...allow(insurer.principal, 'TOPIC', insurerClaimsTopic(t, insurer.insurerCode), 'LITERAL', ['READ', 'DESCRIBE']),
    ...allow(insurer.principal, 'GROUP', insurer.group, 'PREFIXED', ['READ']),
  ]),
};
