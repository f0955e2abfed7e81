/**
 * The OpenAPI 3.1 document, generated from the route table (route-table.ts) of every router — the core's,
 * the probes', each part's — and the zod schemas: one source, nothing restated by hand.
 */
import * as z from 'zod';
import { problem } from '../../schemas/problem.js';
import { jsonSchema } from '../../schemas/json-schema.js';
import { problemTypeRows } from '../problem-types.js';
import { rosterLoad, rosterLoadResult, rosterRow } from '../../schemas/roster.js';
import { reversalNote, settlementRequest, split } from '../../schemas/settlement.js';
import { pathsOf, type ProblemsOf, type RouteDoc } from './route-table.js';
import { programmesResponse } from './routes.js';

const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

/** The problems any authenticated /v1 call may answer; only calls that write can leave a write in doubt. */
export const v1Problems: ProblemsOf = {
  problem: problemResponse,
  common: (route: RouteDoc) => ({
    ...(route.access === 'public' ? {} : {
      400: problemResponse('Malformed or schema-invalid input (params, query or body); every bad field is listed in errors'),
      401: problemResponse('Missing or unknown token'),
      403: problemResponse('Not your hospital, or not your role'),
      ...(route.body ? { 413: problemResponse('Body over the limit') } : {}),
      503: problemResponse('UNAVAILABLE: a dependency the call needs is down or refusing (the ledger\'s Redis unreachable, full, unable to write its disk, or refusing the gateway\'s user a command; detail says which) and nothing was committed; retry after Retry-After'),
    }),
    ...(route.writes ? { 504: problemResponse('OUTCOME_UNKNOWN: the write was sent and its outcome is not known (its answer never came; or a roster load, many commands, was refused partway): it may have been committed, wholly or in part. Retry the same call — the same settlement id, never a new one; the same roster load in the same mode — and the retry answers the truth') } : {}),
  }),
};

/** Routes outside /v1 that answer problem+json for what they refuse (the probes, the pages and files). */
export const plainProblems: ProblemsOf = { problem: problemResponse, common: () => ({}) };

/** One router's routes in the document: where they are mounted, and how their refusals are documented. */
export interface DocumentedRoutes { prefix: string; routes: readonly RouteDoc[]; problems: ProblemsOf }

const componentSchemas = {
  SettlementRequest: jsonSchema(settlementRequest, 'input'),
  Split: jsonSchema(split, 'output'),
  Problem: jsonSchema(problem, 'output'),
  RosterRow: jsonSchema(rosterRow, 'input'),
  RosterLoad: jsonSchema(rosterLoad.extend({ rows: z.array(rosterRow) }), 'input'),
  RosterLoadResult: jsonSchema(rosterLoadResult, 'output'),
  Programmes: jsonSchema(programmesResponse, 'output'),
  ReversalNote: jsonSchema(reversalNote, 'input'),
};

/** Every `$ref` of the document names a component that is there (a route naming a missing one is a bug, found at start-up). */
function unresolvedRefs(value: unknown, components: Record<string, unknown>): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => unresolvedRefs(v, components));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => {
    if (key === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) return v.slice(21) in components ? [] : [v];
    return unresolvedRefs(v, components);
  });
}

export function openApiDocument(version: string, routers: readonly DocumentedRoutes[], partSchemas: Record<string, z.ZodType | { schema: z.ZodType; io: 'input' | 'output' }> = {}) {
  const paths: Record<string, Record<string, unknown>> = {};
  // Method by method: a part may add a method to a core path (the desk's GET /v1/settlements).
  for (const { prefix, routes, problems } of routers) {
    for (const [path, operations] of Object.entries(pathsOf(prefix, routes, problems))) Object.assign(paths[path] ??= {}, operations);
  }
  const schemas: Record<string, unknown> = { ...componentSchemas };
  for (const [name, s] of Object.entries(partSchemas)) schemas[name] = s instanceof z.ZodType ? jsonSchema(s, 'output') : jsonSchema(s.schema, s.io);
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'One-stop settlement gateway (一站式结算)',
      version,
      description: 'Splits a discharge bill among basic insurance, major illness insurance, the hospital waiver, medical aid and supplementary programmes, and what the patient pays. Money is a string with two decimals.',
    },
    /** Every problem type: its stable code, status, Chinese title and type URI (gateway/problem-types.ts). */
    'x-problem-types': problemTypeRows(),
    security: [{ bearer: [] }],
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
  };
  const missing = unresolvedRefs(document, schemas);
  if (missing.length > 0) throw new Error(`openapi: references to components that do not exist: ${[...new Set(missing)].join(', ')}`);
  return document;
}
