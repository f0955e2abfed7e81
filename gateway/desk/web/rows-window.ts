/**
 * A long items list (thousands of rows pasted from a spreadsheet) lays out only the rows near the view: the
 * rest are hidden (display: none, so neither laid out nor painted — 12 000 inputs laid out took seconds) and
 * stood in for by two spacer rows of their height, so the scroll bar is the whole list's. Every row stays in
 * the table, read, counted and sent as before; up to ROWS_ALWAYS_SHOWN rows nothing is hidden at all.
 */
import { byId } from './dom.js';

const ROWS_ALWAYS_SHOWN = 150;
/** Rows shown beyond each edge of the view, so that Tab, Enter and the arrow keys always land on a shown row. */
const ROWS_AROUND_VIEW = 40;
/** A row's height before one could be measured (13 px text, an input's padding and border). */
const ROW_HEIGHT_PX_GUESS = 26;

let rowHeightPx = ROW_HEIGHT_PX_GUESS;

/**
 * Whether rows added to make a list of `count` rows go in hidden, to be shown by fitRowsToView: laid out
 * once inserted, when the view is measured, they would cost what this module saves.
 */
export const addedHidden = (count: number): boolean => count > ROWS_ALWAYS_SHOWN;

/**
 * Shows the rows in and around the view and hides the rest; with `row`, the view is first moved to that row
 * (a row just added, or the row of an error to focus), which is shown when this returns.
 */
export function fitRowsToView(row?: HTMLTableRowElement): void {
  const body = byId<HTMLTableSectionElement>('items-body');
  const scroller = byId('items-scroll');
  const rows = body.rows;
  if (rows.length <= ROWS_ALWAYS_SHOWN) { showRange(rows, 0, rows.length); return; }
  const rowsInView = Math.ceil(scroller.clientHeight / rowHeightPx);
  const scrolledPx = Math.max(0, scroller.scrollTop - byId('items-before').offsetTop);
  const first = row ? Math.max(0, row.sectionRowIndex - Math.floor(rowsInView / 2)) : Math.floor(scrolledPx / rowHeightPx);
  const start = Math.max(0, first - ROWS_AROUND_VIEW);
  const end = Math.min(rows.length, first + rowsInView + ROWS_AROUND_VIEW);
  showRange(rows, start, end);
  const shown = rows[start];
  if (shown) rowHeightPx = shown.getBoundingClientRect().height || rowHeightPx;
  byId('items-before').style.height = `${start * rowHeightPx}px`;
  byId('items-after').style.height = `${(rows.length - end) * rowHeightPx}px`;
}

function showRange(rows: HTMLCollectionOf<HTMLTableRowElement>, start: number, end: number): void {
  for (let i = 0; i < rows.length; i++) {
    const hide = i < start || i >= end;
    if (rows[i]!.hidden !== hide) rows[i]!.hidden = hide;
  }
  if (start === 0 && end === rows.length) {
    byId('items-before').style.height = '0px';
    byId('items-after').style.height = '0px';
  }
}
