/**
 * An insurer's statement (对账单) for a period as it is uploaded: which claims it paid, how much, when.
 * JSON or CSV (README: "Statement format"), parsed and checked here, and its digest: what tells the
 * same statement sent again from another content under its number. Storing it: statements-store.ts.
 */
import { z } from 'zod';
import { parseCsv } from '../../gateway/rosters/csv.js';
import { formatFen } from '../../gateway/engine/money.js';
import { InvalidInput } from '../../gateway/errors.js';
import { canonicalJson, sha256 } from '../../gateway/service/ids.js';
import { identifier, isoDate, money } from '../../schemas/primitives.js';
import { daysBetween } from './days.js';

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

/** The digest of a statement's content (amounts as text, so 4000 and 4000.00 are one content). */
export function statementDigest(s: Statement): string {
  return sha256(canonicalJson({ ...s, lines: s.lines.map((l) => ({ ...l, amount: formatFen(l.amount) })) }));
}
