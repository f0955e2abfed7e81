/** CSV for spreadsheets: RFC 4180 quoting, UTF-8 with a BOM so that Excel reads the Chinese text. */
import { csvCell } from '../csv-cell.js';

export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null | undefined>>): string {
  return `\uFEFF${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
