/**
 * Committing a second payout once, and telling the programme's payer. The payout document
 * (`operations.second-payout` / `<programme>.second-payout.<year>`) is written with ifAbsent: the first
 * confirmed run commits it, every later one gets the committed document back (idempotent by year).
 * It lists every payment with its explanation: it is the record of the benefits paid.
 *
 * Then the records telling the payer of each payment are published — built by the part whose audience
 * carries the programme's payer (stream/event-records.ts payoutRecordsOf; for an insurer, a claim per person on
 * its topic) — and the document is marked published. A crash between the commit and that mark leaves a
 * committed, unpublished document: the next confirmed run (the same call, repeated) publishes it again from
 * the document, with the same ids, and consumers dedupe by them. Nothing is computed twice.
 */
import type { Pack } from '../../schemas/pack.js';
import { chinaTime } from '../service/ids.js';
import type { Bus } from '../stream/bus.js';
import { payoutRecordsOf, type EventMapping } from '../stream/event-records.js';
import type { DocumentStore } from '../ledger/documents/port.js';
import { InvariantViolation, Unprocessable } from '../errors.js';
import { committedPayout, type CommittedPayout, type SecondPayoutPlan } from '../../schemas/second-payout.js';

const PAYOUT_COLLECTION = 'operations.second-payout';
const PUBLISH_BATCH = 500;


const payoutDocumentId = (programmeId: string, year: number) => `${programmeId}.second-payout.${year}`;

/** `mapping`: the relay's, whose audiences tell each programme's payer. */
export interface CommitDeps { store: DocumentStore; bus: Bus; mapping: EventMapping; clock?: () => Date }

export async function storedPayout(store: DocumentStore, programmeId: string, year: number): Promise<CommittedPayout | null> {
  const json = await store.get(PAYOUT_COLLECTION, payoutDocumentId(programmeId, year));
  if (json === null) return null;
  const read = committedPayout.safeParse(JSON.parse(json));
  if (!read.success) throw new InvariantViolation(`the stored second payout ${payoutDocumentId(programmeId, year)} is unreadable: ${read.error.issues.map((i) => `${i.path.join('.')}: ${i.code}`).join('; ')}`);
  return read.data;
}

/** Commits the plan unless a payout of that year is already committed; publishes whatever is committed and not yet published. */
export async function commitSecondPayout(deps: CommitDeps, pack: Pack, plan: SecondPayoutPlan): Promise<{ payout: CommittedPayout; replay: boolean; published: number }> {
  const now = (deps.clock ?? (() => new Date()))();
  // The year's figures are final only once it has ended (in +08:00).
  if (chinaTime(now).slice(0, 10) < `${plan.year + 1}-01-01`) throw new Unprocessable(`${plan.year} 年度尚未结束，只能试算（dry run）`, [{ path: 'confirm', message: 'the year has not ended' }]);
  const recordsOf = payoutRecordsOf(deps.mapping, pack);
  // Refused before the commit: a payout committed that nobody can be told of would stay unpublished.
  if (!recordsOf) throw new Unprocessable(`${pack.name}的付款方（${pack.payer.name}）无处通知（商保方案须配置承保机构代码 payer.insurerCode），无法通知付款方`);
  const id = payoutDocumentId(pack.id, plan.year);
  const committed: CommittedPayout = { ...plan, committedAt: chinaTime(now) };
  const written = await deps.store.put(PAYOUT_COLLECTION, id, JSON.stringify(committed), { ifAbsent: true, index: { byYear: plan.year } });
  const payout = written ? committed : await storedPayout(deps.store, pack.id, plan.year);
  if (!payout) throw new Error(`payout ${id} was neither written nor found`);
  if (payout.publishedAt) return { payout, replay: !written, published: 0 };
  const records = recordsOf(payout);
  for (let i = 0; i < records.length; i += PUBLISH_BATCH) await deps.bus.publish(records.slice(i, i + PUBLISH_BATCH));
  const published: CommittedPayout = { ...payout, publishedAt: chinaTime((deps.clock ?? (() => new Date()))()) };
  await deps.store.put(PAYOUT_COLLECTION, id, JSON.stringify(published), { index: { byYear: plan.year } });
  return { payout: published, replay: !written, published: records.length };
}

/**
 * Confirms a year's payout, from the HTTP route or the command line alike: a committed year goes on from
 * its document (never recomputed: its claims keep their ids and amounts); otherwise `plan` computes it now.
 */
export async function confirmSecondPayout(deps: CommitDeps, pack: Pack, year: number, plan: () => Promise<SecondPayoutPlan>): Promise<{ payout: CommittedPayout; replay: boolean; published: number }> {
  const existing = await storedPayout(deps.store, pack.id, year);
  return commitSecondPayout(deps, pack, existing ?? await plan());
}
