/**
 * Dead letters of an insurer (`insurer.<code>.claims.dlq`): listed without personal data, and replayed
 * by command (POST /v1/claims/{insurerCode}/dead-letters/replay, admin). A replay puts each letter's
 * original message back on the claims topic, in dead-letter order, under its original key (so its
 * person's partition), after clearing the claim's dead mark; each letter is replayed once (the
 * replayed ones are remembered in `insurer.<code>.replayed`). A crash mid-replay can publish a letter
 * twice: the consumer skips a claim already delivered, and the insurer dedupes on Idempotency-Key.
 */
import { deadLetter, insurerClaim, type DeadLetter } from '../../schemas/messages.js';
import type { Bus, OutboundRecord } from '../../gateway/stream/bus.js';
import type { Topics } from '../../gateway/stream/topics.js';
import type { DocumentStore } from '../../gateway/store/port.js';
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
  replayed: boolean;
}

interface Letter { letterId: string; letter: DeadLetter; entry: DeadLetterEntry }

export interface DeadLetterDeps { bus: Bus; topics: Topics; store: DocumentStore; claims: ClaimsStore }

const replayedCollection = (code: string) => `insurer.${code}.replayed`;

async function readLetters(deps: DeadLetterDeps, code: string): Promise<Letter[]> {
  const dlq = deps.topics.dlq(deps.topics.insurerClaims(code));
  const raw: Array<{ letterId: string; value: string }> = [];
  await deps.bus.readToEnd(dlq, (m) => { raw.push({ letterId: `${m.partition}.${m.offset}`, value: m.value?.toString('utf8') ?? '' }); });
  const replayed = raw.length ? await deps.store.getMany(replayedCollection(code), raw.map((r) => r.letterId)) : [];
  const letters: Letter[] = [];
  raw.forEach((r, i) => {
    let json: unknown;
    try { json = JSON.parse(r.value); } catch { return; }
    const parsed = deadLetter.safeParse(json);
    if (!parsed.success) return;
    const claim = insurerClaim.safeParse((() => { try { return JSON.parse(parsed.data.original.value ?? ''); } catch { return null; } })());
    letters.push({
      letterId: r.letterId,
      letter: parsed.data,
      entry: {
        letterId: r.letterId,
        ...(claim.success ? { claimId: claim.data.claimId, kind: claim.data.kind, hospitalId: claim.data.hospitalId, amount: claim.data.amount } : {}),
        reason: parsed.data.problem.detail ?? parsed.data.problem.title,
        deadAt: parsed.data.deadAt,
        replayed: replayed[i] !== null,
      },
    });
  });
  return letters;
}

/** The letters, oldest first, without the message itself (it carries the id number). */
export async function listDeadLetters(deps: DeadLetterDeps, code: string): Promise<DeadLetterEntry[]> {
  return (await readLetters(deps, code)).map((l) => l.entry);
}

/** Replays every letter not replayed yet; unreadable messages are skipped (a replay would only dead-letter them again). */
export async function replayDeadLetters(deps: DeadLetterDeps, code: string): Promise<{ replayed: string[]; skipped: Array<{ letterId: string; reason: string }> }> {
  const pending = (await readLetters(deps, code)).filter((l) => !l.entry.replayed);
  const replayable = pending.filter((l) => l.entry.claimId !== undefined && l.letter.original.value !== null);
  const skipped = pending.filter((l) => !replayable.includes(l)).map((l) => ({ letterId: l.letterId, reason: 'the original message is not a readable claim' }));
  if (replayable.length === 0) return { replayed: [], skipped };
  for (const l of replayable) {
    await deps.claims.clearDead(code, l.entry.claimId!);
    if (l.letter.original.key) await deps.claims.release(code, l.letter.original.key);
  }
  const records: OutboundRecord[] = replayable.map((l) => ({
    topic: deps.topics.insurerClaims(code),
    key: l.letter.original.key ?? l.letterId,
    value: l.letter.original.value!,
    headers: { ...l.letter.original.headers, 'x-replayed-from': `${deps.topics.dlq(deps.topics.insurerClaims(code))}/${l.letterId}` },
  }));
  await deps.bus.publish(records);
  const at = new Date().toISOString();
  for (const l of replayable) await deps.store.put(replayedCollection(code), l.letterId, JSON.stringify({ at, claimId: l.entry.claimId }));
  return { replayed: replayable.map((l) => l.entry.claimId!), skipped };
}
