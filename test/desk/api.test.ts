/**
 * The /v1 reads the desk needs, over sockets, on the memory and the Redis ledger: hospitals, the day's
 * list with totals per payer, a person's settlements and year-to-date standing, a reversal's reason
 * and operator, and each one's hospital scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayList, hospitalsAnswer, personSettlements, settlementNumberAnswer, standing } from '../../schemas/desk.js';
import { asProblem, asSplit, call, HOSPITAL_A, HOSPITAL_B, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { startRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';

const backends: Array<[string, () => Promise<{ env: Record<string, string>; stop(): Promise<void> }>]> = [
  ['memory ledger', async () => ({ env: {}, stop: async () => {} })],
  ['redis ledger', async () => { const redis = await startRedis(); return { env: { REDIS_URL: redis.url }, stop: () => redis.stop() }; }],
];

const PERSON = '990100198001011234';
const big = (settlementId: string, hospitalId = HOSPITAL_A) => requestBody({ settlementId, hospital: { id: hospitalId }, patient: { id: PERSON, categories: ['dibao'] }, items: [{ code: 'A1', name: '综合费用', amount: '50000.00', class: 'A' }] });

describe.each(backends)('desk reads on the %s', (_name, backend) => {
  let gw: TestGateway;
  let stopBackend: () => Promise<void>;

  beforeAll(async () => {
    const b = await backend();
    stopBackend = b.stop;
    gw = await startTestGateway(b.env);
    for (const [id, hospital] of [['D1', HOSPITAL_A], ['D2', HOSPITAL_A], ['D3', HOSPITAL_B]] as const) {
      expect((await call(gw.url, '/v1/settlements', { body: big(id, hospital), token: TOKENS.admin })).status).toBe(201);
    }
  });
  afterAll(async () => { await gw?.stop(); await stopBackend?.(); });

  it('documents every desk read in the OpenAPI document', async () => {
    const doc = (await call(gw.url, '/openapi.json', { token: null })).json as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/hospitals', '/v1/persons/settlements', '/v1/persons/standing']));
    expect(Object.keys(doc.paths['/v1/settlements']!).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/v1/settlements/{hospitalId}/{settlementId}/reversal']!.post).toHaveProperty('requestBody');
  });

  it('serves the desk from the gateway itself under a strict CSP that still works over plain HTTP', async () => {
    const page = await fetch(`${gw.url}/desk/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain('upgrade-insecure-requests');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // no CDN
    // Every body read to its end, so no keep-alive connection is left half-read (the server's stop waits for those).
    const get = async (path: string) => { const r = await fetch(gw.url + path); return { status: r.status, type: r.headers.get('content-type'), text: await r.text() }; };
    for (const asset of ['/desk/desk.js', '/desk/desk.css', '/desk/fonts/noto-sans-sc.css']) expect((await get(asset)).status).toBe(200);
    const fonts = (await get('/desk/fonts/noto-sans-sc.css')).text;
    const first = /url\((\/desk\/fonts\/[^)]+\.woff2)\)/.exec(fonts)?.[1];
    expect(first).toBeDefined();
    expect((await get(first!)).type).toBe('font/woff2');
    expect((await get('/desk/fonts/..%2F..%2Fpackage.json')).status).toBe(404);
  });

  it('names the hospitals a client may act for', async () => {
    const a = hospitalsAnswer.parse((await call(gw.url, '/v1/hospitals', { token: TOKENS.deskA })).json);
    expect(a.hospitals).toEqual([{ id: HOSPITAL_A, name: '示例市第一人民医院', region: '990100', level: 3, drgPublic: true }]);
    const b = hospitalsAnswer.parse((await call(gw.url, '/v1/hospitals', { token: TOKENS.deskB })).json);
    expect(b.hospitals).toEqual([{ id: HOSPITAL_B }]);
    expect((await call(gw.url, '/v1/hospitals', { token: 'wrong-token-0123456789' })).status).toBe(401);
  });

  it('records a reversal\'s reason and operator, and answers them with the split', async () => {
    const reversed = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/D2/reversal`, { body: { reason: '费用录入有误', operator: '李四' }, token: TOKENS.deskA });
    expect(reversed.status).toBe(200);
    expect(asSplit(reversed.json).reversal).toEqual({ reason: '费用录入有误', operator: '李四' });
    const stored = asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/D2`, { token: TOKENS.deskA })).json);
    expect(stored).toMatchObject({ status: 'reversed', reversal: { reason: '费用录入有误', operator: '李四' } });
    const bad = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/D1/reversal`, { body: { reason: '', extra: 1 }, token: TOKENS.deskA });
    expect(bad.status).toBe(400);
    expect(asProblem(bad.json).errors.map((e) => e.path).sort()).toEqual(['(body)', 'reason'].sort());
    expect(asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/D1`, { token: TOKENS.deskA })).json).status).toBe('settled');
  });

  it('lists the day for a hospital with totals per payer of the settlements in force', async () => {
    // The day D1 was settled on (+08:00), not "today": a run across midnight in China stays right.
    const d1 = asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/D1`, { token: TOKENS.deskA })).json);
    const today = () => d1.settledAt!.slice(0, 10);
    const answer = await call(gw.url, `/v1/settlements?hospitalId=${HOSPITAL_A}&date=${today()}`, { token: TOKENS.deskA });
    expect(answer.status).toBe(200);
    const day = dayList.parse(answer.json);
    expect(day.settlements.map((s) => [s.settlementId, s.status])).toEqual([['D1', 'settled'], ['D2', 'reversed']]);
    expect(day.settlements[0]!.patient).toEqual({ id: '99************1234', name: '张*' });
    expect(day.totals).toMatchObject({ settled: 1, reversed: 1, total: '50000.00', patientPays: '2766.82' });
    expect(day.totals.byPayer.map((p) => [p.layer, p.amount])).toEqual([['basic', '34650.00'], ['majorIllness', '5102.50'], ['waiver', '1024.75'], ['aid', '6455.93']]);
    expect(JSON.stringify(day)).not.toContain(PERSON);
    expect((await call(gw.url, `/v1/settlements?hospitalId=${HOSPITAL_B}&date=${today()}`, { token: TOKENS.deskA })).status).toBe(403);
    const bad = await call(gw.url, `/v1/settlements?hospitalId=${HOSPITAL_A}&date=2024-02-30`, { token: TOKENS.deskA });
    expect(bad.status).toBe(400);
    expect(asProblem(bad.json).errors.map((e) => e.path)).toEqual(['date']);
    const empty = dayList.parse((await call(gw.url, `/v1/settlements?hospitalId=${HOSPITAL_A}&date=2020-01-01`, { token: TOKENS.deskA })).json);
    expect(empty.totals).toMatchObject({ settled: 0, total: '0.00', byPayer: [] });
  });

  it('lists a person\'s settlements at the desk\'s own hospitals only', async () => {
    const a = personSettlements.parse((await call(gw.url, '/v1/persons/settlements', { body: { personId: PERSON }, token: TOKENS.deskA })).json);
    expect(a.settlements.map((s) => s.settlementId)).toEqual(['D1', 'D2']);
    const all = personSettlements.parse((await call(gw.url, '/v1/persons/settlements', { body: { personId: PERSON }, token: TOKENS.auditor })).json);
    expect(all.settlements.map((s) => s.settlementId).sort()).toEqual(['D1', 'D2', 'D3']);
    const bad = await call(gw.url, '/v1/persons/settlements', { body: { personId: 'bad id' }, token: TOKENS.deskA });
    expect(bad.status).toBe(400);
    expect(asProblem(bad.json).errors.map((e) => e.path)).toEqual(['personId']);
  });

  it('gives the year-to-date standing per programme from the counters: paid, deductible used, cap left', async () => {
    const s = standing.parse((await call(gw.url, '/v1/persons/standing', { body: { personId: PERSON, year: '2024' }, token: TOKENS.deskA })).json);
    const basic = s.programmes.find((p) => p.layer === 'basic');
    // D1 and D3 in force (D2 reversed): twice the basic fund's 34650.00, against its 200000.00 a year.
    expect(basic?.rules[0]).toMatchObject({ paid: '69300.00', cap: '200000.00', capLeft: '130700.00' });
    const major = s.programmes.find((p) => p.layer === 'majorIllness')?.rules[0];
    expect(major?.deductibleUsed).toBe(major?.deductible);
    expect(standing.parse((await call(gw.url, '/v1/persons/standing', { body: { personId: PERSON, year: '2023' }, token: TOKENS.deskA })).json).programmes).toEqual([]);
  });

  // Last: the settlement it makes would change the lists above.
  it('gives each desk window its own settlement number, on every gateway sharing the ledger, for its own hospitals only', async () => {
    const ask = (token: string, hospitalId = HOSPITAL_A) => call(gw.url, `/v1/hospitals/${hospitalId}/settlement-numbers`, { method: 'POST', token });
    // Windows pressing 下一位 at once: most land in the same second.
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask(TOKENS.deskA)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    const numbers = answers.map((a) => settlementNumberAnswer.parse(a.json).settlementId);
    expect(new Set(numbers).size).toBe(20);
    for (const n of numbers) expect(n).toMatch(/^ZY\d{14}(-\d{1,2})?$/);
    // A number given out settles like any other.
    expect((await call(gw.url, '/v1/settlements', { body: big(numbers[0]!), token: TOKENS.deskA })).status).toBe(201);
    expect((await ask(TOKENS.deskA, HOSPITAL_B)).status).toBe(403);
    expect((await ask(TOKENS.auditor)).status).toBe(403);
    const bad = await ask(TOKENS.admin, 'H:1');
    expect(bad.status).toBe(400);
    expect(asProblem(bad.json)).toMatchObject({ code: 'INVALID_REQUEST', errors: [{ path: 'hospitalId' }] });
  });
});
