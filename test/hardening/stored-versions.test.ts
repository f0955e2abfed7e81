/**
 * Records outlive schemas (issue 8, item 19): every stored version kept in test/fixtures/records/ —
 * a record exactly as Redis holds it, and its outbox event — still renders its slip, still maps for
 * the relay (NHSA 2304 nodes included), and still reverses, whatever today's request schema would say of its request.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nhsaAudience, nhsaMessageNodes } from '../../adapters/nhsa/audience.js';
import { insurerAudience } from '../../adapters/insurer/audience.js';
import { DEFAULT_FUND_PAY_TYPES } from '../../adapters/nhsa/fund-pay-types.js';
import { KeySpace } from '../../gateway/ledger/keys.js';
import type { OutboxEvent } from '../../gateway/ledger/port.js';
import { RECORD_VERSION } from '../../gateway/ledger/stored.js';
import { parseRecord } from '../../gateway/ledger/codec.js';
import { eventData } from '../../gateway/ledger/event-data.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { audienceRecords } from '../../gateway/stream/event-records.js';
import { topics } from '../../gateway/stream/topics.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { asSplit, call, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';

interface RecordFixture { description: string; recordVersion: number; record: Record<string, string>; event: OutboxEvent }

const DIR = new URL('../fixtures/records/', import.meta.url);
const fixtures: Array<[string, RecordFixture]> = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
  .map((file) => [file, JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as RecordFixture]);

it('keeps a fixture of every stored version up to the current one', () => {
  expect(fixtures.map(([, f]) => f.recordVersion)).toEqual(Array.from({ length: RECORD_VERSION }, (_, i) => i + 1));
});

describe.each(fixtures)('stored record %s', (_file, fixture) => {
  let redis: TestRedis;
  let gw: TestGateway;
  let client: Redis;
  // Key layout 1 (`{b<n>}` tags, no layout marker), as the releases that wrote these versions laid keys out.
  const keys = new KeySpace('gw', 16, 1);
  const { record } = fixture;
  const deltas = JSON.parse(record.deltas!) as Record<string, number>;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    // Exactly what a commit left in Redis: the record hash, the settlement-id claim, the accumulators it raised.
    await client.hset(keys.settlement(record.personId!, record.hospitalId!, record.settlementId!), record);
    await client.set(keys.index(record.hospitalId!, record.settlementId!), record.personId!);
    await client.hset(keys.accumulators(record.personId!), { ...Object.fromEntries(Object.entries(deltas).map(([k, v]) => [k, String(v)])), _v: '1' });
    gw = await startTestGateway({ REDIS_URL: redis.url, RELAY_ENABLED: 'false' });
  });
  afterAll(async () => { client?.disconnect(); await gw?.stop(); await redis?.stop(); });

  it('is a record today\'s strict schema need not accept (version 1 carries selfPayRatio on a class A item)', () => {
    const live = settlementRequest.safeParse(JSON.parse(record.requestJson!));
    expect(live.success).toBe(fixture.recordVersion !== 1);
  });

  it('renders its slip, masked', async () => {
    const slip = await call(gw.url, `/v1/settlements/${record.hospitalId}/${record.settlementId}/slip`, { token: TOKENS.admin });
    expect(slip.status).toBe(200);
    expect(slip.text).toContain('一站式结算单');
    expect(slip.text).toContain(record.settlementId!);
    expect(slip.text).toContain('张**');
    expect(slip.text).not.toContain(record.personId!);
  });

  it('maps for the relay (settlement.events data → nhsa.settlements)', () => {
    const programmes = loadProgrammes();
    const insurerCodeOf = (id: string) => programmes.get(id)?.payer.insurerCode;
    // With the NHSA adapter's 2304 nodes too: they read the stored request by its version as well.
    const records = audienceRecords(fixture.event, { topics: topics(''), source: 'urn:test', audiences: [nhsaAudience(nhsaMessageNodes({ fundPayTypes: DEFAULT_FUND_PAY_TYPES, insurerCodeOf })), insurerAudience(insurerCodeOf)] });
    expect(records[0]?.topic).toBe('nhsa.settlements');
    expect(JSON.parse(records[0]!.value)).toMatchObject({ settlementId: record.settlementId, kind: 'settled' });
    expect(records[0]!.value).toContain('setlinfo');
  });

  it('builds its event from the stored record alone, as the relay now does: byte for byte the data its release wrote (version 2 on), and it maps', () => {
    const stored = parseRecord(record);
    expect(stored).not.toBeNull();
    const data = eventData('settlement.settled', stored!);
    // Version 1 wrote no recordVersion into the event data; everything else is the same text.
    if (fixture.recordVersion >= 2) expect(data).toBe(fixture.event.data);
    else expect(data).toBe(`${fixture.event.data.slice(0, -1)},"recordVersion":1}`);
    const programmes = loadProgrammes();
    const records = audienceRecords({ ...fixture.event, data }, { topics: topics(''), source: 'urn:test', audiences: [nhsaAudience(), insurerAudience((id) => programmes.get(id)?.payer.insurerCode)] });
    expect(JSON.parse(records[0]!.value)).toMatchObject({ settlementId: record.settlementId, kind: 'settled' });
  });

  it('reverses, restoring the accumulators exactly', async () => {
    const reversal = await call(gw.url, `/v1/settlements/${record.hospitalId}/${record.settlementId}/reversal`, { method: 'POST', token: TOKENS.admin });
    expect(reversal.status).toBe(200);
    expect(asSplit(reversal.json)).toMatchObject({ status: 'reversed', gatewayId: record.gatewayId });
    const accumulators = await client.hgetall(keys.accumulators(record.personId!));
    for (const key of Object.keys(deltas)) expect(Number(accumulators[key])).toBe(0);
    const slip = await call(gw.url, `/v1/settlements/${record.hospitalId}/${record.settlementId}/slip`, { token: TOKENS.admin });
    expect(slip.text).toContain('已撤销');
  });
});
