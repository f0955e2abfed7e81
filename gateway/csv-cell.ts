/**
 * One CSV cell (RFC 4180 quoting) that a spreadsheet will not run: a text beginning with = + - @ (or a tab
 * or carriage return) is a formula to Excel, and a file a clerk opens may carry text someone else wrote (a
 * HIS export, an insurer's statement) — such a cell is prefixed with ' (CSV injection). A plain negative
 * number stays a number.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
