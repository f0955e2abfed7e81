/**
 * `npm run whatif`, `npm run price` and `npm run report` against a real Redis ledger: progress on stderr, the answer on
 * stdout, CSV on request, nothing written; the report by discharge date (a stay of 31 December settled on
 * 2 January) and hospitals named from HOSPITALS_FILE; `npm run ledger:project` builds the day projections ahead.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFen, parseFen } from '../../gateway/engine/money.js';
import { KeySpace } from '../../gateway/ledger/keys.js';
import { DayColumnsBuilder } from '../../gateway/operations/day-columns.js';
import { PROJECTION_FORMAT } from '../../gateway/operations/day-projection.js';
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
let lateStayPaid = '';

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
  // Discharged on the year's last day, settled in the next year: outside 2024 by settlement date.
  now = new Date('2025-01-02T02:00:00Z');
  const late = await service.settle(requestBody({
    settlementId: 'ZY2024CLI9', hospital: { id: 'H35040200001', region: '350402', level: 3, drgPublic: true },
    patient: { id: '350402198001010011', insuredRegion: '350402', categories: [] },
    encounter: { admittedOn: '2024-12-20', dischargedOn: '2024-12-31', diagnoses: [{ icd10: 'K35.8', primary: true }] },
    items: [{ code: 'A1', name: '甲类项目', amount: '8000.00', class: 'A' }], upstream: { basic: '4000.00' },
  }), undefined);
  lateStayPaid = late.split.lines.find((l) => l.programme === 'sanming-2024-puhui')?.amount ?? '0.00';
  writeFileSync(join(dir, 'hospitals.json'), JSON.stringify([{ id: 'H35040200001', name: '三明市第一医院' }]));
  const yaml = readFileSync(join(BUILTIN_PACKS_DIR, 'sanming-2024-puhui.yaml'), 'utf8');
  writeFileSync(join(dir, 'candidate.yaml'), yaml.replace('deductible: { amount: "5000", per: year, cite: "004 三(六)2：起付标准为5000元', 'deductible: { amount: "6000", per: year, cite: "004 三(六)2：起付标准为5000元'));
}, 30_000);
afterAll(async () => { await ledger.close(); await redis.stop(); });

describe('npm run whatif', () => {
  it('replays the period under the candidate and prints the comparison', async () => {
    const before = await ledger.readAccumulators('350402198001010011');
    const csvFile = join(dir, 'out.csv');
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'gateway/operations/whatif-cli.ts', '--pack', join(dir, 'candidate.yaml'), '--from', '2024-01-01', '--to', '2025-01-01', '--csv', csvFile, '--workers', '2'], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, timeout: 60_000,
    });
    expect(stderr).toContain('2 个进程按人员分片重放');
    // In this process instead of two by person shard: the same answer, byte for byte.
    const alone = await run(process.execPath, ['--import', 'tsx', 'gateway/operations/whatif-cli.ts', '--pack', join(dir, 'candidate.yaml'), '--from', '2024-01-01', '--to', '2025-01-01', '--workers', '1'], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, timeout: 60_000,
    });
    expect(alone.stdout).toBe(stdout);
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
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'gateway/operations/report-cli.ts', '--programme', 'sanming-2024-puhui', '--from', '2024-01-01', '--to', '2025-01-01', '--workers', '2'], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, timeout: 60_000,
    });
    // By two person shards or in one process: the same report, byte for byte.
    const alone = await run(process.execPath, ['--import', 'tsx', 'gateway/operations/report-cli.ts', '--programme', 'sanming-2024-puhui', '--from', '2024-01-01', '--to', '2025-01-01', '--workers', '1'], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, timeout: 60_000,
    });
    expect(alone.stdout).toBe(stdout);
    const report = JSON.parse(stdout) as { settlements: number; paid: { total: string }; enrolled: { persons: number; source: string }; byRiskGroup: Array<{ key: string; total: string }> };
    expect(report).toMatchObject({ settlements: 3, paid: { total: '7000.00' }, enrolled: { persons: 1, source: 'roster' } });
    expect(report.byRiskGroup).toEqual([expect.objectContaining({ key: 'healthy', total: '7000.00' })]);
  }, 60_000);

  it('npm run report -- --basis discharged counts the stay settled after the year, names the hospital and says the basis', async () => {
    const csvFile = join(dir, 'report.csv');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'gateway/operations/report-cli.ts', '--programme', 'sanming-2024-puhui', '--from', '2024-01-01', '--to', '2025-01-01', '--basis', 'discharged', '--csv', csvFile], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent', HOSPITALS_FILE: join(dir, 'hospitals.json') }, timeout: 60_000,
    });
    const report = JSON.parse(stdout) as { basis: string; settledWindow: { from: string }; settlements: number; paid: { total: string }; byMonth: Array<{ key: string }>; byHospital: Array<{ key: string; name?: string }> };
    expect(parseFen(lateStayPaid)).toBeGreaterThan(0);
    expect(report).toMatchObject({ basis: 'discharged', settledWindow: { from: '2023-12-25' }, settlements: 4, paid: { total: formatFen(700_000 + (parseFen(lateStayPaid) ?? Number.NaN)) } });
    expect(report.byMonth.map((m) => m.key)).toEqual(['2024-02', '2024-03', '2024-04', '2024-12']);
    expect(report.byHospital).toEqual([expect.objectContaining({ key: 'H35040200001', name: '三明市第一医院', settlements: 4 })]);
    const csv = readFileSync(csvFile, 'utf8');
    expect(csv).toContain('figure,basis,按出院日期,,,,discharged');
    expect(csv).toContain('hospital,H35040200001,三明市第一医院,4,');
    const refused = await run(process.execPath, ['--import', 'tsx', 'gateway/operations/report-cli.ts', '--programme', 'sanming-2024-puhui', '--from', '2024-01-01', '--to', '2025-01-01', '--basis', 'admitted'], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, timeout: 60_000,
    }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in refused && refused.code).toBe(2);
    expect('stderr' in refused && refused.stderr).toContain('basis: 应为 settled（按结算日期）或 discharged（按出院日期）');
  }, 60_000);

  it('npm run price finds the deductible at which 三明 profit cap binds, with the curve as CSV', async () => {
    // One person on the roster, premium 150.00: claims must reach 150 − 15.00 (10% costs) − 4.50 (3% cap) = 130.50.
    // Three stays leave 4000 each: claims = 12000 − d, so d = 11869.50; at 11869.51 they are 130.49.
    const csvFile = join(dir, 'price.csv');
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'gateway/operations/price-cli.ts', '--pack', join(dir, 'candidate.yaml'), '--figure', 'rules.r1.deductible.amount', '--unit', 'yuan',
      '--range', '0:20000', '--profit-cap', '--from', '2024-01-01', '--to', '2025-01-01', '--csv', csvFile, '--workers', '2'], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, timeout: 60_000,
    });
    const result = JSON.parse(stdout) as { outcome: string; answers: Array<{ figure: string; claims: string; neighbour: { figure: string; claims: string } }>; settlements: { read: number } };
    expect(result.outcome).toBe('found');
    expect(result.answers).toEqual([expect.objectContaining({ figure: '11869.50', claims: '130.50', neighbour: expect.objectContaining({ figure: '11869.51', claims: '130.49' }) })]);
    expect(result.settlements.read).toBe(3);
    expect(stderr).toContain('第 1 遍：21 个数值，已读取 3 笔结算'); // the two shards' counts added // 21 samples, every 1000.00: the candidate's own 6000.00 among them
    expect(stderr).toContain('满足利润上限的临界数值：11869.50');
    expect(readFileSync(csvFile, 'utf8')).toContain('answer,11869.50,130.50,0.8700,true');
    const usage = await run(process.execPath, ['--import', 'tsx', 'gateway/operations/price-cli.ts', '--pack', 'x.yaml', '--loss-ratio', '0.9', '--profit-cap'], { env: { ...process.env, REDIS_URL: redis.url }, timeout: 60_000 })
      .catch((e: { code: number; stderr: string }) => e);
    expect('code' in usage && usage.code).toBe(2);
    expect('stderr' in usage && usage.stderr).toContain('usage: npm run price');
  }, 60_000);

  it('says how to use it when arguments or Redis are missing', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'gateway/operations/whatif-cli.ts', '--pack', 'x.yaml'], { env: { ...process.env, REDIS_URL: '' }, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failed && failed.code).toBe(2);
    expect('stderr' in failed && failed.stderr).toContain('usage: npm run whatif');
  }, 60_000);
});

describe('npm run ledger:project', () => {
  it('builds every day projection of the period ahead, by person shard, and finds them cached the next time', async () => {
    const probe = new Redis(redis.url);
    const projections = async (): Promise<string[]> => (await probe.keys('gw:*:proj:*')).sort();
    for (const key of await projections()) await probe.del(key);
    const project = () => run(process.execPath, ['--import', 'tsx', 'gateway/operations/project-cli.ts', '--from', '2024-01-01', '--to', '2025-01-01', '--workers', '2'], {
      env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent' }, timeout: 60_000,
    });
    const first = await project();
    expect(JSON.parse(first.stdout)).toMatchObject({ period: { from: '2024-01-01', to: '2025-01-01' }, days: 366, settlements: 3 });
    // Every bucket's every day, the empty ones too (16 buckets, the ledger's default).
    const built = await projections();
    expect(built).toHaveLength(16 * 366);
    const entry = await probe.hgetall(built[0] ?? '');
    expect(Object.keys(entry).sort()).toEqual(['figures', 'requests']);
    // The next run reads the cache, builds nothing: an entry emptied behind its back (a valid entry of this format) is read as it is.
    const keys = new KeySpace('gw', 16);
    const empty = { figures: JSON.stringify({ format: PROJECTION_FORMAT, columns: new DayColumnsBuilder().columns() }), requests: JSON.stringify({ format: PROJECTION_FORMAT, requests: [] }) };
    await probe.hset(keys.projection(keys.bucket('350402198001010011'), '2024-02-01'), empty);
    const again = await project();
    expect(JSON.parse(again.stdout)).toMatchObject({ days: 366, settlements: 2 });
    expect(await projections()).toEqual(built);
    probe.disconnect();
  }, 120_000);
});
