/** The operations' routes over real sockets: roles, JSON and CSV, the second payout's dry run and single commit, what-if, pricing, the page. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PACKS_DIR } from '../../gateway/programmes/load.js';
import { call, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { requestBody } from '../support/requests.js';

let gw: TestGateway;
const SANMING_YAML = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
// Settlements are stamped with the real clock: the test programme is last year's 低补保 (discharges last
// year, settled now), paid out again by the end of this year, so that the year has ended and the payout window is open.
const LAST_YEAR = new Date().getUTCFullYear() - 1;
const NOW_YEAR = LAST_YEAR + 1;
const TEST_PACK = readFileSync(join(BUILTIN_PACKS_DIR, 'nantong-2022-dibubao.yaml'), 'utf8')
  .replace('id: nantong-2022-dibubao', 'id: nantong-ops-test')
  .replace('term: { from: 2022-01-01, to: 2022-12-31,', `term: { from: ${LAST_YEAR}-01-01, to: ${LAST_YEAR}-12-31,`)
  .replace('dueBy: "03-31"', 'dueBy: "12-31"');
const ID = 'nantong-ops-test';

const nantong = (n: number, total: string, outOfScope: string) => requestBody({
  settlementId: `ZY2022OPS${n}`,
  hospital: { id: 'H32060200001', region: '320602', level: 3 },
  patient: { id: `32060219600101${String(1000 + n)}`, insuredRegion: '320602', categories: ['dibao'] },
  encounter: { admittedOn: `${LAST_YEAR}-05-01`, dischargedOn: `${LAST_YEAR}-05-20`, diagnoses: [{ icd10: 'C34.9', primary: true }] },
  items: [{ code: 'A1', name: '甲类', amount: total, class: 'A' }, { code: 'C1', name: '目录外', amount: outOfScope, class: 'C' }],
  upstream: { basic: '5000.00' },
});

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-packs-'));
  writeFileSync(join(dir, 'nantong-ops-test.yaml'), TEST_PACK);
  const hospitals = join(mkdtempSync(join(tmpdir(), 'ops-hospitals-')), 'hospitals.json');
  writeFileSync(hospitals, JSON.stringify([{ id: 'H32060200001', name: '南通市第一人民医院' }]));
  gw = await startTestGateway({ PROGRAMMES_DIR: dir, HOSPITALS_FILE: hospitals });
  for (let n = 1; n <= 3; n++) {
    const r = await call(gw.url, '/v1/settlements', { body: nantong(n, '10000.00', `${n}00.00`) });
    expect(r.status).toBe(201);
  }
}, 30_000);
afterAll(async () => { await gw.stop(); });

describe('reports', () => {
  it('answers admins and auditors, as JSON and CSV, and refuses desks', async () => {
    const path = `/v1/reports/programmes/${ID}?from=${NOW_YEAR}-01-01&to=${NOW_YEAR + 1}-01-01`;
    const admin = await call(gw.url, path);
    expect(admin.status).toBe(200);
    const report = admin.json as { settlements: number; paid: { direct: string }; lossRatio: { target: string }; byRule: Array<{ amount: string }> };
    expect(report.settlements).toBe(3);
    expect(report.paid.direct).toBe('14700.00'); // 3 × (10000 − 5000) × 98%
    expect(report.byRule[0]?.amount).toBe('14700.00');
    expect(report.lossRatio.target).toBe('0.9200');
    expect((await call(gw.url, path, { token: TOKENS.auditor })).status).toBe(200);
    expect((await call(gw.url, path, { token: TOKENS.deskA })).status).toBe(403);
    const csv = await call(gw.url, `${path}&format=csv`, { token: TOKENS.auditor });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text).toContain('figure,paidDirect,,,,,14700.00');
    expect((await call(gw.url, `/v1/reports/programmes/${ID}?from=2023-01-01&to=2022-01-01`)).status).toBe(400);
    expect((await call(gw.url, `/v1/reports/programmes/${ID}?from=2020-01-01&to=2030-01-01`)).status).toBe(400);
    expect((await call(gw.url, '/v1/reports/programmes/nope?from=2022-01-01&to=2023-01-01')).status).toBe(404);
  });

  it('reads the period by discharge date on request, settlements after the period included, and says which basis it used', async () => {
    // Discharged last year, settled this year: by settlement day last year holds none of them.
    const lastYear = `/v1/reports/programmes/${ID}?from=${LAST_YEAR}-01-01&to=${NOW_YEAR}-01-01`;
    const bySettled = await call(gw.url, lastYear, { token: TOKENS.auditor });
    expect(bySettled.json).toMatchObject({ basis: 'settled', settledWindow: { from: `${LAST_YEAR}-01-01`, to: `${NOW_YEAR}-01-01` }, settlements: 0 });
    const byDischarge = await call(gw.url, `${lastYear}&basis=discharged`, { token: TOKENS.auditor });
    expect(byDischarge.status, byDischarge.text).toBe(200);
    const report = byDischarge.json as { basis: string; settledWindow: { from: string; to: string }; settlements: number; paid: { direct: string }; byMonth: Array<{ key: string }> };
    expect(report).toMatchObject({ basis: 'discharged', settlements: 3, paid: { direct: '14700.00' } });
    expect(report.byMonth.map((m) => m.key)).toEqual([`${LAST_YEAR}-05`]);
    expect(report.settledWindow.to > `${NOW_YEAR}-01-01`).toBe(true);
    const csv = await call(gw.url, `${lastYear}&basis=discharged&format=csv`, { token: TOKENS.auditor });
    expect(csv.text).toContain('figure,basis,按出院日期,,,,discharged');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="${ID}-${LAST_YEAR}-01-01-${NOW_YEAR}-01-01-discharged.csv"`);
    expect(csv.text).toContain(`figure,settledFrom,,,,,${report.settledWindow.from}`);
    // The same three stays by settlement day this year.
    expect((await call(gw.url, `/v1/reports/programmes/${ID}?from=${NOW_YEAR}-01-01&to=${NOW_YEAR + 1}-01-01&basis=settled`)).json).toMatchObject({ basis: 'settled', settlements: 3 });
  });

  it('refuses an unknown basis beside a bad period, naming both fields in Chinese', async () => {
    const bad = await call(gw.url, `/v1/reports/programmes/${ID}?from=${NOW_YEAR}-02-30&to=${NOW_YEAR + 1}-01-01&basis=admitted`);
    expect(bad.status).toBe(400);
    expect((bad.json as { errors: Array<{ path: string; message: string }> }).errors).toEqual([
      { path: 'from', message: '应为存在的日期 YYYY-MM-DD' },
      { path: 'basis', message: '应为 settled（按结算日期）或 discharged（按出院日期）' },
    ]);
    const basisOnly = await call(gw.url, `/v1/reports/programmes/${ID}?from=${NOW_YEAR}-01-01&to=${NOW_YEAR + 1}-01-01&basis=`);
    expect(basisOnly.status).toBe(400);
    expect(basisOnly.json).toMatchObject({ code: 'INVALID_REQUEST', title: expect.any(String), errors: [{ path: 'basis' }] });
  });

  it('names the hospitals from HOSPITALS_FILE, keeping the id, in JSON and CSV', async () => {
    const path = `/v1/reports/programmes/${ID}?from=${NOW_YEAR}-01-01&to=${NOW_YEAR + 1}-01-01`;
    expect((await call(gw.url, path)).json).toMatchObject({ byHospital: [{ key: 'H32060200001', name: '南通市第一人民医院', settlements: 3 }] });
    const csv = await call(gw.url, `${path}&format=csv`);
    expect(csv.text).toContain('hospital,H32060200001,南通市第一人民医院,3,14700.00,0.00,14700.00');
    expect(csv.text.split('\r\n')[0]).toBe('section,key,name,settlements,direct,benefits,total');
  });

  it('renders the yearly summary as a printable page', async () => {
    const r = await call(gw.url, '/v1/reports/programmes/hunan-2025-disabled-accident/summary?year=2025', { token: TOKENS.auditor });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.text).toContain('年度实施情况总结');
    expect(r.text).toContain('覆盖率 ≥ 40.00%');
    expect(r.text).toContain('2026 年 2 月');
    expect(r.text).toContain('统计期间 2025-01-01 至 2026-01-01（不含，按结算日期）');
  });
});

describe('second payout over HTTP', () => {
  const path = `/v1/programmes/${ID}/second-payout?year=${LAST_YEAR}`;
  it('shows a dry run, commits once, and answers the committed payout again', async () => {
    const dry = await call(gw.url, path, { method: 'POST' });
    expect(dry.status).toBe(200);
    const plan = dry.json as { dryRun: boolean; eligibleSelfPay: string; distributed: string; payments: Array<{ amount: string }> };
    expect(plan.dryRun).toBe(true);
    // The configured year's premiums dwarf three stays: everyone gets their whole self-paid cost (100 + 200 + 300).
    expect(plan.eligibleSelfPay).toBe('600.00');
    expect(plan.distributed).toBe('600.00');
    expect((await call(gw.url, `/v1/programmes/${ID}/second-payout/${LAST_YEAR}`)).status).toBe(404);
    expect((await call(gw.url, `${path}&confirm=true`, { method: 'POST', token: TOKENS.auditor })).status).toBe(403);
    const first = await call(gw.url, `${path}&confirm=true`, { method: 'POST' });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ dryRun: false, replay: false, published: 3, distributed: '600.00' });
    const again = await call(gw.url, `${path}&confirm=true`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replay')).toBe('true');
    expect(again.json).toMatchObject({ replay: true, published: 0, committedAt: (first.json as { committedAt: string }).committedAt });
    const stored = await call(gw.url, `/v1/programmes/${ID}/second-payout/${LAST_YEAR}`, { token: TOKENS.auditor });
    expect(stored.status).toBe(200);
    const report = await call(gw.url, `/v1/reports/programmes/${ID}?from=${NOW_YEAR}-01-01&to=${NOW_YEAR + 1}-01-01`);
    expect((report.json as { secondPayouts: Array<{ distributed: string }> }).secondPayouts[0]?.distributed).toBe('600.00');
    expect((await call(gw.url, `/v1/programmes/${ID}/second-payout?year=${NOW_YEAR + 5}`, { method: 'POST' })).status).toBe(422);
    expect((await call(gw.url, '/v1/programmes/sanming-2024-puhui/second-payout?year=2024', { method: 'POST' })).status).toBe(422);
  });
});

describe('what-if over HTTP', () => {
  it('compares a candidate with the pack in force, for admins only', async () => {
    const body = { pack: SANMING_YAML, from: '2024-01-01', to: '2025-01-01' };
    const r = await call(gw.url, '/v1/whatif', { body });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ programme: { id: 'sanming-2024-puhui' }, totals: { difference: '0.00' } });
    expect((await call(gw.url, '/v1/whatif', { body, token: TOKENS.auditor })).status).toBe(403);
    const bad = await call(gw.url, '/v1/whatif', { body: { ...body, pack: 'id: x\nversion: 1' } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const csv = await call(gw.url, '/v1/whatif?format=csv', { body });
    expect(csv.text).toContain('total,total,,0.00,0.00,0.00');
  });
});

describe('pricing over HTTP', () => {
  it('finds the premium at which the three stays meet 92% (the pack\'s target), for admins only, as JSON and CSV', async () => {
    // Claims 3 × 4900.00 = 14700.00 whatever the premium; 150000 enrolled (configured) × p × 0.92 ≤ 14700 → p ≤ 0.1065…:
    // 0.10 a person (premium 15000.00, loss ratio 0.98) meets it, 0.11 (16500.00, 0.8909) does not.
    const body = {
      pack: TEST_PACK, from: `${NOW_YEAR}-01-01`, to: `${NOW_YEAR + 1}-01-01`,
      figure: { path: 'operations.premiumPerPerson.value', unit: 'yuan', min: '0.01', max: '200' }, target: { kind: 'lossRatio' },
    };
    const r = await call(gw.url, '/v1/pricing', { body });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      programme: { id: ID }, outcome: 'found', monotone: { monotone: true, direction: 'falling' },
      answers: [{ figure: '0.10', claims: '14700.00', lossRatio: '0.9800', neighbour: { figure: '0.11', claims: '14700.00', lossRatio: '0.8909' } }],
      figure: { written: '120.00' }, settlements: { read: 3, replayed: 3 },
    });
    expect((r.json as { target: { description: string } }).target.description).toContain('0.9200');
    expect((await call(gw.url, '/v1/pricing', { body, token: TOKENS.auditor })).status).toBe(403);
    const csv = await call(gw.url, '/v1/pricing?format=csv', { body });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text).toContain('answer,0.10,14700.00,0.9800,true');
    const bad = await call(gw.url, '/v1/pricing', { body: { ...body, figure: { path: 'operations.premiumPerPerson.value', unit: 'percent' }, samples: 1 } });
    expect(bad.status).toBe(400);
    expect((bad.json as { errors: Array<{ path: string }> }).errors.map((e) => e.path).sort()).toEqual(['figure.max', 'figure.min', 'figure.unit', 'samples']);
  });
});

describe('metrics', () => {
  it('counts each pass by kind and outcome', async () => {
    const metrics = await call(gw.url, '/metrics', { token: null });
    expect(metrics.text).toMatch(/gateway_operations_pass_duration_seconds_count\{pass="report",outcome="ok"\} [1-9]/);
    expect(metrics.text).toMatch(/gateway_operations_pass_duration_seconds_count\{pass="whatif",outcome="ok"\} [1-9]/);
    expect(metrics.text).toMatch(/gateway_operations_pass_duration_seconds_count\{pass="pricing",outcome="ok"\} [1-9]/);
    expect(metrics.text).toMatch(/gateway_operations_pass_duration_seconds_count\{pass="secondPayoutConfirm",outcome="ok"\} [1-9]/);
  });
});

describe('the reports page', () => {
  it('serves the page, its script and the chart library from the gateway itself', async () => {
    const page = await call(gw.url, '/reports', { token: null });
    expect(page.status).toBe(200);
    expect(page.text).toContain('项目运行报表');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.text).not.toMatch(/<script>(?!<\/)/);
    const chart = await call(gw.url, '/reports/vendor/chart.umd.min.js', { token: null });
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toContain('javascript');
    expect(chart.text.length).toBeGreaterThan(100_000);
  });
});
