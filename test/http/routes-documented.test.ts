/**
 * A route cannot exist without its documentation: every route express would answer under /v1 — the
 * core table and every extension's v1 routes — appears, with its method, in the served /openapi.json,
 * and nothing is documented that is not routed.
 */
import type { RequestListener } from 'node:http';
import { Validator } from '@seriousme/openapi-schema-validator';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreRoutes } from '../../gateway/http/routes.js';
import { call, HOSPITAL_A, TOKENS, type TestGateway } from '../support/gateway.js';
import { MockInsurer } from '../support/mock-insurer.js';
import { INSURER_TOKEN, startInsurerGateway } from '../adapters/insurer/support.js';

interface RouterLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/** Every route of a router stack (express 5 / router 2), as `METHOD /full/path`, nested routers included. */
function routesOf(stack: readonly RouterLayer[], prefix: string): { method: string; path: string }[] {
  return stack.flatMap((layer) => {
    const mountPath = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      return paths.flatMap((p) => Object.keys(layer.route!.methods).filter((m) => m !== '_all').map((method) => ({ method, path: `${prefix}${String(p)}` })));
    }
    if (Array.isArray(layer.handle?.stack)) return routesOf(layer.handle.stack, `${prefix}${mountPath}`);
    return [];
  });
}

/** `:param` and a wildcard `*rest` as OpenAPI writes them. */
const openApiPathOf = (expressPath: string) => expressPath.replace(/[:*](\w+)/g, '{$1}');

/** The /v1 routes of an app that the document's paths do not have, as `METHOD /path`. */
function undocumentedOf(stack: readonly RouterLayer[], paths: Record<string, Record<string, unknown>>): string[] {
  return routesOf(stack, '').filter((r) => r.path.startsWith('/v1/'))
    .filter((r) => paths[openApiPathOf(r.path)]?.[r.method] === undefined).map((r) => `${r.method.toUpperCase()} ${r.path}`);
}

describe('the router walk', () => {
  it('finds a route of a router nested under /v1, and says when the document lacks it', () => {
    const app = express();
    const v1 = express.Router();
    const nested = express.Router();
    v1.get('/documented/:id', (_req, res) => { res.end(); });
    nested.post('/undocumented/:id', (_req, res) => { res.end(); });
    v1.use('/nested', nested);
    app.use('/v1', v1);
    const stack = (app as unknown as { router: { stack: RouterLayer[] } }).router.stack;
    expect(undocumentedOf(stack, { '/v1/documented/{id}': { get: {} } })).toEqual(['POST /v1/nested/undocumented/:id']);
    expect(undocumentedOf(stack, { '/v1/documented/{id}': { post: {} }, '/v1/nested/undocumented/{id}': { post: {} } })).toEqual(['GET /v1/documented/:id']);
  });
});

describe('every /v1 route is in the OpenAPI document', () => {
  let gw: TestGateway;
  let mock: MockInsurer;
  // With insurers configured, so that every extension registers its routes.
  beforeAll(async () => { mock = await MockInsurer.start(); gw = await startInsurerGateway(mock); });
  afterAll(async () => { await gw?.stop(); await mock?.stop(); });

  it('walks the express router and finds each route, method by method, in /openapi.json', async () => {
    const app = gw.gateway.server.listeners('request')[0] as RequestListener & { router: { stack: RouterLayer[] } };
    const v1Routes = routesOf(app.router.stack, '').filter((r) => r.path.startsWith('/v1/'));
    // The walk itself must see the core routes and the extensions' (else this test proves nothing).
    expect(v1Routes).toEqual(expect.arrayContaining([
      { method: 'post', path: '/v1/settlements' },
      { method: 'get', path: '/v1/settlements/:hospitalId/:settlementId/slip' },
      expect.objectContaining({ path: expect.stringMatching(/^\/v1\/nhsa\//) }),
      expect.objectContaining({ path: expect.stringMatching(/^\/v1\/reports\//) }),
      expect.objectContaining({ path: expect.stringMatching(/^\/v1\/claims\//) }),
    ]));
    const doc = (await call(gw.url, '/openapi.json', { token: null })).json as { paths: Record<string, Record<string, unknown>> };
    expect(undocumentedOf(app.router.stack, doc.paths)).toEqual([]);
    // And the other way: nothing documented (under /v1 or at the root) that express would not answer.
    const routed = new Set(routesOf(app.router.stack, '').map((r) => `${r.method} ${openApiPathOf(r.path)}`));
    const methods = ['get', 'put', 'post', 'delete', 'patch'];
    const phantom = Object.entries(doc.paths)
      .flatMap(([p, operations]) => Object.keys(operations).filter((m) => methods.includes(m)).map((m) => `${m} ${p}`))
      .filter((operation) => !routed.has(operation));
    expect(phantom).toEqual([]);
    // Every route at every prefix — the probes, the desk's files, the reports page, /nhsa, /fhir — is in the one table, so in the document.
    const everyRoute = routesOf(app.router.stack, '').filter((r) => doc.paths[openApiPathOf(r.path)]?.[r.method] === undefined).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(everyRoute).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/nhsa/{infno}', '/fhir/Claim/$submit', '/fhir/ClaimResponse/{id}', '/desk', '/desk/{path}', '/reports', '/healthz']));
    // The document with every extension's paths is still valid OpenAPI 3.1.
    const validation = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(validation.errors ?? []).toEqual([]);
  });

  it("enforces the roles the document states for the core routes: a client with none of an operation's x-roles gets 403", async () => {
    const doc = (await call(gw.url, '/openapi.json', { token: null })).json as { paths: Record<string, Record<string, { 'x-roles'?: string[] }>> };
    const clients = [{ token: TOKENS.auditor, roles: ['auditor'] }, { token: TOKENS.deskA, roles: ['desk'] }, { token: INSURER_TOKEN, roles: ['insurer'] }];
    let checked = 0;
    for (const route of coreRoutes) {
      const documented = doc.paths[openApiPathOf(`/v1${route.path}`)]?.[route.method]?.['x-roles'];
      expect(documented, `${route.method} ${route.path}`).toBeDefined();
      const path = `/v1${route.path}`.replace(':hospitalId', HOSPITAL_A).replace(':settlementId', 'S-ROLES-1').replace(':programmeId', 'any-programme');
      for (const client of clients.filter((c) => !c.roles.some((r) => documented!.includes(r)))) {
        const answer = await call(gw.url, path, { method: route.method.toUpperCase(), token: client.token, ...(route.method === 'get' ? {} : { body: {} }) });
        expect(answer.status, `${route.method} ${path} as ${client.roles.join()}`).toBe(403);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(coreRoutes.length);
  });

  it("enforces, before reading anything, the roles the document states for every /v1 route: the parts' too", async () => {
    const doc = (await call(gw.url, '/openapi.json', { token: null })).json as { paths: Record<string, Record<string, { 'x-roles'?: string[] }>> };
    const clients = [{ token: TOKENS.auditor, roles: ['auditor'] }, { token: TOKENS.deskA, roles: ['desk'] }, { token: INSURER_TOKEN, roles: ['insurer'] }];
    const refused: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1/'))) {
      for (const [method, operation] of Object.entries(operations)) {
        const roles = operation['x-roles'];
        expect(roles, `${method} ${path}`).toBeDefined();
        // Any value will do: the role is judged before params, query or body are read.
        const url = path.replace(/\{\w+\}/g, 'X1');
        for (const client of clients.filter((c) => !c.roles.some((r) => roles!.includes(r)))) {
          const answer = await call(gw.url, url, { method: method.toUpperCase(), token: client.token, ...(method === 'get' ? {} : { body: {} }) });
          expect(answer.status, `${method} ${url} as ${client.roles.join()}`).toBe(403);
          refused.push(`${method} ${path}`);
        }
      }
    }
    // The insurer's, the operations' and the clerk's routes are among them.
    expect(refused).toEqual(expect.arrayContaining(['get /v1/insurers', 'post /v1/whatif', 'get /v1/nhsa/dead-letters', 'get /v1/hospitals']));
  });
});
