/**
 * Issue 23: what an operator reads of the stream side in /readyz and /metrics. On the run's broker: the
 * topics' check (non-critical) says the topics are as specified, the relay's check gives the outbox lag while
 * ready, and the relay's breaker and the intake's lag are exported. A Kafka outage is read from the lag, not
 * from /readyz (README runbook).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { call, startTestGateway, type TestGateway } from '../support/gateway.js';
import { requestBody } from '../support/requests.js';
import { kafkaUnderTest, uniquePrefix, waitFor, type KafkaUnderTest } from './support.js';

const readyz = z.object({ status: z.string(), checks: z.array(z.object({ name: z.string(), ok: z.boolean(), critical: z.boolean().optional(), detail: z.record(z.string(), z.unknown()).optional(), error: z.string().optional() })) });

let kafka: KafkaUnderTest;
let gw: TestGateway;
beforeAll(async () => {
  kafka = await kafkaUnderTest();
  gw = await startTestGateway({ KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: uniquePrefix(), KAFKA_TOPIC_PARTITIONS: '2', KAFKA_REPLICATION_FACTOR: '1', KAFKA_SESSION_TIMEOUT_MS: '6000' });
});
afterAll(async () => { await gw?.stop(); await kafka?.stop(); });

describe('the stream side in /readyz and /metrics', () => {
  it('topics as specified, the relay\'s lag as a detail, its breaker and the intake\'s lag as metrics', async () => {
    const settled = await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'RDY1' }) });
    expect(settled.status).toBe(201);
    const ready = await call(gw.url, '/readyz', { token: null });
    expect(ready.status).toBe(200);
    const checks = readyz.parse(ready.json).checks;
    expect(checks.find((c) => c.name === 'kafka-topics')).toEqual({ name: 'kafka-topics', ok: true, critical: false });
    expect(checks.find((c) => c.name === 'relay')).toMatchObject({ ok: true, detail: { lag: expect.any(Number) } });
    // The relay publishes the settlement: the lag falls back to 0.
    await waitFor(async () => readyz.parse((await call(gw.url, '/readyz', { token: null })).json).checks.find((c) => c.name === 'relay')?.detail?.lag === 0, 20_000, 'the outbox drained');
    const metrics = (await call(gw.url, '/metrics', { token: null })).text;
    expect(metrics).toMatch(/^gateway_relay_breaker_state 0$/m);
    expect(metrics).toContain('# TYPE gateway_intake_lag_messages gauge');
    expect(metrics).not.toMatch(/^gateway_kafka_topic_drift\{/m);
  }, 60_000);
});
