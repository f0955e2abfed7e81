/**
 * The insurers' audience on Kafka: one claim per paying supplementary line of a committed event, on the
 * topic of the insurer its pack names (payer.insurerCode); a reversal as its own claim referring to the first.
 */
import { INSURER_CLAIM_TYPES, type InsurerClaim } from '../../schemas/messages.js';
import type { Split } from '../../schemas/settlement.js';
import { UnmappableEvent, type Audience, type ReadEvent } from '../../gateway/stream/event-records.js';

/** Where an insurer's claims go: the pack's payer.insurerCode. */
export type InsurerCodeOf = (programmeId: string) => string | undefined;

const ZERO = '0.00';

export function insurerAudience(insurerCodeOf: InsurerCodeOf): Audience {
  return {
    recordsOf: (read) => read.split.lines
      .filter((line) => line.layer === 'supplementary' && line.amount !== ZERO)
      .map((line) => ({ audience: `insurer claim ${line.programme}`, build: () => claimRecord(read, line, insurerCodeOf) })),
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
    topic: read.topics.insurerClaims(insurerCode), key: event.personId, value: JSON.stringify(claim),
    headers: read.headers(line.programme, INSURER_CLAIM_TYPES[claim.kind === 'claim' ? 0 : 1]),
  };
}
