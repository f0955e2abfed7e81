/**
 * The HTTP contract over real sockets, against the in-memory ledger and a real Redis started for the
 * test: auth, every 4xx with its field paths, idempotency under concurrency, reversal, no partial state.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { asProblem, asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { compliantItems, requestBody, twentyItemBill } from '../support/requests.js';

/** Counters at zero and counters absent are the same state. */
const nonZero = (values: Record<string, number>) => Object.fromEntries(Object.entries(values).filter(([, v]) => v !== 0));

const backends: Array<[string, () => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>]> = [
  ['memory ledger', async () => ({ env: {}, stop: async () => {} })],
  ['redis ledger', async () => { const redis: TestRedis = await startRedis(); return { env: { REDIS_URL: redis.url }, stop: () => redis.stop() }; }],
];

describe.each(backends)('HTTP contract (%s)', (_name, backend) => {
  let gw: TestGateway;
  let stopBackend: () => Promise<void>;
  let ledger: LedgerPort;
  let seq = 0;
  const nextId = () => `ZY${Date.now()}${++seq}`;
  const person = () => `99010019900101${String(++seq).padStart(4, '0')}`;
  const body = (o: Parameters<typeof requestBody>[0] = {}) => requestBody({ settlementId: nextId(), ...o, hospital: { id: HOSPITAL_A, ...o.hospital }, patient: { id: person(), ...o.patient } });
  const settle = (b: unknown, token = TOKENS.deskA) => call(gw.url, '/v1/settlements', { body: b, token });

  beforeAll(async () => {
    const b = await backend();
    stopBackend = b.stop;
    gw = await startTestGateway({ ...b.env, RELAY_ENABLED: 'false' });
    ledger = gw.gateway.ledger;
  });
  afterAll(async () => { await gw?.stop(); await stopBackend?.(); });

  describe('authentication and scope', () => {
    it('answers 401 without a token or with an unknown one', async () => {
      for (const token of [null, 'not-a-known-token-at-all']) {
        const r = await call(gw.url, '/v1/programmes', { token });
        expect(r.status).toBe(401);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
      }
    });

    it('answers 403 when a desk settles, reads or reverses for another hospital', async () => {
      const b = body();
      expect((await settle(b, TOKENS.deskB)).status).toBe(403);
      expect((await settle(b, TOKENS.deskA)).status).toBe(201);
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}`, { token: TOKENS.deskB })).status).toBe(403);
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}/reversal`, { method: 'POST', token: TOKENS.deskB })).status).toBe(403);
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}`, { token: TOKENS.auditor })).status).toBe(200);
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}/reversal`, { method: 'POST', token: TOKENS.auditor })).status).toBe(403);
    });

    it('lets only admins load rosters', async () => {
      const r = await call(gw.url, '/v1/rosters/weihai-2020-medical', { method: 'PUT', body: { rows: [] }, token: TOKENS.deskA });
      expect(r.status).toBe(403);
    });

    it('leaves health, readiness, metrics and the OpenAPI document open', async () => {
      for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) expect((await call(gw.url, path, { token: null })).status).toBe(200);
    });
  });

  describe('bad input', () => {
    it('lists every bad field with its path (400)', async () => {
      const b = body({ items: [{ code: 'x', name: 'x', amount: '1.234', class: 'A' }, { code: 'y', name: 'y', amount: -5, class: 'Z' as 'A' }] });
      (b.patient as { categories: string[] }).categories = ['no-such-category'];
      (b.hospital as { region: string }).region = '99';
      const r = await settle(b);
      expect(r.status).toBe(400);
      const paths = asProblem(r.json).errors.map((e) => e.path).sort();
      expect(paths).toEqual(['hospital.region', 'items.0.amount', 'items.1.amount', 'items.1.class', 'patient.categories.0']);
    });

    it('rejects malformed JSON (400), a body over the limit (413) and a missing body (400)', async () => {
      expect((await call(gw.url, '/v1/settlements', { raw: '{"settlementId":', token: TOKENS.deskA })).status).toBe(400);
      const huge = body({ items: Array.from({ length: 1000 }, (_, i) => ({ code: `C${i}`.padEnd(190, 'x'), name: 'n'.repeat(190), amount: '1.00', class: 'A' as const })) });
      (huge as { padding?: string }).padding = 'x'.repeat(2 * 1024 * 1024);
      expect((await settle(huge)).status).toBe(413);
      expect((await call(gw.url, '/v1/settlements', { method: 'POST', token: TOKENS.deskA })).status).toBe(400);
    });

    it('rejects more than 1000 items with the items path (400)', async () => {
      const r = await settle(body({ items: Array.from({ length: 1001 }, () => ({ code: 'a', name: 'a', amount: '1', class: 'A' as const })) }));
      expect(r.status).toBe(400);
      expect(asProblem(r.json).errors[0]?.path).toBe('items');
    });

    it('answers 422 for a discharge before admission and for contradictory items', async () => {
      const early = await settle(body({ encounter: { admittedOn: '2024-03-10', dischargedOn: '2024-03-01' } }));
      expect(early.status).toBe(422);
      expect(asProblem(early.json).errors[0]?.path).toBe('encounter.dischargedOn');
      const contradictory = await settle(body({ items: [{ code: 'b', name: 'b', amount: '100', class: 'A', overLimit: '150' }] }));
      expect(contradictory.status).toBe(422);
      expect(asProblem(contradictory.json).errors[0]?.path).toBe('items.0');
    });

    it('answers 404 for an unknown settlement and 422 for reversing a preview', async () => {
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/nope`, { token: TOKENS.deskA })).status).toBe(404);
      const b = body();
      expect((await call(gw.url, '/v1/settlements/preview', { body: b, token: TOKENS.deskA })).status).toBe(200);
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}/reversal`, { method: 'POST', token: TOKENS.deskA })).status).toBe(422);
    });

    it('leaves no partial state behind any failed call', async () => {
      const b = body({ items: compliantItems('50000.00') });
      const before = await ledger.readAccumulators(b.patient.id);
      const lagBefore = await ledger.outboxLag();
      await settle({ ...b, encounter: { ...b.encounter, dischargedOn: '2024-02-01' } }); // 422
      await settle({ ...b, upstream: { basic: '999999.00' } }); // 422
      await settle(b, TOKENS.deskB); // 403
      expect(await ledger.readAccumulators(b.patient.id)).toEqual(before);
      expect(await ledger.outboxLag()).toBe(lagBefore);
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}`, { token: TOKENS.deskA })).status).toBe(404);
    });
  });

  describe('settling', () => {
    it('previews without committing, then settles (201) and reads the stored split', async () => {
      const b = body({ items: twentyItemBill(3), patient: { categories: ['dibao'] } });
      const preview = await call(gw.url, '/v1/settlements/preview', { body: b, token: TOKENS.deskA });
      expect(asSplit(preview.json).status).toBe('preview');
      expect(await ledger.readAccumulators(b.patient.id)).toMatchObject({ values: {} });
      const settled = await settle(b);
      expect(settled.status).toBe(201);
      const split = asSplit(settled.json);
      expect(split).toMatchObject({ status: 'settled', settlementId: b.settlementId, hospitalId: HOSPITAL_A, total: asSplit(preview.json).total });
      expect(split.lines.map((l) => l.amount)).toEqual(asSplit(preview.json).lines.map((l) => l.amount));
      expect(split.settledAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
      const read = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}`, { token: TOKENS.deskA });
      expect(asSplit(read.json)).toEqual(split);
    });

    it('replays an identical body byte for byte (200, Idempotent-Replay) and refuses a different one (409)', async () => {
      const b = body();
      const first = await settle(b);
      const again = await settle(b);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replay')).toBe('true');
      expect(again.text).toBe(first.text);
      const reordered = await call(gw.url, '/v1/settlements', { raw: JSON.stringify(Object.fromEntries(Object.entries(b).reverse()), null, 2), token: TOKENS.deskA });
      expect(reordered.status).toBe(200); // the same JSON, serialised in another key order: still the same request
      expect(reordered.text).toBe(first.text);
      const changed = await settle({ ...b, items: compliantItems('1.00') });
      expect(changed.status).toBe(409);
    });

    it('tells apart shares that differ beyond a double\'s precision: a retry with the other is a conflict, and the stored request keeps the share as settled', async () => {
      const b = body({ items: [{ code: 'XB1', name: '乙类药', amount: '1000.00', class: 'B', selfPayRatio: 'SHARE' }] });
      // Number literals JSON.stringify cannot write: both read as the same double, 0.12345678901234568.
      const withShare = (literal: string) => JSON.stringify(b).replace('"SHARE"', literal);
      const first = await call(gw.url, '/v1/settlements', { raw: withShare('0.123456789012345678'), token: TOKENS.deskA });
      expect(first.status).toBe(201);
      expect(asSplit(first.json).preSelfPay).toBe('123.46');
      const same = await call(gw.url, '/v1/settlements', { raw: withShare('0.123456789012345678'), token: TOKENS.deskA });
      expect(same.status).toBe(200);
      const other = await call(gw.url, '/v1/settlements', { raw: withShare('0.123456789012345679'), token: TOKENS.deskA });
      expect(other.status).toBe(409);
      const stored = await ledger.getSettlement(HOSPITAL_A, b.settlementId);
      expect(stored!.request.items[0]!.selfPayRatio).toBe('0.123456789012345678');
    });

    it('commits 30 concurrent identical settles exactly once', async () => {
      const b = body({ items: compliantItems('20000.00') });
      const lagBefore = await ledger.outboxLag();
      const answers = await Promise.all(Array.from({ length: 30 }, () => settle(b)));
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(29);
      expect(new Set(answers.map((a) => a.text)).size).toBe(1);
      expect(await ledger.outboxLag()).toBe(lagBefore + 1);
      const acc = await ledger.readAccumulators(b.patient.id);
      expect(acc.values['demo-990000-2024-basic|2024|fund.fundPaid']).toBe(1_235_000); // (20000 − 1000) × 0.65, once
    });

    it('keeps accumulators exact under concurrent settles of different stays of one person', async () => {
      const id = person();
      const stays = Array.from({ length: 10 }, () => body({ patient: { id }, items: compliantItems('30000.00') }));
      const answers = await Promise.all(stays.map((s) => settle(s)));
      expect(answers.every((a) => a.status === 201)).toBe(true);
      const majorIllness = answers.map((a) => asSplit(a.json).lines.find((l) => l.layer === 'majorIllness')!.amount);
      const acc = await ledger.readAccumulators(id);
      // each stay leaves 30000 − (30000 − 1000) × 0.65 = 11150 after basic (10 stays stay under the 200000 fund cap): 111500;
      // tiers above 15000: 50000 × .6 + 46500 × .7 = 62550, however the stays interleave
      expect(acc.values['demo-990000-2024-basic|2024|fund.fundPaid']).toBe(18_850_000);
      expect(acc.values['demo-990000-2024-major-illness|2024|tiers.burdenAfterBasic']).toBe(11_150_000);
      const paidFen = majorIllness.reduce((s, a) => s + Math.round(Number(a.replace('.', ''))), 0);
      expect(acc.values['demo-990000-2024-major-illness|2024|tiers.paid']).toBe(paidFen);
      expect(paidFen).toBe(6_255_000);
    });

    it('reverses: restores every accumulator, answers the reversed split, and again the same', async () => {
      const id = person();
      await settle(body({ patient: { id, categories: ['dibao-edge'] }, items: compliantItems('40000.00') }));
      const before = await ledger.readAccumulators(id);
      const b = body({ patient: { id, categories: ['dibao-edge'] }, items: compliantItems('90000.00') });
      await settle(b);
      const reversal = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}/reversal`, { method: 'POST', token: TOKENS.deskA });
      expect(reversal.status).toBe(200);
      expect(asSplit(reversal.json).status).toBe('reversed');
      expect(nonZero((await ledger.readAccumulators(id)).values)).toEqual(nonZero(before.values));
      const again = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}/reversal`, { method: 'POST', token: TOKENS.deskA });
      expect(again.text).toBe(reversal.text);
      expect(asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}`, { token: TOKENS.deskA })).json).status).toBe('reversed');
    });
  });

  describe('rosters, programmes, slip, operations', () => {
    it('loads roster rows as JSON and CSV, listing rejected rows, and eligibility follows', async () => {
      const id = '371002195001011234';
      const json = await call(gw.url, '/v1/rosters/weihai-2020-medical', { method: 'PUT', body: { rows: [{ personId: id, from: '2020-01-01', to: '2020-12-31', categories: ['poverty-alleviated'] }, { personId: 'x', from: '2020-13-01', to: '2020-12-31' }] } });
      expect(json.json).toEqual({ accepted: 1, rejected: [{ row: 1, errors: expect.arrayContaining([{ path: 'from', message: expect.any(String) }]) }] });
      const csv = await call(gw.url, '/v1/rosters/sanming-2024-puhui?mode=replace', { method: 'PUT', raw: 'personId,from,to,categories,preExisting\n350402199001011234,2024-01-01,2024-12-31,dibao;aid-recipient,true\nbad,2024-01-01,2023-01-01,,\n', contentType: 'text/csv' });
      expect(csv.json).toMatchObject({ accepted: 1, rejected: [{ row: 3 }], encoding: 'utf-8' }); // the file's line: header = line 1
      const weihai = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A, region: '371002', level: 3 }, patient: { id, insuredRegion: '371002' }, encounter: { admittedOn: '2020-03-01', dischargedOn: '2020-03-10' }, items: compliantItems('1000.00') });
      const split = asSplit((await call(gw.url, '/v1/settlements/preview', { body: weihai })).json);
      expect(split.lines.find((l) => l.programme === 'weihai-2020-medical')?.amount).toBe('900.00');
      expect((await call(gw.url, '/v1/rosters/nantong-2022-dibubao', { method: 'PUT', body: { rows: [] } })).status).toBe(422);
      expect((await call(gw.url, '/v1/rosters/nope', { method: 'PUT', body: { rows: [] } })).status).toBe(404);
    });

    it('lists the programmes with their source documents', async () => {
      const r = await call(gw.url, '/v1/programmes', { token: TOKENS.deskA });
      const ids = (r.json as { programmes: Array<{ id: string }> }).programmes.map((p) => p.id);
      expect(ids).toEqual(expect.arrayContaining(['weihai-2020-medical', 'weihai-2020-accident', 'nantong-2022-dibubao', 'sanming-2024-puhui', 'wenxi-2023-disabled', 'hunan-2025-disabled-accident']));
    });

    it('prints the slip with the ID number and name masked', async () => {
      const b = body({ patient: { name: '张三丰' } });
      await settle(b);
      const slip = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/${b.settlementId}/slip`, { token: TOKENS.deskA });
      expect(slip.status).toBe(200);
      expect(slip.headers.get('content-type')).toContain('text/html');
      expect(slip.text).toContain('一站式结算单');
      expect(slip.text).not.toContain(b.patient.id);
      expect(slip.text).not.toContain('张三丰');
      expect(slip.text).toContain('张**');
      expect(slip.text).toContain(`${b.patient.id.slice(0, 2)}************${b.patient.id.slice(-4)}`);
    });

    it('serves an OpenAPI 3.1 document of every endpoint and Prometheus metrics', async () => {
      const doc = (await call(gw.url, '/openapi.json', { token: null })).json as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/settlements/preview', '/v1/settlements', '/v1/settlements/{hospitalId}/{settlementId}', '/v1/settlements/{hospitalId}/{settlementId}/reversal', '/v1/settlements/{hospitalId}/{settlementId}/slip', '/v1/rosters/{programmeId}', '/v1/programmes', '/healthz', '/readyz', '/metrics']));
      expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['SettlementRequest', 'Split', 'Problem']));
      const validation = await new Validator().validate(doc as Record<string, unknown>);
      expect(validation.errors ?? []).toEqual([]);
      expect(validation.valid).toBe(true);
      const metrics = await call(gw.url, '/metrics', { token: null });
      expect(metrics.text).toContain('gateway_settlements_total{operation="settle",outcome="committed"}');
      expect(metrics.text).toContain('gateway_http_request_duration_seconds_bucket');
      expect(metrics.text).toContain('gateway_errors_total{status="409"');
    });

    it('echoes X-Request-Id', async () => {
      const r = await fetch(`${gw.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
      expect(r.headers.get('x-request-id')).toBe('abc-123');
    });
  });
});
