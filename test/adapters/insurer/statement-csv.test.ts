/**
 * A statement's CSV as Excel saves it: dates as 2026/12/6, without leading zeros, with a time; the same
 * content as the ISO-dated file. Dates that do not exist are refused in Chinese, naming the row of the
 * file and the column, beside every other bad cell. (The upload over a socket: reconciliation.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { parseCsvStatement, statementDigest } from '../../../adapters/insurer/statements.js';
import { InvalidInput } from '../../../gateway/errors.js';
import { readSpreadsheetDate } from '../../../gateway/spreadsheet-date.js';

const HEADER = { statementNo: 'CL-WH-202612', from: '2026-01-01', to: '2026-12-31' };
const csv = (...rows: string[]) => ['claimId,hospitalId,settledOn,amount,paidOn,paymentRef', ...rows].join('\r\n');

function refusal(run: () => unknown): Array<{ path: string; message: string }> {
  try { run(); } catch (error) {
    if (error instanceof InvalidInput) return [...error.errors];
    throw error;
  }
  throw new Error('accepted');
}

describe('dates as a spreadsheet writes them', () => {
  it('reads Y/M/D and Y-M-D, with or without leading zeros, with or without a time', () => {
    const read = (cell: string) => { const r = readSpreadsheetDate(cell); return r.ok ? r.date : r.message; };
    expect(read('2026/12/6')).toBe('2026-12-06');
    expect(read('2026/1/5')).toBe('2026-01-05');
    expect(read('2026/01/05')).toBe('2026-01-05');
    expect(read('2026/12/6 9:05')).toBe('2026-12-06');
    expect(read(' 2026/12/6 23:59:59 ')).toBe('2026-12-06');
    expect(read('2026-12-06')).toBe('2026-12-06');
    expect(read('2026-1-5 09:05')).toBe('2026-01-05');
    expect(read('2024/2/29')).toBe('2024-02-29');
    expect(read('2000/2/29')).toBe('2000-02-29');
  });

  it('refuses days that do not exist, times that do not, and what is no date, saying which', () => {
    const why = (cell: string) => { const r = readSpreadsheetDate(cell); return r.ok ? `accepted as ${r.date}` : r.message; };
    expect(why('2026/2/30')).toBe('“2026/2/30”不是存在的日期：2026 年 2 月只有 28 天');
    expect(why('2100/2/29')).toBe('“2100/2/29”不是存在的日期：2100 年 2 月只有 28 天');
    expect(why('2026/4/31')).toContain('4 月只有 30 天');
    expect(why('2026/13/1')).toContain('没有 13 月');
    expect(why('2026/12/0')).toContain('只有 31 天');
    expect(why('2026/12/6 24:00')).toContain('时间不存在');
    expect(why('2026/12/6 9:60')).toContain('时间不存在');
    for (const cell of ['6/12/2026', '2026/12-6', '20261206', '2026年12月6日x', '']) expect(why(cell)).toContain('不是日期');
  });
});

describe('a CSV statement', () => {
  it('is the same statement whether its dates are as Excel writes them or ISO', () => {
    const excel = parseCsvStatement(csv('clm_A,H37100200001,2026/12/6 9:05,4000.00,2026/1/5,工行001', 'clm_B,H37100200001,2026/3/10,25.5,2026/04/05 14:30:00,'), HEADER);
    const iso = parseCsvStatement(csv('clm_A,H37100200001,2026-12-06,4000.00,2026-01-05,工行001', 'clm_B,H37100200001,2026-03-10,25.5,2026-04-05,'), HEADER);
    expect(excel.lines.map((l) => [l.settledOn, l.paidOn])).toEqual([['2026-12-06', '2026-01-05'], ['2026-03-10', '2026-04-05']]);
    expect(statementDigest(excel)).toBe(statementDigest(iso));
  });

  it('refuses an impossible date naming the row of the file and the column, beside the other bad cells', () => {
    const errors = refusal(() => parseCsvStatement(csv(
      'clm_A,H37100200001,2026/12/6,4000.00,2026/1/5,',
      'clm_B,H37100200001,2026/2/30,-1,2026/1/5,',
      '"clm_C",H37100200001,2026/3/1,"1.00",2026/13/5,',
    ), HEADER));
    expect(errors).toEqual(expect.arrayContaining([
      { path: 'lines.1.settledOn', message: '第 3 行 settledOn 列：“2026/2/30”不是存在的日期：2026 年 2 月只有 28 天' },
      { path: 'lines.2.paidOn', message: '第 4 行 paidOn 列：“2026/13/5”不是存在的日期：没有 13 月' },
      { path: 'lines.1.amount', message: expect.stringMatching(/^第 3 行 amount 列：应为金额/) },
    ]));
    // A cell refused for its date is not refused a second time as missing.
    expect(errors).toHaveLength(3);
  });

  it('counts rows as the file does when a quoted cell spans lines', () => {
    const errors = refusal(() => parseCsvStatement(csv('clm_A,H37100200001,2026/12/6,4000.00,2026/1/5,"转账\r\n第二行"', 'clm_B,H37100200001,2026/2/29,1.00,2026/1/5,'), HEADER));
    expect(errors).toEqual([{ path: 'lines.1.settledOn', message: '第 4 行 settledOn 列：“2026/2/29”不是存在的日期：2026 年 2 月只有 28 天' }]);
  });
});
