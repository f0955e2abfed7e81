/**
 * The route table's central checks over a real socket, on a route declared as a part would declare one:
 * the role before anything is read, params and query parsed together with every bad field named, the
 * hospital scope on the parsed value, the body judged by its schema; and the same declaration documented.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { Client } from '../../schemas/clients.js';
import { createApp } from '../../gateway/http/app.js';
import { createMetrics } from '../../gateway/http/metrics.js';
import { v1Problems } from '../../gateway/http/openapi.js';
import { bindRoutes, openApiPathOf, operationOf, routeOf } from '../../gateway/http/route-table.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { createLogger } from '../../gateway/log.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { asProblem, call } from '../support/gateway.js';
import { NotFound } from '../../gateway/errors.js';

const DESK: Client = { token: 'desk-token-0123456789', name: 'desk', roles: ['desk'], hospitalIds: ['H1'] };
const AUDITOR: Client = { token: 'auditor-token-0123456789', name: 'auditor', roles: ['auditor'], hospitalIds: [] };
const INSURER: Client = { token: 'insurer-token-0123456789', name: 'insurer', roles: ['insurer'], hospitalIds: [], insurerCodes: ['X'] };

const route = routeOf<{ seen: unknown[] }>();
const probe = route({
  method: 'post', path: '/probe/:count', summary: 'a route as a part declares one',
  access: { roles: ['desk', 'auditor'], hospital: { query: 'hospitalId' } },
  params: z.object({ count: z.coerce.number().int().min(1, '至少为 1') }),
  query: z.object({ hospitalId: z.string().regex(/^H\d+$/, '应为 H 加数字'), day: z.iso.date('应为日期').optional() }),
  body: { read: 'json', content: { 'application/json': z.object({}) }, schema: z.object({ name: z.string().min(1, '必填'), items: z.array(z.int()).max(2, '最多 2 项') }).strict(), invalid: '探针请求体无效' },
  answers: { 200: { description: 'what the handler was given' } }, problems: {},
  handler: (deps) => ({ params, query, body, client, res }) => {
    deps.seen.push({ params, query, body, client: client?.name });
    res.json({ count: params.count + 1, hospitalId: query.hospitalId, names: body.name });
  },
});

/** A claim store as a part's handler reads one: the hospital is known only once the record is found. */
const HELD: Record<string, { hospitalId: string; amount: string }> = { c1: { hospitalId: 'H1', amount: '10.00' }, c2: { hospitalId: 'H2', amount: '20.00' } };
const held = (id: string) => {
  const record = HELD[id];
  if (!record) throw new NotFound(`没有 ${id}`);
  return record;
};
const scoped = route({
  method: 'get', path: '/held/:id', summary: 'a record whose hospital only its data names',
  access: { roles: ['desk', 'auditor'], scopeOnData: { describe: "the record's hospital" } },
  params: z.object({ id: z.string() }),
  answers: { 200: { description: 'the record' } }, problems: { 404: 'no such record' },
  handler: () => ({ params, scope, res }) => {
    // A refusal in the route's own form that reads nothing of a hospital (as the national envelope answers with 200).
    if (params.id === 'withdrawn') { scope.readsNone(); res.json({ found: false }); return; }
    const record = held(params.id);
    scope.admit(record.hospitalId);
    res.json(record);
  },
});
// A defect the table must catch: it declares a data scope and forgets to admit the hospital it read.
const forgetful = route({
  method: 'get', path: '/forgetful/:id', summary: 'a data-scoped route that never admits',
  access: { roles: ['desk'], scopeOnData: { describe: "the record's hospital" } },
  params: z.object({ id: z.string() }),
  answers: { 200: { description: 'the record' } }, problems: { 404: 'no such record' },
  handler: (deps) => ({ params, res }) => {
    deps.seen.push(`forgetful ${params.id}`);
    res.status(params.id === 'c2' ? 304 : 200).json(held(params.id));
  },
});

let server: Server;
let url = '';
const seen: unknown[] = [];

beforeAll(async () => {
  const programmes = loadProgrammes();
  const ledger = new MemoryLedger();
  const app = createApp({
    service: new SettlementService({ ledger, programmes }), ledger, programmes, clients: [DESK, AUDITOR, INSURER], metrics: createMetrics(), log: createLogger('silent'),
    bodyLimitBytes: 1 << 16, requestTimeoutMs: 5_000, readiness: [], version: 'test', extensions: [{ name: 'probe', v1: bindRoutes([probe, scoped, forgetful], { seen }) }],
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

describe('the route table', () => {
  it('answers the handler with parsed params, query and body', async () => {
    const answer = await call(url, '/v1/probe/2?hospitalId=H1', { body: { name: '张三', items: [1] }, token: DESK.token });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ count: 3, hospitalId: 'H1', names: '张三' });
    expect(seen.at(-1)).toEqual({ params: { count: 2 }, query: { hospitalId: 'H1' }, body: { name: '张三', items: [1] }, client: 'desk' });
  });

  it('refuses a client without the role before it reads anything, even a bad query', async () => {
    const before = seen.length;
    const answer = await call(url, '/v1/probe/zero?hospitalId=', { body: {}, token: INSURER.token });
    expect(answer.status).toBe(403);
    expect(asProblem(answer.json).code).toBe('FORBIDDEN');
    expect(seen.length).toBe(before);
  });

  it('names every bad field of params and query in one Chinese problem, never a 500', async () => {
    const answer = await call(url, '/v1/probe/0?hospitalId=X1&day=2024-02-30', { body: { name: 'a', items: [] }, token: DESK.token });
    expect(answer.status).toBe(400);
    const problem = asProblem(answer.json);
    expect(problem.code).toBe('INVALID_REQUEST');
    expect(problem.errors).toEqual([
      { path: 'count', message: '至少为 1' },
      { path: 'hospitalId', message: '应为 H 加数字' },
      { path: 'day', message: '应为日期' },
    ]);
  });

  it('checks the hospital scope on the parsed value: a desk only for its hospitals, an auditor for any', async () => {
    expect((await call(url, '/v1/probe/1?hospitalId=H2', { body: { name: 'a', items: [] }, token: DESK.token })).status).toBe(403);
    expect((await call(url, '/v1/probe/1?hospitalId=H2', { body: { name: 'a', items: [] }, token: AUDITOR.token })).status).toBe(200);
  });

  it("judges the body by its schema, each bad field by its path, in the route's words", async () => {
    const answer = await call(url, '/v1/probe/1?hospitalId=H1', { body: { name: '', items: [1, 2.5], extra: true }, token: DESK.token });
    expect(answer.status).toBe(400);
    const problem = asProblem(answer.json);
    expect(problem.detail).toBe('探针请求体无效');
    expect(problem.errors.map((e) => e.path).sort()).toEqual(['(body)', 'items.1', 'name'].sort());
    const missing = await call(url, '/v1/probe/1?hospitalId=H1', { method: 'POST', token: DESK.token });
    expect(missing.status).toBe(400);
    expect(asProblem(missing.json).errors).toEqual([{ path: '(body)', message: '缺少请求体或不是 JSON 对象' }]);
  });

  it('documents the declaration it runs: parameters with their requirement, roles, scope, body and problems', () => {
    const operation = operationOf(probe, v1Problems);
    expect(operation.parameters).toEqual([
      expect.objectContaining({ name: 'count', in: 'path', required: true }),
      expect.objectContaining({ name: 'hospitalId', in: 'query', required: true, schema: expect.objectContaining({ pattern: '^H\\d+$' }) }),
      expect.objectContaining({ name: 'day', in: 'query', required: false }),
    ]);
    expect(operation).toMatchObject({ 'x-roles': ['desk', 'auditor'], 'x-hospital': 'query: hospitalId', requestBody: { required: true } });
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '403', '413', '503']);
    expect(openApiPathOf('/desk/*path')).toBe('/desk/{path}');
    expect(openApiPathOf('/claims/:insurerCode/:claimId/status')).toBe('/claims/{insurerCode}/{claimId}/status');
  });

  it("admits a hospital only the data names by the table's rule: the same refusal as a named hospital's, auditors read all", async () => {
    const own = await call(url, '/v1/held/c1', { token: DESK.token });
    expect(own.status).toBe(200);
    expect(own.json).toEqual(HELD.c1);
    const other = await call(url, '/v1/held/c2', { token: DESK.token });
    expect(other.status).toBe(403);
    const refusal = asProblem(other.json);
    expect(refusal.code).toBe('FORBIDDEN');
    expect(refusal.detail).toBe('客户端 desk 无权代表医疗机构 H2 办理');
    expect(JSON.stringify(other.json)).not.toContain('20.00');
    expect((await call(url, '/v1/held/c2', { token: AUDITOR.token })).status).toBe(200);
    // A refusal before any hospital is read (not found) is the handler's to answer, in its own form too.
    expect((await call(url, '/v1/held/c9', { token: DESK.token })).status).toBe(404);
    const withdrawn = await call(url, '/v1/held/withdrawn', { token: DESK.token });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.json).toEqual({ found: false });
  });

  it('catches a data-scoped route that answers success without admitting a hospital: nothing of the record leaves', async () => {
    for (const id of ['c1', 'c2']) {
      const before = seen.length;
      const answer = await call(url, `/v1/forgetful/${id}`, { token: DESK.token });
      expect(seen.length).toBe(before + 1);
      expect(answer.status).toBe(500);
      expect(asProblem(answer.json).code).toBe('INTERNAL');
      expect(JSON.stringify(answer.json)).not.toContain(HELD[id]?.amount);
    }
    // Its refusals still pass: only a success needs the admission.
    expect((await call(url, '/v1/forgetful/c9', { token: DESK.token })).status).toBe(404);
  });

  it('documents a data scope as x-scope', () => {
    expect(operationOf(scoped, v1Problems)).toMatchObject({ 'x-roles': ['desk', 'auditor'], 'x-scope': "the record's hospital" });
  });
});
