/**
 * Delivery of nhsa.settlements to a mock 医保 platform over HTTP: the platform down → the breaker opens,
 * settlements go on, nothing is lost and delivery resumes in order; rejected and exhausted messages are
 * dead-lettered with the reason and replayed once the cause is fixed; a person with a dead letter is held
 * (their later messages follow it, unposted) so that the platform sees a settlement before its reversal.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { startMockPlatform, type MockPlatform } from '../../support/nhsa-platform.js';
import { requestBody } from '../../support/requests.js';
import { nhsaSettlement } from '../../../schemas/messages.js';
import { readNational } from '../../../adapters/nhsa/wire.js';
import { nhsa } from './support.js';
import { kafkaUnderTest, uniquePrefix, type KafkaUnderTest } from '../../stream/support.js';

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const metric = async (url: string, name: string): Promise<number> => {
  const text = (await call(url, '/metrics', { token: null })).text;
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : NaN;
};

const settle = (url: string, settlementId: string, personId: string) =>
  call(url, '/v1/settlements', { body: requestBody({ settlementId, patient: { id: personId } }), token: TOKENS.deskA });
const reverse = (url: string, settlementId: string) => call(url, `/v1/settlements/${HOSPITAL_A}/${settlementId}/reversal`, { method: 'POST', token: TOKENS.deskA });
const deadLetters = async (url: string) => ((await call(url, '/v1/nhsa/dead-letters', { token: TOKENS.admin })).json as { dead: Array<{ id: string; reason: string }> }).dead;
const replay = (url: string) => call(url, '/v1/nhsa/dead-letters/replay', { method: 'POST', token: TOKENS.admin });

const deliveryEnv = (platform: MockPlatform, extra: Record<string, string> = {}) => ({
  NHSA_PLATFORM_URL: platform.url, NHSA_BREAKER_RESET_MS: '200', NHSA_DELIVERY_BACKOFF_MS: '5', NHSA_DELIVERY_BACKOFF_MAX_MS: '50',
  NHSA_DELIVERY_TIMEOUT_MS: '2000', NHSA_DELIVERY_MAX_ATTEMPTS: '1000', ...extra,
});

function describeDelivery(name: string, busEnv: () => Record<string, string>) {
describe(`delivery to the 医保 platform (${name})`, () => {
  let platform: MockPlatform;
  let gw: TestGateway | undefined;
  beforeAll(async () => { platform = await startMockPlatform(); });
  afterAll(async () => { await platform.stop(); });
  const fastDelivery = (p: MockPlatform, extra: Record<string, string> = {}) => ({ ...deliveryEnv(p, extra), ...busEnv() });
  afterEach(async () => { await gw?.stop(); gw = undefined; platform.received.length = 0; platform.failing = false; platform.rejecting.clear(); platform.attempts = 0; });

  it('opens the breaker while the platform is down, loses nothing, and resumes in order once it is back', async () => {
    platform.failing = true;
    gw = await startTestGateway(fastDelivery(platform));
    const expected: string[] = [];
    const personOf = (what: string) => `99010019800101${String(1000 + (Number(/ZY-OUT-(\d+)/.exec(what)![1]) % 3))}`;
    for (let i = 0; i < 6; i++) {
      const person = `99010019800101${String(1000 + (i % 3))}`;
      const settled = await settle(gw.url, `ZY-OUT-${i}`, person);
      expect(settled.status).toBe(201); // settlement never waits for the platform
      expected.push(`ZY-OUT-${i}:settled`);
      if (i === 1) {
        expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/ZY-OUT-1/reversal`, { method: 'POST', token: TOKENS.deskA })).status).toBe(200);
        expected.push('ZY-OUT-1:reversed');
      }
    }
    await until(async () => (await metric(gw!.url, 'gateway_nhsa_breaker_state')) === 2, 'the breaker to open');
    expect(platform.received).toHaveLength(0);
    const attemptsWhileOpen = platform.attempts;
    platform.failing = false;
    await until(() => platform.received.length >= expected.length, 'every message to be delivered');
    expect(platform.attempts).toBeGreaterThan(attemptsWhileOpen);
    // Per person, in the order settled (Kafka keeps order per partition; persons may interleave).
    const byPerson = (entries: Array<{ person: string; what: string }>) => entries.reduce<Record<string, string[]>>((m, e) => ({ ...m, [e.person]: [...(m[e.person] ?? []), e.what] }), {});
    expect(byPerson(platform.received.map((r) => ({ person: String(r.body.personId), what: `${String(r.body.settlementId)}:${String(r.body.kind)}` }))))
      .toEqual(byPerson(expected.map((what) => ({ person: personOf(what), what }))));
    expect(new Set(platform.received.map((r) => r.ceId)).size).toBe(expected.length);
    // What the platform receives carries the 2304-shaped nodes.
    // On Kafka, persons on different partitions may arrive in any order: look ZY-OUT-0 up, not the first.
    const first = platform.received.find((r) => r.body.settlementId === 'ZY-OUT-0')!.body as { setlinfo: { medfee_sumamt: number; mdtrt_id: string }; setldetail: unknown[] };
    expect(first.setlinfo).toMatchObject({ medfee_sumamt: 10000, mdtrt_id: 'ZY-OUT-0' });
    expect(Array.isArray(first.setldetail)).toBe(true);
    await until(async () => (await metric(gw!.url, 'gateway_nhsa_breaker_state')) === 0, 'the breaker to close');
    expect(await metric(gw.url, 'gateway_nhsa_deliveries_total{outcome="acked"}')).toBe(expected.length);
  });

  it('delivers what the 2304 answer said: the same setlinfo and setldetail, digit for digit, in a valid nhsaSettlement', async () => {
    gw = await startTestGateway(fastDelivery(platform));
    const psn = '99000000000000007777';
    const admitted = await nhsa(gw.url, '2401', { mdtrtinfo: { psn_no: psn, insutype: '390', begntime: '2024-03-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: '990100198001017777', med_type: '21', ipt_no: 'ZY7777', dscg_maindiag_code: 'C34.900' }, ext: { hosp_lv: 3, categories: ['dibao'] } });
    const mdtrtId = (admitted.answer.output.result as Record<string, string>).mdtrt_id!;
    await nhsa(gw.url, '2301', { feedetail: [{ feedetl_sn: 'F1', mdtrt_id: mdtrtId, psn_no: psn, fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: 'X1', medins_list_codg: 'Y1', det_item_fee_sumamt: '12345.67', cnt: 1, pric: '12345.67', chrgitm_lv: '01' }] });
    await nhsa(gw.url, '2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: psn, endtime: '2024-03-09 10:00:00', dscg_way: '1' } });
    const settled = await nhsa(gw.url, '2304', { data: { psn_no: psn, mdtrt_cert_type: '02', medfee_sumamt: '12345.67', psn_setlway: '01', mdtrt_id: mdtrtId, insutype: '390', acct_used_flag: '0', mid_setl_flag: '0' } });
    expect(settled.answer.infcode).toBe('0');
    await until(() => platform.received.length === 1, 'the delivery');
    const delivered = readNational(platform.received[0]!.text) as Record<string, unknown>;
    expect(delivered.setlinfo).toEqual(settled.answer.output.setlinfo);
    expect(delivered.setldetail).toEqual(settled.answer.output.setldetail);
    expect(nhsaSettlement.parse(platform.received[0]!.body)).toMatchObject({ kind: 'settled', settlementId: mdtrtId, total: '12345.67' });
  });

  it('dead-letters a message the platform rejects without holding the others, and replays it once fixed', async () => {
    gw = await startTestGateway(fastDelivery(platform));
    platform.rejecting.add('ZY-REJ-1');
    await settle(gw.url, 'ZY-REJ-1', '990100198001012001');
    await settle(gw.url, 'ZY-REJ-2', '990100198001012002');
    await until(() => platform.received.some((r) => r.body.settlementId === 'ZY-REJ-2'), 'the message behind the rejected one');
    // The two persons may sit on different Kafka partitions: ZY-REJ-2 can arrive before ZY-REJ-1 is dead.
    await until(async () => ((await call(gw!.url, '/v1/nhsa/dead-letters', { token: TOKENS.admin })).json as { dead: unknown[] }).dead.length >= 1, 'the dead letter');
    const dead = await call(gw.url, '/v1/nhsa/dead-letters', { token: TOKENS.admin });
    expect((dead.json as { dead: Array<{ reason: string }> }).dead).toHaveLength(1);
    expect((dead.json as { dead: Array<{ reason: string }> }).dead[0]?.reason).toBe('医保平台拒收：infcode -1 结算信息校验不通过');
    expect(await metric(gw.url, 'gateway_nhsa_dead_letters_total')).toBe(1);
    // Still refused: the replay reports it and keeps it dead.
    const stillBad = await call(gw.url, '/v1/nhsa/dead-letters/replay', { method: 'POST', token: TOKENS.admin });
    expect(stillBad.json).toMatchObject({ replayed: 0, skipped: 0 });
    expect((stillBad.json as { failed: Array<{ reason: string }> }).failed[0]?.reason).toContain('结算信息校验不通过');
    platform.rejecting.clear();
    const replayed = await call(gw.url, '/v1/nhsa/dead-letters/replay', { method: 'POST', token: TOKENS.admin });
    expect(replayed.json).toMatchObject({ replayed: 1, failed: [] });
    expect(platform.received.filter((r) => r.body.settlementId === 'ZY-REJ-1')).toHaveLength(1);
    expect((await call(gw.url, '/v1/nhsa/dead-letters', { token: TOKENS.admin })).json).toMatchObject({ dead: [] });
    const again = await call(gw.url, '/v1/nhsa/dead-letters/replay', { method: 'POST', token: TOKENS.admin });
    expect(again.json).toMatchObject({ replayed: 0, skipped: 1 });
    expect((await call(gw.url, '/v1/nhsa/dead-letters/replay', { method: 'POST', token: TOKENS.deskA })).status).toBe(403);
  });

  it('dead-letters a message that keeps failing after the configured attempts, with the reason', async () => {
    platform.failing = true;
    gw = await startTestGateway(fastDelivery(platform, { NHSA_DELIVERY_MAX_ATTEMPTS: '2', NHSA_BREAKER_RESET_MS: '50' }));
    await settle(gw.url, 'ZY-EXH-1', '990100198001013001');
    await until(async () => ((await call(gw!.url, '/v1/nhsa/dead-letters', { token: TOKENS.admin })).json as { dead: unknown[] }).dead.length === 1, 'the dead letter');
    platform.failing = false;
    const replayed = await call(gw.url, '/v1/nhsa/dead-letters/replay', { method: 'POST', token: TOKENS.admin });
    expect(replayed.json).toMatchObject({ replayed: 1 });
    expect(platform.received.map((r) => r.body.settlementId)).toEqual(['ZY-EXH-1']);
  });

  it('never lets the platform see a reversal before the settlement it reverses, not even after a replay', async () => {
    gw = await startTestGateway(fastDelivery(platform));
    platform.rejecting.add('ZY-ORD-1');
    expect((await settle(gw.url, 'ZY-ORD-1', '990100198001016001')).status).toBe(201);
    await until(async () => (await deadLetters(gw!.url)).length === 1, 'the settlement to be dead-lettered');
    platform.rejecting.clear(); // refused once: the platform would take the reversal at once
    expect((await reverse(gw.url, 'ZY-ORD-1')).status).toBe(200);
    // Give the reversal every chance to be delivered, then replay the dead letter once fixed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await replay(gw.url)).status).toBe(200);
    await until(() => platform.received.filter((r) => r.body.settlementId === 'ZY-ORD-1').length === 2, 'both messages delivered');
    expect(platform.received.filter((r) => r.body.settlementId === 'ZY-ORD-1').map((r) => r.body.kind)).toEqual(['settled', 'reversed']);
  });

  it('holds a person behind their dead letter: later messages follow it unposted, and a replay delivers them in order, each once', async () => {
    gw = await startTestGateway(fastDelivery(platform));
    const person = '990100198001014001';
    const ofPerson = () => platform.received.filter((r) => r.body.personId === person);
    platform.rejecting.add('ZY-HLD-1');
    expect((await settle(gw.url, 'ZY-HLD-1', person)).status).toBe(201);
    await until(async () => (await deadLetters(gw!.url)).length === 1, 'the refused settlement to be dead-lettered');
    const [refused] = await deadLetters(gw.url);
    platform.rejecting.clear(); // the platform would take the rest now: only the hold keeps them back
    expect((await reverse(gw.url, 'ZY-HLD-1')).status).toBe(200);
    expect((await settle(gw.url, 'ZY-HLD-2', person)).status).toBe(201);
    expect((await settle(gw.url, 'ZY-HLD-3', '990100198001014002')).status).toBe(201);
    await until(async () => (await deadLetters(gw!.url)).length === 3, "the person's later messages to follow the dead letter");
    await until(() => platform.received.some((r) => r.body.settlementId === 'ZY-HLD-3'), "another person's message to be delivered");
    expect(ofPerson()).toEqual([]);
    const held = (await deadLetters(gw.url)).filter((d) => d.id !== refused!.id);
    expect(held.map((d) => d.reason)).toEqual(Array(2).fill(`同一参保人更早的消息 ${refused!.id} 在死信中：本条随其后重放，以保持顺序`));
    expect(await metric(gw.url, 'gateway_nhsa_deliveries_total{outcome="held"}')).toBe(2);
    expect(await metric(gw.url, 'gateway_nhsa_dead_letters_total')).toBe(3);

    // Refused again on replay: the held messages stay dead behind it, unposted.
    platform.rejecting.add('ZY-HLD-1');
    const again = await replay(gw.url);
    expect(again.json).toMatchObject({ replayed: 0 });
    const failed = (again.json as { failed: Array<{ id: string; reason: string }> }).failed;
    expect(failed[0]).toMatchObject({ id: refused!.id, reason: expect.stringContaining('结算信息校验不通过') });
    expect(failed.slice(1).map((f) => f.id).sort()).toEqual(held.map((d) => d.id).sort());
    expect(failed.slice(1).every((f) => f.reason.includes(refused!.id))).toBe(true);
    expect(ofPerson()).toEqual([]);

    platform.rejecting.clear();
    expect((await replay(gw.url)).json).toMatchObject({ replayed: 3, failed: [] });
    expect(ofPerson().map((r) => `${String(r.body.settlementId)}:${String(r.body.kind)}`)).toEqual(['ZY-HLD-1:settled', 'ZY-HLD-1:reversed', 'ZY-HLD-2:settled']);
    expect(new Set(ofPerson().map((r) => r.ceId)).size).toBe(3);
    expect(await deadLetters(gw.url)).toEqual([]);
    expect((await replay(gw.url)).json).toMatchObject({ replayed: 0, failed: [] });
    // Released: the person's next message is delivered as usual.
    expect((await settle(gw.url, 'ZY-HLD-4', person)).status).toBe(201);
    await until(() => ofPerson().length === 4, "the person's next message");
    expect(ofPerson().map((r) => r.body.settlementId)).toEqual(['ZY-HLD-1', 'ZY-HLD-1', 'ZY-HLD-2', 'ZY-HLD-4']);
    expect(await metric(gw.url, 'gateway_nhsa_dead_letters_total')).toBe(3);
  });
});
}

describeDelivery('memory bus', () => ({}));

let kafka: KafkaUnderTest;
beforeAll(async () => { kafka = await kafkaUnderTest(); });
afterAll(async () => { await kafka?.stop(); });
describeDelivery('Kafka', () => ({ KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: uniquePrefix(), KAFKA_REPLICATION_FACTOR: '1', KAFKA_TOPIC_PARTITIONS: '3', KAFKA_SESSION_TIMEOUT_MS: '6000' }));
