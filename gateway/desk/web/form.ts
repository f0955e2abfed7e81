/** The discharge form: reading it into a settlement request, filling it, items rows, and field errors in place. */
import { CATEGORY_NAMES, DISABILITY_TYPES } from '../../../schemas/vocabulary.js';
import type { Problem } from '../../../schemas/problem.js';
import type { SettlementRequestInput } from '../../../schemas/settlement.js';
import { CLASS_LABELS, classCodeOf, isItem, type ItemRow } from './csv.js';
import { byId, fenOf, h, yuan } from './dom.js';
import { addedHidden, fitRowsToView } from './rows-window.js';

export interface HospitalDefaults { id: string; name?: string; region?: string; level?: number; drgPublic?: boolean }

/**
 * The screen row of each item of a request, by the item's index: blank rows are left out of the request, so
 * item N is not always row N + 1, and an error on items.N must be placed through this.
 */
export type ItemRows = readonly HTMLTableRowElement[];

/** A request read from the form, with where its items sit on screen: what a preview sent, and so what 结算 sends. */
export interface Bill { request: SettlementRequestInput; itemRows: ItemRows }

type FieldError = Problem['errors'][number];

/**
 * The form as read: the request (null while an item's class is not one the request can carry) and what the
 * desk itself requires beyond the contract — a name for the slip, a class of 甲/乙/丙 — by request path.
 */
export interface BillReading { request: SettlementRequestInput | null; itemRows: ItemRows; deskErrors: FieldError[] }

/** items.N or items.N.field of a problem's path. */
const ITEM_PATH = /^items\.(\d+)(?:\.([A-Za-z]+))?/;

const input = (id: string) => byId<HTMLInputElement>(id);
const select = (id: string) => byId<HTMLSelectElement>(id);

/** Labels of paths for messages that cannot be placed next to a field. */
const PATH_LABELS: Array<[RegExp, string]> = [
  [/^settlementId/, '结算号'], [/^hospital/, '医院'], [/^patient\.id/, '证件号'], [/^patient\.name/, '姓名'],
  [/^patient\.insuredRegion/, '参保地区划'], [/^patient/, '患者'], [/^encounter\.admittedOn/, '入院日期'],
  [/^encounter\.dischargedOn/, '出院日期'], [/^encounter\.diagnoses/, '诊断'], [/^encounter/, '住院'],
  [/^items/, '费用明细'], [/^upstream/, '医保平台已结算金额'],
];

/** A path in the clerk's words; an item (items.N…) by the row it sits on, which is not row N + 1 when blank rows were left out. */
function pathLabel(path: string, itemRows: ItemRows): string {
  const item = ITEM_PATH.exec(path);
  if (item) return itemLabel(itemRows[Number(item[1])]);
  for (const [pattern, label] of PATH_LABELS) if (pattern.test(path)) return label;
  return path;
}

function itemLabel(row: HTMLTableRowElement | undefined): string {
  if (!row) return '费用明细';
  return row.isConnected ? `费用明细第 ${row.sectionRowIndex + 1} 行` : '费用明细（该行已删除）';
}

export function buildStaticParts(): void {
  const categories = byId('f-categories');
  for (const [code, name] of Object.entries(CATEGORY_NAMES)) {
    categories.append(h('label', {}, h('input', { type: 'checkbox', value: code, name: 'category' }), name));
  }
  const types = select('f-disability-type');
  types.append(h('option', { value: '' }, '—'));
  for (const [code, name] of Object.entries(DISABILITY_TYPES)) types.append(h('option', { value: code }, name));
}

// ---- items --------------------------------------------------------------------------------

const itemsBody = () => byId<HTMLTableSectionElement>('items-body');

/** The inputs of an item row, in order: its field, the label it is read out by, its cell's class, its own attributes. */
const ITEM_INPUTS: ReadonlyArray<readonly [keyof ItemRow, string, string, Record<string, string>]> = [
  ['code', '编码', 'c-code', {}],
  ['name', '名称', 'c-name', {}],
  ['amount', '金额', 'c-amount', { class: 'num', inputmode: 'decimal' }],
  // Typed as the clerk says it (甲, 乙类, b…: an input method cannot type into a select), shown as 甲/乙/丙.
  ['class', '类别', 'c-class', { list: 'item-classes', maxlength: '4' }],
  ['selfPayRatio', '自付比例', 'c-ratio', { class: 'num', inputmode: 'decimal' }],
  ['overLimit', '超限价', 'c-over', { class: 'num', inputmode: 'decimal' }],
];

/** Where a field's input sits among its row's inputs. */
const inputIndex = (field: keyof ItemRow) => ITEM_INPUTS.findIndex(([f]) => f === field);

/** An empty row, cloned for each row: a paste of thousands of rows is cloned, not built element by element. */
let rowTemplate: HTMLTableRowElement | undefined;

/** One row of the items table, numbered `number` (renumber() keeps numbers and labels right after any change). */
function itemRow(item: Partial<ItemRow>, number: number): HTMLTableRowElement {
  rowTemplate ??= h('tr', {},
    h('td', {}),
    ...ITEM_INPUTS.map(([field, , cls, extra]) => h('td', { class: cls }, h('input', { 'data-field': field, ...extra }))),
    h('td', {}, h('button', { type: 'button', class: 'del', title: '删除此行' }, '×')));
  const row = rowTemplate.cloneNode(true);
  if (!(row instanceof HTMLTableRowElement)) throw new Error('the item row template is not a row');
  row.cells[0]!.textContent = String(number);
  const inputs = row.getElementsByTagName('input');
  const code = classCodeOf(item.class ?? 'A');
  ITEM_INPUTS.forEach(([field, label], i) => {
    const input = inputs[i]!;
    input.setAttribute('aria-label', `第 ${number} 行${label}`);
    input.defaultValue = field === 'class' ? (code ? CLASS_LABELS[code] : item.class ?? '') : item[field] ?? '';
  });
  row.getElementsByTagName('button')[0]!.setAttribute('aria-label', `删除第 ${number} 行`);
  return row;
}

/** A class as typed (乙类, b, C…) written as the desk shows it (乙); anything else is left for the desk's check to name. */
export function normaliseClass(input: HTMLInputElement): void {
  const code = classCodeOf(input.value);
  if (code) input.value = CLASS_LABELS[code];
}

export function addItemRow(item: Partial<ItemRow> = {}): HTMLTableRowElement {
  const body = itemsBody();
  const row = body.appendChild(itemRow(item, body.rows.length + 1));
  // Shown, also at the end of a long list: the clerk types in it next.
  fitRowsToView(row);
  recount();
  return row;
}

/** Every input of the row empty (the class aside, which always holds one): a row the clerk has not started. */
const untouched = (row: HTMLTableRowElement) =>
  [...row.querySelectorAll<HTMLInputElement>('input')].every((input) => input.dataset.field === 'class' || input.value === '');

/**
 * Items appended in one change of the table, numbered once: a paste of thousands of rows costs one pass, not
 * one per row. Untouched rows at the end (a new form's first row, the row Enter opened) are replaced.
 */
export function appendItemRows(items: ReadonlyArray<Partial<ItemRow>>): void {
  const body = itemsBody();
  while (body.lastElementChild instanceof HTMLTableRowElement && untouched(body.lastElementChild)) body.lastElementChild.remove();
  const hidden = addedHidden(body.rows.length + items.length);
  const rows = document.createDocumentFragment();
  items.forEach((item, i) => rows.append(Object.assign(itemRow(item, body.rows.length + i + 1), { hidden })));
  body.append(rows);
  renumber();
}

export function setItems(items: ReadonlyArray<Partial<ItemRow>>): void {
  const hidden = addedHidden(items.length);
  itemsBody().replaceChildren(...items.map((item, i) => Object.assign(itemRow(item, i + 1), { hidden })));
  renumber();
}

/**
 * Row numbers after rows were deleted or inserted, then the count and total. The number is also in each
 * control's label (第 N 行…), so that a screen reader names the row the clerk sees after one above it was
 * deleted; rows whose number did not change are not touched.
 */
export function renumber(): void {
  [...itemsBody().rows].forEach((row, i) => {
    const number = String(i + 1);
    if (row.cells[0]!.textContent === number) return;
    row.cells[0]!.textContent = number;
    for (const labelled of row.querySelectorAll('[aria-label]')) {
      labelled.setAttribute('aria-label', (labelled.getAttribute('aria-label') ?? '').replace(/第 \d+ 行/, `第 ${number} 行`));
    }
  });
  fitRowsToView();
  recount();
}

/** The count of items (rows with a code, name or amount: what is sent) and their running total, after any change. */
export function recount(): number {
  let totalFen = 0;
  let count = 0;
  for (const row of itemsBody().rows) {
    // By position, not by selector: this runs on every key typed, over every row of a long list.
    const inputs = row.getElementsByTagName('input');
    const value = (field: keyof ItemRow) => inputs[inputIndex(field)]?.value.trim() ?? '';
    const amount = value('amount');
    if (!isItem({ code: value('code'), name: value('name'), amount })) continue;
    count += 1;
    totalFen += fenOf(/^\d+$/.test(amount) ? `${amount}.00` : /^\d+\.\d$/.test(amount) ? `${amount}0` : amount);
  }
  byId('items-total').textContent = yuan(totalFen);
  byId('items-count').textContent = `${count} 项`;
  return count;
}

type Item = SettlementRequestInput['items'][number];

/** An item as the row holds it; the class as typed (the request's A/B/C is read from it by the caller). */
function readRow(row: HTMLTableRowElement): { code: string; name: string; amount: string; classText: string; selfPayRatio?: string; overLimit?: string } {
  const value = (field: string) => row.querySelector<HTMLInputElement>(`[data-field="${field}"]`)?.value.trim() ?? '';
  return {
    code: value('code'), name: value('name'), amount: value('amount'), classText: value('class'),
    ...(value('selfPayRatio') ? { selfPayRatio: value('selfPayRatio') } : {}),
    ...(value('overLimit') ? { overLimit: value('overLimit') } : {}),
  };
}

/**
 * The items of the filled rows and the row each came from (a blank row is not an item); an item whose class
 * is not 甲/乙/丙 is named in `classErrors` and leaves `items` null.
 */
function readItems(): { items: Item[] | null; itemRows: HTMLTableRowElement[]; classErrors: FieldError[] } {
  const items: Item[] = [];
  const itemRows: HTMLTableRowElement[] = [];
  const classErrors: FieldError[] = [];
  for (const row of itemsBody().rows) {
    const { classText, ...read } = readRow(row);
    if (!isItem(read)) continue;
    const code = classCodeOf(classText);
    if (!code) classErrors.push({ path: `items.${items.length}.class`, message: classText ? `类别「${classText}」无效：请填 甲、乙 或 丙` : '请填写类别：甲、乙 或 丙' });
    items.push({ ...read, class: code ?? 'A' });
    itemRows.push(row);
  }
  return { items: classErrors.length > 0 ? null : items, itemRows, classErrors };
}

/** Whether the clerk has begun this patient's bill: an ID, a name, a diagnosis or an item typed. */
export function billStarted(): boolean {
  if (['f-patient-id', 'f-patient-name', 'f-diagnoses'].some((id) => input(id).value.trim() !== '')) return true;
  return readItems().itemRows.length > 0;
}

// ---- the whole request --------------------------------------------------------------------

export function readBill(hospital: HospitalDefaults): BillReading {
  const { items, itemRows, classErrors } = readItems();
  // The contract lets a HIS leave the name out; the desk prints it on the slip the patient signs.
  const nameErrors = input('f-patient-name').value.trim() ? [] : [{ path: 'patient.name', message: '请填写患者姓名（打印在结算单上）' }];
  return { request: items ? readRequest(hospital, items) : null, itemRows, deskErrors: [...nameErrors, ...classErrors] };
}

function readRequest(hospital: HospitalDefaults, items: Item[]): SettlementRequestInput {
  const text = (id: string) => input(id).value.trim();
  const categories = [...byId('f-categories').querySelectorAll<HTMLInputElement>('input:checked')].map((c) => c.value) as SettlementRequestInput['patient']['categories'];
  const grade = select('f-disability-grade').value;
  const type = select('f-disability-type').value;
  const diagnoses = text('f-diagnoses').split(/[,，;；\s]+/).filter(Boolean).map((icd10, i) => ({ icd10: icd10.toUpperCase(), primary: i === 0 }));
  const upstream: Record<string, string> = {};
  for (const [id, layer] of [['f-up-basic', 'basic'], ['f-up-major', 'majorIllness'], ['f-up-waiver', 'waiver'], ['f-up-aid', 'aid']] as const) {
    if (text(id)) upstream[layer] = text(id);
  }
  const name = text('f-patient-name');
  return {
    settlementId: text('f-settlementId'),
    hospital: {
      id: hospital.id,
      ...(hospital.name ? { name: hospital.name } : {}),
      region: text('f-hospital-region'),
      level: Number(select('f-hospital-level').value),
      drgPublic: input('f-hospital-drg').checked,
    },
    patient: {
      id: text('f-patient-id'),
      ...(name ? { name } : {}),
      insuredRegion: text('f-patient-region'),
      scheme: select('f-patient-scheme').value as 'employee' | 'resident',
      categories,
      basicInsuranceActive: input('f-patient-active').checked,
      ...(grade || type ? { disability: { grade: Number(grade), type: type as 'physical' } } : {}),
    },
    encounter: {
      kind: select('f-encounter-kind').value as SettlementRequestInput['encounter']['kind'],
      admittedOn: text('f-admitted'),
      dischargedOn: text('f-discharged'),
      diagnoses,
      cause: select('f-cause').value as 'disease' | 'accident',
      thirdPartyLiable: input('f-third-party').checked,
    },
    items,
    ...(Object.keys(upstream).length > 0 ? { upstream } : {}),
  };
}

/** A new patient: a fresh settlement number, the hospital's defaults, the rest empty. */
export function resetForm(hospital: HospitalDefaults, settlementId: string): void {
  byId<HTMLFormElement>('bill-form').reset();
  input('f-settlementId').value = settlementId;
  input('f-hospital-region').value = hospital.region ?? '';
  select('f-hospital-level').value = String(hospital.level ?? 3);
  input('f-hospital-drg').checked = hospital.drgPublic ?? false;
  input('f-patient-region').value = hospital.region ?? '';
  setItems([{}]);
  clearErrors();
}

// ---- errors -------------------------------------------------------------------------------

export function clearErrors(): void {
  for (const e of document.querySelectorAll('.field-error')) e.remove();
  for (const e of document.querySelectorAll('[aria-invalid="true"]')) e.removeAttribute('aria-invalid');
  const banner = byId('form-error');
  banner.hidden = true;
  banner.textContent = '';
}

/**
 * The control a problem's path belongs to. An item's field is found through the row the item was read from;
 * any other path by the exact path, else the nearest enclosing one (patient.disability.grade → patient.disability).
 */
function controlFor(path: string, itemRows: ItemRows): HTMLElement | null {
  const item = ITEM_PATH.exec(path);
  if (item) {
    const row = itemRows[Number(item[1])];
    // A whole item's error (items.N), or one whose row was deleted since, goes to the banner, which names the row.
    return row?.isConnected && item[2] ? row.querySelector<HTMLElement>(`[data-field="${item[2]}"]`) : null;
  }
  const parts = path.split('.');
  while (parts.length > 0) {
    const found = document.querySelector<HTMLElement>(`#bill-form [data-path="${CSS.escape(parts.join('.'))}"]`);
    if (found) return found;
    parts.pop();
  }
  return null;
}

/**
 * Each field error of the problem next to its field (in the problem's words); the rest in the banner. The first
 * bad field gets focus. `itemRows` are those of the bill the problem answers, to place its items' errors.
 */
export function showProblem(problem: Problem, itemRows: ItemRows = []): void {
  clearErrors();
  const unplaced: string[] = [];
  let first: HTMLElement | null = null;
  for (const error of problem.errors) {
    const control = controlFor(error.path, itemRows);
    if (!control) { unplaced.push(`${pathLabel(error.path, itemRows)}：${error.message}`); continue; }
    control.setAttribute('aria-invalid', 'true');
    const message = h('small', { class: 'field-error', role: 'alert', 'data-error-for': error.path }, error.message);
    (control.closest('td, div') ?? control.parentElement)?.append(message);
    first ??= control;
  }
  const banner = byId('form-error');
  banner.textContent = [problem.title, problem.errors.length === 0 ? problem.detail : '', ...unplaced].filter(Boolean).join('；');
  banner.hidden = false;
  // The first bad field may sit in a row a long list keeps hidden: it is brought into view first.
  const firstRow = first?.closest('tr');
  if (firstRow?.parentElement === itemsBody()) fitRowsToView(firstRow);
  (first ?? banner).focus();
}
