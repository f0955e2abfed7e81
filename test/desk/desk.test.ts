/**
 * The billing desk in a real browser (Debian's Chromium through playwright-core), against the whole
 * gateway over a socket: sign-in (a wrong token refused), a bad input's field error in Chinese in
 * place, a GBK CSV import, preview, settle, the figures equal to the API's, the slip printed (one A4
 * page), reversal with a reason, the day's list and a person's standing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { launch, pdfPageCount, screenshotPath, type Browser } from './browser.js';

/** GBK bytes of the few characters the fixture uses, checked below by decoding them back. */
const GBK: Record<string, number[]> = {
  编: [0xb1, 0xe0], 码: [0xc2, 0xeb], 名: [0xc3, 0xfb], 称: [0xb3, 0xc6], 金: [0xbd, 0xf0], 额: [0xb6, 0xee], 类: [0xc0, 0xe0], 别: [0xb1, 0xf0],
  自: [0xd7, 0xd4], 付: [0xb8, 0xb6], 比: [0xb1, 0xc8], 例: [0xc0, 0xfd], 超: [0xb3, 0xac], 限: [0xcf, 0xde], 价: [0xbc, 0xdb],
  床: [0xb4, 0xb2], 位: [0xce, 0xbb], 费: [0xb7, 0xd1], 西: [0xce, 0xf7], 药: [0xd2, 0xa9], 检: [0xbc, 0xec], 查: [0xb2, 0xe9], 甲: [0xbc, 0xd7], 乙: [0xd2, 0xd2], 丙: [0xb1, 0xfb],
};
function gbk(text: string): Buffer {
  return Buffer.from([...text].flatMap((c) => GBK[c] ?? (c.charCodeAt(0) < 0x80 ? [c.charCodeAt(0)] : (() => { throw new Error(`no GBK bytes for ${c}`); })())));
}
const CSV = '编码,名称,金额,类别,自付比例,超限价\r\nBED01,床位费,600.00,甲,,60.00\r\nXY01,西药费,"12,000.00",乙,0.10,\r\nJC01,检查费,37400.00,甲,,\r\nZF01,西药费,2000.00,丙,,\r\n';

describe('the billing desk', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    gw = await startTestGateway();
    browser = await launch();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
  }, 60_000);
  afterAll(async () => { await browser?.close(); await gw?.stop(); });

  const figure = (name: string) => page.locator(`#split-view [data-figure="${name}"]`).textContent();

  it('refuses a wrong token and signs in with the hospital desk token', async () => {
    await page.goto(`${gw.url}/desk`);
    await page.getByLabel('本院结算令牌').fill('not-a-token-0123456789');
    await page.getByLabel('操作员（工号或姓名）').fill('收费员 李四');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#signin-error').textContent(), { timeout: 10_000 }).toContain('令牌无效');
    expect(await page.locator('#app').isHidden()).toBe(true);

    await page.getByLabel('本院结算令牌').fill(TOKENS.deskA);
    await page.keyboard.press('Enter');
    await page.locator('#app').waitFor({ state: 'visible' });
    expect(await page.locator('#hospital-select option:checked').textContent()).toContain('示例市第一人民医院');
    expect(await page.evaluate(() => sessionStorage.getItem('desk.token'))).toBe(TOKENS.deskA);
    expect(await page.evaluate(() => localStorage.getItem('desk.token'))).toBeNull();
    expect(page.url()).not.toContain(TOKENS.deskA);
  });

  it('shows a bad field\'s error in Chinese next to the field, from the problem document', async () => {
    await page.locator('#f-patient-id').fill('990100198001011234');
    await page.getByLabel('姓名', { exact: true }).fill('张三');
    await page.getByLabel('参保地区划').fill('9901');
    await page.getByLabel('入院日期').fill('2024-03-01');
    await page.getByLabel('出院日期').fill('2024-03-10');
    await page.getByLabel('诊断（ICD-10，逗号分隔，第一个为主要诊断）').fill('C34.9');
    await page.locator('#f-categories label', { hasText: /^低保$/ }).locator('input').check();
    await page.getByLabel('第 1 行编码').fill('A1');
    await page.getByLabel('第 1 行名称').fill('综合费用');
    await page.getByLabel('第 1 行金额').fill('50000.00');
    await page.keyboard.press('Alt+Y');
    const error = page.locator('[data-error-for="patient.insuredRegion"]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/行政区划/);
    expect(await page.getByLabel('参保地区划').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-patient-region');
    await page.getByLabel('参保地区划').fill('990100');
  });

  it('imports items from a GBK CSV file, then previews, settles and shows the API\'s figures', async () => {
    const bytes = gbk(CSV);
    expect(new TextDecoder('gbk').decode(bytes)).toBe(CSV);
    await page.locator('#csv-file').setInputFiles({ name: '费用明细.csv', mimeType: 'text/csv', buffer: bytes });
    await expect.poll(() => page.locator('#items-body tr').count(), { timeout: 10_000 }).toBe(5);
    expect(await page.getByLabel('第 3 行名称').inputValue()).toBe('西药费');
    expect(await page.getByLabel('第 3 行金额').inputValue()).toBe('12000.00');
    expect(await page.getByLabel('第 3 行类别').inputValue()).toBe('乙'); // the CSV's 乙 (class B), as the desk shows a class
    expect(await page.locator('#items-total').textContent()).toBe('102000.00');

    await page.keyboard.press('Alt+Y');
    await page.locator('#split-view [data-status="preview"]').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('do-settle');
    // Each line's explanation opens in place.
    await page.locator('#split-view tr[data-layer="basic"] button.why').click();
    expect(await page.locator('#split-view tr.explain:not([hidden])').textContent()).toContain('起付线');
    const shot = screenshotPath('desk.png');
    if (shot) await page.screenshot({ path: shot });
    // The preview and the settlement of the same bill must agree with the API's answer.
    const previewTotal = await figure('total');
    await page.keyboard.press('Alt+J');
    await page.locator('#split-view [data-status="settled"]').waitFor();
    const settlementId = await page.locator('#split-view [data-settlement]').getAttribute('data-settlement');
    const api = asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${settlementId}`, { token: TOKENS.deskA })).json);
    expect(api.status).toBe('settled');
    expect(previewTotal).toBe(api.total);
    expect(await figure('total')).toBe(api.total);
    expect(await figure('patientPays')).toBe(api.patientPays);
    expect(api.total).toBe('102000.00');
    for (const line of api.lines) expect(await page.locator(`#split-view [data-amount="${line.layer}"]`).textContent()).toBe(line.amount);
    expect(api.lines.filter((l) => l.amount !== '0.00').length).toBeGreaterThanOrEqual(3);
  });

  it('prints the slip with one key press after settling, fetched with the token as a header', async () => {
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('do-print');
    const slipRequests: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/slip')) slipRequests.push(r.url()); });
    await page.keyboard.press('Enter');
    const frame = page.locator('#slip-frame[data-printed]');
    await frame.waitFor({ state: 'attached' });
    const settlementId = await frame.getAttribute('data-printed');
    expect(slipRequests.length).toBe(1);
    expect(slipRequests[0]).not.toContain(TOKENS.deskA);
    const slip = page.frameLocator('#slip-frame');
    expect(await slip.locator('h1').textContent()).toBe('一站式结算单');
    expect(await slip.locator('body').textContent()).toContain('示例市第一人民医院');

    // The same slip as its own page, printed to PDF: one A4 page.
    const slipPage = await browser.context.newPage();
    await slipPage.setExtraHTTPHeaders({ authorization: `Bearer ${TOKENS.deskA}` });
    await slipPage.goto(`${gw.url}/v1/settlements/${HOSPITAL_A}/${settlementId}/slip`);
    await slipPage.evaluate(() => document.fonts.ready);
    expect(pdfPageCount(await slipPage.pdf({ format: 'A4' }))).toBe(1);
    await slipPage.close();
  });

  it('reverses with a confirmation and a reason, recorded with the operator', async () => {
    await page.keyboard.press('Alt+C');
    const dialog = page.locator('#reverse-dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.getByRole('button', { name: '确认撤销' }).click();
    expect(await page.locator('#reverse-error').textContent()).toContain('请选择撤销原因');
    await page.getByLabel('撤销原因').selectOption('费用录入有误，需重新结算');
    await page.getByLabel('说明（选填）').fill('床位费多录一天');
    await page.getByRole('button', { name: '确认撤销' }).click();
    await page.locator('#split-view [data-status="reversed"]').waitFor();
    expect(await dialog.isVisible()).toBe(false);
    const settlementId = await page.locator('#split-view [data-settlement]').getAttribute('data-settlement');
    const api = asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${settlementId}`, { token: TOKENS.deskA })).json);
    expect(api.status).toBe('reversed');
    expect(api.reversal).toEqual({ reason: '费用录入有误，需重新结算：床位费多录一天', operator: '收费员 李四' });

    // The reversed slip, opened on screen from the desk: its watermark says so.
    await page.keyboard.press('Alt+V');
    const slipDialog = page.locator('#slip-dialog');
    await slipDialog.waitFor({ state: 'visible' });
    expect(await page.frameLocator('#slip-view').locator('.watermark').textContent()).toBe('已撤销');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('slip-print');
    const shot = screenshotPath('desk-slip.png');
    if (shot) await page.screenshot({ path: shot });
    await page.keyboard.press('Escape');
    await slipDialog.waitFor({ state: 'hidden' });
  });

  it('lists the day with totals per payer equal to the API\'s, and a person\'s year-to-date standing', async () => {
    // A second patient, settled in force, so the day has one of each.
    await page.keyboard.press('Alt+N');
    await page.locator('#f-patient-id').fill('990100197001015678');
    await page.getByLabel('姓名', { exact: true }).fill('王五');
    await page.getByLabel('入院日期').fill('20240501'); // typed as a clerk does, read as 2024-05-01
    await page.keyboard.press('Tab');
    expect(await page.getByLabel('入院日期').inputValue()).toBe('2024-05-01');
    await page.getByLabel('出院日期').fill('2024/5/8');
    await page.keyboard.press('Tab');
    // Items pasted from a spreadsheet (tab-separated rows) replace the empty first row.
    await page.getByLabel('第 1 行编码').focus();
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData('text/plain', 'A1\t综合费用\t19000\t甲\t\t\nB1\t乙类药\t1000.00\t乙\t0.2\t\n');
      document.activeElement?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => page.locator('#items-body tr').count(), { timeout: 10_000 }).toBe(2);
    expect(await page.getByLabel('第 2 行自付比例').inputValue()).toBe('0.2');
    expect(await page.locator('#items-total').textContent()).toBe('20000.00');
    await page.keyboard.press('Alt+Y');
    await page.locator('#split-view [data-status="preview"]').waitFor();
    await page.keyboard.press('Alt+J');
    await page.locator('#split-view [data-status="settled"]').waitFor();

    // The day of that settlement (+08:00), not "today": a run across midnight in China stays right.
    const secondId = await page.locator('#split-view [data-settlement]').getAttribute('data-settlement');
    const second = asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${secondId}`, { token: TOKENS.deskA })).json);
    const date = second.settledAt!.slice(0, 10);
    await page.keyboard.press('Alt+3');
    await page.locator('#day-totals').waitFor();
    await page.locator('#day-date').fill(date);
    await page.getByRole('button', { name: '刷新' }).click();
    await expect.poll(() => page.locator('#day-view h3').first().textContent(), { timeout: 10_000 }).toContain(date);
    const day = (await call(gw.url, `/v1/settlements?hospitalId=${HOSPITAL_A}&date=${date}`, { token: TOKENS.deskA })).json as { totals: { total: string; settled: number; reversed: number } };
    expect(day.totals.settled).toBe(1);
    expect(day.totals.reversed).toBe(1);
    expect(await page.locator('[data-figure="day-total"]').textContent()).toBe(day.totals.total);
    expect(day.totals.total).toBe('20000.00');
    expect(await page.locator('#day-view tbody tr.reversed').count()).toBe(1);
    const shot = screenshotPath('desk-day.png');
    if (shot) await page.screenshot({ path: shot });
    // The 日结单: printing the desk prints the day's list alone, on one page for a short day.
    const dayPdf = await page.pdf({ format: 'A4' });
    if (process.env.DAY_PDF) (await import('node:fs')).writeFileSync(process.env.DAY_PDF, dayPdf);
    expect(pdfPageCount(dayPdf)).toBe(1);

    await page.keyboard.press('Alt+2');
    await page.locator('#q-person').fill('990100197001015678');
    await page.getByLabel('年度').fill('2024');
    await page.getByRole('button', { name: '查本人' }).click();
    const standing = page.locator('#lookup-person-view');
    await standing.locator('table').first().waitFor();
    expect(await standing.textContent()).toContain('示例地区城乡居民基本医疗保险（2024）');
    const shot2 = screenshotPath('desk-lookup.png');
    if (shot2) await page.screenshot({ path: shot2 });
  });
});
