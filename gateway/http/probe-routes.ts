/** The unauthenticated routes at the root — liveness, readiness, metrics, this document — as a table (routes.ts). */
import type { ReadinessCheck } from '../readiness.js';
import type { Metrics } from './metrics.js';
import type { Route } from './routes.js';

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

export const probeRoutes: readonly Route<ProbeDeps>[] = [
  {
    method: 'get', path: '/healthz', summary: 'Liveness', access: 'public',
    answers: { 200: { description: 'Alive' } }, problems: {},
    handler: () => (_req, res) => { res.json({ status: 'ok' }); },
  },
  {
    method: 'get', path: '/readyz', summary: 'Readiness: dependencies reachable', access: 'public',
    answers: { 200: { description: 'Ready' }, 503: { description: 'A dependency is down' } }, problems: {},
    handler: ({ readiness }) => async (_req, res) => {
      const results = await Promise.all(readiness.map(async (r) => {
        const critical = r.critical === false ? { critical: false } : {};
        try { const detail = await withTimeout(r.check(), READINESS_TIMEOUT_MS, r.name); return { name: r.name, ok: true, ...critical, ...(detail ? { detail } : {}) }; }
        catch (error) { return { name: r.name, ok: false, ...critical, error: error instanceof Error ? error.message : String(error) }; }
      }));
      const ready = results.every((r) => r.ok || r.critical === false);
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
    },
  },
  {
    method: 'get', path: '/metrics', summary: 'Prometheus metrics', access: 'public',
    answers: { 200: { description: 'text exposition format', mediaType: 'text/plain' } }, problems: {},
    handler: ({ metrics }) => async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  },
  {
    method: 'get', path: '/openapi.json', summary: 'This document', access: 'public',
    answers: { 200: { description: 'OpenAPI 3.1' } }, problems: {},
    handler: ({ openApiJson }) => (_req, res) => { res.type('application/json').send(openApiJson()); },
  },
  {
    method: 'get', path: '/asyncapi.json', summary: 'AsyncAPI 3.0 document of the Kafka topics: channels, operations, payload and header JSON Schemas', access: 'public',
    answers: { 200: { description: 'AsyncAPI 3.0' } }, problems: {},
    handler: ({ asyncApiJson }) => (_req, res) => { res.type('application/json').send(asyncApiJson()); },
  },
];
