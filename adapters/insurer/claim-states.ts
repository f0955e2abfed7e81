/**
 * The life of a direct-pay claim: pending (taken from Kafka) → delivered (the insurer gave a receipt)
 * → accepted | rejected (the insurer's decision, with its reason) → paid. Each state is a fact written
 * once and never overwritten, so concurrent writers (the delivery consumer, the insurer's callback, a
 * statement upload) can never move a claim backwards: the current state is the furthest fact.
 */
import * as z from 'zod';
import { moneyText } from '../../schemas/primitives.js';

export const CLAIM_STATES = ['pending', 'delivered', 'accepted', 'rejected', 'paid'] as const;
export const claimState = z.enum(CLAIM_STATES);
export type ClaimState = z.infer<typeof claimState>;

const RANK: Record<ClaimState, number> = { pending: 0, delivered: 1, accepted: 2, rejected: 2, paid: 3 };

export const stateFact = z.object({
  state: claimState,
  at: z.string(),
  /** Who said so: delivery, callback, statement:<no>. */
  source: z.string(),
  receiptNo: z.string().optional(),
  reason: z.string().optional(),
  paidAmount: moneyText.optional(),
  paymentRef: z.string().optional(),
  paidOn: z.string().optional(),
});
export type StateFact = z.infer<typeof stateFact>;

/** The furthest fact; between accepted and rejected (same rank) the first one said stands. */
export function currentOf(facts: readonly StateFact[]): StateFact | undefined {
  let current: StateFact | undefined;
  for (const fact of facts) {
    if (!current || RANK[fact.state] > RANK[current.state] || (RANK[fact.state] === RANK[current.state] && fact.at < current.at)) current = fact;
  }
  return current;
}

export type Transition = 'new' | 'same' | 'behind' | 'contradicts';

/**
 * Whether `next` may be recorded over the facts: `new` (forward), `same` (already said: idempotent),
 * `behind` (a later state is known: nothing to do, never a regression), `contradicts` (accepted after
 * rejected or the reverse, or paid after rejected: the insurer must settle it with the hospital).
 */
export function transition(facts: readonly StateFact[], next: ClaimState): Transition {
  if (facts.some((f) => f.state === next)) return 'same';
  const current = currentOf(facts);
  if (!current) return 'new';
  if (RANK[next] === RANK[current.state]) return 'contradicts';
  if (next === 'paid' && facts.some((f) => f.state === 'rejected')) return 'contradicts';
  return RANK[next] > RANK[current.state] ? 'new' : 'behind';
}
