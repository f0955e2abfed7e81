/** Roster CSV (RFC 4180): a header line naming the columns, then one row per line. */
import { parseCsvRecords } from '../csv.js';

const TRUE = new Set(['true', '1', 'yes', 'y', '是']);
const FALSE = new Set(['false', '0', 'no', 'n', '否', '']);

/**
 * CSV records → raw roster rows for the zod schema. Columns personId, from, to, categories
 * (separated by ";"), preExisting; any other column becomes an attribute.
 */
export function csvToRows(text: string): { rows: unknown[]; lines: number[]; headerErrors: string[] } {
  const [header, ...body] = parseCsvRecords(text.replace(/^\uFEFF/, ''));
  if (!header) return { rows: [], lines: [], headerErrors: ['CSV 为空：第一行须为表头'] };
  const names = header.fields.map((h) => h.trim());
  const missing = ['personId', 'from', 'to'].filter((n) => !names.includes(n));
  if (missing.length > 0) return { rows: [], lines: [], headerErrors: [`表头缺少列：${missing.join('、')}`] };
  const rows = body.map(({ fields }) => {
    const row: Record<string, unknown> = { attributes: {} };
    const attributes: Record<string, string> = {};
    names.forEach((name, i) => {
      const value = (fields[i] ?? '').trim();
      if (name === 'categories') row.categories = value === '' ? [] : value.split(';').map((c) => c.trim()).filter(Boolean);
      else if (name === 'preExisting') row.preExisting = TRUE.has(value.toLowerCase()) ? true : FALSE.has(value.toLowerCase()) ? false : value;
      else if (name === 'personId' || name === 'from' || name === 'to') row[name] = value;
      else if (value !== '') attributes[name] = value;
    });
    row.attributes = attributes;
    return row;
  });
  // Rejections name the line of the file (header = line 1), as the clerk sees it in Excel.
  return { rows, lines: body.map((r) => r.line), headerErrors: [] };
}
