/**
 * CSV for hospital finance offices, who open it in Excel: UTF-8 with a byte-order mark (without it
 * Excel reads Chinese as mojibake), or GBK on request (`?charset=gbk`) for older Excel set-ups.
 */
import iconv from 'iconv-lite';
import { csvCell } from '../../gateway/csv-cell.js';
import { InvalidInput } from '../../gateway/errors.js';

export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export type Charset = 'utf-8' | 'gbk';

export function charsetOf(query: unknown): Charset {
  if (query === undefined || query === 'utf-8' || query === 'utf8') return 'utf-8';
  if (query === 'gbk' || query === 'GBK') return 'gbk';
  throw new InvalidInput('charset 为 utf-8 或 gbk', [{ path: 'charset', message: `unknown charset ${String(query)}` }]);
}

export function encodeCsv(text: string, charset: Charset): { body: Buffer; contentType: string } {
  if (charset === 'gbk') return { body: iconv.encode(text, 'gbk'), contentType: 'text/csv; charset=gbk' };
  return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]), contentType: 'text/csv; charset=utf-8' };
}

/** Reads an uploaded CSV body: UTF-8 (a BOM is dropped) or GBK. */
export function decodeCsv(body: Buffer, charset: Charset): string {
  const text = charset === 'gbk' ? iconv.decode(body, 'gbk') : body.toString('utf8');
  return text.replace(/^\uFEFF/, '');
}
