/**
 * `npm run second-payout` against a real Redis ledger and the run's Apache Kafka: a dry run that writes
 * nothing, a confirmed run that commits once and publishes each payment to the insurer's topic, and a
 * repeated confirmation that goes on from the committed document without publishing twice.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLedger } from '../../gateway/ledger/redis.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { topics } from '../../gateway/stream/topics.js';
import { secondPayoutClaim } from '../../schemas/messages.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { compliantItems, requestBody } from '../support/requests.js';
import { collect, kafkaUnderTest, uniquePrefix, waitFor, type KafkaUnderTest } from '../stream/support.js';
import { insurerClaimsTopic } from '../../adapters/insurer/audience.js';

const run = promisify(execFile);
const PROGRAMME = 'nantong-2022-dibubao';
const PERSONS = ['320602196001011234', '320602196502022345'];
let redis: TestRedis;
let ledger: RedisLedger;
let kafka: KafkaUnderTest;
const dir = mkdtempSync(join(tmpdir(), 'second-payout-cli-'));

const cli = (args: string[], env: Record<string, string> = {}) => run(process.execPath, ['--import', 'tsx', 'gateway/operations/second-payout-cli.ts', '--programme', PROGRAMME, '--year', '2022', ...args], {
  env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'silent', ...env }, timeout: 60_000,
});

interface Payout { dryRun: boolean; replay?: boolean; published?: number; year: number; payments: Array<{ personId: string; amount: string; eligibleSelfPay: string }> }

beforeAll(async () => {
  [redis, kafka] = await Promise.all([startRedis(), kafkaUnderTest()]);
  ledger = new RedisLedger(new Redis(redis.url), { prefix: 'gw' });
  const service = new SettlementService({ ledger, programmes: loadProgrammes(), clock: () => new Date('2022-05-21T02:00:00Z') });
  // seeds/003: 98 % of the compliant cost left (10000 − 6000 − 1000 − 500 = 2500 → 2450.00); the patient keeps
  // 50.00 of it and the 500.00 out of the catalogue, the self-paid cost the surplus is shared on.
  for (const [n, personId] of PERSONS.entries()) {
    await service.settle(requestBody({
      settlementId: `ZY2022SP${n}`, hospital: { id: 'H32060200001', region: '320602', level: 3 },
      patient: { id: personId, insuredRegion: '320602', categories: ['dibao'] },
      encounter: { admittedOn: '2022-05-01', dischargedOn: '2022-05-20', diagnoses: [{ icd10: 'C34.9', primary: true }] },
      items: [...compliantItems('10000.00'), { code: 'C1', name: '目录外耗材', amount: '500.00', class: 'C' }],
      upstream: { basic: '6000.00', majorIllness: '1000.00', aid: '500.00' },
    }), undefined);
  }
}, 60_000);
afterAll(async () => { await ledger?.close(); await redis?.stop(); await kafka?.stop(); });

describe('npm run second-payout', () => {
  it('plans without writing, then confirms once and tells the insurer each payment once', async () => {
    const prefix = uniquePrefix();
    const reader = await collect(kafka.brokers, [insurerClaimsTopic(topics(prefix), 'nantong-dibubao')]);
    try {
      const csvFile = join(dir, 'dry-run.csv');
      const dry = JSON.parse((await cli(['--csv', csvFile])).stdout) as Payout;
      expect(dry.dryRun).toBe(true);
      // 150 000 enrolled × 120 yuan leave a surplus far above 2 × 500.00: each is paid their whole self-paid cost.
      expect(dry.payments.map((p) => [p.personId, p.eligibleSelfPay, p.amount]).sort()).toEqual(PERSONS.map((id) => [id, '500.00', '500.00']));
      // With a BOM, for Excel (operations/csv.ts): a header and one row per person paid, the amount in its column.
      const text = readFileSync(csvFile, 'utf8');
      expect(text.startsWith('\ufeffpersonId,coveredStays,eligibleSelfPay,cap,amount,capped,explanation')).toBe(true);
      const rows = text.trim().split(/\r?\n/).slice(1).map((row) => row.split(','));
      expect(rows.map((r) => [r[0], r[4]]).sort()).toEqual(PERSONS.map((id) => [id, '500.00']));

      const env = { KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix };
      const confirmed = JSON.parse((await cli(['--confirm'], env)).stdout) as Payout;
      expect(confirmed).toMatchObject({ dryRun: false, replay: false, published: 2 }); // the dry run committed nothing
      expect(confirmed.payments).toEqual(dry.payments);
      await waitFor(() => reader.seen.length >= 2, 15_000, 'the two payments on the insurer topic');
      const claims = reader.seen.map((m) => secondPayoutClaim.parse(JSON.parse(m.value)));
      expect(claims.map((c) => [c.claimId, c.amount]).sort()).toEqual(PERSONS.map((id) => [`sp_${PROGRAMME}_2022_${id}`, '500.00']));

      const again = JSON.parse((await cli(['--confirm'], env)).stdout) as Payout;
      expect(again).toMatchObject({ dryRun: false, replay: true, published: 0 });
      await new Promise((r) => setTimeout(r, 1_000));
      expect(reader.seen).toHaveLength(2);
    } finally {
      await reader.stop();
    }
  }, 120_000);

  it('refuses to confirm without Kafka, where the payments could not reach the insurer', async () => {
    const failed = await cli(['--confirm'], { KAFKA_BROKERS: '' }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failed && failed.code).toBe(2);
    expect('stderr' in failed && failed.stderr).toContain('KAFKA_BROKERS is not set');
  }, 60_000);
});
