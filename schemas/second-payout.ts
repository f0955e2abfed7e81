/**
 * A programme's second payout (南通 二次赔付) as it is planned, committed and stored: the document of the benefits
 * paid (gateway/operations/second-payout*.ts). Read back from the document store by this schema, never by a cast:
 * a stored payout is what its insurer's payments are published from after a crash.
 */
import * as z from 'zod';

/** Persons enrolled: from the roster in the ledger, the pack's configured figure, or unknown. */
const enrolled = z.object({
  persons: z.int().nullable(),
  source: z.enum(['roster', 'configured', 'none']),
  cite: z.string().optional(),
});
export type Enrolled = z.infer<typeof enrolled>;

const secondPayoutPayment = z.object({
  personId: z.string(),
  coveredStays: z.int(),
  eligibleSelfPay: z.string(),
  cap: z.string(),
  amount: z.string(),
  capped: z.boolean(),
  explanation: z.array(z.string()),
});
export type SecondPayoutPayment = z.infer<typeof secondPayoutPayment>;

const secondPayoutPlan = z.object({
  programme: z.object({ id: z.string(), name: z.string(), version: z.string() }),
  year: z.int(),
  method: z.enum(['proRata', 'perCapita']),
  dueBy: z.string(),
  cite: z.string(),
  enrolled,
  premiumIncome: z.string(),
  serviceFeeShare: z.string(),
  premiumNetOfFee: z.string(),
  paid: z.string(),
  settlements: z.int(),
  surplus: z.string(),
  eligiblePersons: z.int(),
  eligibleSelfPay: z.string(),
  distributed: z.string(),
  /** What the caps left of the surplus (everyone got their whole eligible cost). */
  undistributed: z.string(),
  lossRatio: z.object({ before: z.string().nullable(), after: z.string().nullable(), target: z.string().nullable(), meetsTargetAfter: z.boolean().nullable() }),
  payments: z.array(secondPayoutPayment),
});
export type SecondPayoutPlan = z.infer<typeof secondPayoutPlan>;

/** The stored document: the plan, when it was committed, and when its payments were published. */
export const committedPayout = secondPayoutPlan.extend({ committedAt: z.string(), publishedAt: z.string().optional() });
export type CommittedPayout = z.infer<typeof committedPayout>;
