/**
 * Claims in the document store, one set of collections per insurer (one Redis Cluster slot each):
 *   insurer.<code>.claims   the claim or reversal as taken from Kafka, no personal data; indexed by
 *                           settlement day (`day`, `h.<hospital>`) and batch day (`batch`, `hb.<hospital>`)
 *   insurer.<code>.states   one fact per state reached, id `<claimId>.<state>`, written once
 *   insurer.<code>.dead     claims currently in the dead-letter topic, with the reason
 *   insurer.<code>.held     persons (by a keyed digest of the message key) with a claim in the dead-letter
 *                           topic: their later claims follow it there, so a replay keeps their order
 */
import { createHmac } from 'node:crypto';
import * as z from 'zod';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import { RANGE_LIMIT_MAX } from '../../gateway/ledger/documents/port.js';
import { isoDate, moneyText } from '../../schemas/primitives.js';
import { CLAIM_STATES, claimState, currentOf, stateFact, transition, type ClaimState, type StateFact, type Transition } from './claim-states.js';
import { dayNumber } from './days.js';
import { claimHeader } from './claim-document.js';
import { sha256 } from '../../gateway/service/ids.js';

const claimRecord = z.object({
  v: z.literal(1),
  ...claimHeader.shape,
  amount: moneyText,
  currency: z.literal('CNY'),
  /** The +08:00 day of the settlement (reconciliation periods and the list count by it). */
  settledOn: isoDate,
  /** The daily batch (机构交单) this claim or reversal is handed in with. */
  batchDay: isoDate,
  settledAt: z.string().optional(),
  reversedAt: z.string().optional(),
  takenAt: z.string(),
});
export type ClaimRecord = z.infer<typeof claimRecord>;

const deadMark = z.object({ reason: z.string(), at: z.string(), attempts: z.int() });
export type DeadMark = z.infer<typeof deadMark>;

/** A claim as the API answers it: the record, its current state and every state it went through. */
export const claimView = claimRecord.extend({
  state: claimState,
  receiptNo: z.string().optional(),
  /** The insurer's reason of the current state (a rejection's). */
  reason: z.string().optional(),
  paidAmount: moneyText.optional(),
  history: z.array(stateFact),
  deadLetter: deadMark.optional(),
});
export type ClaimView = z.infer<typeof claimView>;

export interface ClaimQuery { from: string; to: string; hospitalId?: string; state?: ClaimState; offset?: number; limit?: number }

const collections = (code: string) => ({ claims: `insurer.${code}.claims`, states: `insurer.${code}.states`, dead: `insurer.${code}.dead`, held: `insurer.${code}.held` });
/**
 * The message key is the person's id number: never a store key in clear. Under a key (holdIndexKey) it is
 * an HMAC, which nobody without the key can compute from a candidate number — ID numbers are few enough
 * (region, birth date, sequence) that an unkeyed digest can be searched. The unkeyed digest of earlier
 * releases is still read (`legacyHeldId`): see hold/isHeld/release.
 */
const legacyHeldId = (personKey: string) => sha256(`person:${personKey}`).slice(0, 40);
const keyedHeldId = (key: Buffer, personKey: string) => `k${createHmac('sha256', key).update(`person:${personKey}`).digest('hex').slice(0, 40)}`;

export class ClaimsStore {
  /** Without a key (development, tests) the index stays unkeyed, as before; production requires one (config.ts). */
  constructor(private readonly store: DocumentStore, private readonly holdIndexKey?: Buffer) {}

  private heldId(personKey: string): string {
    return this.holdIndexKey ? keyedHeldId(this.holdIndexKey, personKey) : legacyHeldId(personKey);
  }

  /** Records a claim taken from Kafka (pending); answers false when it was already taken (a redelivery). */
  async take(record: ClaimRecord): Promise<boolean> {
    const c = collections(record.insurerCode);
    const written = await this.store.put(c.claims, record.claimId, JSON.stringify(record), {
      ifAbsent: true,
      index: { day: dayNumber(record.settledOn), [`h.${record.hospitalId}`]: dayNumber(record.settledOn), batch: dayNumber(record.batchDay), [`hb.${record.hospitalId}`]: dayNumber(record.batchDay) },
    });
    await this.record(record.insurerCode, record.claimId, { state: 'pending', at: record.takenAt, source: 'delivery' });
    return written;
  }

  async facts(code: string, claimId: string): Promise<StateFact[]> {
    const ids = CLAIM_STATES.map((s) => `${claimId}.${s}`);
    return (await this.store.getMany(collections(code).states, ids)).flatMap((json) => (json ? [stateFact.parse(JSON.parse(json))] : []));
  }

  /** Records a state fact unless that would move the claim backwards or contradict it; says which. */
  async record(code: string, claimId: string, fact: StateFact): Promise<Transition> {
    const facts = await this.facts(code, claimId);
    const verdict = transition(facts, fact.state);
    if (verdict === 'new') await this.store.put(collections(code).states, `${claimId}.${fact.state}`, JSON.stringify(stateFact.parse(fact)), { ifAbsent: true });
    return verdict;
  }

  async get(code: string, claimId: string): Promise<ClaimRecord | null> {
    const json = await this.store.get(collections(code).claims, claimId);
    return json ? claimRecord.parse(JSON.parse(json)) : null;
  }

  async views(code: string, claimIds: readonly string[]): Promise<ClaimView[]> {
    if (claimIds.length === 0) return [];
    const c = collections(code);
    const [records, facts, dead] = await Promise.all([
      this.store.getMany(c.claims, claimIds),
      this.store.getMany(c.states, claimIds.flatMap((id) => CLAIM_STATES.map((s) => `${id}.${s}`))),
      this.store.getMany(c.dead, claimIds),
    ]);
    const views: ClaimView[] = [];
    records.forEach((json, i) => {
      if (!json) return;
      const record = claimRecord.parse(JSON.parse(json));
      const history = facts.slice(i * CLAIM_STATES.length, (i + 1) * CLAIM_STATES.length).flatMap((f) => (f ? [stateFact.parse(JSON.parse(f))] : []))
        .sort((a, b) => a.at.localeCompare(b.at));
      const current = currentOf(history);
      const receipt = history.find((f) => f.receiptNo)?.receiptNo;
      const paid = history.find((f) => f.state === 'paid');
      const deadJson = dead[i];
      views.push({
        ...record,
        state: current?.state ?? 'pending',
        ...(receipt ? { receiptNo: receipt } : {}),
        ...(current?.reason ? { reason: current.reason } : {}),
        ...(paid?.paidAmount ? { paidAmount: paid.paidAmount } : {}),
        history,
        ...(deadJson ? { deadLetter: deadMark.parse(JSON.parse(deadJson)) } : {}),
      });
    });
    return views;
  }

  /** Claims and reversals by settlement day (or batch day), optionally of one hospital, in one state. */
  async list(code: string, q: ClaimQuery & { by?: 'settled' | 'batch' }): Promise<{ claims: ClaimView[]; nextOffset?: number }> {
    const byBatch = q.by === 'batch';
    const index = q.hospitalId ? `${byBatch ? 'hb' : 'h'}.${q.hospitalId}` : byBatch ? 'batch' : 'day';
    const offset = q.offset ?? 0;
    const limit = Math.min(q.limit ?? RANGE_LIMIT_MAX, RANGE_LIMIT_MAX);
    const ids = await this.store.range(collections(code).claims, index, dayNumber(q.from), dayNumber(q.to), { offset, limit });
    const views = await this.views(code, ids);
    return { claims: q.state ? views.filter((v) => v.state === q.state) : views, ...(ids.length === limit ? { nextOffset: offset + limit } : {}) };
  }

  /** Every claim and reversal of the period (all pages): for batches and reconciliation. */
  async *all(code: string, q: ClaimQuery & { by?: 'settled' | 'batch' }): AsyncIterable<ClaimView> {
    let offset = 0;
    for (;;) {
      const page = await this.list(code, { ...q, offset, limit: RANGE_LIMIT_MAX });
      yield* page.claims;
      if (page.nextOffset === undefined) return;
      offset = page.nextOffset;
    }
  }

  async markDead(code: string, claimId: string, mark: DeadMark): Promise<void> {
    await this.store.put(collections(code).dead, claimId, JSON.stringify(mark));
  }

  async deadMark(code: string, claimId: string): Promise<DeadMark | null> {
    const json = await this.store.get(collections(code).dead, claimId);
    return json ? deadMark.parse(JSON.parse(json)) : null;
  }

  async clearDead(code: string, claimId: string): Promise<void> {
    await this.store.delete(collections(code).dead, claimId);
  }

  /** With a key, written under the keyed id only: the unkeyed index is never written again. */
  async hold(code: string, personKey: string, claimId: string): Promise<void> {
    await this.store.put(collections(code).held, this.heldId(personKey), JSON.stringify({ since: claimId }), { ifAbsent: true });
  }

  /**
   * Read both: a hold stored by an earlier release under the unkeyed digest still holds. It is moved to the
   * keyed id when its person is next seen (the only moment the number is known: the old digest cannot be
   * turned back into it, so no batch migration is possible); a replay's release deletes both.
   */
  async isHeld(code: string, personKey: string): Promise<boolean> {
    const c = collections(code);
    const id = this.heldId(personKey);
    const legacy = legacyHeldId(personKey);
    if (id === legacy) return (await this.store.get(c.held, id)) !== null;
    const [keyed, old] = await this.store.getMany(c.held, [id, legacy]);
    if (keyed !== null && keyed !== undefined) return true;
    if (old === null || old === undefined) return false;
    await this.store.put(c.held, id, old, { ifAbsent: true });
    await this.store.delete(c.held, legacy);
    return true;
  }

  async release(code: string, personKey: string): Promise<void> {
    const c = collections(code);
    const id = this.heldId(personKey);
    const legacy = legacyHeldId(personKey);
    await this.store.delete(c.held, id);
    if (legacy !== id) await this.store.delete(c.held, legacy);
  }
}
