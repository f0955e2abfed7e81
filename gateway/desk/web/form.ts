/** The discharge form: reading it into a settlement request, filling it, items rows, and field errors in place. */
import { CATEGORY_NAMES, DISABILITY_TYPES } from '../../../schemas/vocabulary.js';
import type { Problem } from '../../../schemas/problem.js';
import type { SettlementRequestInput } from '../../../schemas/settlement.js';
import type { ItemRow } from './csv.js';
import { byId, fenOf, h, yuan } from './dom.js';

export interface HospitalDefaults { id: string; name?: string; region?: string; level?: number; drgPublic?: boolean }

/**
 * The screen row of each item of a request, by the item's index: blank rows are left out of the request, so
 * item N is not always row N + 1, and an error on items.N must be placed through this.
 */
export type ItemRows = readonly HTMLTableRowElement[];

/** A request read from the form, with where its items sit on screen: what a preview sent, and so what 结算 sends. */
export interface Bill { request: SettlementRequestInput; itemRows: ItemRows }

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

export function addItemRow(item: Partial<ItemRow> = {}): HTMLTableRowElement {
  const body = itemsBody();
  const index = body.rows.length;
  const cell = (field: keyof ItemRow, label: string, cls: string, extra: Record<string, string> = {}) =>
    h('td', { class: cls }, h('input', { 'aria-label': `第 ${index + 1} 行${label}`, 'data-field': field, value: item[field] ?? '', ...extra }));
  const classSelect = h('select', { 'aria-label': `第 ${index + 1} 行类别`, 'data-field': 'class' },
    h('option', { value: 'A' }, '甲'), h('option', { value: 'B' }, '乙'), h('option', { value: 'C' }, '丙'));
  classSelect.value = item.class && ['A', 'B', 'C'].includes(item.class) ? item.class : 'A';
  const row = h('tr', {},
    h('td', {}, String(index + 1)),
    cell('code', '编码', 'c-code'),
    cell('name', '名称', 'c-name'),
    cell('amount', '金额', 'c-amount', { class: 'num', inputmode: 'decimal' }),
    h('td', { class: 'c-class' }, classSelect),
    cell('selfPayRatio', '自付比例', 'c-ratio', { class: 'num', inputmode: 'decimal' }),
    cell('overLimit', '超限价', 'c-over', { class: 'num', inputmode: 'decimal' }),
    h('td', {}, h('button', { type: 'button', class: 'del', 'aria-label': `删除第 ${index + 1} 行`, title: '删除此行' }, '×')),
  );
  body.append(row);
  renumber();
  return row;
}

export function setItems(items: Array<Partial<ItemRow>>): void {
  itemsBody().replaceChildren();
  for (const item of items) addItemRow(item);
  renumber();
}

/**
 * Row numbers and the running total after any change. The number is also in each control's label (第 N 行…),
 * so that a screen reader names the row the clerk sees after one above it was deleted.
 */
export function renumber(): void {
  let totalFen = 0;
  [...itemsBody().rows].forEach((row, i) => {
    row.cells[0]!.textContent = String(i + 1);
    for (const labelled of row.querySelectorAll('[aria-label]')) {
      labelled.setAttribute('aria-label', (labelled.getAttribute('aria-label') ?? '').replace(/第 \d+ 行/, `第 ${i + 1} 行`));
    }
    const amount = row.querySelector<HTMLInputElement>('[data-field="amount"]')?.value.trim() ?? '';
    totalFen += fenOf(/^\d+$/.test(amount) ? `${amount}.00` : /^\d+\.\d$/.test(amount) ? `${amount}0` : amount);
  });
  byId('items-total').textContent = yuan(totalFen);
  byId('items-count').textContent = `${itemsBody().rows.length} 项`;
}

type Item = SettlementRequestInput['items'][number];

function readItem(row: HTMLTableRowElement): Item {
  const value = (field: string) => row.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-field="${field}"]`)?.value.trim() ?? '';
  const cls = value('class') as 'A' | 'B' | 'C';
  return {
    code: value('code'), name: value('name'), amount: value('amount'), class: cls,
    ...(value('selfPayRatio') ? { selfPayRatio: value('selfPayRatio') } : {}),
    ...(value('overLimit') ? { overLimit: value('overLimit') } : {}),
  };
}

/** The items of the filled rows, and the row each came from (a blank row is not an item). */
function readItems(): { items: Item[]; itemRows: HTMLTableRowElement[] } {
  const items: Item[] = [];
  const itemRows: HTMLTableRowElement[] = [];
  for (const row of itemsBody().rows) {
    const item = readItem(row);
    if (!item.code && !item.name && !item.amount) continue;
    items.push(item);
    itemRows.push(row);
  }
  return { items, itemRows };
}

// ---- the whole request --------------------------------------------------------------------

export function readBill(hospital: HospitalDefaults): Bill {
  const { items, itemRows } = readItems();
  return { request: readRequest(hospital, items), itemRows };
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
      kind: select('f-encounter-kind').value as 'inpatient' | 'outpatientSpecial',
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
  (first ?? banner).focus();
}
