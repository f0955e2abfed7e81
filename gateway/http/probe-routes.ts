/** The unauthenticated routes at the root — liveness, readiness, metrics, the documents — in the route table (route-table.ts). */
import type { ReadinessCheck } from '../readiness.js';
import type { Metrics } from './metrics.js';
import * as z from 'zod';
import { routeOf } from './route-table.js';

export interface ProbeDeps {
  readiness: readonly ReadinessCheck[];
  metrics: Metrics;
  /** The served OpenAPI document, as text (built once, with the extensions' paths). */
  openApiJson: () => string;
  /** The AsyncAPI document of the Kafka topics, as text (built once). */
  asyncApiJson: () => string;
}

const READINESS_TIMEOUT_MS = 1000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms} ms`)), ms); }),
  ]);
}

const route = routeOf<ProbeDeps>();
const json = (description: string) => ({ description, content: { 'application/json': z.record(z.string(), z.unknown()) } });

export const probeRoutes = [
  route({
    method: 'get', path: '/healthz', summary: 'Liveness', access: 'public',
    answers: { 200: json('Alive: { status: ok }') }, problems: {},
    handler: () => ({ res }) => { res.json({ status: 'ok' }); },
  }),
  route({
    method: 'get', path: '/readyz', summary: 'Readiness: dependencies reachable', access: 'public',
    answers: { 200: json('Ready: each check with its detail'), 503: json('A critical dependency is down') }, problems: {},
    handler: ({ readiness }) => async ({ res }) => {
      const results = await Promise.all(readiness.map(async (r) => {
        const critical = r.critical === false ? { critical: false } : {};
        try { const detail = await withTimeout(r.check(), READINESS_TIMEOUT_MS, r.name); return { name: r.name, ok: true, ...critical, ...(detail ? { detail } : {}) }; }
        catch (error) { return { name: r.name, ok: false, ...critical, error: error instanceof Error ? error.message : String(error) }; }
      }));
      const ready = results.every((r) => r.ok || r.critical === false);
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
    },
  }),
  route({
    method: 'get', path: '/metrics', summary: 'Prometheus metrics', access: 'public',
    answers: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { text: 'exposition format 0.0.4' } } } }, problems: {},
    handler: ({ metrics }) => async ({ res }) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  }),
  route({
    method: 'get', path: '/openapi.json', summary: 'This document', access: 'public',
    answers: { 200: json('OpenAPI 3.1') }, problems: {},
    handler: ({ openApiJson }) => ({ res }) => { res.type('application/json').send(openApiJson()); },
  }),
  route({
    method: 'get', path: '/asyncapi.json', summary: 'AsyncAPI 3.0 document of the Kafka topics: channels, operations, payload and header JSON Schemas', access: 'public',
    answers: { 200: json('AsyncAPI 3.0') }, problems: {},
    handler: ({ asyncApiJson }) => ({ res }) => { res.type('application/json').send(asyncApiJson()); },
  }),
];
