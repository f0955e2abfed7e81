/**
 * Payloads of the Kafka topics (see gateway/stream/topics.ts for the names). Types are inferred from
 * these schemas; consumers outside the gateway can validate against the same definitions.
 */
import * as z from 'zod';
import { split, splitLine } from './settlement.js';
import { problem } from './problem.js';
import { isoDate, moneyText } from './primitives.js';
import { nationalMoneyText, nationalMoneyWire, nationalRatioText, nationalRatioWire, setlExt, setldetailRow, setlinfo } from './nhsa.js';

/**
 * `settlement.events` value: what the ledger committed, as committed. `request` is the body as the
 * hospital sent it (input form) and `deltas` the accumulator increments in fen (negated for a
 * reversal), so that summing `deltas` per person rebuilds the accumulators.
 */
export const settlementEventData = z.object({
  split,
  deltas: z.record(z.string(), z.int()),
  request: z.unknown(),
  /** The stored form's version (gateway/ledger/stored.ts); absent on events written before versioning = 1. */
  recordVersion: z.int().min(1).optional(),
});
export type SettlementEventData = z.infer<typeof settlementEventData>;

export const SETTLEMENT_EVENT_TYPES = ['settlement.settled', 'settlement.reversed'] as const;

/** A national node as a JSON.parse reader sees it: every two-decimal amount may be a number. */
function wireAmounts<S extends z.ZodRawShape>(node: z.ZodObject<S>) {
  const shape = Object.fromEntries(Object.entries(node.shape).map(([k, v]) => [k, v === nationalMoneyText ? nationalMoneyWire : v === nationalRatioText ? nationalRatioWire : v]));
  return z.object(shape);
}

/** A split line without its explanation: the payer, the programme and the amount. */
const nhsaLine = splitLine.pick({ layer: true, programme: true, payer: true, fundPayType: true, mode: true, amount: true });

/** ce_type of nhsa.settlements records. */
export const NHSA_SETTLEMENT_TYPES = ['nhsa.settlement.settled', 'nhsa.settlement.reversed'] as const;

/** `nhsa.settlements` value: what the 医保 platform needs to settle its own funds with the hospital. */
export const nhsaSettlement = split.pick({
  gatewayId: true, settlementId: true, hospitalId: true, currency: true, total: true, outOfScope: true, overLimit: true,
  preSelfPay: true, compliant: true, patientPays: true, settledAt: true, reversedAt: true,
}).extend({
  eventId: z.string(),
  kind: z.enum(['settled', 'reversed']),
  personId: z.string().meta({ description: 'the insured person id (身份证号 / 医保编号)' }),
  /** Only the statutory layers: basic (统筹), majorIllness (大病/大额), aid (医疗救助). */
  lines: z.array(nhsaLine.extend({ layer: z.enum(['basic', 'majorIllness', 'aid']) })),
  /**
   * Optional beside the native fields, so consumers of the native ones read on: the same settlement in the
   * 2304 结算 output's shape, as the platform consumes it.
   * Amounts are JSON numbers with two decimals on the wire (1500.00); a reversal carries the settlement's
   * own (positive) figures — `kind` says it is a reversal. Supplementary programmes: `ext.suppl` (sum = oth_pay).
   */
  setlinfo: wireAmounts(setlinfo).optional(),
  setldetail: z.array(wireAmounts(setldetailRow)).optional(),
  ext: setlExt.extend({ suppl: z.array(wireAmounts(setlExt.shape.suppl.element)), benefits: z.array(wireAmounts(setlExt.shape.benefits.element)) }).optional(),
});
export type NhsaSettlement = z.infer<typeof nhsaSettlement>;

/** The bill's classes as the split states them: what an insurer checks a direct-pay amount against. */
export const claimBill = split.pick({ total: true, compliant: true, outOfScope: true, overLimit: true, preSelfPay: true });

/** ce_type of insurer claims. */
export const INSURER_CLAIM_TYPES = ['insurer.claim.filed', 'insurer.claim.reversed'] as const;

/**
 * `insurer.<insurerCode>.claims` value: one direct-pay claim per paying supplementary line. Only the
 * personal data the claim needs (the seeds demand confidentiality): the id number, no name, no
 * diagnoses, no bill items — the explanation says which rule paid. The topic is internal: the insurer
 * adapter (adapters/insurer) narrows the id number to what each insurer's configuration allows.
 */
export const insurerClaim = z.object({
  claimId: z.string().meta({ description: 'stable per settlement and programme; a reversal has its own id' }),
  kind: z.enum(['claim', 'reversal']),
  /** A reversal names the claim it cancels. */
  originalClaimId: z.string().optional(),
  eventId: z.string(),
  insurerCode: z.string(),
  programme: z.string(),
  payer: z.string(),
  amount: moneyText,
  currency: z.literal('CNY'),
  explanation: z.array(z.string()),
  gatewayId: z.string(),
  settlementId: z.string(),
  hospitalId: z.string(),
  personIdNumber: z.string(),
  admittedOn: isoDate,
  dischargedOn: isoDate,
  settledAt: z.string().optional(),
  reversedAt: z.string().optional(),
  /** Added for direct pay (optional: messages published before carry neither). The bill's classes of the settlement. */
  bill: claimBill.optional(),
  /** The version of the programme's pack that computed the line (split.policyVersions). */
  policyVersion: z.string().optional(),
}).refine((c) => (c.kind === 'reversal') === (c.originalClaimId !== undefined), { message: 'a reversal, and only a reversal, names its original claim', path: ['originalClaimId'] });
export type InsurerClaim = z.infer<typeof insurerClaim>;

/** `his.settlements` (or the message's `reply-to`) value: the answer to one `his.discharges` message. */
export const dischargeAnswer = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('settled'), replay: z.boolean().meta({ description: 'true when this settlement id had already been settled with this body' }), split }),
  z.object({ outcome: z.literal('rejected'), problem }),
]);
export type DischargeAnswer = z.infer<typeof dischargeAnswer>;

/** Why a record could not be written to Kafka: none of these gets better by sending the same record again. */
const UNDELIVERABLE_REASONS = ['topic-missing', 'topic-forbidden', 'topic-invalid', 'too-large'] as const;
export type UndeliverableReason = (typeof UNDELIVERABLE_REASONS)[number];

/** `<topic>.dlq` value: an inbound message the gateway could not take, with why, never dropped silently. */
export const deadLetter = z.object({
  problem,
  original: z.object({
    topic: z.string(),
    partition: z.int(),
    offset: z.string(),
    key: z.string().nullable(),
    headers: z.record(z.string(), z.string()),
    /** The payload as UTF-8 text (base64 when it is not valid UTF-8). */
    value: z.string().nullable(),
    valueEncoding: z.enum(['utf8', 'base64']),
  }),
  deadAt: z.string(),
  /**
   * Optional, as letters of other topics have none: on `his.discharges.dlq`, the answer to the message that could not be written after
   * bounded attempts. The message itself was taken: a `settled` stay IS settled (look it up by its number,
   * `GET /v1/settlements/{hospitalId}/{settlementId}`, or send the same message again for the same answer
   * with `replay: true`); never settle it again under a new number.
   */
  undeliveredAnswer: z.object({
    topic: z.string().meta({ description: 'where the answer was to go (his.settlements or the message\'s reply-to)' }),
    reason: z.enum(UNDELIVERABLE_REASONS),
    attempts: z.int().min(1),
    outcome: z.enum(['settled', 'rejected']),
    replay: z.boolean().optional(),
    gatewayId: z.string().optional(),
    settlementId: z.string().optional(),
    hospitalId: z.string().optional(),
    /** The path of the stored split in the HTTP API, for a settled stay. */
    lookup: z.string().optional(),
  }).optional(),
});
export type DeadLetter = z.infer<typeof deadLetter>;

/**
 * `insurer.<insurerCode>.claims` value with CloudEvents type `insurer.claim.second-payout`: one person's
 * share of a programme's yearly second payout (南通 二次赔付), not tied to one settlement. A separate
 * schema, not a third `kind` of insurerClaim, so that consumers of settlement claims are not broken:
 * they tell the two apart by `ce_type` (or `kind`). Consumers dedupe by claimId: publishing is retried
 * from the committed payout document after a crash.
 */
/** Its CloudEvents type (ce_type) on the insurer topic. */
export const SECOND_PAYOUT_CLAIM_TYPE = 'insurer.claim.second-payout';

export const secondPayoutClaim = z.object({
  claimId: z.string().meta({ description: 'sp_<programme>_<year>_<person>: one per person and year' }),
  kind: z.literal('secondPayout'),
  insurerCode: z.string(),
  programme: z.string(),
  payer: z.string(),
  year: z.int(),
  amount: moneyText,
  currency: z.literal('CNY'),
  explanation: z.array(z.string()),
  personIdNumber: z.string(),
  committedAt: z.string(),
});
export type SecondPayoutClaim = z.infer<typeof secondPayoutClaim>;
