/**
 * Dead letters of an insurer (`insurer.<code>.claims.dlq`), listed without personal data for the admin.
 * A letter is `replayed` once its claim was delivered since (by POST /v1/claims/{insurerCode}/dead-letters/replay,
 * which the delivery runs: gateway/resilience/delivery.ts, replay).
 */
import { deadLetter, insurerClaim } from '../../schemas/messages.js';
import type { Bus } from '../../gateway/stream/bus.js';
import type { Topics } from '../../gateway/stream/topics.js';
import { insurerClaimsTopic } from './audience.js';
import type { ClaimsStore } from './claims-store.js';

export interface DeadLetterEntry {
  /** Where the letter is in the dead-letter topic: `<partition>.<offset>`. */
  letterId: string;
  claimId?: string;
  kind?: 'claim' | 'reversal';
  hospitalId?: string;
  amount?: string;
  reason: string;
  deadAt: string;
  /** Its claim was delivered since. */
  replayed: boolean;
}

export interface DeadLetterDeps { bus: Bus; topics: Topics; claims: ClaimsStore }

const parsedJson = (text: string | null | undefined): unknown => {
  try { return JSON.parse(text ?? ''); } catch { return null; }
};

/** The letters, oldest first, without the message itself (it carries the id number). */
export async function listDeadLetters(deps: DeadLetterDeps, code: string): Promise<DeadLetterEntry[]> {
  const dlq = deps.topics.dlq(insurerClaimsTopic(deps.topics, code));
  const entries: DeadLetterEntry[] = [];
  await deps.bus.readToEnd(dlq, (m) => {
    const letter = deadLetter.safeParse(parsedJson(m.value?.toString('utf8')));
    if (!letter.success) return;
    const claim = insurerClaim.safeParse(parsedJson(letter.data.original.value));
    entries.push({
      letterId: `${m.partition}.${m.offset}`,
      ...(claim.success ? { claimId: claim.data.claimId, kind: claim.data.kind, hospitalId: claim.data.hospitalId, amount: claim.data.amount } : {}),
      reason: letter.data.problem.detail ?? letter.data.problem.title,
      deadAt: letter.data.deadAt,
      replayed: false,
    });
  });
  const claimIds = [...new Set(entries.flatMap((e) => (e.claimId ? [e.claimId] : [])))];
  const delivered = new Set((claimIds.length ? await deps.claims.views(code, claimIds) : []).filter((v) => v.state !== 'pending').map((v) => v.claimId));
  return entries.map((e) => ({ ...e, replayed: e.claimId !== undefined && delivered.has(e.claimId) }));
}
