/**
 * The reports page in a real browser (Debian's Chromium through playwright-core) against the express app
 * over a socket, on a synthetic 南通 year: the loss ratio, the monthly payouts and a what-if drawn with
 * the locally served chart library, each figure equal to the API's, with no CSP violation or script
 * error; hospitals and rules by name with their ids in the tooltip; the period by discharge date when
 * chosen (a stay discharged in the year and settled after it), the basis stated on the page and in the
 * CSV it downloads; pricing a figure (the answer, its neighbour, the curve drawn and tabled, the CSV).
 * UPDATE_SCREENSHOTS=1 writes docs/operations-reports.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseFen } from '../../gateway/engine/money.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { requestBody } from '../support/requests.js';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/http/app.js';
import { createMetrics } from '../../gateway/http/metrics.js';
import { createLogger } from '../../gateway/log.js';
import { reportsPage } from '../../gateway/operations/page.js';
import { bindRoutes } from '../../gateway/http/route-table.js';
import { operationsRoutes } from '../../gateway/operations/routes.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { MemoryStore } from '../../gateway/ledger/documents/memory.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { topics } from '../../gateway/stream/topics.js';
import { TOKENS } from '../support/gateway.js';
import { syntheticYear } from './synthetic-year.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const NANTONG_YAML = readFileSync(join(BUILTIN_PACKS_DIR, 'nantong-2022-dibubao.yaml'), 'utf8');
const RATIO_98 = 'ratio: { value: { healthy: "0.98", preExisting: "0.98" }';
const HOSPITAL_NAMES: Record<string, string> = { H32060200001: '南通市第一人民医院', H32061200003: '海门区人民医院' };
const fen = (text: string) => parseFen(text) ?? Number.NaN;

describe.skipIf(!existsSync(CHROMIUM))('the reports page in a browser', () => {
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let lateStayFen = 0;

  beforeAll(async () => {
    const year = await syntheticYear({ seed: 20221, programme: 'nantong', settlements: 1500, persons: 500, reversalShare: 0.02 });
    const programmes = loadProgrammes();
    // Discharged on the year's last day, settled on 5 January: the year's by discharge date, not by settlement date.
    const late = new SettlementService({ ledger: year.ledger, programmes, clock: () => new Date('2023-01-05T09:30:00+08:00') });
    const { split } = await late.settle(requestBody({
      settlementId: 'ZY2022LATE01', hospital: { id: 'H32060200001', region: '320602', level: 3 },
      patient: { id: '320602196001019999', insuredRegion: '320602', categories: ['dibao'] },
      encounter: { admittedOn: '2022-12-20', dischargedOn: '2022-12-31', diagnoses: [{ icd10: 'C34.9', primary: true }] },
      items: [{ code: 'A1', name: '甲类', amount: '10000.00', class: 'A' }], upstream: { basic: '5000.00' },
    }), undefined);
    lateStayFen = split.lines.filter((l) => l.programme === 'nantong-2022-dibubao').reduce((s, l) => s + fen(l.amount), 0);
    const app = createApp({
      service: year.service, ledger: year.ledger, programmes, metrics: createMetrics(), log: createLogger('silent'), readiness: [], version: 'test',
      clients: [{ token: TOKENS.admin, name: 'ops', roles: ['admin'], hospitalIds: '*' }], bodyLimitBytes: 2 * 1024 * 1024, requestTimeoutMs: 10_000,
      extensions: [{
        name: 'operations',
        v1: bindRoutes(operationsRoutes, {
          programmes, ledger: year.ledger, store: new MemoryStore(), bus: new MemoryBus(), mapping: { topics: topics(''), source: 'urn:test', audiences: [] }, requestTimeoutMs: 10_000,
          hospitalName: (id) => HOSPITAL_NAMES[id], log: createLogger('silent'),
        }),
        surfaces: [reportsPage()],
      }],
    });
    server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' });
    page.setDefaultTimeout(15_000);
    // Every console error counts (a CSP violation is one), except the browser's own note of a failed load, judged below by its URL.
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('requestfailed', (r) => problems.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
  }, 120_000);
  afterAll(async () => { await browser?.close(); await new Promise((resolve) => server?.close(resolve)); });

  const api = async (path: string, init: RequestInit = {}) => (await fetch(url + path, { ...init, headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' } })).json() as Promise<Record<string, unknown>>;

  it('draws the loss ratio against the target and the monthly payouts, as the API computes them', async () => {
    await page.goto(`${url}/reports`);
    await page.getByPlaceholder('Bearer 令牌').fill(TOKENS.admin);
    await page.getByRole('button', { name: '使用此令牌' }).click();
    await expect.poll(() => page.locator('#programme option').count()).toBeGreaterThan(2);
    await page.locator('#programme').selectOption('nantong-2022-dibubao');
    expect(await page.locator('#from').inputValue()).toBe('2022-01-01');
    await page.getByRole('button', { name: '查询' }).click();
    await page.locator('#cards .card').first().waitFor();
    const report = await api('/v1/reports/programmes/nantong-2022-dibubao?from=2022-01-01&to=2023-01-01') as { lossRatio: { value: string }; paid: { total: string }; byMonth: Array<{ key: string; direct: string }> };
    const cards = await page.locator('#cards').textContent();
    expect(cards).toContain(`${(Number(report.lossRatio.value) * 100).toFixed(2)}%`);
    expect(cards).toContain('目标 ≥ 92.00%');
    expect(cards).toContain(report.paid.total);
    const monthly = await page.evaluate(() => {
      const chart = (window as unknown as { Chart: { getChart(id: string): { data: { labels: string[]; datasets: Array<{ data: number[] }> } } | undefined } }).Chart.getChart('monthly-chart');
      return chart ? { labels: chart.data.labels, direct: chart.data.datasets[0]?.data ?? [] } : null;
    });
    expect(monthly?.labels).toEqual(report.byMonth.map((m) => m.key));
    expect(monthly?.direct).toEqual(report.byMonth.map((m) => Number(m.direct)));
    expect(await page.locator('#by-rule tbody tr').count()).toBe(1);
  }, 60_000);

  it('names hospitals and rules, each id kept in its tooltip, and says the period is by settlement date unlike the second payout', async () => {
    const report = await api('/v1/reports/programmes/nantong-2022-dibubao?from=2022-01-01&to=2023-01-01') as { byHospital: Array<{ key: string; name?: string }>; byRule: Array<{ rule: string; name: string }> };
    const cells = (table: string) => page.locator(`${table} tbody tr td:first-child`).evaluateAll((tds) => tds.map((td) => [td.textContent, td.getAttribute('title')]));
    const hospitals = await cells('#by-hospital');
    expect(hospitals).toEqual(report.byHospital.map((h) => (h.name ? [h.name, `医院编码 ${h.key}`] : [h.key, null])));
    expect(hospitals).toContainEqual(['南通市第一人民医院', '医院编码 H32060200001']);
    expect(hospitals).toContainEqual(['H32068100002', null]);
    expect(await cells('#by-rule')).toEqual(report.byRule.map((r) => [r.name, `责任编号 ${r.rule}`]));
    expect(await page.locator('#by-rule thead').textContent()).not.toContain('名称');
    const note = await page.locator('#basis-note').textContent();
    expect(note).toContain('统计期间 2022-01-01 至 2022-12-31，按结算日期');
    expect(note).toContain('二次赔付按出院日期统计年度，与本口径不同');
    expect(await page.locator('#monthly-caption').textContent()).toContain('按结算月份');
  }, 60_000);

  it('reads the period by discharge date when chosen: the stay settled after the year counts, and the page and its CSV say so', async () => {
    await page.locator('#basis').selectOption('discharged');
    await page.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => page.locator('#basis-note').textContent()).toContain('按出院日期');
    type Report = { paid: { total: string }; settledWindow: { from: string; to: string }; byMonth: Array<{ key: string; direct: string }> };
    const byDischarge = await api('/v1/reports/programmes/nantong-2022-dibubao?from=2022-01-01&to=2023-01-01&basis=discharged') as Report;
    const bySettlement = await api('/v1/reports/programmes/nantong-2022-dibubao?from=2022-01-01&to=2023-01-01') as Report;
    expect(lateStayFen).toBeGreaterThan(0);
    expect(fen(byDischarge.paid.total) - fen(bySettlement.paid.total)).toBe(lateStayFen);
    expect(await page.locator('#cards').textContent()).toContain(byDischarge.paid.total);
    const note = await page.locator('#basis-note').textContent();
    expect(note).toContain(`已读取 ${byDischarge.settledWindow.from} 至`);
    expect(note).toContain('二次赔付按出院日期统计年度，与本口径一致');
    expect(await page.locator('#monthly-caption').textContent()).toContain('按出院月份');
    const monthly = await page.evaluate(() => (window as unknown as { Chart: { getChart(id: string): { data: { datasets: Array<{ data: number[] }> } } | undefined } }).Chart.getChart('monthly-chart')?.data.datasets[0]?.data ?? []);
    expect(monthly).toEqual(byDischarge.byMonth.map((m) => Number(m.direct)));
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#csv').click()]);
    expect(download.suggestedFilename()).toBe('nantong-2022-dibubao-discharged.csv');
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv).toContain('figure,basis,按出院日期,,,,discharged');
    expect(csv).toContain(`figure,paidTotal,,,,,${byDischarge.paid.total}`);
    expect(csv).toContain('hospital,H32060200001,南通市第一人民医院,');
    await page.locator('#basis').selectOption('settled');
  }, 60_000);

  it('runs a what-if of a lower ratio and shows the API\'s difference', async () => {
    const candidate = NANTONG_YAML.replace(RATIO_98, 'ratio: { value: { healthy: "0.90", preExisting: "0.90" }').replace('version: "2022.1"', 'version: "2023.candidate"');
    await page.locator('#candidate').fill(candidate);
    await page.getByRole('button', { name: '运行测算' }).click();
    await page.locator('#whatif-cards .card').first().waitFor();
    const result = await api('/v1/whatif', { method: 'POST', body: JSON.stringify({ pack: candidate, from: '2022-01-01', to: '2023-01-01' }) }) as { totals: { difference: string }; persons: { worseOff: number } };
    expect(result.totals.difference.startsWith('-')).toBe(true);
    const cards = await page.locator('#whatif-cards').textContent();
    expect(cards).toContain(result.totals.difference);
    expect(cards).toContain(String(result.persons.worseOff));
    expect(await page.locator('#whatif-biggest tbody tr').count()).toBe(20);
    expect(await page.locator('#whatif-biggest tbody').textContent()).toMatch(/32\*{12}\d{4}/);
    expect(problems).toEqual([]);
  }, 60_000);

  it('prices the premium at which the year meets 92%: the answer, its neighbour and the curve as the API computes them, and the CSV', async () => {
    await page.locator('#candidate').fill(NANTONG_YAML);
    await page.locator('#pricing-path').fill('operations.premiumPerPerson.value');
    await page.locator('#pricing-min').fill('100');
    await page.locator('#pricing-max').fill('102');
    await page.getByRole('button', { name: '开始测算' }).click();
    await page.locator('#pricing-cards .card').first().waitFor();
    type Pricing = { outcome: string; message: string; answers: Array<{ figure: string; neighbour: { figure: string } }>; curve: Array<{ figure: string; claims: string }> };
    const result = await api('/v1/pricing', { method: 'POST', body: JSON.stringify({
      pack: NANTONG_YAML, from: '2022-01-01', to: '2023-01-01', figure: { path: 'operations.premiumPerPerson.value', unit: 'yuan', min: '100', max: '102' }, target: { kind: 'lossRatio' },
    }) }) as Pricing;
    expect(result.outcome).toBe('found');
    const answer = result.answers[0];
    const cards = await page.locator('#pricing-cards').textContent();
    expect(cards).toContain(answer?.figure);
    expect(cards).toContain(answer?.neighbour.figure);
    expect(cards).toContain('单调');
    expect(await page.locator('#pricing-message').textContent()).toBe(result.message);
    const curve = await page.evaluate(() => (window as unknown as { Chart: { getChart(id: string): { data: { labels: string[]; datasets: Array<{ data: number[] }> } } | undefined } }).Chart.getChart('pricing-chart')?.data);
    expect(curve?.labels).toEqual(result.curve.map((p) => p.figure));
    expect(curve?.datasets[0]?.data).toEqual(result.curve.map((p) => Number(p.claims)));
    expect(await page.locator('#pricing-curve tbody tr').count()).toBe(result.curve.length);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#pricing-csv').click()]);
    expect(download.suggestedFilename()).toBe('pricing.csv');
    expect(readFileSync(await download.path(), 'utf8')).toContain(`answer,${answer?.figure},`);
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: join(process.cwd(), 'docs', 'operations-reports.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 60_000);
});
