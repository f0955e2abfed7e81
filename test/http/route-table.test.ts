/**
 * The route table's central checks over a real socket, on a route declared as a part would declare one:
 * the role before anything is read, params and query parsed together with every bad field named, the
 * hospital scope on the parsed value, the body judged by its schema; and the same declaration documented.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
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

let server: Server;
let url = '';
const seen: unknown[] = [];

beforeAll(async () => {
  const programmes = loadProgrammes();
  const ledger = new MemoryLedger();
  const app = createApp({
    service: new SettlementService({ ledger, programmes }), ledger, programmes, clients: [DESK, AUDITOR, INSURER], metrics: createMetrics(), log: createLogger('silent'),
    bodyLimitBytes: 1 << 16, requestTimeoutMs: 5_000, readiness: [], version: 'test', extensions: [{ name: 'probe', v1: bindRoutes([probe], { seen }) }],
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
});
