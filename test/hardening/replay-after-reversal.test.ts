/**
 * A replay of a settlement reversed since answers its current status (issue 8, item 8): a desk is never
 * told that a reversed settlement is in force — over HTTP, and on the Kafka intake's replay path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { dischargeHandler } from '../../gateway/stream/intake.js';
import { MemoryBus } from '../../gateway/stream/memory-bus.js';
import { topics } from '../../gateway/stream/topics.js';
import { dischargeAnswer } from '../../schemas/messages.js';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';

describe.each(['memory', 'redis'] as const)('replay after a reversal over HTTP (%s ledger)', (kind) => {
  let gw: TestGateway;
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    redis = kind === 'redis' ? await startRedis() : undefined;
    gw = await startTestGateway({ RELAY_ENABLED: 'false', ...(redis ? { REDIS_URL: redis.url } : {}) });
  });
  afterAll(async () => { await gw?.stop(); await redis?.stop(); });

  it('answers the replay with status reversed and reversedAt, as GET does', async () => {
    const b = requestBody({ settlementId: `REV${kind}1`, hospital: { id: HOSPITAL_A } });
    const settled = await call(gw.url, '/v1/settlements', { body: b, token: TOKENS.deskA });
    expect(settled.status).toBe(201);
    const reversed = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}/reversal`, { method: 'POST', token: TOKENS.deskA });
    expect(asSplit(reversed.json).status).toBe('reversed');
    const replay = await call(gw.url, '/v1/settlements', { body: b, token: TOKENS.deskA });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replay')).toBe('true');
    const read = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}`, { token: TOKENS.deskA });
    expect(asSplit(replay.json)).toEqual(asSplit(read.json));
    expect(asSplit(replay.json)).toMatchObject({ status: 'reversed', reversedAt: asSplit(reversed.json).reversedAt, gatewayId: asSplit(settled.json).gatewayId });
  });
});

describe('replay after a reversal on the Kafka intake', () => {
  it('answers the redelivered discharge with status reversed', async () => {
    const ledger = new MemoryLedger();
    const service = new SettlementService({ ledger, programmes: loadProgrammes() });
    const t = topics('');
    const handle = dischargeHandler({ bus: new MemoryBus(), service, topics: t, groupId: 'g', maxMessageBytes: 1 << 20 });
    const b = requestBody({ settlementId: 'KREV1' });
    const message = (offset: string) => ({ topic: t.hisDischarges, partition: 0, offset, key: null, value: Buffer.from(JSON.stringify(b)), headers: {} });
    const [first] = await handle([message('0')]);
    expect(dischargeAnswer.parse(JSON.parse(first!.value))).toMatchObject({ outcome: 'settled', replay: false, split: { status: 'settled' } });
    await service.reverse(b.hospital.id, b.settlementId, {}, undefined);
    const [again] = await handle([message('1')]);
    const answer = dischargeAnswer.parse(JSON.parse(again!.value));
    expect(answer).toMatchObject({ outcome: 'settled', replay: true, split: { status: 'reversed' } });
    if (answer.outcome === 'settled') expect(answer.split.reversedAt).toMatch(/\+08:00$/);
  });
});
