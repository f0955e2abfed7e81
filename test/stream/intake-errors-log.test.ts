/**
 * What an operator sees when the bus replaces the intake's Kafka consumer: one error line in English
 * with the reason and the pause, a Prometheus counter, and nothing of the messages themselves.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../gateway/http/metrics.js';
import { createLogger } from '../../gateway/log.js';
import { SubscriptionCrashed } from '../../gateway/stream/bus.js';
import { intakeErrorHook, intakeLagHook, intakeUndeliverableHook } from '../../gateway/stream/wiring.js';

function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>); done(); } });
  return { log: createLogger('info', sink), lines };
}

describe('intake error hook', () => {
  it('a replaced consumer: logged at error level with the reason and the restart delay, counted in gateway_intake_consumer_crashes_total', async () => {
    const { log, lines } = capturedLog();
    const metrics = createMetrics();
    const hook = intakeErrorHook(log, metrics);
    hook(new SubscriptionCrashed('gw-intake', 'his.discharges', 'GROUP_AUTHORIZATION_FAILED: Not authorized to access group: Group authorization failed', 4_000, { cause: new Error('x') }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50, reason: 'GROUP_AUTHORIZATION_FAILED: Not authorized to access group: Group authorization failed', restartInMs: 4_000, group: 'gw-intake', topic: 'his.discharges',
      msg: 'intake: Kafka consumer crashed and kafkajs gave it up; a new one starts after restartInMs, from the committed offsets',
    });
    expect(await metrics.registry.getSingleMetricAsString('gateway_intake_consumer_crashes_total')).toMatch(/^gateway_intake_consumer_crashes_total 1$/m);
  });

  it('any other failed attempt: logged as an intake error, not counted as a crash', async () => {
    const { log, lines } = capturedLog();
    const metrics = createMetrics();
    intakeErrorHook(log, metrics)(new Error('ledger unreachable'));
    expect(lines).toMatchObject([{ level: 50, err: 'ledger unreachable', msg: 'intake: error' }]);
    expect(await metrics.registry.getSingleMetricAsString('gateway_intake_consumer_crashes_total')).toMatch(/^gateway_intake_consumer_crashes_total 0$/m);
  });

  it('an answer dead-lettered as undeliverable: one error line naming the topic, reason and offset, the key masked, counted by reason', async () => {
    const { log, lines } = capturedLog();
    const metrics = createMetrics();
    intakeUndeliverableHook(log, metrics)({
      topic: 'his.h9.settlements', reason: 'topic-missing', attempts: 3, partition: 2, offset: '41', key: '371002195001011234',
      correlationId: 'c-20', outcome: 'settled', hospitalId: 'H37100200001', settlementId: 'ZY1',
    });
    expect(lines).toMatchObject([{ level: 50, topic: 'his.h9.settlements', reason: 'topic-missing', partition: 2, offset: '41', key: '37************1234', settlementId: 'ZY1' }]);
    expect(JSON.stringify(lines)).not.toContain('371002195001011234');
    expect(await metrics.registry.getSingleMetricAsString('gateway_intake_undeliverable_answers_total')).toMatch(/^gateway_intake_undeliverable_answers_total\{reason="topic-missing"\} 1$/m);
  });

  it('the consumer\'s lag: one gauge per partition this process holds, a partition it no longer holds dropped', async () => {
    const metrics = createMetrics();
    const hook = intakeLagHook(metrics);
    hook(new Map([[0, 12], [3, 0]]));
    const text = () => metrics.registry.getSingleMetricAsString('gateway_intake_lag_messages');
    expect(await text()).toMatch(/^gateway_intake_lag_messages\{partition="0"\} 12$/m);
    expect(await text()).toMatch(/^gateway_intake_lag_messages\{partition="3"\} 0$/m);
    hook(new Map([[3, 5]])); // partition 0 went to another process in a rebalance
    expect(await text()).not.toMatch(/partition="0"/);
    expect(await text()).toMatch(/^gateway_intake_lag_messages\{partition="3"\} 5$/m);
  });
});
