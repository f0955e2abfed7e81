/**
 * Delivery as national calls (issue 22, item 6; NHSA_DELIVERY_FORMAT=national) to a mock 医保 platform over
 * HTTP: each settlement goes as a 2304 call and its reversal as a 2305 call in the national common envelope,
 * each with a msgid of its own; the answer's infcode is read (0 done, -1 refused → dead letter with the
 * platform's err_msg, another code → retried); a retry after a lost answer sends the same msgid, so the
 * platform settles once.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../gateway/ledger/documents/memory.js';
import type { DocumentStore } from '../../../gateway/ledger/documents/port.js';
import { RedisStore } from '../../../gateway/ledger/documents/redis.js';
import { startRedis, type TestRedis } from '../../support/redis.js';
import { claimMsgid } from '../../../adapters/nhsa/national-call.js';
import { input2303, input2305 } from '../../../adapters/nhsa/inputs.js';
import { readNational } from '../../../adapters/nhsa/wire.js';
import { asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { startMockPlatform, type MockPlatform } from '../../support/nhsa-platform.js';
import { requestBody } from '../../support/requests.js';

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const settle = (url: string, settlementId: string, personId: string) =>
  call(url, '/v1/settlements', { body: requestBody({ settlementId, patient: { id: personId, categories: ['dibao'] } }), token: TOKENS.deskA });
const reverse = (url: string, settlementId: string) => call(url, `/v1/settlements/${HOSPITAL_A}/${settlementId}/reversal`, { method: 'POST', token: TOKENS.deskA });
const deadLetters = async (url: string) => ((await call(url, '/v1/nhsa/dead-letters', { token: TOKENS.admin })).json as { dead: Array<{ id: string; reason: string }> }).dead;
const dataOf = (input: Record<string, unknown>) => input.data as Record<string, unknown>;

describe('delivery to the 医保 platform as national calls', () => {
  let platform: MockPlatform;
  let gw: TestGateway | undefined;
  beforeAll(async () => { platform = await startMockPlatform(); });
  afterAll(async () => { await platform.stop(); });
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    Object.assign(platform, { national: [], nationalAttempts: [], answerCodes: [], loseAnswers: 0, received: [], failing: false });
    platform.rejecting.clear();
  });
  const start = () => startTestGateway({
    NHSA_PLATFORM_URL: platform.url, NHSA_DELIVERY_FORMAT: 'national', NHSA_BREAKER_RESET_MS: '200', NHSA_DELIVERY_BACKOFF_MS: '5',
    NHSA_DELIVERY_BACKOFF_MAX_MS: '50', NHSA_DELIVERY_TIMEOUT_MS: '2000', NHSA_DELIVERY_MAX_ATTEMPTS: '20',
  });

  it('sends a settlement as 2304 and its reversal as 2305, each in the national envelope with its own msgid, the amounts those of the native split', async () => {
    gw = await start();
    const settled = await settle(gw.url, 'ZY-NAT-1', '990100198001015001');
    expect(settled.status).toBe(201);
    const split = asSplit(settled.json);
    expect((await reverse(gw.url, 'ZY-NAT-1')).status).toBe(200);
    await until(() => platform.national.length === 2, 'both calls');
    const [settlement, reversal] = platform.national;
    expect(platform.received).toEqual([]); // nothing in the gateway's own JSON
    expect([settlement!.infno, reversal!.infno]).toEqual(['2304', '2305']);
    for (const c of [settlement!, reversal!]) {
      expect(c.msgid).toMatch(new RegExp(`^${HOSPITAL_A}\\d{14}\\d{4}$`));
      expect(c.envelope).toMatchObject({
        infno: c.infno, fixmedins_code: HOSPITAL_A, fixmedins_name: '示例市第一人民医院', mdtrtarea_admvs: '990100', insuplc_admdvs: '990100',
        recer_sys_code: 'FSI_LOCAL', infver: 'V1.0', opter_type: '2', opter: 'gateway', opter_name: '一站式结算网关',
        inf_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      });
    }
    expect(settlement!.msgid).not.toBe(reversal!.msgid);
    // The msgid's time is the event's (China time), so a retry tomorrow still sends the same one.
    expect(settlement!.msgid.slice(12, 26)).toBe(split.settledAt!.slice(0, 19).replace(/[-T:]/g, ''));

    // 2304's `data` is a 2304 input as the national tables write it (the gateway's own 2304 reader takes it), amounts as numbers.
    const input = readNational(settlement!.text) as { input: Record<string, unknown> };
    const data = input2303.parse(input.input).data;
    expect(data).toMatchObject({ mdtrt_id: 'ZY-NAT-1', insutype: '390', psn_setlway: '01', acct_used_flag: '0', mid_setl_flag: '0', medfee_sumamt: 1_000_000 });
    expect(settlement!.text).toContain('"medfee_sumamt":10000.00');
    const setlinfo = settlement!.input.setlinfo as Record<string, unknown>;
    const fen = (v: unknown) => Math.round(Number(v) * 100);
    const line = (layer: string) => split.lines.filter((l) => l.layer === layer).reduce((s, l) => s + fen(l.amount), 0);
    expect(fen(setlinfo.medfee_sumamt)).toBe(fen(split.total));
    expect(fen(setlinfo.hifp_pay)).toBe(line('basic'));
    expect(line('aid')).toBeGreaterThan(0);
    expect(fen(setlinfo.maf_pay)).toBe(line('aid'));
    expect(fen(setlinfo.psn_part_amt)).toBe(fen(split.patientPays));
    expect(fen(setlinfo.fund_pay_sumamt) + fen(setlinfo.hosp_part_amt) + fen(setlinfo.psn_part_amt)).toBe(fen(split.total));
    expect(Array.isArray(settlement!.input.setldetail)).toBe(true);

    // 2305 takes back the settlement by the setl_id the platform answered to its 2304 (its own, not the gateway's).
    expect(input2305.parse(reversal!.input).data).toEqual({ psn_no: setlinfo.psn_no, mdtrt_id: 'ZY-NAT-1', setl_id: 'PLAT00000001' });
    expect(setlinfo.setl_id).not.toBe('PLAT00000001');
    expect(await deadLetters(gw.url)).toEqual([]);
  });

  it('sends the same msgid again when the answer was lost: the platform settles once', async () => {
    platform.loseAnswers = 2;
    gw = await start();
    expect((await settle(gw.url, 'ZY-NAT-2', '990100198001015002')).status).toBe(201);
    await until(() => platform.nationalAttempts.length >= 3 && platform.national.length === 1 && platform.loseAnswers === 0, 'the retries after the lost answers');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(new Set(platform.nationalAttempts.map((c) => c.msgid)).size).toBe(1);
    expect(platform.national).toHaveLength(1);
    expect(await deadLetters(gw.url)).toEqual([]);
  });

  it("dead-letters a call the platform refuses (infcode -1) with its err_msg, and retries one it cannot take now", async () => {
    gw = await start();
    platform.rejecting.add('ZY-NAT-3');
    expect((await settle(gw.url, 'ZY-NAT-3', '990100198001015003')).status).toBe(201);
    await until(async () => (await deadLetters(gw!.url)).length === 1, 'the dead letter');
    expect((await deadLetters(gw.url))[0]!.reason).toBe('医保平台拒收：infcode -1 结算信息校验不通过');
    expect(platform.national).toEqual([]);

    platform.answerCodes.push(-2, -2);
    expect((await settle(gw.url, 'ZY-NAT-4', '990100198001015004')).status).toBe(201);
    await until(() => platform.national.some((c) => dataOf(c.input).mdtrt_id === 'ZY-NAT-4'), 'the call after two busy answers');
    const tries = platform.nationalAttempts.filter((c) => dataOf(c.input).mdtrt_id === 'ZY-NAT-4');
    expect(tries.length).toBeGreaterThanOrEqual(3);
    expect(new Set(tries.map((c) => c.msgid)).size).toBe(1);
    expect(await deadLetters(gw.url)).toHaveLength(1);

    // Replayed once the platform takes it: the same msgid as the refused call (the platform never settled it).
    const refused = platform.nationalAttempts.find((c) => dataOf(c.input).mdtrt_id === 'ZY-NAT-3')!;
    platform.rejecting.clear();
    expect((await call(gw.url, '/v1/nhsa/dead-letters/replay', { method: 'POST', token: TOKENS.admin })).json).toMatchObject({ replayed: 1, failed: [] });
    expect(platform.national.find((c) => dataOf(c.input).mdtrt_id === 'ZY-NAT-3')?.msgid).toBe(refused.msgid);
  });
});

let redis: TestRedis | undefined;
let client: Redis | undefined;
afterAll(async () => { client?.disconnect(); await redis?.stop(); });
const stores: Array<[string, () => Promise<DocumentStore>]> = [
  ['memory', async () => new MemoryStore()],
  ['redis', async () => {
    redis ??= await startRedis();
    client ??= new Redis(redis.url, { maxRetriesPerRequest: 1 });
    return new RedisStore(client, 'msgids');
  }],
];

describe.each(stores)('msgid claims (%s store)', (_kind, make) => {
  it('gives each event of a hospital and second its own msgid, and the same event always its own again', async () => {
    const store = await make();
    const at = '2024-03-10T09:12:44.120+08:00';
    const first = await claimMsgid(store, HOSPITAL_A, at, 'evt-1');
    const second = await claimMsgid(store, HOSPITAL_A, '2024-03-10T01:12:44.900Z', 'evt-2');
    const other = await claimMsgid(store, 'H99000000002', at, 'evt-3');
    expect([first, second, other]).toEqual([`${HOSPITAL_A}202403100912440000`, `${HOSPITAL_A}202403100912440001`, 'H99000000002202403100912440000']);
    expect(await claimMsgid(store, HOSPITAL_A, at, 'evt-2')).toBe(second);
    expect(await claimMsgid(store, HOSPITAL_A, at, 'evt-1')).toBe(first);
    // Claimed at once (two gateways, one store): still one msgid each, and each event finds its own again.
    const events = Array.from({ length: 8 }, (_, i) => `evt-c${i}`);
    const both = await Promise.all(events.map((e) => claimMsgid(store, HOSPITAL_A, at, e)));
    expect(new Set([...both, first, second]).size).toBe(10);
    expect(await Promise.all(events.map((e) => claimMsgid(store, HOSPITAL_A, at, e)))).toEqual(both);
    expect(both.every((m) => m.length === 30)).toBe(true);
  });
});
