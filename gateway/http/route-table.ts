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
import * as z from 'zod';
import type { Client } from '../../schemas/clients.js';
import { jsonSchema } from '../../schemas/json-schema.js';
import { settlementRequest } from '../../schemas/settlement.js';
import { invariant, InvalidInput, type FieldError } from '../errors.js';
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

/**
 * A hospital scope only what the call reads can tell (the envelope's hospital, a found claim's or FHIR
 * Claim's): the handler names the hospital through `call.scope.admit` once it has read it, and the table
 * refuses to send a successful answer before it did (`DataScope`), so a handler cannot forget the check.
 */
export interface DataScopeRule<Params = unknown, Query = unknown> {
  /** What the rule admits, for the document (`x-scope`). */
  describe: string;
  /** The client admitted for the hospital the data names; absent: the table's hospital rule (the route's roles, auditors read all). */
  admit?(client: Client, hospitalId: string, input: { params: Params; query: Query }): void;
}

export type Access<Params = unknown, Query = unknown> =
  | 'public'
  | {
    roles: readonly Role[];
    hospital?: HospitalAt;
    scope?: ScopeRule<Params, Query>;
    scopeOnData?: DataScopeRule<Params, Query>;
    /** A list or search that shows only what the client's hospitals may see: the handler filters (no one hospital to admit), the document says how. */
    filtersByHospital?: string;
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

/** What a handler is given: the parsed params, query and body, the client (absent on public routes), the data scope, the request and response. */
export interface RouteCall<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
  client: Client | undefined;
  /** A route declaring `scopeOnData` admits the hospital its data names here; calling it on a route that declares none is a defect (500). */
  scope: DataScope;
  req: Request;
  res: Response;
}

/** The body a handler is given: parsed by its schema, else what the body reader gave. */
type BodyOut<B> = B extends z.ZodType ? z.output<B> : unknown;

export interface RouteSpec<Deps, P extends z.ZodObject, Q extends z.ZodObject, B extends z.ZodType | undefined> extends Omit<RouteDoc, 'params' | 'query' | 'body' | 'access'> {
  access: Access<z.output<P>, z.output<Q>>;
  params?: P;
  query?: Q;
  body?: BodyDecl<B>;
  handler: (deps: Deps) => (call: RouteCall<z.output<P>, z.output<Q>, BodyOut<B>>) => void | Promise<void>;
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

/** The request line of a route that declares no params or no query: an empty object, so every route parses both alike. */
const NOTHING = z.object({});

/** Params and query parsed together, so that every bad field of both is named in one answer. */
function parseRequestLine(params: z.ZodObject, query: z.ZodObject, fieldPaths: RouteDoc['fieldPaths'], req: Request): { params: Record<string, unknown>; query: Record<string, unknown> } {
  const parsedParams = params.safeParse(req.params);
  const parsedQuery = query.safeParse(req.query);
  const located = fieldPaths === 'located';
  const bad = [...(parsedParams.success ? [] : issuesOf(located ? 'params' : undefined, parsedParams.error.issues)), ...(parsedQuery.success ? [] : issuesOf(located ? 'query' : undefined, parsedQuery.error.issues))];
  if (!parsedParams.success || !parsedQuery.success) throw new InvalidInput(`请求参数无效：${bad.map((b) => b.path).join('、')}`, bad);
  return { params: parsedParams.data, query: parsedQuery.data };
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

/** The hospital scope of what a call reads, for a route that declares `scopeOnData`. */
export interface DataScope {
  /** The hospital the data read names: refused as the table refuses a hospital (403 FORBIDDEN, the same words) unless the route's rule admits the client. */
  admit(hospitalId: string): void;
  /** What is answered reads nothing of any hospital: a refusal in the route's own form (the national envelope answers refusals with 200), or findings of the submitted text alone. */
  readsNone(): void;
}

class CallScope implements DataScope {
  /** Whether the handler admitted a hospital or said it reads none: until then, no successful answer leaves. */
  decided = false;
  constructor(
    private readonly path: string,
    private readonly access: Access,
    private readonly client: Client | undefined,
    private readonly line: { params: Record<string, unknown>; query: Record<string, unknown> },
  ) {}

  admit(hospitalId: string): void {
    const access = this.access;
    invariant(access !== 'public' && access.scopeOnData !== undefined, () => `${this.path} admits a hospital without declaring scopeOnData`);
    const rule = access.scopeOnData;
    const client = requireRole(this.client, ...access.roles);
    if (rule.admit) rule.admit(client, hospitalId, this.line);
    else requireHospital(client, hospitalId, ...access.roles);
    this.decided = true;
  }

  readsNone(): void {
    invariant(this.access !== 'public' && this.access.scopeOnData !== undefined, () => `${this.path} says it reads no hospital without declaring scopeOnData`);
    this.decided = true;
  }
}

/**
 * Holds a data-scoped route's answer to its scope: a status below 400 is refused as a defect (500, logged) until the
 * handler admitted a hospital or said it reads none. Every answer's status passes through writeHead, whatever sends it.
 */
function guardAnswer(res: Response, scope: CallScope, path: string): void {
  const writeHead = res.writeHead;
  Object.defineProperty(res, 'writeHead', {
    configurable: true,
    writable: true,
    value(this: Response, ...args: unknown[]): unknown {
      const status = typeof args[0] === 'number' ? args[0] : this.statusCode;
      invariant(status >= 400 || scope.decided, () => `${path} declares scopeOnData and answered ${status} without admitting a hospital`);
      const written: unknown = Reflect.apply(writeHead, this, args);
      return written;
    },
  });
}

/**
 * Declares a route of a table whose handlers take `Deps`; params, query and body are typed by their schemas.
 * The signature the routes see carries each schema's type to the handler; the implementation below it runs
 * every route alike on the erased types (a schema left out is `NOTHING`). TypeScript relates the two as it
 * relates any overload to its implementation (parameters compared both ways): the one place the schemas'
 * types and the running code meet, with no assertion on what was parsed. A single generic body cannot do
 * it: `(spec.params ?? NOTHING).parse(…)` is `Record<string, never> | output<P>`, and TS2322 refuses it as `output<P>`.
 */
export const routeOf = <Deps>() => {
  function route<P extends z.ZodObject = typeof NOTHING, Q extends z.ZodObject = typeof NOTHING, B extends z.ZodType | undefined = undefined>(spec: RouteSpec<Deps, P, Q, B>): Route<Deps>;
  function route(spec: RouteSpec<Deps, z.ZodObject, z.ZodObject, z.ZodType | undefined>): Route<Deps> {
    const { handler, access, ...doc } = spec;
    const paramsSchema = spec.params ?? NOTHING;
    const querySchema = spec.query ?? NOTHING;
    return {
      ...doc,
      access,
      handle: (deps) => {
        const run = handler(deps);
        return async (req, res) => {
          // The role first: a client that may not call the route learns nothing of its parameters.
          if (access !== 'public') requireRole(req.client, ...access.roles);
          const line = parseRequestLine(paramsSchema, querySchema, spec.fieldPaths, req);
          let client: Client | undefined;
          if (access !== 'public') {
            client = checkHospital(access, req, line);
            access.scope?.check(client, line);
          }
          const body = spec.body ? parseBody(spec.body, req.body) : undefined;
          const scope = new CallScope(spec.path, access, client, line);
          if (access !== 'public' && access.scopeOnData) guardAnswer(res, scope, spec.path);
          await run({ ...line, body, client, scope, req, res });
        };
      },
    };
  }
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
  if (content instanceof z.ZodType) return jsonSchema(content, io);
  if ('ref' in content) return { $ref: `#/components/schemas/${content.ref}` };
  return { type: 'string', description: content.text };
};
const contentOf = (content: Record<string, Content>, io: 'input' | 'output') =>
  Object.fromEntries(Object.entries(content).map(([media, c]) => [media, { schema: schemaOf(c, io) }]));

/** The parameters of a zod object, one by one, with their descriptions and whether they are required. */
function parametersOf(where: 'path' | 'query', schema: z.ZodObject | undefined, path: string) {
  const names = where === 'path' ? [...path.matchAll(/[:*](\w+)/g)].map((m) => m[1] ?? '') : Object.keys(schema?.shape ?? {});
  return names.map((name) => {
    const field = schema?.shape[name];
    const { description, $schema: _dialect, ...rest } = field ? jsonSchema(field, 'input') : { type: 'string' };
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
      ...(access.scope || access.scopeOnData || access.filtersByHospital ? { 'x-scope': access.scope?.describe ?? access.scopeOnData?.describe ?? access.filtersByHospital } : {}),
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
