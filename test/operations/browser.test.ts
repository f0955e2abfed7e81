/**
 * The reports page in a real browser (Debian's Chromium through playwright-core) against the express app
 * over a socket, on a synthetic 南通 year: the loss ratio, the monthly payouts and a what-if drawn with
 * the locally served chart library, each figure equal to the API's, with no CSP violation or script
 * error. UPDATE_SCREENSHOTS=1 writes docs/operations-reports.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../gateway/http/app.js';
import { createMetrics } from '../../gateway/http/metrics.js';
import { createLogger } from '../../gateway/log.js';
import { mountReportsPage } from '../../gateway/operations/page.js';
import { operationsRoutes } from '../../gateway/operations/routes.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { MemoryStore } from '../../gateway/store/memory.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { topics } from '../../gateway/stream/topics.js';
import { TOKENS } from '../support/gateway.js';
import { syntheticYear } from './synthetic-year.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const NANTONG_YAML = readFileSync(join(BUILTIN_PACKS_DIR, 'nantong-2022-dibubao.yaml'), 'utf8');
const RATIO_98 = 'ratio: { value: { healthy: "0.98", preExisting: "0.98" }';

describe.skipIf(!existsSync(CHROMIUM))('the reports page in a browser', () => {
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    const year = await syntheticYear({ seed: 20221, programme: 'nantong', settlements: 1500, persons: 500, reversalShare: 0.02 });
    const programmes = loadProgrammes();
    const app = createApp({
      service: year.service, ledger: year.ledger, programmes, metrics: createMetrics(), log: createLogger('silent'), readiness: [], version: 'test',
      clients: [{ token: TOKENS.admin, name: 'ops', roles: ['admin'], hospitalIds: '*' }], bodyLimitBytes: 2 * 1024 * 1024, requestTimeoutMs: 10_000,
      extensions: [{
        name: 'operations',
        v1: operationsRoutes({ programmes, ledger: year.ledger, store: new MemoryStore(), bus: new MemoryBus(), topics: topics(''), eventSource: 'urn:test', requestTimeoutMs: 10_000 }),
        mount: mountReportsPage,
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
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: join(process.cwd(), 'docs', 'operations-reports.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 60_000);
});
