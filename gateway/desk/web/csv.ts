/**
 * Bill items from a spreadsheet: a CSV file (UTF-8, with or without BOM, or GBK as Excel saves it on a
 * Chinese Windows) or rows pasted from the clipboard (tab-separated). Columns in order: 编码, 名称,
 * 金额, 类别 (甲/乙/丙 or A/B/C), 自付比例, 超限价; a header row is recognised and skipped.
 */
export interface ItemRow { code: string; name: string; amount: string; class: string; selfPayRatio: string; overLimit: string }

/** UTF-8 when the bytes are valid UTF-8, else GBK (GB18030 superset): what a clerk's files are in. */
export function decodeSpreadsheetBytes(bytes: ArrayBuffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** RFC 4180 fields, quoted or not, separated by `separator`. */
export function parseDelimited(text: string, separator: ',' | '\t'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === separator) { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

export type ItemClass = 'A' | 'B' | 'C';
/** How the class is shown and typed at the desk (甲/乙/丙); the request carries A/B/C. */
export const CLASS_LABELS: Readonly<Record<ItemClass, string>> = { A: '甲', B: '乙', C: '丙' };
const CLASS_OF: Readonly<Record<string, ItemClass>> = { 甲: 'A', 乙: 'B', 丙: 'C', a: 'A', b: 'B', c: 'C', A: 'A', B: 'B', C: 'C', 甲类: 'A', 乙类: 'B', 丙类: 'C' };

/** The class a clerk or a spreadsheet wrote (甲, 乙类, b, C…), or undefined for anything else. */
export const classCodeOf = (text: string): ItemClass | undefined => (Object.hasOwn(CLASS_OF, text.trim()) ? CLASS_OF[text.trim()] : undefined);
const looksLikeHeader = (row: string[]) => !/^\s*[\d.]+\s*$/.test(row[2] ?? '') && /编码|名称|金额|code|name|amount/i.test(row.join(' '));

/** A row with no code, name or amount is no item (the desk does not send it): a sheet's blank line with only a class or a formula left in it. */
export const isItem = (row: Pick<ItemRow, 'code' | 'name' | 'amount'>): boolean => row.code !== '' || row.name !== '' || row.amount !== '';

export function itemsFrom(rows: string[][]): ItemRow[] {
  const body = rows.length > 0 && looksLikeHeader(rows[0]!) ? rows.slice(1) : rows;
  return body.map((r) => {
    const cell = (i: number) => (r[i] ?? '').trim();
    return {
      code: cell(0), name: cell(1), amount: cell(2).replace(/[,，¥￥\s]/g, ''),
      class: classCodeOf(cell(3)) ?? cell(3), selfPayRatio: cell(4), overLimit: cell(5).replace(/[,，¥￥\s]/g, ''),
    };
  }).filter(isItem);
}
