/**
 * Problem documents (issue 8, items 17 and 19): a stable machine-readable code per problem type, and
 * titles, details and field messages in Chinese — the people reading them are clerks and HIS engineers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, InvalidInput } from '../../gateway/errors.js';
import { problemOf } from '../../gateway/http/problems.js';
import { PROBLEM_TYPES, problemTypeRows } from '../../gateway/problem-types.js';
import { fieldErrors } from '../../gateway/errors.js';
import { parseRequest } from '../../gateway/service/settlements.js';
import { asProblem, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { requestBody } from '../support/requests.js';

const CHINESE = /[\u4e00-\u9fff]/;

describe('problem types', () => {
  it('has one distinct code and type URI per problem type, each titled in Chinese', () => {
    const rows = problemTypeRows();
    expect(new Set(rows.map((r) => r.code)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.type)).size).toBe(rows.length);
    for (const row of rows) {
      expect(row.code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(row.title).toMatch(CHINESE);
    }
    expect(PROBLEM_TYPES['outcome-unknown']).toMatchObject({ code: 'OUTCOME_UNKNOWN' });
    expect(PROBLEM_TYPES['outcome-unknown'].status).not.toBe(503); // 503 promises nothing was committed
  });

  it('keeps the constructor others use and types a subclass of its own by its status', () => {
    class Gone extends GatewayError { readonly status = 410; readonly title = '已删除'; }
    expect(problemOf(new Gone('x')).code).toBe('INVALID_REQUEST');
    const error = new InvalidInput('某字段无效', [{ path: 'items.3.amount', message: '应为金额' }]);
    expect(problemOf(error)).toMatchObject({ code: 'INVALID_REQUEST', status: 400, title: '请求无效', detail: '某字段无效', errors: [{ path: 'items.3.amount' }] });
  });

  it('words every field error of a bad request in Chinese, with paths like items.3.amount', () => {
    const body = requestBody({ items: [1, 2, 3, 4].map((i) => ({ code: `C${i}`, name: 'n', amount: i === 4 ? 'x' : '1.00', class: 'A' as const })) });
    (body.patient as { scheme: string }).scheme = 'nobody';
    (body.encounter as { admittedOn: unknown }).admittedOn = 20240101;
    let errors: ReturnType<typeof fieldErrors> = [];
    try { parseRequest(body); } catch (error) { errors = (error as InvalidInput).errors; }
    expect(errors.map((e) => e.path).sort()).toEqual(['encounter.admittedOn', 'items.3.amount', 'patient.scheme']);
    for (const e of errors) expect(e.message).toMatch(CHINESE);
  });
});

describe('problem documents over HTTP', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway({ RELAY_ENABLED: 'false' }); });
  afterAll(async () => { await gw?.stop(); });

  const cases: Array<[string, () => Promise<{ status: number; json: unknown }>, string]> = [
    ['400', () => call(gw.url, '/v1/settlements', { body: { settlementId: 'x' }, token: TOKENS.deskA }), 'INVALID_REQUEST'],
    ['401', () => call(gw.url, '/v1/programmes', { token: null }), 'UNAUTHENTICATED'],
    ['403', () => call(gw.url, '/v1/rosters/weihai-2020-medical', { method: 'PUT', body: { rows: [] }, token: TOKENS.deskA }), 'FORBIDDEN'],
    ['404', () => call(gw.url, `/v1/settlements/${HOSPITAL_A}/NONE`, { token: TOKENS.deskA }), 'NOT_FOUND'],
    ['422', () => call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'EARLY1', encounter: { admittedOn: '2024-03-10', dischargedOn: '2024-03-01' } }), token: TOKENS.deskA }), 'UNPROCESSABLE'],
  ];
  it.each(cases)('%s carries its code and Chinese title, detail and messages', async (_status, send, code) => {
    const r = await send();
    const problem = asProblem(r.json);
    expect(problem.code).toBe(code);
    expect(problem.status).toBe(r.status);
    expect(problem.title).toMatch(CHINESE);
    expect(problem.detail).toMatch(CHINESE);
    for (const e of problem.errors) expect(e.message).toMatch(CHINESE);
  });

  it('documents every problem type in the OpenAPI document, and OUTCOME_UNKNOWN on the calls that write', async () => {
    const doc = (await call(gw.url, '/openapi.json', { token: null })).json as { 'x-problem-types': Array<{ code: string }>; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(doc['x-problem-types'].map((r) => r.code).sort()).toEqual(problemTypeRows().map((r) => r.code).sort());
    expect(doc.paths['/v1/settlements']!.post!.responses['504']).toBeDefined();
    expect(doc.paths['/v1/settlements/{hospitalId}/{settlementId}/reversal']!.post!.responses['504']).toBeDefined();
  });

  it('answers 409 with CONFLICT', async () => {
    const b = requestBody({ settlementId: 'CONFLICT1' });
    expect((await call(gw.url, '/v1/settlements', { body: b, token: TOKENS.deskA })).status).toBe(201);
    const r = await call(gw.url, '/v1/settlements', { body: { ...b, items: [{ code: 'A1', name: '综合费用', amount: '1.00', class: 'A' }] }, token: TOKENS.deskA });
    expect(asProblem(r.json)).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(asProblem(r.json).detail).toMatch(CHINESE);
  });
});
