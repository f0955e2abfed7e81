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

const CLASS_OF: Record<string, string> = { 甲: 'A', 乙: 'B', 丙: 'C', a: 'A', b: 'B', c: 'C', A: 'A', B: 'B', C: 'C', 甲类: 'A', 乙类: 'B', 丙类: 'C' };
const looksLikeHeader = (row: string[]) => !/^\s*[\d.]+\s*$/.test(row[2] ?? '') && /编码|名称|金额|code|name|amount/i.test(row.join(' '));

export function itemsFrom(rows: string[][]): ItemRow[] {
  const body = rows.length > 0 && looksLikeHeader(rows[0]!) ? rows.slice(1) : rows;
  return body.map((r) => {
    const cell = (i: number) => (r[i] ?? '').trim();
    return {
      code: cell(0), name: cell(1), amount: cell(2).replace(/[,，¥￥\s]/g, ''),
      class: CLASS_OF[cell(3)] ?? cell(3), selfPayRatio: cell(4), overLimit: cell(5).replace(/[,，¥￥\s]/g, ''),
    };
  });
}
