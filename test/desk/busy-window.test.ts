/**
 * The desk at a busy window, in a real browser against the whole gateway (issue 24): two windows starting a
 * patient in the same second get different settlement numbers; 结算 is disabled while its request is on its
 * way; a 结算 that got no answer (the network, 504) or a 503 is told beside the buttons and settled again
 * under the same number, never twice; 下一位 asks before it drops such a bill; a name is required; 2 000
 * pasted rows and a paste ending in a blank row are counted right; 甲/乙/丙 are typed into the class.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Request, Route } from 'playwright-core';
import * as z from 'zod';
import { personSettlements } from '../../schemas/desk.js';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { launch, type Browser } from './browser.js';

const SETTLE = '**/v1/settlements';
const sentNumber = z.object({ settlementId: z.string() });
const isSettle = (request: Request) => request.method() === 'POST' && new URL(request.url()).pathname === '/v1/settlements';

describe('the desk at a busy window', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;

  async function signIn(into: Page): Promise<void> {
    into.setDefaultTimeout(20_000);
    await into.goto(`${gw.url}/desk`);
    await into.getByLabel('本院结算令牌').fill(TOKENS.deskA);
    await into.getByLabel('操作员（工号或姓名）').fill('收费员 李四');
    await into.keyboard.press('Enter');
    await into.locator('#app').waitFor({ state: 'visible' });
  }

  beforeAll(async () => {
    gw = await startTestGateway();
    browser = await launch();
    page = await browser.context.newPage();
    await signIn(page);
  }, 60_000);
  afterAll(async () => { await browser?.close(); await gw?.stop(); });

  /** The settlement number the gateway gave the window's current patient. */
  const givenNumber = async (on: Page) => {
    await expect.poll(() => on.locator('#f-settlementId').inputValue()).toMatch(/^ZY\d{14}(-\d+)?$/);
    return on.locator('#f-settlementId').inputValue();
  };

  /** A whole bill for `personId` (one class-A item of 10000.00), the name left out when asked. */
  async function fillBill(on: Page, personId: string, options: { name?: boolean } = {}) {
    await on.locator('#f-patient-id').fill(personId);
    if (options.name !== false) await on.getByLabel('姓名', { exact: true }).fill('张三');
    await on.getByLabel('参保地区划').fill('990100');
    await on.getByLabel('入院日期').fill('2024-03-01');
    await on.getByLabel('出院日期').fill('2024-03-10');
    await on.getByLabel('诊断（ICD-10，逗号分隔，第一个为主要诊断）').fill('J18.9');
    await on.getByLabel('第 1 行编码').fill('A1');
    await on.getByLabel('第 1 行名称').fill('综合费用');
    await on.getByLabel('第 1 行金额').fill('10000.00');
  }

  async function previewed(on: Page) {
    await on.keyboard.press('Alt+Y');
    await on.locator('#split-view [data-status="preview"]').waitFor();
  }

  /** A new patient; a bill left unsettled by the test before is dropped when the desk asks. */
  async function nextPatient(on: Page) {
    await on.keyboard.press('Alt+N');
    if (await on.locator('#next-dialog').isVisible()) await on.getByRole('button', { name: '放弃，接待下一位' }).click();
    return givenNumber(on);
  }

  const settlementsOf = async (personId: string) =>
    personSettlements.parse((await call(gw.url, '/v1/persons/settlements', { body: { personId }, token: TOKENS.deskA })).json).settlements;

  const pasteRows = (text: string) => page.evaluate((rows) => {
    const data = new DataTransfer();
    data.setData('text/plain', rows);
    document.activeElement?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);

  it('gives two windows starting a patient in the same second different numbers, and both settle', async () => {
    // Both windows' clocks stopped at one instant: a number made from the clock would be the same in both.
    const windows = [await browser.context.newPage(), await browser.context.newPage()] as const;
    try {
      for (const window of windows) {
        await window.clock.setFixedTime(new Date('2026-12-06T01:12:44.000Z'));
        await signIn(window);
      }
      const numbers = [await nextPatient(windows[0]), await nextPatient(windows[1])];
      expect(numbers[0]).not.toBe(numbers[1]);
      for (const [i, window] of windows.entries()) {
        await fillBill(window, `99010019800101001${i}`);
        await previewed(window);
        await window.keyboard.press('Alt+J');
        await window.locator('#split-view [data-status="settled"]').waitFor();
        expect((await settlementsOf(`99010019800101001${i}`)).map((s) => s.settlementId)).toEqual([numbers[i]]);
      }
    } finally {
      for (const window of windows) await window.close();
    }
  });

  it('disables 结算 while its request is on its way: a second press sends nothing', async () => {
    const personId = '990100198001010033';
    await nextPatient(page);
    await fillBill(page, personId);
    await previewed(page);
    let release = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    let reached = () => {};
    const intercepted = new Promise<void>((resolve) => { reached = resolve; });
    const sent: Request[] = [];
    const onRequest = (r: Request) => { if (isSettle(r)) sent.push(r); };
    page.on('request', onRequest);
    await page.route(SETTLE, async (route) => { reached(); await held; await route.continue(); });
    try {
      await page.keyboard.press('Alt+J');
      await intercepted;
      expect(await page.locator('#do-settle').isDisabled()).toBe(true);
      expect(await page.locator('#settle-notice').textContent()).toContain('正在结算');
      await page.keyboard.press('Alt+J');
      await page.locator('#do-settle').click({ force: true });
      release();
      await page.locator('#split-view [data-status="settled"]').waitFor();
    } finally { page.off('request', onRequest); await page.unroute(SETTLE); }
    expect(sent.length).toBe(1);
    expect(await settlementsOf(personId)).toHaveLength(1);
    expect(await page.locator('#settle-notice').isHidden()).toBe(true);
  });

  it('asks before 下一位 drops a 结算 on its way, and does not show its late answer on the next patient', async () => {
    const personId = '990100198001010037';
    const settlementId = await nextPatient(page);
    await fillBill(page, personId);
    await previewed(page);
    let release = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    let reached = () => {};
    const intercepted = new Promise<void>((resolve) => { reached = resolve; });
    await page.route(SETTLE, async (route) => { reached(); await held; await route.continue(); }, { times: 1 });
    await page.keyboard.press('Alt+J');
    await intercepted;
    await page.keyboard.press('Alt+N');
    await page.locator('#next-dialog').waitFor({ state: 'visible' });
    expect(await page.locator('#next-what').textContent()).toContain(`${settlementId} 的结算请求还没有答复`);
    await page.getByRole('button', { name: '放弃，接待下一位' }).click();
    const next = await givenNumber(page);
    expect(next).not.toBe(settlementId);
    const answered = page.waitForResponse((r) => isSettle(r.request()));
    release();
    await answered;
    // The next patient's form is its own: no split, no message, 预结算 open to it.
    await expect.poll(() => settlementsOf(personId)).toHaveLength(1);
    expect(await page.locator('#split-view [data-settlement]').count()).toBe(0);
    expect(await page.locator('#settle-notice').isHidden()).toBe(true);
    expect(await page.locator('#do-preview').isEnabled()).toBe(true);
    expect(await page.locator('#f-settlementId').inputValue()).toBe(next);
  });

  it('after an answer lost on the network, says the outcome is unknown beside the buttons and settles again under the same number, once', async () => {
    const personId = '990100198001010044';
    const settlementId = await nextPatient(page);
    await fillBill(page, personId);
    await previewed(page);
    // The gateway commits, and the answer never reaches the desk.
    await page.route(SETTLE, async (route: Route) => { await route.fetch(); await route.abort('connectionreset'); }, { times: 1 });
    await page.keyboard.press('Alt+J');
    const notice = page.locator('#settle-notice [data-outcome="unknown"]');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(new RegExp(`结算结果未知.*${settlementId}.*重新结算`));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('do-retry');
    // The message sits with the buttons, not at the top of the form.
    expect(await page.locator('#settle-result #settle-notice').count()).toBe(1);
    expect(await settlementsOf(personId)).toHaveLength(1);

    // 下一位 asks before it drops this patient; going back keeps the bill and its number.
    await page.keyboard.press('Alt+N');
    const dialog = page.locator('#next-dialog');
    await dialog.waitFor({ state: 'visible' });
    expect(await page.locator('#next-what').textContent()).toContain(`${settlementId} 的结算结果未知`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.locator('#f-settlementId').inputValue()).toBe(settlementId);

    const resent: string[] = [];
    const onRequest = (r: Request) => { if (isSettle(r)) resent.push(sentNumber.parse(JSON.parse(r.postData() ?? '{}')).settlementId); };
    page.on('request', onRequest);
    try {
      await page.getByRole('button', { name: `重新结算（同一结算号 ${settlementId}）` }).click();
      await page.locator('#split-view [data-status="settled"]').waitFor();
    } finally { page.off('request', onRequest); }
    expect(resent).toEqual([settlementId]);
    expect(await page.locator('#split-view [data-settlement]').getAttribute('data-settlement')).toBe(settlementId);
    expect(await page.locator('#settle-notice').isHidden()).toBe(true);
    const settled = await settlementsOf(personId);
    expect(settled.map((s) => s.settlementId)).toEqual([settlementId]);
    expect(asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${settlementId}`, { token: TOKENS.deskA })).json).total).toBe('10000.00');
    // Settled: 下一位 no longer asks.
    await page.keyboard.press('Alt+N');
    expect(await dialog.isVisible()).toBe(false);
  });

  const failures = [
    { status: 504, code: 'OUTCOME_UNKNOWN', title: '结算结果未知', outcome: 'unknown', says: '可能已经记账' },
    { status: 503, code: 'UNAVAILABLE', title: '服务暂不可用', outcome: 'notRecorded', says: '没有记账' },
  ] as const;
  for (const failure of failures) {
    it(`after a ${failure.status} ${failure.code}, says so beside the buttons and settles the same bill again under the same number`, async () => {
      const personId = `99010019800101${failure.status}0`.slice(0, 18);
      const settlementId = await nextPatient(page);
      await fillBill(page, personId);
      await previewed(page);
      await page.route(SETTLE, (route) => route.fulfill({
        status: failure.status, contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', code: failure.code, title: failure.title, status: failure.status, detail: '测试', errors: [] }),
      }), { times: 1 });
      await page.keyboard.press('Alt+J');
      const notice = page.locator(`#settle-notice [data-outcome="${failure.outcome}"]`);
      await notice.waitFor();
      expect(await notice.textContent()).toContain(failure.says);
      expect(await notice.textContent()).toContain(settlementId);
      // Nothing reached the gateway: 下一位 asks, and 重新结算 (here Enter on it) records it now.
      await page.keyboard.press('Alt+N');
      await page.locator('#next-dialog').waitFor({ state: 'visible' });
      await page.getByRole('button', { name: '返回当前患者（Esc）' }).click();
      await page.locator('#do-retry').focus();
      await page.keyboard.press('Enter');
      await page.locator('#split-view [data-status="settled"]').waitFor();
      expect((await settlementsOf(personId)).map((s) => s.settlementId)).toEqual([settlementId]);
    });
  }

  it('asks before 下一位 drops a bill typed and not settled, and requires the patient\'s name', async () => {
    await nextPatient(page);
    await fillBill(page, '990100198001010055', { name: false });
    await page.getByLabel('参保地区划').fill('9901'); // a second bad field, which only the gateway judges
    await page.keyboard.press('Alt+Y');
    await page.locator('[data-error-for="patient.name"]').waitFor();
    expect(await page.locator('[data-error-for="patient.name"]').textContent()).toContain('请填写患者姓名');
    expect(await page.locator('[data-error-for="patient.insuredRegion"]').count()).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-patient-name');
    await page.getByLabel('参保地区划').fill('990100');
    await page.keyboard.press('Alt+Y');
    await page.locator('[data-error-for="patient.name"]').waitFor();
    expect(await page.locator('#split-view [data-status="preview"]').count()).toBe(0);
    expect(await page.locator('#do-settle').isDisabled()).toBe(true);
    await page.getByLabel('姓名', { exact: true }).fill('张三');
    await previewed(page);

    // Signing out would drop it too: asked, and going back keeps the clerk signed in.
    await page.getByRole('button', { name: '退出' }).click();
    await page.locator('#next-dialog').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    expect(await page.locator('#app').isVisible()).toBe(true);
    await page.keyboard.press('Alt+N');
    await page.locator('#next-dialog').waitFor({ state: 'visible' });
    expect(await page.locator('#next-what').textContent()).toContain('尚未结算');
    await page.getByRole('button', { name: '放弃，接待下一位' }).click();
    // The dialog closes, then the page clears the form: read once the page has done it, not at the click.
    await expect.poll(() => page.locator('#f-patient-id').inputValue()).toBe('');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('f-patient-id');
    // An empty form is dropped without a question.
    await page.keyboard.press('Alt+N');
    expect(await page.locator('#next-dialog').isVisible()).toBe(false);
  });

  it('takes 2 000 pasted rows at once, numbered and counted, and counts only items after a paste ending in a blank row', async () => {
    await nextPatient(page);
    await page.getByLabel('第 1 行编码').focus();
    const rows = Array.from({ length: 2000 }, (_, i) => `X${i + 1}\t项目${i + 1}\t1.01\t甲\t\t`).join('\n');
    const ms = await page.evaluate(async (text) => {
      const started = performance.now();
      const data = new DataTransfer();
      data.setData('text/plain', text);
      document.activeElement?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      // Until the rows are laid out and painted: what the clerk waits for.
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      return performance.now() - started;
    }, rows);
    console.info(`desk: 2000 pasted rows on screen in ${ms.toFixed(0)} ms`);
    expect(await page.locator('#items-body tr').count()).toBe(2000);
    expect(await page.locator('#items-count').textContent()).toBe('2000 项');
    expect(await page.locator('#items-total').textContent()).toBe('2020.00');
    expect(await page.getByLabel('第 2000 行名称').inputValue()).toBe('项目2000');
    // A long list lays out the rows near the view only: scrolled to its end, the last row is on screen.
    await page.locator('#items-scroll').evaluate((scroller) => { scroller.scrollTop = scroller.scrollHeight; });
    await page.getByLabel('第 2000 行名称').waitFor({ state: 'visible' });
    // A row added at the end of it is shown and takes the typing; left blank, it is no item.
    await page.keyboard.press('Alt+I');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('第 2001 行编码');
    expect(await page.getByLabel('第 2001 行编码').isVisible()).toBe(true);
    expect(await page.locator('#items-count').textContent()).toBe('2000 项');

    // A row typed, Enter opens a blank row, and 15 rows are pasted there, the last line blank but for its class.
    await page.getByRole('button', { name: '清空', exact: true }).click();
    await page.getByLabel('第 1 行编码').fill('B1');
    await page.getByLabel('第 1 行名称').fill('床位费');
    await page.getByLabel('第 1 行金额').fill('100.00');
    await page.getByLabel('第 1 行超限价').press('Enter');
    expect(await page.locator('#items-body tr').count()).toBe(2);
    const fifteen = Array.from({ length: 15 }, (_, i) => `C${i + 1}\t检查${i + 1}\t10.00\t乙\t0.1\t`).join('\n');
    await pasteRows(`${fifteen}\n\t\t\t甲\t\t\n`);
    expect(await page.locator('#items-count').textContent()).toBe('16 项');
    expect(await page.locator('#items-body tr').count()).toBe(16);
    expect(await page.getByLabel('第 2 行编码').inputValue()).toBe('C1');
    expect(await page.locator('#items-total').textContent()).toBe('250.00');
    // A blank row left by the clerk is no item either.
    await page.locator('#item-add').click();
    expect(await page.locator('#items-count').textContent()).toBe('16 项');
  });

  it('takes 甲/乙/丙 typed into the class (and 乙类, b), sends A/B/C, and names a class it cannot read', async () => {
    const personId = '990100198001010066';
    const settlementId = await nextPatient(page);
    await fillBill(page, personId);
    await page.locator('#item-add').click();
    await page.getByLabel('第 2 行编码').fill('Y1');
    await page.getByLabel('第 2 行名称').fill('乙类药');
    await page.getByLabel('第 2 行金额').fill('1000.00');
    const second = page.getByLabel('第 2 行类别');
    await second.fill('');
    await second.pressSequentially('乙'); // as an input method commits it
    await page.getByLabel('第 2 行自付比例').click();
    expect(await second.inputValue()).toBe('乙');
    await page.getByLabel('第 2 行自付比例').fill('0.1');
    await page.getByLabel('第 1 行类别').fill('丁');
    await page.keyboard.press('Alt+Y');
    const error = page.locator('[data-error-for="items.0.class"]');
    await error.waitFor();
    expect(await error.textContent()).toContain('类别「丁」无效');
    expect(await page.getByLabel('第 1 行类别').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('第 1 行类别').fill('b');
    await page.getByLabel('第 1 行类别').press('Tab');
    expect(await page.getByLabel('第 1 行类别').inputValue()).toBe('乙');
    await page.getByLabel('第 1 行类别').fill('甲类');
    await page.getByLabel('第 1 行类别').press('Tab');
    expect(await page.getByLabel('第 1 行类别').inputValue()).toBe('甲');
    const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/settlements/preview');
    await previewed(page);
    const body: unknown = JSON.parse((await sent).postData() ?? '{}');
    expect(body).toMatchObject({ settlementId, items: [{ code: 'A1', class: 'A' }, { code: 'Y1', class: 'B', selfPayRatio: '0.1' }] });
  });
});
