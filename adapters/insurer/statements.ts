/**
 * An insurer's statement (对账单) for a period as it is uploaded: which claims it paid, how much, when.
 * JSON or CSV (README: "Statement format"), parsed and checked here, and its digest: what tells the
 * same statement sent again from another content under its number. Storing it: statements-store.ts.
 */
import * as z from 'zod';
import { parseCsvRecords } from '../../gateway/csv.js';
import { formatFen } from '../../gateway/engine/money.js';
import { InvalidInput, type FieldError } from '../../gateway/errors.js';
import { canonicalJson, sha256 } from '../../gateway/service/ids.js';
import { readSpreadsheetDate } from '../../gateway/spreadsheet-date.js';
import { identifier, isoDate, money } from '../../schemas/primitives.js';
import { daysBetween } from './days.js';

const STATEMENT_LINES_MAX = 100_000;

const statementLine = z.object({
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
const CSV_DATE_COLUMNS: ReadonlySet<string> = new Set(['settledOn', 'paidOn']);
/** Refusals listed in one answer: enough to fix a file, bounded however broken it is. */
const ERRORS_MAX = 100;

const schemaErrors = (issues: readonly z.core.$ZodIssue[]): FieldError[] => issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));

function checked(parsed: z.ZodSafeParseResult<Statement>, known: FieldError[], describe: (e: FieldError) => FieldError = (e) => e): Statement {
  const knownPaths = new Set(known.map((e) => e.path));
  const errors = [...known, ...(parsed.success ? [] : schemaErrors(parsed.error.issues).filter((e) => !knownPaths.has(e.path)).map(describe))];
  if (errors.length || !parsed.success) throw new InvalidInput('对账单格式不正确', errors.slice(0, ERRORS_MAX));
  try { daysBetween(parsed.data.from, parsed.data.to); } catch (e) { throw new InvalidInput('对账期间不正确', [{ path: 'to', message: (e as Error).message }]); }
  return parsed.data;
}

/**
 * A CSV statement: the body, with the statement's number and period from the query parameters. Dates
 * are read as Excel writes them (readSpreadsheetDate); every refusal of a line names the row of the
 * file (header = row 1, as the spreadsheet numbers it) and the column.
 */
export function parseCsvStatement(text: string, header: { statementNo: unknown; from: unknown; to: unknown }): Statement {
  const [names, ...records] = parseCsvRecords(text);
  if (!names) throw new InvalidInput('对账单 CSV 为空：需要表头', [{ path: '(header)', message: 'empty' }]);
  const columns = names.fields.map((n) => n.trim());
  const missing = CSV_COLUMNS.filter((c) => c !== 'paymentRef' && !columns.includes(c));
  if (missing.length) throw new InvalidInput('对账单 CSV 表头缺少列', missing.map((m) => ({ path: '(header)', message: `missing column ${m}` })));
  const unreadDates: FieldError[] = [];
  const lines = records.map(({ fields, line }, index) => Object.fromEntries(CSV_COLUMNS.flatMap((c) => {
    const i = columns.indexOf(c);
    const value = i >= 0 ? fields[i]?.trim() : undefined;
    if (value === undefined || value === '') return [];
    if (!CSV_DATE_COLUMNS.has(c)) return [[c, value]];
    const date = readSpreadsheetDate(value);
    if (date.ok) return [[c, date.date]];
    // Left out of the line: the schema's "required" for this cell gives way to the reason above.
    unreadDates.push({ path: `lines.${index}.${c}`, message: `第 ${line} 行 ${c} 列：${date.message}` });
    return [];
  })));
  // A line's refusal (path lines.<index>.<column>) names the row of the file it came from.
  return checked(statement.safeParse({ ...header, lines }), unreadDates, (e) => {
    const [section, index, column] = e.path.split('.');
    const row = section === 'lines' && column !== undefined ? records[Number(index)]?.line : undefined;
    return row === undefined ? e : { path: e.path, message: `第 ${row} 行 ${column} 列：${e.message}` };
  });
}

export function parseStatement(raw: unknown): Statement {
  return checked(statement.safeParse(raw), []);
}

/** The digest of a statement's content (amounts as text, so 4000 and 4000.00 are one content). */
export function statementDigest(s: Statement): string {
  return sha256(canonicalJson({ ...s, lines: s.lines.map((l) => ({ ...l, amount: formatFen(l.amount) })) }));
}
