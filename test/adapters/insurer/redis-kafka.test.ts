/**
 * The production pairing: claim state in Redis, claims on Kafka (the run's Apache Kafka broker, or a
 * real cluster with KAFKA_BROKERS). A restarted gateway resumes its insurer consumer group: nothing
 * delivered twice, nothing lost across an insurer outage, states and statements still there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, TOKENS, type TestGateway } from '../../support/gateway.js';
import { MockInsurer } from '../../support/mock-insurer.js';
import { startRedis, type TestRedis } from '../../support/redis.js';
import { kafkaUnderTest, uniquePrefix, type KafkaUnderTest } from '../../stream/support.js';
import { claimsOf, enrolWeihai, metric, settleWeihai, startInsurerGateway, waitFor, WEIHAI } from './support.js';

const PERSON = '371002195001015555';

describe('insurer delivery on Redis and Kafka', () => {
  let redis: TestRedis;
  let kafka: KafkaUnderTest;
  let mock: MockInsurer;
  let gw: TestGateway | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
    kafka = await kafkaUnderTest();
    mock = await MockInsurer.start();
    const prefix = uniquePrefix();
    env = {
      REDIS_URL: redis.url, KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, KAFKA_REPLICATION_FACTOR: '1', KAFKA_TOPIC_PARTITIONS: '3',
      KAFKA_SESSION_TIMEOUT_MS: '6000', INTAKE_ENABLED: 'false',
    };
  });
  afterAll(async () => { await gw?.stop(); await mock?.stop(); await kafka?.stop(); await redis?.stop(); });

  it('delivers, survives a restart without delivering twice, and reconciles from Redis', async () => {
    gw = await startInsurerGateway(mock, env);
    await enrolWeihai(gw.url, [PERSON]);
    const first = await settleWeihai(gw.url, { settlementId: 'RK-1', personId: PERSON });
    const [c1] = await waitFor('delivered', async () => { const c = await claimsOf(gw!.url, WEIHAI, first.gatewayId); return c[0]?.state === 'delivered' && c; }, 30_000);
    await gw.stop();

    gw = await startInsurerGateway(mock, env);
    // The insurer goes down: the claim waits on its partition (the batch handed back to Kafka, heart-beating) and flows once it is back.
    await mock.down();
    const second = await settleWeihai(gw.url, { settlementId: 'RK-2', personId: PERSON });
    await waitFor('the breaker open', async () => (await metric(gw!.url, 'gateway_insurer_breaker_state', `insurer="${WEIHAI}"`)) === 2, 30_000);
    expect((await claimsOf(gw.url, WEIHAI, second.gatewayId))[0]?.state).toBe('pending');
    await mock.up();
    await waitFor('the second delivered', async () => (await claimsOf(gw!.url, WEIHAI, second.gatewayId))[0]?.state === 'delivered', 30_000);
    expect((await claimsOf(gw.url, WEIHAI, first.gatewayId))[0]).toMatchObject({ state: 'delivered', receiptNo: c1!.receiptNo });
    expect(mock.received.filter((r) => r.json.claimId === c1!.claimId)).toHaveLength(1);
    expect(mock.delivered(WEIHAI).map((c) => c.settlementId)).toEqual(['RK-1', 'RK-2']);

    const statement = { statementNo: 'RK-S1', from: c1!.settledOn, to: c1!.settledOn, lines: [{ claimId: c1!.claimId, hospitalId: c1!.hospitalId, settledOn: c1!.settledOn, amount: c1!.amount, paidOn: c1!.settledOn }] };
    expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements`, { body: statement, token: TOKENS.auditor })).status).toBe(201);
    expect((await call(gw.url, `/v1/reconciliation/${WEIHAI}/statements`, { body: statement, token: TOKENS.auditor })).status).toBe(200);
    const report = await call(gw.url, `/v1/reconciliation/${WEIHAI}?from=${c1!.settledOn}&to=${c1!.settledOn}`, { token: TOKENS.auditor });
    const rows = (report.json as { rows: Array<{ claimId: string; outcome: string }> }).rows;
    expect(rows.find((r) => r.claimId === c1!.claimId)?.outcome).toBe('matched');
  });
});
