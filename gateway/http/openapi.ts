/** The OpenAPI 3.1 document, generated from the zod schemas: one source, nothing restated by hand. */
import { z } from 'zod';
import { problem } from '../../schemas/problem.js';
import { jsonSchema } from '../../schemas/json-schema.js';
import { problemTypeRows } from '../problem-types.js';
import { rosterLoad, rosterLoadResult, rosterRow } from '../../schemas/roster.js';
import { reversalNote, settlementRequest, split } from '../../schemas/settlement.js';
import { probeRoutes } from './probe-routes.js';
import { coreRoutes, type Answer, type RouteDoc } from './routes.js';

/** JSON Schema of a zod schema, as every part of the served document writes it (draft 2020-12, OpenAPI 3.1's). */
export { jsonSchema };

const programmeSummary = z.object({
  id: z.string(), name: z.string(), layer: z.string(), region: z.array(z.string()), term: z.object({ from: z.string(), to: z.string() }),
  version: z.string(), status: z.string(), sourceDocument: z.object({ file: z.string(), title: z.string() }),
});
export const programmesResponse = z.object({ programmes: z.array(programmeSummary) });
export type ProgrammeSummary = z.infer<typeof programmeSummary>;

/** A string query parameter, as every part of the served document writes one. */
export const queryParameter = (name: string, description: string, required: boolean, extra: Record<string, unknown> = {}) =>
  ({ name, in: 'query', required, description, schema: { type: 'string', ...extra } });
export const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
/** The problems any authenticated /v1 call may answer. */
export const errors = {
  400: problemResponse('Malformed or schema-invalid input; every bad field is listed in errors'),
  401: problemResponse('Missing or unknown token'),
  403: problemResponse('Not your hospital, or not your role'),
  413: problemResponse('Body over the limit'),
  503: problemResponse('UNAVAILABLE: a dependency the call needs is down and nothing was committed; retry after Retry-After'),
};
/** Only calls that write can leave a write in doubt. */
const outcomeUnknown = { 504: problemResponse('OUTCOME_UNKNOWN: the write was sent but its answer never came; it may have been committed. Retry the same settlement id (never a new one): the retry answers the truth') };
const problemsOf = (route: RouteDoc) => ({
  ...Object.fromEntries(Object.entries(route.problems).map(([status, when]) => [status, problemResponse(when)])),
  ...(route.access === 'public' ? {} : errors),
  ...(route.writes ? outcomeUnknown : {}),
});
const answerOf = (answer: Answer) => {
  if ('schema' in answer) return { description: answer.description, ...(answer.headers ? { headers: answer.headers } : {}), content: { 'application/json': { schema: { $ref: `#/components/schemas/${answer.schema}` } } } };
  if ('mediaType' in answer) return { description: answer.description, content: { [answer.mediaType]: { schema: { type: 'string' } } } };
  return { description: answer.description };
};

/** An express path (`/settlements/:hospitalId`) as an OpenAPI path (`/settlements/{hospitalId}`). */
export const openApiPathOf = (expressPath: string): string => expressPath.replace(/:(\w+)/g, '{$1}');

/** The operation of one route of the table (routes.ts): what it takes, who may call, what it answers. */
export function operationOf(route: RouteDoc) {
  const pathParameters = [...route.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const queryParameters = (route.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, schema: q.schema }));
  const parameters = [...pathParameters, ...queryParameters];
  const request = route.request;
  return {
    summary: route.summary,
    ...(route.access === 'public' ? { security: [] } : { 'x-roles': route.access.roles }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(request ? {
      requestBody: {
        required: !request.optional,
        ...(request.optional ? { description: request.optional } : {}),
        content: {
          'application/json': { schema: { $ref: `#/components/schemas/${request.schema}` } },
          ...(request.alsoText ? { [request.alsoText.mediaType]: { schema: { type: 'string', description: request.alsoText.description } } } : {}),
        },
      },
    } : {}),
    responses: { ...Object.fromEntries(Object.entries(route.answers).map(([status, answer]) => [status, answerOf(answer)])), ...problemsOf(route) },
  };
}

/** The paths of a route table under a prefix, methods of one path together. */
export function pathsOf(prefix: string, routes: readonly RouteDoc[]): Record<string, Record<string, ReturnType<typeof operationOf>>> {
  const paths: Record<string, Record<string, ReturnType<typeof operationOf>>> = {};
  for (const route of routes) (paths[openApiPathOf(prefix + route.path)] ??= {})[route.method] = operationOf(route);
  return paths;
}

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
/** The name a route table entry uses to point at a component schema. */
export type ComponentName = keyof typeof componentSchemas;

export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'One-stop settlement gateway (一站式结算)',
      version,
      description: 'Splits a discharge bill among basic insurance, major illness insurance, the hospital waiver, medical aid and supplementary programmes, and what the patient pays. Money is a string with two decimals.',
    },
    /** Every problem type: its stable code, status, Chinese title and type URI (gateway/problem-types.ts). */
    'x-problem-types': problemTypeRows(),
    security: [{ bearer: [] }],
    paths: {
      ...pathsOf('/v1', coreRoutes),
      ...pathsOf('', probeRoutes),
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { ...componentSchemas },
    },
  };
}
