/**
 * CSV in and out, one way for every file the gateway reads or serves: rosters, insurer statements, the 医保
 * detail file, reports. What comes in is read as Excel saves it (UTF-8 with or without a BOM, or GBK/GB18030
 * from a Chinese Windows, which often says no charset); what goes out opens in Excel (UTF-8 with a BOM, or GBK
 * on request) and never runs a formula someone else wrote.
 */
import iconv from 'iconv-lite';
import * as z from 'zod';
import { InvalidInput } from './errors.js';

type Cell = string | number | boolean | null | undefined;

/**
 * One CSV cell (RFC 4180 quoting) that a spreadsheet will not run: a text beginning with = + - @ (or a tab
 * or carriage return) is a formula to Excel, and a file a clerk opens may carry text someone else wrote (a
 * HIS export, an insurer's statement) — such a cell is prefixed with ' (CSV injection). A plain negative
 * number stays a number.
 */
function csvCell(value: Cell): string {
  const text = value === null || value === undefined ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows as CSV text, CRLF line ends (no byte-order mark: csvFile adds it for a download). */
export const csvRows = (rows: ReadonlyArray<ReadonlyArray<Cell>>): string => `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;

/** The byte-order mark that makes Excel read a UTF-8 CSV as UTF-8 (without it, Chinese is mojibake). */
export const CSV_BOM = '\uFEFF';

export type CsvCharset = 'utf-8' | 'gbk';

/** The `?charset=` of a route's query, as the route table parses it; csvCharset reads the value. */
export const csvCharsetQuery = z.enum(['utf-8', 'utf8', 'gbk', 'GBK'], { error: 'charset 应为 utf-8 或 gbk' }).optional()
  .meta({ description: 'CSV encoding: utf-8 (with a BOM; the default) or gbk, for older Excel set-ups' });

/** A download's charset as a `?charset=` query asks (utf-8 by default, gbk for older Excel set-ups). */
export function csvCharset(query: unknown): CsvCharset {
  if (query === undefined || query === 'utf-8' || query === 'utf8') return 'utf-8';
  if (query === 'gbk' || query === 'GBK') return 'gbk';
  throw new InvalidInput('charset 应为 utf-8 或 gbk', [{ path: 'charset', message: `不支持的字符集 ${String(query)}` }]);
}

/** A CSV download: UTF-8 with a BOM, or GBK. */
export function csvFile(rows: ReadonlyArray<ReadonlyArray<Cell>>, charset: CsvCharset): { body: Buffer; contentType: string } {
  const text = csvRows(rows);
  if (charset === 'gbk') return { body: iconv.encode(text, 'gbk'), contentType: 'text/csv; charset=gbk' };
  return { body: Buffer.from(CSV_BOM + text, 'utf8'), contentType: 'text/csv; charset=utf-8' };
}

/** One CSV record and the line of the file it starts on (1 = the first line), as a spreadsheet numbers it. */
export interface CsvRecord { fields: string[]; line: number }

/** Splits CSV text into records of fields; quoted fields may hold commas, quotes ("") and line breaks; blank records are skipped. */
export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else {
        if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { record.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field); field = '';
      if (record.some((f) => f !== '')) records.push({ fields: record, line: recordLine });
      record = [];
      line++;
      recordLine = line;
    } else field += ch;
  }
  record.push(field);
  if (record.some((f) => f !== '')) records.push({ fields: record, line: recordLine });
  return records;
}

/** The records' fields alone. */
export const parseCsv = (text: string): string[][] => parseCsvRecords(text).map((r) => r.fields);

export type CsvEncoding = 'utf-8' | 'gb18030';

const GB_CHARSETS = new Set(['gbk', 'gb2312', 'gb18030', 'cp936', 'x-gbk', 'euc-cn']);
const UTF8_CHARSETS = new Set(['utf-8', 'utf8']);
const BOM = [0xef, 0xbb, 0xbf];

/** The charset parameter of a Content-Type header, lower-cased, if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string | null {
  const start = BOM.every((b, i) => bytes[i] === b) ? BOM.length : 0;
  try {
    return utf8.decode(bytes.subarray(start));
  } catch {
    return null;
  }
}

/**
 * An uploaded CSV's text, whatever Excel saved it as: UTF-8 when the bytes are UTF-8 (a BOM dropped) or the
 * charset says so, GB18030 (a superset of GBK and GB2312) otherwise; and which it was.
 */
export function decodeCsvUpload(bytes: Buffer, charset?: string): { text: string; encoding: CsvEncoding } {
  if (charset !== undefined && !GB_CHARSETS.has(charset) && !UTF8_CHARSETS.has(charset) && charset !== 'us-ascii') {
    throw new InvalidInput(`不支持的字符集 ${charset}`, [{ path: '(body)', message: '请用 UTF-8 或 GBK/GB18030 保存 CSV' }]);
  }
  if (charset === undefined || !GB_CHARSETS.has(charset)) {
    const text = decodeUtf8(bytes);
    if (text !== null) return { text, encoding: 'utf-8' };
    if (charset !== undefined) {
      throw new InvalidInput('CSV 声明为 UTF-8，但内容不是有效的 UTF-8', [{ path: '(body)', message: '请确认文件编码，或去掉 charset 让网关自动识别' }]);
    }
  }
  return { text: iconv.decode(bytes, 'gb18030'), encoding: 'gb18030' };
}
