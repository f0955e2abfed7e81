/**
 * A date cell as a spreadsheet writes it. Excel (zh-CN) saves a date column to CSV as `2026/12/6`, drops
 * leading zeros (`2026/1/5`) and keeps a time when the cell had one (`2026/12/6 9:05`); files typed by
 * hand use `-`. What the day was is all that counts here, so a time is checked and dropped.
 */

export type SpreadsheetDate = { ok: true; date: string } | { ok: false; message: string };

const CELL = /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?)?$/;

const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysInMonth = (year: number, month: number): number => (month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);

/** The cell's day as YYYY-MM-DD, or why it is not a day that exists (in Chinese, quoting the cell). */
export function readSpreadsheetDate(cell: string): SpreadsheetDate {
  const text = cell.trim();
  const m = CELL.exec(text);
  if (!m) return { ok: false, message: `“${text}”不是日期：应为 2026-12-06、2026/12/6 或带时间的 2026/12/6 9:05` };
  const [year, month, day] = [Number(m[1]), Number(m[3]), Number(m[4])];
  if (month < 1 || month > 12) return { ok: false, message: `“${text}”不是存在的日期：没有 ${month} 月` };
  const last = daysInMonth(year, month);
  if (day < 1 || day > last) return { ok: false, message: `“${text}”不是存在的日期：${year} 年 ${month} 月只有 ${last} 天` };
  if (m[5] !== undefined && (Number(m[5]) > 23 || Number(m[6]) > 59 || Number(m[7] ?? 0) > 59)) {
    return { ok: false, message: `“${text}”的时间不存在：应为 0:00 至 23:59` };
  }
  return { ok: true, date: `${m[1]}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}` };
}
