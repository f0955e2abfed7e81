/**
 * The slip on paper: an ordinary bill (30 items, 6 payers) prints on one A4 page in the bundled font
 * (this machine has no CJK font of its own), with names instead of codes, times to the minute, the
 * patient's part in 大写, no internals, a signature area, and a watermark once reversed; any ID length
 * prints masked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { requestBody } from '../support/requests.js';
import { maskId } from '../../gateway/log.js';
import { launch, pdfPageCount, screenshotPath, type Browser } from './browser.js';

const PERSON = '371002195001011234';

/** 30 items of every class, as a 威海 hospital would send them, with the 医保 platform's amounts. */
function thirtyItemBill(settlementId: string) {
  const names = ['床位费', '护理费', '诊察费', '西药费', '中成药费', '检查费', '化验费', '治疗费', '手术费', '卫生材料费'];
  const items = Array.from({ length: 30 }, (_, i) => ({
    code: `XM${String(i + 1).padStart(4, '0')}`,
    name: `${names[i % names.length]}${i >= 10 ? `（第${Math.floor(i / 10) + 1}组）` : ''}`,
    amount: `${300 + i * 37}.${String((i * 13) % 100).padStart(2, '0')}`,
    class: (['A', 'A', 'B', 'C'] as const)[i % 4]!,
    ...(i % 4 === 2 ? { selfPayRatio: '0.10' } : {}),
  }));
  return requestBody({
    settlementId,
    hospital: { id: HOSPITAL_A, name: '威海市立医院', region: '371002', level: 3 },
    patient: { id: PERSON, name: '张三丰', insuredRegion: '371002', categories: ['poverty-alleviated'] },
    encounter: { admittedOn: '2020-03-01', dischargedOn: '2020-03-10', cause: 'accident', thirdPartyLiable: false, diagnoses: [{ icd10: 'S72.0', primary: true }] },
    items,
    upstream: { basic: '6000.00', majorIllness: '500.00', aid: '300.00' },
  });
}

describe('the settlement slip', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    gw = await startTestGateway();
    const roster = { rows: [{ personId: PERSON, from: '2020-01-01', to: '2020-12-31', categories: ['poverty-alleviated'] }] };
    for (const programme of ['weihai-2020-medical', 'weihai-2020-accident']) {
      expect((await call(gw.url, `/v1/rosters/${programme}`, { method: 'PUT', body: roster })).status).toBe(200);
    }
    browser = await launch();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${TOKENS.deskA}` });
  }, 60_000);
  afterAll(async () => { await browser?.close(); await gw?.stop(); });

  async function openSlip(settlementId: string): Promise<string> {
    const response = await page.goto(`${gw.url}/v1/settlements/${HOSPITAL_A}/${settlementId}/slip`);
    expect(response?.status()).toBe(200);
    await page.evaluate(() => document.fonts.ready);
    return (await page.locator('body').innerText());
  }

  it('prints a 30-item, 6-payer bill on one A4 page, in the bundled font, in plain words', async () => {
    const settled = await call(gw.url, '/v1/settlements', { body: thirtyItemBill('WH2020000030'), token: TOKENS.deskA });
    expect(settled.status).toBe(201);
    const split = asSplit(settled.json);
    expect(split.lines).toHaveLength(6);
    expect(split.lines.filter((l) => l.amount !== '0.00').length).toBeGreaterThanOrEqual(5);

    const text = await openSlip('WH2020000030');
    const pdf = await page.pdf({ format: 'A4' });
    if (process.env.SLIP_PDF) (await import('node:fs')).writeFileSync(process.env.SLIP_PDF, pdf);
    expect(pdfPageCount(pdf)).toBe(1);
    // The CJK glyphs come from the gateway's own font files (the machine has none to fall back on).
    expect(await page.evaluate(() => document.fonts.check('12px "Noto Sans SC"', '一站式结算单'))).toBe(true);
    expect(await page.evaluate(() => [...document.fonts].some((f) => f.family.includes('Noto Sans SC') && f.status === 'loaded'))).toBe(true);

    expect(text).toContain('威海市立医院');
    expect(text).toContain('中国人寿'); // the supplementary payers by name
    expect(text).toContain('XM0030'.replace('XM0030', '卫生材料费（第3组）'));
    expect(text).toMatch(/结算时间\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?!:)/);
    expect(text).not.toMatch(/T\d{2}:\d{2}:\d{2}|\+08:00/);
    expect(text).toContain(`个人支付 ${split.patientPays} 元`);
    expect(text).toMatch(/大写：人民币[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+/);
    for (const internal of ['upstream', '政策包', 'weihai-2020', 'demo-990000', 'poverty-alleviated', PERSON, '张三丰']) expect(text).not.toContain(internal);
    expect(text).toContain('37************1234');
    expect(text).toContain('张**');
    expect(text).toContain('患者或家属签字');
    expect(text).toContain('医院结算专用章');
    const shot = screenshotPath('slip.png');
    if (shot) { await page.setViewportSize({ width: 794, height: 1123 }); await page.screenshot({ path: shot, fullPage: true }); await page.setViewportSize({ width: 1366, height: 768 }); }
  });

  it('marks a reversed slip with a clear 已撤销 watermark, still one page', async () => {
    expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/WH2020000030/reversal`, { method: 'POST', body: { reason: '录入有误', operator: '李四' }, token: TOKENS.deskA })).status).toBe(200);
    const text = await openSlip('WH2020000030');
    expect(await page.locator('.watermark').textContent()).toBe('已撤销');
    expect(await page.locator('.watermark').isVisible()).toBe(true);
    expect(text).toContain('本次结算已撤销');
    const pdf = await page.pdf({ format: 'A4' });
    if (process.env.SLIP_PDF) (await import('node:fs')).writeFileSync(`${process.env.SLIP_PDF}.reversed.pdf`, pdf);
    expect(pdfPageCount(pdf)).toBe(1);
    const shot = screenshotPath('slip-reversed.png');
    if (shot) { await page.setViewportSize({ width: 794, height: 1123 }); await page.screenshot({ path: shot, fullPage: true }); await page.setViewportSize({ width: 1366, height: 768 }); }
  });

  it('prints a one-item demo bill on one page, naming the waiver payer by the hospital\'s configured name', async () => {
    const body = requestBody({ settlementId: 'ZY2024SLIP1', patient: { categories: ['dibao'] }, items: [{ code: 'A1', name: '综合费用', amount: '50000.00', class: 'A' }] });
    expect((await call(gw.url, '/v1/settlements', { body, token: TOKENS.deskA })).status).toBe(201);
    const text = await openSlip('ZY2024SLIP1');
    expect(pdfPageCount(await page.pdf({ format: 'A4' }))).toBe(1);
    expect(text).toContain('示例市第一人民医院');
    expect(text).toContain('大写：人民币贰仟柒佰陆拾陆元捌角贰分');
    expect(text).not.toContain(HOSPITAL_A + '\n');
  });

  it('answers every ID length with a masked slip, never a 500 (passport, 港澳通行证, 台湾居民身份证 …)', async () => {
    for (const id of ['E12345678', 'A123456789', 'H1234567890', 'P1', '1234567890123456789012345678901']) {
      const body = requestBody({ settlementId: `ID${id.length}`, patient: { id } });
      expect((await call(gw.url, '/v1/settlements', { body, token: TOKENS.deskA })).status).toBe(201);
      const slip = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/ID${id.length}/slip`, { token: TOKENS.deskA });
      expect(slip.status).toBe(200);
      expect(slip.text).toContain(`<span>证件号</span>${maskId(id)}`);
      // (A two-character ID could turn up by chance inside the gateway's random id; longer ones cannot.)
      if (id.length >= 9) expect(slip.text).not.toContain(id);
    }
  });
});
