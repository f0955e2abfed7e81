/** Items from a spreadsheet: CSV and pasted rows parse back to the cells written, in UTF-8 (BOM or not) and GBK. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSpreadsheetBytes, itemsFrom, parseDelimited } from '../../gateway/desk/web/csv.js';

const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);

describe('parseDelimited', () => {
  it('reads back any table written as RFC 4180 CSV (quotes, commas, newlines in cells)', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', '药', ',', '"', '\n', ' ', '1', '.'), maxLength: 8 });
    fc.assert(fc.property(fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 6 }), (rows) => {
      const nonEmpty = rows.filter((r) => r.some((c) => c.trim() !== ''));
      const text = rows.map((r) => r.map(quote).join(',')).join('\r\n');
      expect(parseDelimited(text, ',')).toEqual(nonEmpty);
    }), { numRuns: 500 });
  });

  it('reads tab-separated rows as a spreadsheet puts them on the clipboard', () => {
    expect(parseDelimited('A1\t综合费用\t100\n\nB1\t药\t2.5\n', '\t')).toEqual([['A1', '综合费用', '100'], ['B1', '药', '2.5']]);
  });
});

describe('decodeSpreadsheetBytes', () => {
  it('reads UTF-8 with or without a BOM, and GBK otherwise', () => {
    expect(decodeSpreadsheetBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('床位费')]).buffer)).toBe('床位费');
    expect(decodeSpreadsheetBytes(new Uint8Array(Buffer.from('床位费,甲')).buffer)).toBe('床位费,甲');
    expect(decodeSpreadsheetBytes(new Uint8Array([0xb4, 0xb2, 0xce, 0xbb, 0xb7, 0xd1, 0x2c, 0xbc, 0xd7]).buffer)).toBe('床位费,甲');
  });
});

describe('itemsFrom', () => {
  it('skips a header row, maps 甲乙丙 to A/B/C and strips thousands separators and currency signs', () => {
    expect(itemsFrom([['编码', '名称', '金额', '类别', '自付比例', '超限价'], ['X1', '某乙类药', '¥12,000.50', '乙', '0.10', ''], ['X2', '床位费', '300', 'a', '', '1,060.00']])).toEqual([
      { code: 'X1', name: '某乙类药', amount: '12000.50', class: 'B', selfPayRatio: '0.10', overLimit: '' },
      { code: 'X2', name: '床位费', amount: '300', class: 'A', selfPayRatio: '', overLimit: '1060.00' },
    ]);
  });
});
