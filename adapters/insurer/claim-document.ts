/**
 * What is POSTed to an insurer: the claim narrowed to what direct pay needs, with the insured
 * person's id number in the form the insurer's configuration allows. The internal Kafka message
 * carries the full number; this is the only place that decides what leaves the gateway.
 */
import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { maskId } from '../../gateway/log.js';
import { claimBill, type InsurerClaim } from '../../schemas/messages.js';
import { isoDate, moneyText } from '../../schemas/primitives.js';
import { IDENTIFIER_POLICIES } from './config.js';

/** The insured person as the insurer sees them: exactly one of the three forms. */
const insuredIdentifier = z.union([
  z.object({ idPolicy: z.literal('full'), idNumber: z.string() }).strict(),
  z.object({ idPolicy: z.literal('masked'), idNumberMasked: z.string() }).strict(),
  z.object({ idPolicy: z.literal('keyedHash'), idNumberHmacSha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
]);

/** What names a claim, as the gateway keeps it and as an insurer receives it. */
export const claimHeader = z.object({
  claimId: z.string(),
  kind: z.enum(['claim', 'reversal']),
  originalClaimId: z.string().optional(),
  insurerCode: z.string(),
  programme: z.string(),
  policyVersion: z.string().optional(),
  gatewayId: z.string(),
  settlementId: z.string(),
  hospitalId: z.string(),
});

/** The outbound claim document (strict: a field not listed here never reaches an insurer). */
export const outboundClaim = z.object({
  ...claimHeader.shape,
  insured: insuredIdentifier,
  stay: z.object({ admittedOn: isoDate, dischargedOn: isoDate }).strict(),
  bill: claimBill.strict().optional(),
  amount: moneyText,
  currency: z.literal('CNY'),
  explanation: z.array(z.string()),
  settledAt: z.string().optional(),
  reversedAt: z.string().optional(),
}).strict();
export type OutboundClaim = z.infer<typeof outboundClaim>;

export interface IdentifierPolicy { identifiers: (typeof IDENTIFIER_POLICIES)[number]; hashKey?: Buffer }

function insuredOf(idNumber: string, policy: IdentifierPolicy): OutboundClaim['insured'] {
  switch (policy.identifiers) {
    case 'full': return { idPolicy: 'full', idNumber };
    case 'masked': return { idPolicy: 'masked', idNumberMasked: maskId(idNumber) };
    case 'keyedHash': {
      if (!policy.hashKey) throw new Error('keyedHash without a key (the configuration check should have refused it)');
      // Upper-cased first: the check letter X of an id number is written either way.
      return { idPolicy: 'keyedHash', idNumberHmacSha256: createHmac('sha256', policy.hashKey).update(idNumber.toUpperCase()).digest('hex') };
    }
  }
}

export function outboundClaimOf(claim: InsurerClaim, policy: IdentifierPolicy): OutboundClaim {
  return outboundClaim.parse({
    claimId: claim.claimId,
    kind: claim.kind,
    ...(claim.originalClaimId ? { originalClaimId: claim.originalClaimId } : {}),
    insurerCode: claim.insurerCode,
    programme: claim.programme,
    ...(claim.policyVersion ? { policyVersion: claim.policyVersion } : {}),
    gatewayId: claim.gatewayId,
    settlementId: claim.settlementId,
    hospitalId: claim.hospitalId,
    insured: insuredOf(claim.personIdNumber, policy),
    stay: { admittedOn: claim.admittedOn, dischargedOn: claim.dischargedOn },
    ...(claim.bill ? { bill: claim.bill } : {}),
    amount: claim.amount,
    currency: claim.currency,
    explanation: claim.explanation,
    ...(claim.settledAt ? { settledAt: claim.settledAt } : {}),
    ...(claim.reversedAt ? { reversedAt: claim.reversedAt } : {}),
  });
}
