/**
 * The discharge form in a real browser (Debian's Chromium through playwright-core), against the whole
 * gateway: any change to the bill after a preview withdraws it — a row deleted, the items cleared, rows
 * pasted, imported or added, not only typing — so 结算 commits nothing until a new preview, and a preview
 * answered after such a change is not shown; 结算 sends the
 * request that was previewed, not the form read again; and an item's error lands on the row the clerk
 * filled, also when a blank row above it was left out of the request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Request } from 'playwright-core';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { launch, type Browser } from './browser.js';

describe('the discharge form', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    gw = await startTestGateway();
    browser = await launch();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${gw.url}/desk`);
    await page.getByLabel('本院结算令牌').fill(TOKENS.deskA);
    await page.getByLabel('操作员（工号或姓名）').fill('收费员 李四');
    await page.keyboard.press('Enter');
    await page.locator('#app').waitFor({ state: 'visible' });
  }, 60_000);
  afterAll(async () => { await browser?.close(); await gw?.stop(); });

  const total = () => page.locator('#split-view [data-figure="total"]').textContent();
  const stored = (settlementId: string) => call(gw.url, `/v1/settlements/${HOSPITAL_A}/${settlementId}`, { token: TOKENS.deskA });

  /** The bodies the page POSTs to settle (not to preview), while `work` runs. */
  async function settleBodies(work: () => Promise<void>): Promise<string[]> {
    const bodies: string[] = [];
    const listener = (r: Request) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/settlements') bodies.push(r.postData() ?? ''); };
    page.on('request', listener);
    try { await work(); } finally { page.off('request', listener); }
    return bodies;
  }

  /** A new patient with its own settlement number; the bill before, previewed and not settled, is dropped when the desk asks. */
  async function newPatient(settlementId: string, personId: string) {
    await page.keyboard.press('Alt+N');
    if (await page.locator('#next-dialog').isVisible()) await page.getByRole('button', { name: '放弃，接待下一位' }).click();
    await page.locator('#f-settlementId').fill(settlementId);
    await page.locator('#f-patient-id').fill(personId);
    await page.getByLabel('姓名', { exact: true }).fill('张三');
    await page.getByLabel('参保地区划').fill('990100');
    await page.getByLabel('入院日期').fill('2024-03-01');
    await page.getByLabel('出院日期').fill('2024-03-10');
    await page.getByLabel('诊断（ICD-10，逗号分隔，第一个为主要诊断）').fill('C34.9');
  }

  async function fillRow(row: number, code: string, name: string, amount: string) {
    await page.getByLabel(`第 ${row} 行编码`).fill(code);
    await page.getByLabel(`第 ${row} 行名称`).fill(name);
    await page.getByLabel(`第 ${row} 行金额`).fill(amount);
  }

  /** 50000.00 + 10000.00 previewed: the screen shows 医疗总费用 60000.00. */
  async function previewTwoItems(settlementId: string) {
    await newPatient(settlementId, '990100198001011234');
    await fillRow(1, 'A1', '综合费用', '50000.00');
    await page.locator('#item-add').click();
    await fillRow(2, 'A2', '床位费', '10000.00');
    await page.keyboard.press('Alt+Y');
    await page.locator('#split-view [data-status="preview"]').waitFor();
    expect(await total()).toBe('60000.00');
  }

  const pasteRows = (text: string) => page.evaluate((rows) => {
    const data = new DataTransfer();
    data.setData('text/plain', rows);
    document.activeElement?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);

  /** Changes to the rows that fire no input event, each with the number of rows it leaves. */
  const ROW_EDITS: Array<{ name: string; rows: number; edit: () => Promise<void> }> = [
    { name: 'a row deleted (×)', rows: 1, edit: () => page.getByRole('button', { name: '删除第 2 行' }).click() },
    { name: 'the items cleared (清空)', rows: 1, edit: () => page.getByRole('button', { name: '清空', exact: true }).click() },
    {
      name: 'rows pasted from a spreadsheet', rows: 3,
      edit: async () => { await page.getByLabel('第 2 行编码').focus(); await pasteRows('JC01\t检查费\t400.00\t甲\t\t\n'); },
    },
    {
      name: 'rows imported from a CSV file', rows: 3,
      edit: () => page.locator('#csv-file').setInputFiles({ name: '费用明细.csv', mimeType: 'text/csv', buffer: Buffer.from('JC01,检查费,400.00,甲,,\r\n') }),
    },
    { name: 'a row added (Alt+I)', rows: 3, edit: () => page.keyboard.press('Alt+I') },
  ];

  for (const [i, { name, rows, edit }] of ROW_EDITS.entries()) {
    it(`withdraws the preview when the bill changes after it: ${name}`, async () => {
      const settlementId = `ZY-EDIT-${i}`;
      await previewTwoItems(settlementId);
      await edit();
      await expect.poll(() => page.locator('#items-body tr').count()).toBe(rows);

      // The patient was shown 60000.00 for a bill that is no longer on screen: 结算 waits for a new preview.
      expect(await page.locator('#do-settle').isEnabled()).toBe(false);
      expect(await page.locator('#split-view').textContent()).toContain('请重新预结算');
      const sent = await settleBodies(async () => {
        await page.keyboard.press('Alt+J');
        await expect.poll(() => page.locator('#split-view').textContent()).toContain('请先预结算');
      });
      expect(sent).toEqual([]);
      const answer = await stored(settlementId);
      expect({ status: answer.status, total: (answer.json as { total?: string } | undefined)?.total }).toEqual({ status: 404, total: undefined });
    });
  }

  it('does not show a preview answered after the bill changed while it was on its way', async () => {
    await newPatient('ZY-EDIT-LATE', '990100198001011234');
    await fillRow(1, 'A1', '综合费用', '50000.00');
    await page.locator('#item-add').click();
    await fillRow(2, 'A2', '床位费', '10000.00');
    let release = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    let reached = () => {};
    const intercepted = new Promise<void>((resolve) => { reached = resolve; });
    await page.route('**/v1/settlements/preview', async (route) => { reached(); await held; await route.continue(); });
    try {
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/settlements/preview');
      await page.keyboard.press('Alt+Y');
      await intercepted;
      await page.getByRole('button', { name: '删除第 2 行' }).click();
      release();
      await answered;
    } finally { await page.unroute('**/v1/settlements/preview'); }
    await expect.poll(() => page.locator('#split-view').textContent()).toContain('请重新预结算');
    expect(await page.locator('#split-view [data-status="preview"]').count()).toBe(0);
    expect(await page.locator('#do-settle').isEnabled()).toBe(false);
  });

  it('settles what a new preview showed after a row was deleted', async () => {
    await previewTwoItems('ZY-EDIT-AGAIN');
    await page.getByRole('button', { name: '删除第 2 行' }).click();
    await page.keyboard.press('Alt+Y');
    await page.locator('#split-view [data-status="preview"]').waitFor();
    expect(await total()).toBe('50000.00');
    await page.keyboard.press('Alt+J');
    await page.locator('#split-view [data-status="settled"]').waitFor();
    expect(asSplit((await stored('ZY-EDIT-AGAIN')).json).total).toBe('50000.00');
  });

  it('settles exactly the request it previewed, not the form read again', async () => {
    await previewTwoItems('ZY-EDIT-SENT');
    const previewed = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/settlements/preview');
    await page.keyboard.press('Alt+Y'); // the same bill previewed again, to see the request it sends
    const previewBody = (await previewed).request().postData();
    await page.locator('#split-view [data-status="preview"]').waitFor();
    // A value changed without any event (as a script or an extension could): nothing can see it, so a
    // settlement that read the form again would commit 70000.00 where the patient was shown 60000.00.
    await page.getByLabel('第 2 行金额').evaluate((input: HTMLInputElement) => { input.value = '20000.00'; });
    const sent = await settleBodies(async () => {
      await page.keyboard.press('Alt+J');
      await page.locator('#split-view [data-status="settled"]').waitFor();
    });
    expect(sent).toEqual([previewBody]);
    expect(asSplit((await stored('ZY-EDIT-SENT')).json).total).toBe('60000.00');
  });

  it('shows an item\'s error next to that item when a blank row is above it', async () => {
    await newPatient('ZY-EDIT-ROWS', '990100198001015555');
    await fillRow(1, 'A1', '综合费用', '1000.00');
    await page.locator('#item-add').click(); // row 2 left blank: not in the request, so row 3 is items.1
    await page.locator('#item-add').click();
    await fillRow(3, 'A3', '检查费', '12.345'); // three decimals: a 400 on this item's amount
    await page.keyboard.press('Alt+Y');
    await page.locator('.field-error').first().waitFor();
    const invalidRows = await page.locator('#items-body tr').evaluateAll((rows) =>
      rows.flatMap((row, i) => (row.querySelector('[data-field="amount"][aria-invalid="true"]') ? [i + 1] : [])));
    expect(invalidRows).toEqual([3]);
    expect(await page.locator('#items-body tr').nth(2).locator('[data-error-for="items.1.amount"]').count()).toBe(1);

    // An error on the whole item (its self-paid part above its amount: a 422 on items.1) is in the banner,
    // which names the row the clerk sees.
    await page.getByLabel('第 3 行金额').fill('100.00');
    await page.getByLabel('第 3 行超限价').fill('200.00');
    await page.keyboard.press('Alt+Y');
    await expect.poll(() => page.locator('#form-error').textContent()).toContain('费用明细第 3 行：');
    expect(await page.locator('#form-error').textContent()).not.toContain('第 2 行');
  });
});
