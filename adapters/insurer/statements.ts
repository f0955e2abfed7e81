/**
 * An insurer's statement (对账单) for a period: which claims it paid, how much, when. Uploaded as JSON
 * or CSV (README: "Statement format"), stored once per statement number: the same statement again
 * changes nothing (answered as a replay); another content under a number already used is a conflict
 * (a corrected statement gets a new number). Each paid line marks its claim `paid` (never backwards).
 */
import { z } from 'zod';
import { parseCsv } from '../../gateway/rosters/csv.js';
import { formatFen } from '../../gateway/engine/money.js';
import { Conflict, InvalidInput } from '../../gateway/errors.js';
import { canonicalJson, sha256 } from '../../gateway/service/ids.js';
import type { DocumentStore } from '../../gateway/store/port.js';
import { identifier, isoDate, money, moneyText } from '../../schemas/primitives.js';
import type { ClaimsStore } from './claims-store.js';
import { dayNumber, daysBetween } from './days.js';

export const STATEMENT_LINES_MAX = 100_000;

export const statementLine = z.object({
  claimId: z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore or hyphen'),
  hospitalId: identifier(32),
  /** The settlement day as the claim said (the gateway's own day wins for claims it knows). */
  settledOn: isoDate,
  amount: money,
  paidOn: isoDate,
  paymentRef: z.string().max(100).optional(),
});

export const statement = z.object({
  statementNo: identifier(64),
  from: isoDate,
  to: isoDate,
  lines: z.array(statementLine).max(STATEMENT_LINES_MAX),
}).refine((s) => s.from <= s.to, { message: 'from must not be after to', path: ['to'] });
export type Statement = z.output<typeof statement>;

export const payment = z.object({
  statementNo: z.string(),
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

export const storedStatement = z.object({
  statementNo: z.string(), from: isoDate, to: isoDate, digest: z.string(), lines: z.int(), total: moneyText,
  knownClaims: z.int(), unknownClaims: z.int(), markedPaid: z.int(), notMarked: z.int(), uploadedAt: z.string(), uploadedBy: z.string(),
});
export type StoredStatement = z.infer<typeof storedStatement>;

const CSV_COLUMNS = ['claimId', 'hospitalId', 'settledOn', 'amount', 'paidOn', 'paymentRef'] as const;

/** CSV body + the statement's number and period (query parameters) → the statement's raw form for zod. */
export function statementFromCsv(text: string, header: { statementNo: unknown; from: unknown; to: unknown }): unknown {
  const [names, ...rows] = parseCsv(text);
  if (!names) throw new InvalidInput('对账单 CSV 为空：需要表头', [{ path: '(header)', message: 'empty' }]);
  const columns = names.map((n) => n.trim());
  const missing = CSV_COLUMNS.filter((c) => c !== 'paymentRef' && !columns.includes(c));
  if (missing.length) throw new InvalidInput('对账单 CSV 表头缺少列', missing.map((m) => ({ path: '(header)', message: `missing column ${m}` })));
  return {
    ...header,
    lines: rows.map((row) => Object.fromEntries(CSV_COLUMNS.flatMap((c) => {
      const i = columns.indexOf(c);
      const value = i >= 0 ? row[i]?.trim() : undefined;
      return value === undefined || value === '' ? [] : [[c, value]];
    }))),
  };
}

export function parseStatement(raw: unknown): Statement {
  const parsed = statement.safeParse(raw);
  if (!parsed.success) throw new InvalidInput('对账单格式不正确', parsed.error.issues.slice(0, 100).map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })));
  try { daysBetween(parsed.data.from, parsed.data.to); } catch (e) { throw new InvalidInput('对账期间不正确', [{ path: 'to', message: (e as Error).message }]); }
  return parsed.data;
}

const collections = (code: string) => ({ statements: `insurer.${code}.statements`, payments: `insurer.${code}.payments` });
const WRITE_CHUNK = 200;

export class StatementsStore {
  constructor(private readonly store: DocumentStore, private readonly claims: ClaimsStore) {}

  /** Stores the statement once; answers it and whether it had been stored before (a replay). */
  async upload(code: string, s: Statement, uploadedBy: string, now: Date): Promise<{ statement: StoredStatement; replay: boolean }> {
    const c = collections(code);
    const digest = sha256(canonicalJson({ ...s, lines: s.lines.map((l) => ({ ...l, amount: formatFen(l.amount) })) }));
    const existing = await this.get(code, s.statementNo);
    if (existing) {
      if (existing.digest !== digest) throw new Conflict(`对账单 ${s.statementNo} 已以不同内容上传：更正的对账单请使用新的编号`);
      return { statement: existing, replay: true };
    }
    let markedPaid = 0;
    let notMarked = 0;
    let knownClaims = 0;
    // In chunks: a statement of a city's month is tens of thousands of lines, never all in flight at once.
    for (let start = 0; start < s.lines.length; start += WRITE_CHUNK) {
      const chunk = s.lines.slice(start, start + WRITE_CHUNK);
      const records = await Promise.all(chunk.map((l) => this.claims.get(code, l.claimId)));
      await Promise.all(chunk.map(async (line, k) => {
        const lineNo = start + k + 1;
        const record = records[k];
        const known = record !== null && record !== undefined && record.kind === 'claim';
        if (known) knownClaims++;
        const settledOn = known ? record.settledOn : line.settledOn;
        const hospitalId = known ? record.hospitalId : line.hospitalId;
        const p: Payment = {
          statementNo: s.statementNo, lineNo, claimId: line.claimId, hospitalId, settledOn, amount: formatFen(line.amount), paidOn: line.paidOn,
          ...(line.paymentRef ? { paymentRef: line.paymentRef } : {}), knownToGateway: known,
        };
        // Idempotent by id: an upload cut short and sent again writes the same documents.
        await this.store.put(c.payments, `${s.statementNo}.${lineNo}`, JSON.stringify(p), { index: { day: dayNumber(settledOn), [`h.${hospitalId}`]: dayNumber(settledOn) } });
        if (!known) return;
        const verdict = await this.claims.record(code, line.claimId, {
          state: 'paid', at: now.toISOString(), source: `statement:${s.statementNo}`, paidAmount: p.amount, paidOn: line.paidOn, ...(line.paymentRef ? { paymentRef: line.paymentRef } : {}),
        });
        if (verdict === 'new' || verdict === 'same') markedPaid++; else notMarked++;
      }));
    }
    const stored: StoredStatement = {
      statementNo: s.statementNo, from: s.from, to: s.to, digest, lines: s.lines.length, total: formatFen(s.lines.reduce((sum, l) => sum + l.amount, 0)),
      knownClaims, unknownClaims: s.lines.length - knownClaims, markedPaid, notMarked, uploadedAt: now.toISOString(), uploadedBy,
    };
    // Written last: until it is, a re-upload redoes the lines (same ids), so a crash leaves nothing half-counted.
    const written = await this.store.put(c.statements, s.statementNo, JSON.stringify(stored), { ifAbsent: true, index: { from: dayNumber(s.from) } });
    if (!written) return { statement: (await this.get(code, s.statementNo))!, replay: true };
    return { statement: stored, replay: false };
  }

  async get(code: string, statementNo: string): Promise<StoredStatement | null> {
    const json = await this.store.get(collections(code).statements, statementNo);
    return json ? storedStatement.parse(JSON.parse(json)) : null;
  }

  /** Statements whose period starts in [from, to], oldest first. */
  async list(code: string, q: { from: string; to: string }): Promise<StoredStatement[]> {
    const c = collections(code);
    const out: StoredStatement[] = [];
    for (let offset = 0; ; offset += 1000) {
      const ids = await this.store.range(c.statements, 'from', dayNumber(q.from), dayNumber(q.to), { offset, limit: 1000 });
      for (const json of await this.store.getMany(c.statements, ids)) if (json) out.push(storedStatement.parse(JSON.parse(json)));
      if (ids.length < 1000) return out;
    }
  }

  /** Payments of claims settled in [from, to] (by the gateway's day where it knows the claim). */
  async *payments(code: string, q: { from: string; to: string; hospitalId?: string }): AsyncIterable<Payment> {
    const c = collections(code);
    const index = q.hospitalId ? `h.${q.hospitalId}` : 'day';
    for (let offset = 0; ; offset += 1000) {
      const ids = await this.store.range(c.payments, index, dayNumber(q.from), dayNumber(q.to), { offset, limit: 1000 });
      const docs = await this.store.getMany(c.payments, ids);
      for (const json of docs) if (json) yield payment.parse(JSON.parse(json));
      if (ids.length < 1000) return;
    }
  }
}
