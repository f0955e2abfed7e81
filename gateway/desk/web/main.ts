/** The billing desk's page: sign-in, the discharge form, preview → settle → print, reversal, look-ups and the day's list. */
import type { Problem } from '../../../schemas/problem.js';
import type { Split } from '../../../schemas/settlement.js';
import { api, ProblemError, session } from './api.js';
import { decodeSpreadsheetBytes, itemsFrom, parseDelimited } from './csv.js';
import { normaliseDate } from './dates.js';
import { byId, chinaToday, h } from './dom.js';
import { addItemRow, appendItemRows, billStarted, buildStaticParts, clearErrors, normaliseClass, readBill, recount, renumber, resetForm, setItems, showProblem, type Bill, type HospitalDefaults } from './form.js';
import { dropWarning, refusedNotice, settleOutcomeOf, unfinishedNotice, type Unfinished } from './outcome.js';
import { renderDay, standingTable, summaryTable } from './lists.js';
import { fitRowsToView } from './rows-window.js';
import { renderSplit } from './split-view.js';

const HOSPITAL_KEY = 'desk.hospital';

const state: {
  hospitals: HospitalDefaults[];
  hospital: HospitalDefaults | null;
  /** The split on the settle tab (preview or settled), and the one shown on the look-up tab. */
  current: Split | null;
  /** The bill the preview on screen was made from: what 结算 sends, never a re-read of the form. Null when no preview stands. */
  previewed: Bill | null;
  looked: Split | null;
  /** Changes to the bill so far: a preview answered after another change is not of what is on screen. */
  edits: number;
  /** The settlement number of a 结算 sent and not yet answered: 结算 waits for its answer. */
  inFlight: string | null;
  /** A 结算 that got no final answer (not recorded, or unknown), and the bill it sent: 重新结算 sends that again. */
  unfinished: { bill: Bill; notice: Unfinished } | null;
  /** Patients begun (下一位) so far: a settlement number that arrives for an earlier one is not used. */
  patients: number;
  /** The new patient's settlement number on its way from the gateway: a preview waits for it. */
  numbering: Promise<void>;
} = { hospitals: [], hospital: null, current: null, previewed: null, looked: null, edits: 0, inFlight: null, unfinished: null, patients: 0, numbering: Promise.resolve() };

const button = (id: string) => byId<HTMLButtonElement>(id);

// ---- sign-in ------------------------------------------------------------------------------

async function signIn(token: string, operator: string): Promise<void> {
  const { hospitals } = await api.hospitals(token);
  session.start(token, operator);
  state.hospitals = hospitals;
  await enterApp();
}

/**
 * A hospital the configuration names without region or level: what the clerk typed last time, kept in this
 * browser. Read field by field (anything else in the browser's storage may sit under the key), not cast.
 */
function typedDefaults(id: string): Partial<HospitalDefaults> {
  let stored: unknown;
  try { stored = JSON.parse(localStorage.getItem(`desk.hospital.${id}`) ?? '{}'); } catch { return {}; }
  if (typeof stored !== 'object' || stored === null) return {};
  return {
    ...('region' in stored && typeof stored.region === 'string' ? { region: stored.region } : {}),
    ...('level' in stored && typeof stored.level === 'number' ? { level: stored.level } : {}),
    ...('drgPublic' in stored && typeof stored.drgPublic === 'boolean' ? { drgPublic: stored.drgPublic } : {}),
  };
}

/** Hospitals whose configuration gives no region: the clerk's typed defaults are remembered for them. */
const unconfigured = new Set<string>();

function rememberTypedDefaults(): void {
  const hospital = state.hospital;
  if (!hospital || !unconfigured.has(hospital.id)) return;
  const typed = { region: byId<HTMLInputElement>('f-hospital-region').value.trim(), level: Number(byId<HTMLSelectElement>('f-hospital-level').value), drgPublic: byId<HTMLInputElement>('f-hospital-drg').checked };
  localStorage.setItem(`desk.hospital.${hospital.id}`, JSON.stringify(typed));
}

async function enterApp(): Promise<void> {
  if (state.hospitals.length === 0) state.hospitals = (await api.hospitals()).hospitals;
  for (const h of state.hospitals) if (!h.region) unconfigured.add(h.id);
  state.hospitals = state.hospitals.map((h) => (h.region ? h : { ...typedDefaults(h.id), ...h }));
  const select = byId<HTMLSelectElement>('hospital-select');
  select.replaceChildren(...state.hospitals.map((hospital) => h('option', { value: hospital.id }, hospital.name ? `${hospital.name}（${hospital.id}）` : hospital.id)));
  const remembered = localStorage.getItem(HOSPITAL_KEY);
  state.hospital = state.hospitals.find((x) => x.id === remembered) ?? state.hospitals[0] ?? null;
  if (state.hospital) select.value = state.hospital.id;
  byId('operator-name').textContent = session.operator;
  byId('signin').hidden = true;
  byId('app').hidden = false;
  newPatient();
}

function signOut(): void {
  session.end();
  setCurrent(null);
  byId('app').hidden = true;
  byId('signin').hidden = false;
  byId<HTMLInputElement>('signin-token').value = '';
  byId<HTMLInputElement>('signin-token').focus();
}

// ---- tabs ---------------------------------------------------------------------------------

function showTab(name: 'settle' | 'lookup' | 'day'): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>('[data-tab]')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
  for (const panel of ['settle', 'lookup', 'day']) byId(`tab-${panel}`).hidden = panel !== name;
  if (name === 'settle') byId<HTMLInputElement>('f-patient-id').focus();
  if (name === 'lookup') byId<HTMLInputElement>('q-settlement').focus();
  if (name === 'day') void loadDay();
}

// ---- settle -------------------------------------------------------------------------------

/** An empty form for the next patient, then the gateway's next settlement number for it (the clerk may type the HIS's instead). */
function newPatient(): void {
  if (!state.hospital) return;
  const hospital = state.hospital;
  resetForm(hospital, '');
  // A 结算 still on its way belongs to the patient dropped (the clerk was warned): its answer is not shown here.
  state.inFlight = null;
  state.unfinished = null;
  showNotice();
  setCurrent(null);
  byId('split-view').replaceChildren(h('p', { class: 'muted' }, '填写后按 Alt+Y 预结算。'));
  showTab('settle');
  const patient = ++state.patients;
  state.numbering = (async () => {
    const answer = await guarded(() => api.settlementNumber(hospital.id), (e) => {
      if (patient === state.patients) showNotice(h('div', { class: 'notice refused' }, h('p', {}, `未能取得新结算号（${e.problem.title}）：请按「下一位」重试，或填入 HIS 的结算号。`)));
    });
    const field = byId<HTMLInputElement>('f-settlementId');
    // A number the clerk typed meanwhile (the HIS's) is kept; a number for a patient already gone is not used.
    if (answer && patient === state.patients && field.value === '') field.value = answer.settlementId;
  })();
}

/**
 * 下一位 (and another hospital chosen): a bill not yet settled, one whose 结算 is still on its way, or one
 * whose outcome is unknown is dropped only when the clerk confirms it.
 */
async function nextPatient(): Promise<void> {
  if (await mayDropBill()) newPatient();
}

async function mayDropBill(): Promise<boolean> {
  const settled = state.current?.status === 'settled' || state.current?.status === 'reversed';
  const warning = dropWarning({ inFlight: state.inFlight, unfinished: state.unfinished?.notice ?? null, started: billStarted(), settled });
  if (!warning) return true;
  const dialog = byId<HTMLDialogElement>('next-dialog');
  byId('next-what').textContent = warning;
  dialog.showModal();
  button('next-cancel').focus();
  // Answered at once, by the event that answers — the confirming submit, Esc (cancel) or 返回 — not by the close
  // event, which comes a task later: the next patient's form must be empty before the clerk's next key lands in
  // it, and an Esc followed at once by 下一位 must not have its late close taken for the new question's answer.
  return new Promise<boolean>((resolve) => {
    const form = byId<HTMLFormElement>('next-form');
    const back = button('next-cancel');
    const answer = (drop: boolean) => {
      form.removeEventListener('submit', onSubmit);
      dialog.removeEventListener('cancel', onKeep);
      back.removeEventListener('click', onKeep);
      dialog.removeEventListener('close', onClosed);
      resolve(drop);
    };
    const onSubmit = (event: SubmitEvent) => { event.preventDefault(); answer(true); dialog.close(); };
    const onKeep = () => answer(false);
    // Closed some other way (by the page): kept. A close while the question is open is an earlier question's, late.
    const onClosed = () => { if (!dialog.open) answer(false); };
    form.addEventListener('submit', onSubmit);
    dialog.addEventListener('cancel', onKeep);
    back.addEventListener('click', onKeep);
    dialog.addEventListener('close', onClosed);
  });
}

/** The messages beside the buttons: what became of the last 结算, or of the settlement number; none hides the box. */
function showNotice(...notices: HTMLElement[]): void {
  const box = byId('settle-notice');
  box.replaceChildren(...notices);
  box.hidden = notices.length === 0;
}

/** The split of the settle tab, and for a preview the bill it was made from (the two are only ever set together). */
function setCurrent(split: Split | null, previewed: Bill | null = null): void {
  state.current = split;
  state.previewed = split?.status === 'preview' ? previewed : null;
  updateActions();
}

function updateActions(): void {
  const split = state.current;
  // While a 结算 is on its way nothing else is sent for this bill: a second press would race the first.
  button('do-settle').disabled = state.inFlight !== null || (!state.previewed && !state.unfinished);
  button('do-preview').disabled = state.inFlight !== null;
  const retry = document.getElementById('do-retry');
  if (retry instanceof HTMLButtonElement) retry.disabled = state.inFlight !== null;
  button('do-print').disabled = !split || split.status === 'preview';
  button('do-view').disabled = !split || split.status === 'preview';
  button('do-reverse').disabled = split?.status !== 'settled';
}

function showSplit(split: Split, previewed: Bill | null = null): void {
  setCurrent(split, previewed);
  byId('split-view').replaceChildren(renderSplit(split, hospitalNames()));
}

const askForNewPreview = () => byId('split-view').replaceChildren(h('p', { class: 'muted' }, '内容已修改，请重新预结算（Alt+Y）。'));

/**
 * Every change to the bill comes here: typing (the form's input event) and any row added, deleted, cleared,
 * pasted or imported (a watch on the rows, see wire(), so a new way of changing rows cannot forget it).
 * The preview no longer shows what is on screen, so 结算 waits for a new one, and a preview still on its way
 * will not be shown.
 */
function withdrawPreview(): void {
  state.edits += 1;
  if (!state.previewed) return;
  setCurrent(null);
  askForNewPreview();
}

const hospitalNames = () => (state.hospital?.name ? { hospitalName: state.hospital.name } : {});

async function guarded<T>(work: () => Promise<T>, onProblem: (problem: ProblemError) => void): Promise<T | undefined> {
  try { return await work(); } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    if (error.problem.status === 401) { signOut(); byId('signin-error').textContent = error.problem.title; return undefined; }
    onProblem(error);
    return undefined;
  }
}

/** What the desk requires beyond the contract (a name, a class of 甲/乙/丙), as the gateway would say it. */
const deskProblem = (errors: Problem['errors']): Problem => ({ type: 'about:blank', code: 'INVALID_REQUEST', title: '输入有误', status: 400, errors });

async function preview(): Promise<void> {
  if (!state.hospital || state.inFlight) return;
  await state.numbering;
  const edits = state.edits;
  const patient = state.patients;
  const { request, itemRows, deskErrors } = readBill(state.hospital);
  clearErrors();
  if (!request) { showProblem(deskProblem(deskErrors), itemRows); return; }
  // Sent even when the desk's own checks fail, so that every bad field is named at once.
  const split = await guarded(() => api.preview(request), (e) => {
    // An answer for a patient dropped meanwhile (下一位) is not about the form on screen.
    if (patient === state.patients) showProblem({ ...e.problem, errors: [...deskErrors, ...e.problem.errors] }, itemRows);
  });
  if (!split || patient !== state.patients) return;
  if (edits !== state.edits) { askForNewPreview(); return; }
  if (deskErrors.length > 0) { showProblem(deskProblem(deskErrors), itemRows); return; }
  // A bill corrected after a 结算 that was not recorded is the one to settle now.
  if (state.unfinished?.notice.outcome === 'notRecorded') { state.unfinished = null; showNotice(); }
  showSplit(split, { request, itemRows });
  button('do-settle').focus();
}

/** 结算: the bill previewed, or else the one whose 结算 got no final answer (the same number, the same body). */
async function settle(): Promise<void> {
  if (state.inFlight) return;
  // Settling commits money: exactly the request the clerk has just seen previewed, as it was sent.
  const bill = state.previewed ?? state.unfinished?.bill;
  if (!bill) {
    if (!state.current) byId('split-view').replaceChildren(h('p', { class: 'error' }, '请先预结算（Alt+Y），核对后再结算。'));
    return;
  }
  await send(bill);
}

/** 重新结算: the bill of the unfinished 结算 again, byte for byte, under its number (idempotent at the gateway). */
async function settleAgain(): Promise<void> {
  if (state.inFlight || !state.unfinished) return;
  await send(state.unfinished.bill);
}

async function send(bill: Bill): Promise<void> {
  const settlementId = bill.request.settlementId;
  const patient = state.patients;
  state.inFlight = settlementId;
  showNotice(h('div', { class: 'notice pending', 'data-outcome': 'pending' }, h('p', {}, `正在结算 ${settlementId}，请稍候…`)));
  updateActions();
  const failed: { problem?: Problem } = {};
  let split: Split | undefined;
  try {
    split = await guarded(() => api.settle(bill.request), (e) => { failed.problem = e.problem; });
  } finally {
    if (patient === state.patients) { state.inFlight = null; updateActions(); }
  }
  if (patient !== state.patients) return;
  if (failed.problem) { settleFailed(bill, failed.problem); return; }
  if (!split) { showUnfinished(); return; }
  answered(settlementId);
  rememberTypedDefaults();
  const typed = unconfigured.has(split.hospitalId) ? typedDefaults(split.hospitalId) : {};
  const current = state.hospital ? { ...state.hospital, ...typed } : null;
  state.hospital = current;
  if (current) state.hospitals = state.hospitals.map((h) => (h.id === current.id ? current : h));
  showSplit(split);
  // One key to print: Enter on the focused button (or Alt+P).
  button('do-print').focus();
}

/** A 结算 without a split: refused (fix the bill), or not recorded / unknown (send the same bill again). */
function settleFailed(bill: Bill, problem: Problem): void {
  const settlementId = bill.request.settlementId;
  const outcome = settleOutcomeOf(problem);
  if (outcome === 'refused') {
    answered(settlementId, refusedNotice(settlementId, problem.title));
    showProblem(problem, bill.itemRows);
    updateActions();
    return;
  }
  const reason = problem.status === 0 ? problem.title : `网关答复 ${problem.status} ${problem.title}`;
  state.unfinished = { bill, notice: { outcome, settlementId, reason } };
  showUnfinished();
  updateActions();
  button('do-retry').focus();
}

/**
 * A final answer for `settlementId` (a split or a refusal) settles the question of its unfinished 结算. One of
 * another number stays, and stays on screen: the clerk typed a new number over it, and it may be recorded.
 */
function answered(settlementId: string, ...notices: HTMLElement[]): void {
  if (state.unfinished?.notice.settlementId === settlementId) state.unfinished = null;
  showUnfinished(...notices);
}

/** The unfinished 结算's message and its 重新结算 beside the buttons (after any other `notices`), or those alone. */
function showUnfinished(...notices: HTMLElement[]): void {
  showNotice(...notices, ...(state.unfinished ? [unfinishedNotice(state.unfinished.notice, () => void settleAgain())] : []));
}

/** The slip's HTML into a frame (srcdoc: fetched with the token as a header, so no token in any URL), fonts loaded. */
async function loadSlip(split: Split, frame: HTMLIFrameElement): Promise<boolean> {
  const html = await guarded(() => api.slip(split.hospitalId, split.settlementId), (e) => showProblem(e.problem));
  if (html === undefined) return false;
  await new Promise<void>((resolve) => { frame.addEventListener('load', () => resolve(), { once: true }); frame.srcdoc = html; });
  await frame.contentDocument?.fonts.ready;
  return true;
}

/** The slip on screen, to check with the patient before printing (Enter prints, Esc closes). */
async function viewSlip(split: Split | null): Promise<void> {
  if (!split || split.status === 'preview') return;
  const dialog = byId<HTMLDialogElement>('slip-dialog');
  if (!(await loadSlip(split, byId<HTMLIFrameElement>('slip-view')))) return;
  dialog.dataset.settlement = split.settlementId;
  dialog.showModal();
  button('slip-print').focus();
}

/** The slip printed from a hidden frame. */
async function printSlip(split: Split | null): Promise<void> {
  if (!split || split.status === 'preview') return;
  const frame = byId<HTMLIFrameElement>('slip-frame');
  frame.removeAttribute('data-printed');
  if (!(await loadSlip(split, frame))) return;
  frame.dataset.printed = split.settlementId;
  frame.contentWindow?.print();
}

// ---- reversal -----------------------------------------------------------------------------

function askReversal(split: Split | null): void {
  if (!split || split.status !== 'settled') return;
  const dialog = byId<HTMLDialogElement>('reverse-dialog');
  byId('reverse-what').textContent = `结算号 ${split.settlementId}，总费用 ${split.total} 元，个人支付 ${split.patientPays} 元。撤销后各方支付全部退回，需重新结算。`;
  byId<HTMLSelectElement>('reverse-reason').value = '';
  byId<HTMLInputElement>('reverse-detail').value = '';
  byId('reverse-error').textContent = '';
  dialog.dataset.hospital = split.hospitalId;
  dialog.dataset.settlement = split.settlementId;
  dialog.showModal();
  byId('reverse-reason').focus();
}

async function confirmReversal(): Promise<void> {
  const dialog = byId<HTMLDialogElement>('reverse-dialog');
  const reason = byId<HTMLSelectElement>('reverse-reason').value;
  const detail = byId<HTMLInputElement>('reverse-detail').value.trim();
  if (!reason) { byId('reverse-error').textContent = '请选择撤销原因'; byId('reverse-reason').focus(); return; }
  const note = { reason: detail ? `${reason}：${detail}` : reason, operator: session.operator };
  const split = await guarded(() => api.reverse(dialog.dataset.hospital ?? '', dialog.dataset.settlement ?? '', note), (e) => {
    byId('reverse-error').textContent = [e.problem.title, ...e.problem.errors.map((x) => x.message)].join('；');
  });
  if (!split) return;
  dialog.close();
  if (state.current?.settlementId === split.settlementId) showSplit(split);
  if (state.looked?.settlementId === split.settlementId) showLooked(split);
}

// ---- look-ups -----------------------------------------------------------------------------

function showLooked(split: Split): void {
  state.looked = split;
  const actions = h('div', { class: 'actions' },
    h('button', { type: 'button', id: 'lookup-print' }, '打印结算单'),
    h('button', { type: 'button', id: 'lookup-view' }, '查看结算单'),
    split.status === 'settled' ? h('button', { type: 'button', id: 'lookup-reverse', class: 'danger' }, '撤销') : null);
  actions.querySelector('#lookup-print')?.addEventListener('click', () => void printSlip(split));
  actions.querySelector('#lookup-view')?.addEventListener('click', () => void viewSlip(split));
  actions.querySelector('#lookup-reverse')?.addEventListener('click', () => askReversal(split));
  byId('lookup-split').replaceChildren(h('div', { class: 'split-view' }, actions, renderSplit(split, hospitalNames())));
}

/** A settlement of a list, opened on the look-up tab. */
function openSettlement(settlementId: string): void {
  showTab('lookup');
  byId<HTMLInputElement>('q-settlement').value = settlementId;
  void lookupSettlement(settlementId);
}

async function lookupSettlement(settlementId: string): Promise<void> {
  if (!state.hospital || !settlementId) return;
  byId('lookup-error').textContent = '';
  const split = await guarded(() => api.get(state.hospital!.id, settlementId), (e) => { byId('lookup-error').textContent = `${e.problem.title}：结算号 ${settlementId}`; });
  if (split) showLooked(split);
}



async function lookupPerson(personId: string, year: string): Promise<void> {
  if (!personId) return;
  byId('lookup-error').textContent = '';
  const found = await guarded(() => Promise.all([api.personSettlements(personId), api.standing(personId, year)]), (e) => {
    byId('lookup-error').textContent = [e.problem.title, ...e.problem.errors.map((x) => x.message)].join('；');
  });
  if (!found) return;
  const [{ settlements }, standing] = found;
  byId('lookup-person-view').replaceChildren(
    h('div', { class: 'panel' }, h('h3', {}, `${standing.year} 年度累计（按项目）`), standingTable(standing)),
    h('div', { class: 'panel' }, h('h3', {}, `本院结算记录（${settlements.length} 笔）`), settlements.length ? summaryTable(settlements, false, openSettlement) : h('p', { class: 'muted' }, '无')));
}

// ---- the day's list -----------------------------------------------------------------------


async function loadDay(): Promise<void> {
  if (!state.hospital) return;
  const dateInput = byId<HTMLInputElement>('day-date');
  if (!dateInput.value) dateInput.value = chinaToday();
  byId('day-error').textContent = '';
  const day = await guarded(() => api.day(state.hospital!.id, dateInput.value), (e) => { byId('day-error').textContent = e.problem.title; });
  if (day) byId('day-view').replaceChildren(renderDay(day, state.hospital?.name, openSettlement));
}

// ---- items: paste and CSV -----------------------------------------------------------------

function appendItems(text: string, separator: ',' | '\t'): number {
  const items = itemsFrom(parseDelimited(text, separator));
  if (items.length > 0) appendItemRows(items);
  return items.length;
}

// ---- keyboard -----------------------------------------------------------------------------

const SHORTCUTS: Record<string, () => void> = {
  y: () => void preview(),
  j: () => void settle(),
  p: () => void printSlip(byId('tab-lookup').hidden ? state.current : state.looked ?? state.current),
  v: () => void viewSlip(byId('tab-lookup').hidden ? state.current : state.looked ?? state.current),
  c: () => askReversal(byId('tab-lookup').hidden ? state.current : state.looked ?? state.current),
  n: () => void nextPatient(),
  i: () => { showTab('settle'); addItemRow().querySelector<HTMLInputElement>('input')?.focus(); },
  1: () => showTab('settle'),
  2: () => showTab('lookup'),
  3: () => showTab('day'),
};

function onKey(event: KeyboardEvent): void {
  if (!event.altKey || event.ctrlKey || event.metaKey || byId('app').hidden) return;
  if ([...document.querySelectorAll('dialog')].some((dialog) => dialog.open)) return;
  const action = SHORTCUTS[event.key.toLowerCase()] ?? SHORTCUTS[event.code.replace(/^(Key|Digit)/, '').toLowerCase()];
  if (!action) return;
  event.preventDefault();
  action();
}


// ---- start --------------------------------------------------------------------------------

function wire(): void {
  buildStaticParts();
  byId<HTMLFormElement>('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = byId<HTMLInputElement>('signin-token').value.trim();
    const operator = byId<HTMLInputElement>('signin-operator').value.trim();
    const error = byId('signin-error');
    if (!token || !operator) { error.textContent = !token ? '请输入令牌' : '请输入操作员'; return; }
    error.textContent = '';
    signIn(token, operator).catch((e: unknown) => {
      error.textContent = e instanceof ProblemError ? (e.problem.status === 401 ? '令牌无效，请核对后重试' : e.problem.title) : '登录失败';
      byId<HTMLInputElement>('signin-token').select();
    });
  });
  // Signing out drops the bill on screen as 下一位 does: asked first.
  byId('signout').addEventListener('click', async () => { if (await mayDropBill()) signOut(); });
  byId<HTMLSelectElement>('hospital-select').addEventListener('change', async (event) => {
    const select = event.target as HTMLSelectElement;
    const id = select.value;
    if (!(await mayDropBill())) { select.value = state.hospital?.id ?? ''; return; }
    state.hospital = state.hospitals.find((x) => x.id === id) ?? null;
    localStorage.setItem(HOSPITAL_KEY, id);
    newPatient();
  });
  for (const tab of document.querySelectorAll<HTMLButtonElement>('[data-tab]')) tab.addEventListener('click', () => showTab(tab.dataset.tab as 'settle'));
  button('do-preview').addEventListener('click', () => void preview());
  button('do-settle').addEventListener('click', () => void settle());
  button('do-print').addEventListener('click', () => void printSlip(state.current));
  button('do-reverse').addEventListener('click', () => askReversal(state.current));
  button('do-view').addEventListener('click', () => void viewSlip(state.current));
  button('slip-print').addEventListener('click', () => byId<HTMLIFrameElement>('slip-view').contentWindow?.print());
  button('slip-close').addEventListener('click', () => byId<HTMLDialogElement>('slip-dialog').close());
  button('do-new').addEventListener('click', () => void nextPatient());
  button('next-cancel').addEventListener('click', () => byId<HTMLDialogElement>('next-dialog').close());
  button('item-add').addEventListener('click', () => addItemRow().querySelector<HTMLInputElement>('input')?.focus());
  button('items-clear').addEventListener('click', () => setItems([{}]));
  const items = byId('items-body');
  byId('items-scroll').addEventListener('scroll', () => fitRowsToView(), { passive: true });
  // Rows added, deleted, cleared, pasted or imported fire no input event: the rows themselves are watched.
  new MutationObserver(withdrawPreview).observe(items, { childList: true });
  items.addEventListener('click', (event) => {
    const target = event.target as HTMLElement;
    if (target.classList.contains('del')) { target.closest('tr')?.remove(); renumber(); }
  });
  // Typing changes the count and total, never the row numbers: one pass over the amounts, not the labels.
  items.addEventListener('input', () => recount());
  items.addEventListener('change', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.dataset.field === 'class') normaliseClass(event.target);
  });
  // Enter in a row's last cell starts the next row, as in a spreadsheet.
  items.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement;
    if (event.key !== 'Enter' || target.dataset.field !== 'overLimit') return;
    event.preventDefault();
    const next = target.closest('tr')?.nextElementSibling ?? addItemRow();
    next.querySelector<HTMLInputElement>('input')?.focus();
  });
  items.addEventListener('paste', (event) => {
    const text = event.clipboardData?.getData('text/plain') ?? '';
    if (!/[\t\n]/.test(text.trim())) return; // one cell: an ordinary paste
    event.preventDefault();
    appendItems(text, '\t');
  });
  // Any edit after a preview makes it stale: settling must follow a fresh preview of what is on screen.
  byId('bill-form').addEventListener('input', withdrawPreview);
  byId<HTMLInputElement>('csv-file').addEventListener('change', async (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (!file) return;
    const count = appendItems(decodeSpreadsheetBytes(await file.arrayBuffer()), ',');
    byId('items-count').textContent = `${recount()} 项（导入 ${count} 项）`;
    (event.target as HTMLInputElement).value = '';
  });
  byId<HTMLFormElement>('reverse-form').addEventListener('submit', (event) => { event.preventDefault(); void confirmReversal(); });
  button('reverse-cancel').addEventListener('click', () => byId<HTMLDialogElement>('reverse-dialog').close());
  byId<HTMLFormElement>('lookup-settlement').addEventListener('submit', (event) => { event.preventDefault(); void lookupSettlement(byId<HTMLInputElement>('q-settlement').value.trim()); });
  byId<HTMLFormElement>('lookup-person').addEventListener('submit', (event) => {
    event.preventDefault();
    const year = byId<HTMLInputElement>('q-year');
    if (!year.value) year.value = chinaToday().slice(0, 4);
    void lookupPerson(byId<HTMLInputElement>('q-person').value.trim(), year.value);
  });
  // The day's list on paper for the hand-over at the end of a shift (the print stylesheet keeps only the list).
  button('day-print').addEventListener('click', () => window.print());
  byId<HTMLFormElement>('day-form').addEventListener('submit', (event) => { event.preventDefault(); void loadDay(); });
  // Dates as a clerk types them (20240301, 2024/3/1, 2024.3.1) become 2024-03-01; anything else is left for the gateway to judge.
  document.addEventListener('change', (event) => {
    const target = event.target as HTMLInputElement;
    if (target.classList?.contains('date')) target.value = normaliseDate(target.value);
  });
  document.addEventListener('keydown', onKey);

  if (session.token) enterApp().catch(() => signOut());
  else byId<HTMLInputElement>('signin-token').focus();
}

wire();
