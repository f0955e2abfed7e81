/** `npm run whatif` and `npm run report` against a real Redis ledger: progress on stderr, the answer on stdout, CSV on request, nothing written. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { BUILTIN_PACKS_DIR, loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { rosterRow } from '../../schemas/roster.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';

const run = promisify(execFile);
let redis: TestRedis;
let ledger: RedisLedger;
const dir = mkdtempSync(join(tmpdir(), 'whatif-cli-'));

beforeAll(async () => {
  redis = await startRedis();
  ledger = new RedisLedger(new Redis(redis.url), { prefix: 'gw' });
  let now = new Date('2024-02-01T02:00:00Z');
  const service = new SettlementService({ ledger, programmes: loadProgrammes(), clock: () => now });
  await ledger.putRoster('sanming-2024-puhui', [rosterRow.parse({ personId: '350402198001010011', from: '2024-01-01', to: '2024-12-31' })], false);
  for (let n = 1; n <= 3; n++) {
    now = new Date(`2024-0${n + 1}-01T02:00:00Z`);
    await service.settle(requestBody({
      settlementId: `ZY2024CLI${n}`, hospital: { id: 'H35040200001', region: '350402', level: 3, drgPublic: true },
      patient: { id: '350402198001010011', insuredRegion: '350402', categories: [] },
      encounter: { admittedOn: `2024-0${n + 1}-01`, dischargedOn: `2024-0${n + 1}-01`, diagnoses: [{ icd10: 'K35.8', primary: true }] },
      items: [{ code: 'A1', name: '甲类项目', amount: '8000.00', class: 'A' }], upstream: { basic: '4000.00' },
    }), undefined);
  }
  const yaml = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
  writeFileSync(join(dir, 'candidate.yaml'), yaml.replace('deductible: { amount: "5000", per: year, cite: "004 三(六)2：起付标准为5000元', 'deductible: { amount: "6000", per: year, cite: "004 三(六)2：起付标准为5000元'));
}, 30_000);
afterAll(async () => { await ledger.close(); await redis.stop(); });

describe('npm run whatif', () => {
  it('replays the period under the candidate and prints the comparison', async () => {
    const before = await ledger.readAccumulators('350402198001010011');
    const csvFile = join(dir, 'out.csv');
    const { stdout, stderr } = await run('npx', ['tsx', 'gateway/operations/whatif-cli.ts', '--pack', join(dir, 'candidate.yaml'), '--from', '2024-01-01', '--to', '2025-01-01', '--csv', csvFile], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, timeout: 60_000,
    });
    expect(stderr).toContain('已读取 3 笔结算，重放 3 笔');
    const result = JSON.parse(stdout) as { totals: { baseline: { total: string }; candidate: { total: string }; difference: string } };
    // 4000 left per stay: deductible 5000 → 0, 3000, 4000 (7000); 6000 → 0, 2000, 4000 (6000).
    expect(result.totals).toMatchObject({ baseline: { total: '7000.00' }, candidate: { total: '6000.00' }, difference: '-1000.00' });
    expect(readFileSync(csvFile, 'utf8')).toContain('total,total,,7000.00,6000.00,-1000.00');
    expect(await ledger.readAccumulators('350402198001010011')).toEqual(before);
    // The enrolled count of reports, on Redis: the roster's person set.
    expect(await ledger.rosterSize('sanming-2024-puhui')).toBe(1);
    expect(await ledger.rosterSize('no-such-roster')).toBe(0);
  }, 60_000);

  it('npm run report reads the same ledger without the request timeout', async () => {
    const { stdout } = await run('npx', ['tsx', 'gateway/operations/report-cli.ts', '--programme', 'sanming-2024-puhui', '--from', '2024-01-01', '--to', '2025-01-01'], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, timeout: 60_000,
    });
    const report = JSON.parse(stdout) as { settlements: number; paid: { total: string }; enrolled: { persons: number; source: string }; byRiskGroup: Array<{ key: string; total: string }> };
    expect(report).toMatchObject({ settlements: 3, paid: { total: '7000.00' }, enrolled: { persons: 1, source: 'roster' } });
    expect(report.byRiskGroup).toEqual([expect.objectContaining({ key: 'healthy', total: '7000.00' })]);
  }, 60_000);

  it('says how to use it when arguments or Redis are missing', async () => {
    const failed = await run('npx', ['tsx', 'gateway/operations/whatif-cli.ts', '--pack', 'x.yaml'], { env: { ...process.env, REDIS_URL: '' }, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failed && failed.code).toBe(2);
    expect('stderr' in failed && failed.stderr).toContain('usage: npm run whatif');
  }, 60_000);
});
