/**
 * Statements in the document store, per insurer (one Redis Cluster slot per collection):
 *   insurer.<code>.statements  the statement under its number (period, digest, counts), created once
 *   insurer.<code>.payments    one document per line, id `<statementNo>.<digest>.<lineNo>`, indexed by
 *                              settlement day (`day`, `h.<hospital>`)
 *
 * The store writes one document atomically and nothing more, so an upload is ordered around one
 * commit point, the statement document created only if absent:
 *   1. the lines, under ids that carry the content's digest: another content under the same number
 *      never overwrites them, and the same content sent again writes the same documents;
 *   2. the statement document (ifAbsent). Reconciliation counts a line only when the statement under
 *      its number carries its digest, so before this step an upload counts for nothing (a failed or
 *      losing upload leaves lines nobody reads), and from it the whole statement counts;
 *   3. each known claim marked `paid` (never backwards), then the statement rewritten with
 *      `claimsMarked`. Only the stored content marks claims: a losing upload's amounts never reach a
 *      claim. An upload stopped between 2 and 3 is finished by the next upload of the same content.
 */
import * as z from 'zod';
import { formatFen } from '../../gateway/engine/money.js';
import { Conflict, invariant } from '../../gateway/errors.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import { isoDate, moneyText } from '../../schemas/primitives.js';
import type { ClaimsStore } from './claims-store.js';
import { dayNumber } from './days.js';
import { statementDigest, type Statement } from './statements.js';

const payment = z.object({
  statementNo: z.string(),
  /** The digest of the statement content this line belongs to; absent on lines stored before it was recorded. */
  digest: z.string().optional(),
  lineNo: z.int(),
  claimId: z.string(),
  hospitalId: z.string(),
  settledOn: isoDate,
  amount: moneyText,
  paidOn: isoDate,
  paymentRef: z.string().optional(),
  knownToGateway: z.boolean(),
});
export type Payment = z.infer<typeof payment>;

const storedStatement = z.object({
  statementNo: z.string(), from: isoDate, to: isoDate, digest: z.string(), lines: z.int(), total: moneyText,
  knownClaims: z.int(), unknownClaims: z.int(), markedPaid: z.int(), notMarked: z.int(), uploadedAt: z.string(), uploadedBy: z.string(),
  /** False from the commit until its claims are marked paid; absent on statements stored before (marked before storing). */
  claimsMarked: z.boolean().optional(),
});
export type StoredStatement = z.infer<typeof storedStatement>;

const collections = (code: string) => ({ statements: `insurer.${code}.statements`, payments: `insurer.${code}.payments` });
const paymentId = (statementNo: string, digest: string, lineNo: number) => `${statementNo}.${digest}.${lineNo}`;
/** Lines in flight at once: a statement of a city's month is tens of thousands of lines. */
const WRITE_CHUNK = 200;
const READ_PAGE = 1000;

/** Whether reconciliation counts a stored line: only the lines of the content stored under the statement's number. */
function counts(p: Payment, s: StoredStatement | null | undefined): boolean {
  if (!s) return false;
  // Lines stored before digests were recorded belong to a statement stored before too (written after its lines).
  return p.digest === undefined ? s.claimsMarked === undefined : p.digest === s.digest;
}

const conflict = (statementNo: string) => new Conflict(`对账单 ${statementNo} 已以不同内容上传：更正的对账单请使用新的编号`);

export class StatementsStore {
  constructor(private readonly store: DocumentStore, private readonly claims: ClaimsStore) {}

  /**
   * Stores the statement once; answers the stored statement and whether it had been stored before (a
   * replay). Another content under a stored number is a Conflict, also when two uploads overlap.
   */
  async upload(code: string, s: Statement, uploadedBy: string, now: Date): Promise<{ statement: StoredStatement; replay: boolean }> {
    const digest = statementDigest(s);
    const existing = await this.get(code, s.statementNo);
    if (existing) {
      if (existing.digest !== digest) throw conflict(s.statementNo);
      return { statement: await this.markClaims(code, existing, now), replay: true };
    }
    const knownClaims = await this.writeLines(code, s, digest);
    const stored: StoredStatement = {
      statementNo: s.statementNo, from: s.from, to: s.to, digest, lines: s.lines.length, total: formatFen(s.lines.reduce((sum, l) => sum + l.amount, 0)),
      knownClaims, unknownClaims: s.lines.length - knownClaims, markedPaid: 0, notMarked: 0, uploadedAt: now.toISOString(), uploadedBy, claimsMarked: false,
    };
    if (await this.put(code, stored, true)) return { statement: await this.markClaims(code, stored, now), replay: false };
    // Another upload stored this number meanwhile. Its document is never replaced by another content.
    const winner = await this.get(code, s.statementNo);
    invariant(winner !== null, () => `statement ${s.statementNo} was neither written nor found`);
    if (winner.digest !== digest) {
      await this.discardLines(code, s, digest);
      throw conflict(s.statementNo);
    }
    return { statement: await this.markClaims(code, winner, now), replay: true };
  }

  /** Step 1: every line under the content's id. Answers how many lines name a claim the gateway filed. */
  private async writeLines(code: string, s: Statement, digest: string): Promise<number> {
    const c = collections(code);
    let knownClaims = 0;
    for (let start = 0; start < s.lines.length; start += WRITE_CHUNK) {
      const chunk = s.lines.slice(start, start + WRITE_CHUNK);
      const records = await Promise.all(chunk.map((l) => this.claims.get(code, l.claimId)));
      await Promise.all(chunk.map(async (line, k) => {
        const lineNo = start + k + 1;
        const record = records[k];
        const known = record !== null && record !== undefined && record.kind === 'claim';
        if (known) knownClaims++;
        // The gateway's own day and hospital win for a claim it filed: the report counts by them.
        const settledOn = known ? record.settledOn : line.settledOn;
        const hospitalId = known ? record.hospitalId : line.hospitalId;
        const p: Payment = {
          statementNo: s.statementNo, digest, lineNo, claimId: line.claimId, hospitalId, settledOn, amount: formatFen(line.amount), paidOn: line.paidOn,
          ...(line.paymentRef ? { paymentRef: line.paymentRef } : {}), knownToGateway: known,
        };
        await this.store.put(c.payments, paymentId(s.statementNo, digest, lineNo), JSON.stringify(p), { index: { day: dayNumber(settledOn), [`h.${hospitalId}`]: dayNumber(settledOn) } });
      }));
    }
    return knownClaims;
  }

  /**
   * The lines of a content that lost its number to another: no upload of this content can ever be
   * stored under it (the statement document is created once), so nobody else needs these documents.
   */
  private async discardLines(code: string, s: Statement, digest: string): Promise<void> {
    const c = collections(code);
    for (let start = 0; start < s.lines.length; start += WRITE_CHUNK) {
      const lineNos = s.lines.slice(start, start + WRITE_CHUNK).map((_, k) => start + k + 1);
      await Promise.all(lineNos.map((lineNo) => this.store.delete(c.payments, paymentId(s.statementNo, digest, lineNo))));
    }
  }

  /** Step 3: the stored statement's known claims marked paid, then the statement says so. Idempotent. */
  private async markClaims(code: string, stored: StoredStatement, now: Date): Promise<StoredStatement> {
    if (stored.claimsMarked !== false) return stored;
    const c = collections(code);
    let markedPaid = 0;
    let notMarked = 0;
    for (let start = 0; start < stored.lines; start += WRITE_CHUNK) {
      const ids = Array.from({ length: Math.min(WRITE_CHUNK, stored.lines - start) }, (_, k) => paymentId(stored.statementNo, stored.digest, start + k + 1));
      const lines = await this.store.getMany(c.payments, ids);
      await Promise.all(lines.map(async (json, k) => {
        invariant(json !== null, () => `statement ${stored.statementNo} is stored with its line ${start + k + 1}`);
        const p = payment.parse(JSON.parse(json));
        if (!p.knownToGateway) return;
        const verdict = await this.claims.record(code, p.claimId, {
          state: 'paid', at: now.toISOString(), source: `statement:${stored.statementNo}`, paidAmount: p.amount, paidOn: p.paidOn, ...(p.paymentRef ? { paymentRef: p.paymentRef } : {}),
        });
        if (verdict === 'new' || verdict === 'same') markedPaid++; else notMarked++;
      }));
    }
    const marked: StoredStatement = { ...stored, markedPaid, notMarked, claimsMarked: true };
    await this.put(code, marked, false);
    return marked;
  }

  private put(code: string, s: StoredStatement, ifAbsent: boolean): Promise<boolean> {
    return this.store.put(collections(code).statements, s.statementNo, JSON.stringify(s), { ifAbsent, index: { from: dayNumber(s.from) } });
  }

  async get(code: string, statementNo: string): Promise<StoredStatement | null> {
    const json = await this.store.get(collections(code).statements, statementNo);
    return json ? storedStatement.parse(JSON.parse(json)) : null;
  }

  /** Statements whose period starts in [from, to], oldest first. */
  async list(code: string, q: { from: string; to: string }): Promise<StoredStatement[]> {
    const c = collections(code);
    const out: StoredStatement[] = [];
    for (let offset = 0; ; offset += READ_PAGE) {
      const ids = await this.store.range(c.statements, 'from', dayNumber(q.from), dayNumber(q.to), { offset, limit: READ_PAGE });
      for (const json of await this.store.getMany(c.statements, ids)) if (json) out.push(storedStatement.parse(JSON.parse(json)));
      if (ids.length < READ_PAGE) return out;
    }
  }

  /**
   * Payments of stored statements for claims settled in [from, to] (by the gateway's day where it
   * knows the claim). Lines of a content not stored under its number (an upload that failed or lost)
   * are passed over.
   */
  async *payments(code: string, q: { from: string; to: string; hospitalId?: string }): AsyncIterable<Payment> {
    const c = collections(code);
    const index = q.hospitalId ? `h.${q.hospitalId}` : 'day';
    const statements = new Map<string, StoredStatement | null>();
    for (let offset = 0; ; offset += READ_PAGE) {
      const ids = await this.store.range(c.payments, index, dayNumber(q.from), dayNumber(q.to), { offset, limit: READ_PAGE });
      const page = (await this.store.getMany(c.payments, ids)).flatMap((json) => (json ? [payment.parse(JSON.parse(json))] : []));
      const unseen = [...new Set(page.map((p) => p.statementNo))].filter((no) => !statements.has(no));
      (await this.store.getMany(c.statements, unseen)).forEach((json, i) => statements.set(unseen[i]!, json ? storedStatement.parse(JSON.parse(json)) : null));
      for (const p of page) if (counts(p, statements.get(p.statementNo))) yield p;
      if (ids.length < READ_PAGE) return;
    }
  }
}
