/**
 * nhsa.msgid: the answer of each call, under `<fixmedins_code>.<msgid>`, replayed byte for byte to a retry —
 * and what 2601 冲正 needs to take the call back (`undo`), and whether it was (`reversed_by`).
 */
import * as z from 'zod';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import { COLLECTIONS, feeStored } from './stays.js';

/** What a call that changed something left behind to be taken back by 2601 (of a successful call only). */
const undo = z.discriminatedUnion('infno', [
  /** The rows this 2301 added. */
  z.object({ infno: z.literal('2301'), mdtrt_id: z.string(), feedetl_sn: z.array(z.string()) }),
  /** The rows this 2302 removed, as they were. */
  z.object({ infno: z.literal('2302'), mdtrt_id: z.string(), rows: z.array(feeStored) }),
  /** The settlement this 2304 made, or this 2305 reversed. */
  z.object({ infno: z.enum(['2304', '2305']), setl_id: z.string() }),
]);
export type Undo = z.infer<typeof undo>;

const storedAnswer = z.object({
  fingerprint: z.string(),
  answer: z.string(),
  /** Absent in answers stored before 2601 existed. */
  infno: z.string().optional(),
  undo: undo.optional(),
  /** The 2601 msgid that took this call back (or that arrived before it: then `answer` is empty). */
  reversed_by: z.string().optional(),
});
export type StoredAnswer = z.infer<typeof storedAnswer>;

/** nhsa.corrections `<fixmedins_code>.<omsgid>`: the 2601 冲正 of a call — its own record, and the lock of one at a time. */
const correction = z.object({
  msgid: z.string(), omsgid: z.string(), oinfno: z.string(), psn_no: z.string(), opter: z.string(), at: z.string(),
  state: z.enum(['pending', 'done']),
  /** What was done, in words (the 2601 answer's warn_msg). */
  effect: z.string().optional(),
});
export type Correction = z.infer<typeof correction>;

const keyOf = (fixmedinsCode: string, msgid: string) => `${fixmedinsCode}.${msgid}`;

export class Answers {
  constructor(private readonly store: DocumentStore) {}

  async get(fixmedinsCode: string, msgid: string): Promise<StoredAnswer | null> {
    const text = await this.store.get(COLLECTIONS.msgid, keyOf(fixmedinsCode, msgid));
    return text === null ? null : storedAnswer.parse(JSON.parse(text));
  }

  /** Stores the first answer of a msgid (indexed by day, yyyyMMdd); false when one was stored first. */
  putFirst(fixmedinsCode: string, msgid: string, answer: StoredAnswer, day: number): Promise<boolean> {
    return this.store.put(COLLECTIONS.msgid, keyOf(fixmedinsCode, msgid), JSON.stringify(answer), { ifAbsent: true, index: { byDay: day } });
  }

  /** Marks a stored answer taken back by a 2601, indexed from then on by the 2601's day (a purge by day keeps it as long as the 2601). */
  async markReversed(fixmedinsCode: string, msgid: string, answer: StoredAnswer, reversedBy: string, day: number): Promise<void> {
    await this.store.put(COLLECTIONS.msgid, keyOf(fixmedinsCode, msgid), JSON.stringify({ ...answer, reversed_by: reversedBy }), { index: { byDay: day } });
  }

  /**
   * A 2601 for a msgid the gateway never answered: the msgid is spent, so that the original, should it still
   * arrive, is refused rather than done after the HIS was told it was taken back. False when an answer was stored first.
   */
  reserveReversed(fixmedinsCode: string, msgid: string, infno: string, reversedBy: string, day: number): Promise<boolean> {
    const tombstone: StoredAnswer = { fingerprint: '', answer: '', infno, reversed_by: reversedBy };
    return this.store.put(COLLECTIONS.msgid, keyOf(fixmedinsCode, msgid), JSON.stringify(tombstone), { ifAbsent: true, index: { byDay: day } });
  }

  /** Claims the 2601 of a msgid: false when another 2601 claimed it first (answered by `correctionOf`). */
  claimCorrection(fixmedinsCode: string, c: Correction): Promise<boolean> {
    return this.store.put(COLLECTIONS.corrections, keyOf(fixmedinsCode, c.omsgid), JSON.stringify(correction.parse(c)), { ifAbsent: true });
  }

  async correctionOf(fixmedinsCode: string, omsgid: string): Promise<Correction | null> {
    const text = await this.store.get(COLLECTIONS.corrections, keyOf(fixmedinsCode, omsgid));
    return text === null ? null : correction.parse(JSON.parse(text));
  }

  async finishCorrection(fixmedinsCode: string, c: Correction): Promise<void> {
    await this.store.put(COLLECTIONS.corrections, keyOf(fixmedinsCode, c.omsgid), JSON.stringify(correction.parse(c)));
  }

  /** A 2601 that failed leaves nothing: its claim is dropped, and it may be sent again. */
  async dropCorrection(fixmedinsCode: string, omsgid: string): Promise<void> {
    await this.store.delete(COLLECTIONS.corrections, keyOf(fixmedinsCode, omsgid));
  }
}
