/**
 * One declaration for every route the gateway serves — the core's, the probes', and each part's (the desk,
 * operations, insurers, FHIR, the national interface, pages and files): method, path, who may call and for
 * which hospital, the params, query and body as zod schemas, the media types it reads and answers, the
 * problems it may answer. `registerRoutes` runs the declaration (body reader, role, parsing, scope, then the
 * handler) and `operationOf` documents the same declaration in /openapi.json, so nothing is written twice.
 *
 * The order of the checks is the same for every route: authentication (by the router the route is on),
 * the body read as declared, the role, params and query parsed (every bad field named), the hospital scope
 * (which may name a parsed field), the body parsed, the handler.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Client } from '../../schemas/clients.js';
import { jsonSchema } from '../../schemas/json-schema.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { InvalidInput, type FieldError } from '../errors.js';
import { requireHospital, requireRole } from './auth.js';

export type Role = Client['roles'][number];
type Method = 'get' | 'post' | 'put';

/** Where the hospital a call acts for is named; it must be one of the client's (auditors read every one). */
export type HospitalAt =
  | { params: string }
  | { query: string; optional?: true }
  /** `hospital.id` of a settlement request body, read leniently before the body is judged: a desk cannot probe other hospitals. */
  | 'settlement-body';

/** A rule beyond roles and hospitals (an insurer's own codes; an envelope naming its hospital): declared here, run before the handler. */
export interface ScopeRule<Params = unknown, Query = unknown> {
  /** What the rule admits, for the document (`x-scope`). */
  describe: string;
  check(client: Client, input: { params: Params; query: Query }): void;
}

export type Access<Params = unknown, Query = unknown> =
  | 'public'
  | {
    roles: readonly Role[];
    hospital?: HospitalAt;
    scope?: ScopeRule<Params, Query>;
    /** A scope only what the call reads can tell (the envelope's hospital, a found claim's hospital): the handler checks it, the document says it. */
    scopeOnData?: string;
  };

/**
 * How the body arrives: JSON (numbers as JSON.parse reads them; `json-exact`: literals kept as their text),
 * text, bytes (every type: a signed call's MAC covers the bytes), JSON or else bytes (a roster as JSON or CSV),
 * or an HTML form.
 */
export type BodyReader = 'json' | 'json-exact' | 'text' | 'bytes' | 'json-or-bytes' | 'form';

/** A media type of a request or an answer: a zod schema, a component by name, or a text described. */
export type Content = z.ZodType | { ref: string } | { text: string };

export interface BodyDecl<Body extends z.ZodType | undefined = z.ZodType | undefined> {
  read: BodyReader;
  /** Media types accepted, each with what it carries. */
  content: Record<string, Content>;
  /** A body parsed here (JSON): bad fields answer 400 with their paths. Absent: the handler reads what `read` gave (CSV bytes, the national envelope) or the service judges it (a settlement). */
  schema?: Body;
  /** The refusal's words when the schema refuses the body (the fields are listed beside). */
  invalid?: string;
  /** Why the body may be left out; absent: required. */
  optional?: string;
  /** Times the configured body limit (a statement file may be larger than a bill). */
  limitTimes?: number;
  /** The media types a text or bytes reader takes beside those of `content` (text/plain for a CSV saved by hand). */
  alsoAccept?: string[];
}

export interface Answer {
  description: string;
  /** Media type → what it carries; absent: no body described. */
  content?: Record<string, Content>;
  headers?: Record<string, unknown>;
}

/** What the document says of a route and what the central checks run. */
export interface RouteDoc {
  method: Method;
  /** In express syntax (`:param`, `*rest`); the document shows `{param}`. */
  path: string;
  summary: string;
  access: Access<never, never>;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: BodyDecl;
  answers: Record<number, Answer>;
  /** The route's own problems (status → when); the common ones of its router are added by the document. */
  problems: Record<number, string>;
  /** A write that may be left in doubt (504 OUTCOME_UNKNOWN). */
  writes?: boolean;
  /** A bad field's path as `query.begndate` (the national interface's clerks read it so); default: the field's name. */
  fieldPaths?: 'located';
}

type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** What a handler is given: the parsed params, query and body, the client (absent on public routes), the request and response. */
export interface RouteCall<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: B extends z.ZodType ? z.output<B> : unknown;
  client: Client | undefined;
  req: Request;
  res: Response;
}

export interface RouteSpec<Deps, P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.ZodType | undefined> extends Omit<RouteDoc, 'params' | 'query' | 'body' | 'access'> {
  access: Access<Out<P>, Out<Q>>;
  params?: P;
  query?: Q;
  body?: BodyDecl<B>;
  handler: (deps: Deps) => (call: RouteCall<P, Q, B>) => void | Promise<void>;
}

/** A declared route: its document, and what express runs for it given the handlers' dependencies. */
export interface Route<Deps = unknown> extends RouteDoc {
  handle: (deps: Deps) => (req: Request, res: Response) => Promise<void>;
}

/** The body parsers a router offers its routes (the body limit is the configuration's). */
export interface BodyReaders { bodyLimitBytes: number; json: RequestHandler; jsonExact: RequestHandler }

/** A route bound to its dependencies: what a part contributes. */
export interface BoundRoute extends RouteDoc {
  run: (req: Request, res: Response) => Promise<void>;
}

const issuesOf = (where: string | undefined, issues: readonly z.core.$ZodIssue[]): FieldError[] =>
  issues.map((i) => ({ path: [...(where ? [where] : []), ...i.path.map(String)].join('.') || '(body)', message: i.message }));

/**
 * Params and query parsed together, so that every bad field of both is named in one answer. The types are
 * the route's own schemas' outputs (routeOf's P and Q): TypeScript cannot follow a schema that may be absent
 * through the generic, so the one erasure of the table is here, after zod has parsed.
 */
function parseRequestLine<P, Q>(route: RouteDoc, req: Request): { params: P; query: Q } {
  const params = route.params?.safeParse(req.params) ?? { success: true as const, data: {} };
  const query = route.query?.safeParse(req.query) ?? { success: true as const, data: {} };
  const located = route.fieldPaths === 'located';
  const bad = [...(params.success ? [] : issuesOf(located ? 'params' : undefined, params.error.issues)), ...(query.success ? [] : issuesOf(located ? 'query' : undefined, query.error.issues))];
  if (bad.length > 0) throw new InvalidInput(`请求参数无效：${bad.map((b) => b.path).join('、')}`, bad);
  return { params: params.data as P, query: query.data as Q };
}

/** The hospital scope of a route, once its role passed and its params and query are parsed. */
function checkHospital(access: Exclude<Access, 'public'>, req: Request, line: { params: object; query: object }): Client {
  const client = requireRole(req.client, ...access.roles);
  const at = access.hospital;
  if (at === 'settlement-body') {
    const hospital = settlementRequest.shape.hospital.safeParse(isObject(req.body) ? req.body.hospital : undefined);
    if (hospital.success) requireHospital(client, hospital.data.id, ...access.roles);
  } else if (at && 'params' in at) {
    requireHospital(client, String(fieldOf(line.params, at.params) ?? ''), ...access.roles);
  } else if (at) {
    const named = fieldOf(line.query, at.query);
    if (named !== undefined) requireHospital(client, String(named), ...access.roles);
  }
  return client;
}

const fieldOf = (object: object, name: string): unknown => Object.entries(object).find(([key]) => key === name)?.[1];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The body judged by its declared schema; a missing body is a missing object, with the same answer. */
function parseBody(body: BodyDecl, value: unknown): unknown {
  if (!body.schema) return value;
  if (value === undefined && body.optional) return undefined;
  const parsed = body.schema.safeParse(value ?? {});
  if (!parsed.success) {
    if (!isObject(value)) throw new InvalidInput('请求体应为 JSON 对象，并带 Content-Type: application/json', [{ path: '(body)', message: '缺少请求体或不是 JSON 对象' }]);
    throw new InvalidInput(body.invalid ?? '请求体无效', issuesOf(undefined, parsed.error.issues));
  }
  return parsed.data;
}

/** Declares a route of a table whose handlers take `Deps`; params, query and body are typed by their schemas. */
export const routeOf = <Deps>() =>
  <P extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(spec: RouteSpec<Deps, P, Q, B>): Route<Deps> => {
    const { handler, access, ...doc } = spec;
    const route: Route<Deps> = {
      ...doc,
      access,
      handle: (deps) => {
        const run = handler(deps);
        return async (req, res) => {
          // The role first: a client that may not call the route learns nothing of its parameters.
          if (access !== 'public') requireRole(req.client, ...access.roles);
          const line = parseRequestLine<Out<P>, Out<Q>>(route, req);
          let client: Client | undefined;
          if (access !== 'public') {
            client = checkHospital(access, req, line);
            access.scope?.check(client, line);
          }
          const body = spec.body ? parseBody(spec.body, req.body) : undefined;
          await run({ ...line, body: body as RouteCall<P, Q, B>['body'], client, req, res });
        };
      },
    };
    return route;
  };

/** A table's routes bound to their dependencies. */
export const bindRoutes = <Deps>(routes: readonly Route<Deps>[], deps: Deps): BoundRoute[] =>
  routes.map(({ handle, ...doc }) => ({ ...doc, run: handle(deps) }));

/** The body reader a route declares, from the router's parsers. */
function readerOf(body: BodyDecl | undefined, readers: BodyReaders): RequestHandler[] {
  if (!body) return [];
  const limit = readers.bodyLimitBytes * (body.limitTimes ?? 1);
  const type = [...Object.keys(body.content), ...(body.alsoAccept ?? [])];
  switch (body.read) {
    case 'json': return [readers.json];
    case 'json-exact': return [readers.jsonExact];
    // A JSON body beside text or bytes (a roster as JSON or CSV) is read as JSON; the rest as declared.
    case 'text': return [express.text({ limit, type: type.includes('*/*') ? () => true : type })];
    case 'bytes': return [express.raw({ limit, type: () => true })];
    case 'json-or-bytes': return [readers.json, express.raw({ limit, type: type.filter((t) => !t.includes('json')) })];
    case 'form': return [express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20, type })];
  }
}

/** Registers bound routes on a router: the body as declared, then the central checks and the handler. */
export function registerRoutes(router: express.Router, routes: readonly BoundRoute[], readers: BodyReaders, before: (route: BoundRoute) => RequestHandler[] = () => []): void {
  for (const route of routes) {
    router[route.method](route.path, ...before(route), ...readerOf(route.body, readers), (req, res, next) => { route.run(req, res).catch(next); });
  }
}

// ---- the document: each declaration as an OpenAPI operation ----

/** An express path (`/settlements/:hospitalId`, `/desk/*path`) as an OpenAPI path (`/settlements/{hospitalId}`). */
export const openApiPathOf = (expressPath: string): string => expressPath.replace(/\{\*(\w+)\}|[:*](\w+)/g, (_m, wild?: string, name?: string) => `{${wild ?? name ?? ''}}`);

const schemaOf = (content: Content, io: 'input' | 'output') => {
  if ('ref' in content) return { $ref: `#/components/schemas/${content.ref}` };
  if ('text' in content && typeof content.text === 'string') return { type: 'string', description: content.text };
  return jsonSchema(content as z.ZodType, io);
};
const contentOf = (content: Record<string, Content>, io: 'input' | 'output') =>
  Object.fromEntries(Object.entries(content).map(([media, c]) => [media, { schema: schemaOf(c, io) }]));

/** The parameters of a zod object, one by one, with their descriptions and whether they are required. */
function parametersOf(where: 'path' | 'query', schema: z.ZodObject | undefined, path: string) {
  const names = where === 'path' ? [...path.matchAll(/[:*](\w+)/g)].map((m) => m[1] ?? '') : Object.keys(schema?.shape ?? {});
  return names.map((name) => {
    const field = schema?.shape[name] as z.ZodType | undefined;
    const documented = field ? jsonSchema(field, 'input') : { type: 'string' };
    const { description, ...rest } = documented as { description?: string } & Record<string, unknown>;
    delete rest.$schema;
    return { name, in: where, required: where === 'path' || (field ? !field.safeParse(undefined).success : true), ...(description ? { description } : {}), schema: rest };
  });
}

export interface ProblemsOf { problem: (description: string) => unknown; common: (route: RouteDoc) => Record<number, unknown> }

/** The operation of one declared route: what it takes, who may call, what it answers. */
export function operationOf(route: RouteDoc, problems: ProblemsOf) {
  const parameters = [...parametersOf('path', route.params, route.path), ...parametersOf('query', route.query, route.path)];
  const body = route.body;
  const access = route.access;
  return {
    summary: route.summary,
    ...(access === 'public' ? { security: [] } : {
      'x-roles': access.roles,
      ...(access.hospital ? { 'x-hospital': access.hospital === 'settlement-body' ? 'body: hospital.id' : 'params' in access.hospital ? `path: ${access.hospital.params}` : `query: ${access.hospital.query}` } : {}),
      ...(access.scope || access.scopeOnData ? { 'x-scope': access.scope?.describe ?? access.scopeOnData } : {}),
    }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: { required: !body.optional, ...(body.optional ? { description: body.optional } : {}), content: contentOf(body.content, 'input') } } : {}),
    responses: {
      ...Object.fromEntries(Object.entries(route.answers).map(([status, a]) => [status, { description: a.description, ...(a.headers ? { headers: a.headers } : {}), ...(a.content ? { content: contentOf(a.content, 'output') } : {}) }])),
      ...Object.fromEntries(Object.entries(route.problems).map(([status, when]) => [status, problems.problem(when)])),
      ...problems.common(route),
    },
  };
}

export type Operation = ReturnType<typeof operationOf>;

/** The paths of declared routes under a prefix, methods of one path together. */
export function pathsOf(prefix: string, routes: readonly RouteDoc[], problems: ProblemsOf): Record<string, Record<string, Operation>> {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of routes) (paths[openApiPathOf(prefix + route.path)] ??= {})[route.method] = operationOf(route, problems);
  return paths;
}
