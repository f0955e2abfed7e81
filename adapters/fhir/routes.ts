/**
 * The /fhir routes, declared in the route table: Claim/$submit (settle, preview, cancel) and $validate,
 * ClaimResponse and ExplanationOfBenefit reads and searches, metadata and the conformance resources. Same
 * clients, hospital scoping and service path as /v1; answers and errors are FHIR resources
 * (application/fhir+json), never problem+json.
 */
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import * as z from 'zod';
import type * as fhir4 from 'fhir/r4.js';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { GatewayError, InvalidInput, NotFound, PayloadTooLarge } from '../../gateway/errors.js';
import type { Surface } from '../../gateway/http/app.js';
import { bindRoutes, routeOf, type Content, type DataScope, type ProblemsOf, type Route } from '../../gateway/http/route-table.js';
import type { Metrics } from '../../gateway/http/metrics.js';
import { ledgerRefusal } from '../../gateway/ledger/errors.js';
import type { SettlementService } from '../../gateway/service/settlements.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { settlementRequest, type Split } from '../../schemas/settlement.js';
import { claimResponseOf, explanationOfBenefitOf } from './adjudication.js';
import { capabilityStatement } from './capability.js';
import { claimToRequest, type MappedClaim } from './claim-to-request.js';
import { fhirIdOf, previewIdOf } from './ids.js';
import { fhirJson, parseFhirJson } from './json-text.js';
import { jsonOnly, returnPreferenceOf } from './negotiation.js';
import { alreadyHeld, etagOf, historyOf, metaOf, versionAt, versionIdOf, versionsOf } from './versions.js';
import { internalOutcome, operationOutcomeOf, retryAfterOf } from './outcome.js';
import type { RemoteReader } from './references.js';
import { SettlementSearch } from './search.js';
import type { Terminology } from './terminology.js';
import { validationOf } from './validate.js';
import { CLAIMS_COLLECTION, readStoredClaim, type ClaimEcho } from './stored-claims.js';

/** The body is not FHIR JSON (the shared errors have no 415; only this adapter answers it). */
class UnsupportedMediaType extends GatewayError { readonly status = 415; readonly title = 'Unsupported media type'; }

export interface FhirRouteDeps {
  service: SettlementService;
  ledger: LedgerPort;
  store: DocumentStore;
  servers: RemoteReader;
  metrics: Metrics;
  requests: Counter<'operation' | 'outcome'>;
  log: Logger;
  version: string;
  /** StructureDefinitions with their snapshots, by id (definitions.ts). */
  definitions: ReadonlyMap<string, fhir4.StructureDefinition>;
  terminology: Terminology;
  /** When this endpoint started (CapabilityStatement.date). */
  started: string;
  searches: SettlementSearch;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const send = (res: Response, status: number, resource: unknown) => res.status(status).type(FHIR_JSON).send(fhirJson(resource));

/** The answer of a write ($submit), as the caller's `Prefer: return=…` asks: the ClaimResponse, nothing, or an OperationOutcome. */
function written(req: Request, res: Response, status: number, response: fhir4.ClaimResponse): void {
  const preference = returnPreferenceOf(req);
  if (req.headers.prefer !== undefined) res.setHeader('Preference-Applied', `return=${preference}`);
  if (preference === 'minimal') { res.status(status).end(); return; }
  if (preference === 'OperationOutcome') {
    send(res, status, { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: `${response.disposition ?? ''}：ClaimResponse/${response.id ?? ''}` }] } satisfies fhir4.OperationOutcome);
    return;
  }
  send(res, status, response);
}

/** The two views of a stored settlement, each read, vread and history the same way. */
const VIEWS = [
  { type: 'ClaimResponse', operation: 'read-claim-response', search: 'search-claim-response', render: claimResponseOf },
  { type: 'ExplanationOfBenefit', operation: 'read-eob', search: 'search-eob', render: explanationOfBenefitOf },
] as const;
/** The search parameters (search.ts), documented; search.ts reads them as sent and refuses any other. */
const searchParameters = z.object({
  'patient:identifier': z.string().optional().meta({ description: '<system>|<ID number>: a person\'s settlements (POST _search only)' }),
  _id: z.string().optional().meta({ description: 'one settlement by its FHIR id' }),
  identifier: z.string().optional().meta({ description: '[<settlement-id system>|]<number>' }),
  'requestor:identifier': z.string().optional().meta({ description: 'ClaimResponse: the hospital' }),
  'provider:identifier': z.string().optional().meta({ description: 'ExplanationOfBenefit: the hospital' }),
  _cursor: z.string().optional().meta({ description: "a page of a person's search" }),
  _offset: z.string().optional().meta({ description: 'paging' }),
  _count: z.string().optional().meta({ description: '1–100' }),
  _format: z.string().optional().meta({ description: 'json only' }),
});

const route = routeOf<FhirRouteDeps>();
/** A FHIR resource answered (documented by its type; its profile is in the CapabilityStatement and StructureDefinitions). */
const resource = (description: string): { description: string; content: Record<string, Content> } => ({ description, content: { 'application/fhir+json': z.looseObject({ resourceType: z.string() }).meta({ description }) } });
const byId = z.object({ id: z.string().meta({ description: 'the resource id' }) });
const submitted = z.looseObject({ resourceType: z.enum(['Claim', 'Bundle', 'Parameters']) }).meta({ description: 'a Claim, a Bundle with the Claim and its Patient and Coverage, or Parameters with a resource' });
// As text: read by the FHIR JSON reader (json-text.ts), numbers by their source text.
const claimBody = { read: 'text' as const, content: { 'application/fhir+json': submitted, 'application/json': submitted } };
const readers = ['desk', 'admin', 'auditor'] as const;
const settledScope = { describe: "the settlement's hospital, once the stored claim is found" };
/** Searches show the hospitals the client acts for (search.ts filters each hit): no one hospital to admit. */
const searchScope = 'the hospitals the client acts for (auditors: all), each hit filtered';
const providerScope = { describe: "the Claim's provider (hospital), once the Claim is read" };

/** The conformance resources: public, like the CapabilityStatement, so that every URL the resources name resolves. */
const conformance = (type: 'StructureDefinition' | 'CodeSystem' | 'NamingSystem', find: (deps: FhirRouteDeps, id: string) => unknown) => route({
  method: 'get', path: `/${type}/:id`, summary: `A ${type} this endpoint defines`, access: 'public', params: byId,
  answers: { 200: resource(type) }, problems: { 404: `No such ${type}` },
  handler: (deps) => ({ params, res }) => {
    const found = find(deps, params.id);
    if (!found) throw new NotFound(`没有 ${type} ${params.id}`);
    send(res, 200, found);
  },
});

/** Read, version read and history of one of the two views of a settlement, and its searches. */
function viewRoutes(view: (typeof VIEWS)[number]): Route<FhirRouteDeps>[] {
  return [
    // The current version (ETag, If-None-Match → 304).
    route({
      method: 'get', path: `/${view.type}/:id`, summary: `Read a ${view.type} (ETag; If-None-Match answers 304)`,
      access: { roles: readers, scopeOnData: settledScope }, params: byId,
      answers: { 200: resource(view.type), 304: { description: 'Not modified' } }, problems: { 404: 'Unknown id' },
      handler: (deps) => async ({ params, scope, req, res }) => {
        const found = await settled(deps, params.id, scope);
        deps.requests.inc({ operation: view.operation, outcome: 'ok' });
        const etag = etagOf(versionIdOf(found.split));
        res.setHeader('ETag', etag);
        const lastUpdated = metaOf(found.split)?.lastUpdated;
        if (lastUpdated) res.setHeader('Last-Modified', new Date(lastUpdated).toUTCString());
        if (alreadyHeld(req, etag)) { res.status(304).end(); return; }
        send(res, 200, view.render(found.split, found.request, found.echo, found.id));
      },
    }),
    route({
      method: 'get', path: `/${view.type}/:id/_history/:versionId`, summary: `One version of a ${view.type} (vread)`,
      access: { roles: readers, scopeOnData: settledScope }, params: byId.extend({ versionId: z.string() }),
      answers: { 200: resource(view.type) }, problems: { 404: 'Unknown id or version' },
      handler: (deps) => async ({ params, scope, res }) => {
        const found = await settled(deps, params.id, scope);
        const version = versionAt(found.split, params.versionId);
        if (!version) throw new NotFound(`${view.type}/${found.id} 没有版本 ${params.versionId}`);
        deps.requests.inc({ operation: view.operation, outcome: 'ok' });
        res.setHeader('ETag', etagOf(versionIdOf(version)));
        send(res, 200, view.render(version, found.request, found.echo, found.id));
      },
    }),
    route({
      method: 'get', path: `/${view.type}/:id/_history`, summary: `The versions of a ${view.type} (a history Bundle)`,
      access: { roles: readers, scopeOnData: settledScope }, params: byId,
      answers: { 200: resource('Bundle (history)') }, problems: { 404: 'Unknown id' },
      handler: (deps) => async ({ params, scope, req, res }) => {
        const found = await settled(deps, params.id, scope);
        deps.requests.inc({ operation: view.operation, outcome: 'ok' });
        send(res, 200, historyOf(baseUrlOf(req), view.type, found.id, versionsOf(found.split), (version) => view.render(version, found.request, found.echo, found.id)));
      },
    }),
    // Searches (search.ts): by GET with `_id` or a page's `_cursor`; by POST _search also with the person's ID number.
    // The parameters go to search.ts as sent: FHIR refuses an unknown one (400), which a parsed object would drop.
    route({
      method: 'get', path: `/${view.type}`, summary: `Search ${view.type} by _id, identifier (with requestor/provider:identifier) or a page's _cursor; _offset, _count`,
      access: { roles: readers, filtersByHospital: searchScope },
      query: searchParameters,
      answers: { 200: resource('Bundle (searchset)') }, problems: {},
      handler: (deps) => async ({ client, req, res }) => {
        const bundle = await deps.searches.search({ type: view.type, method: 'GET', parameters: req.query, client, baseUrl: baseUrlOf(req) }, view.render);
        deps.requests.inc({ operation: view.search, outcome: 'ok' });
        send(res, 200, bundle);
      },
    }),
    route({
      method: 'post', path: `/${view.type}/_search`, summary: `Search ${view.type} by form, also by patient:identifier (an ID number never goes in a URL)`,
      access: { roles: readers, filtersByHospital: searchScope },
      body: { read: 'form', content: { 'application/x-www-form-urlencoded': searchParameters } },
      answers: { 200: resource('Bundle (searchset)') }, problems: {},
      handler: (deps) => async ({ body, client, req, res }) => {
        const bundle = await deps.searches.search({ type: view.type, method: 'POST', parameters: body, client, baseUrl: baseUrlOf(req) }, view.render);
        deps.requests.inc({ operation: view.search, outcome: 'ok' });
        send(res, 200, bundle);
      },
    }),
  ];
}

const fhirRoutes = [
  route({
    method: 'get', path: '/metadata', summary: 'The CapabilityStatement', access: 'public',
    answers: { 200: resource('CapabilityStatement') }, problems: {},
    handler: (deps) => ({ res }) => { send(res, 200, capabilityStatement(deps.version, deps.started)); },
  }),
  // The extensions' definitions and the systems the resources name, public like the CapabilityStatement: each URL resolves here.
  conformance('StructureDefinition', (deps, id) => deps.definitions.get(id)),
  conformance('CodeSystem', (deps, id) => deps.terminology.codeSystems.get(id)),
  conformance('NamingSystem', (deps, id) => deps.terminology.namingSystems.get(id)),
  route({
    method: 'post', path: '/Claim/$submit', summary: 'Settle (use claim), preview (predetermination, or ?preview=true) or cancel (status cancelled) a Claim: a ClaimResponse',
    access: { roles: ['desk'], scopeOnData: providerScope },
    query: z.object({ preview: z.enum(['true', 'false']).optional().meta({ description: 'true: compute without committing' }) }),
    body: claimBody,
    answers: { 201: resource('ClaimResponse (settled)'), 200: resource('ClaimResponse (preview, replay or cancel)') },
    problems: { 409: 'The same settlement id with another bill', 415: 'Not FHIR JSON', 422: 'Well-formed but impossible' },
    writes: true,
    handler: (deps) => async ({ query, scope, req, res }) => {
      if (typeof req.body !== 'string') throw new UnsupportedMediaType('Content-Type 须为 application/fhir+json 或 application/json');
      const { service, metrics, requests } = deps;
      // A Claim naming no hospital is refused by the settlement's schema, before anything is read or written.
      const mapped = await claimToRequest(parseFhirJson(req.body), deps.servers, (hospitalId) => { if (hospitalId !== undefined) scope.admit(hospitalId); });
      if (mapped.status === 'cancelled') return cancel(deps, mapped, req, res);
      if (mapped.use === 'preauthorization') {
        throw new InvalidInput('不支持事前授权（preauthorization）', [{ path: `${mapped.origins.expressionOf('')}.use`, message: 'use claim (settle) or predetermination (preview)' }]);
      }
      const preview = query.preview === 'true' || mapped.use === 'predetermination';
      let split: Split;
      let replay = false;
      try {
        if (preview) {
          split = await service.preview(mapped.body);
        } else {
          const outcome = await service.settle(mapped.body, req.call);
          replay = outcome.replay;
          split = outcome.record.split;
        }
      } catch (error) {
        throw translated(error, mapped);
      }
      metrics.settlements.inc({ operation: preview ? 'preview' : 'settle', outcome: preview ? 'ok' : replay ? 'replay' : 'committed' });
      requests.inc({ operation: preview ? 'preview' : 'submit', outcome: replay ? 'replay' : 'ok' });
      // The request just accepted: the live schema reads it. Stored ones are read by their version (below).
      const request = settlementRequest.parse(mapped.body);
      if (preview) return written(req, res, 200, claimResponseOf(split, request, mapped.echo, previewIdOf(split.gatewayId)));
      const id = fhirIdOf(split.hospitalId, split.settlementId);
      await remember(deps, id, split, mapped.echo);
      res.setHeader('Location', `ClaimResponse/${id}`);
      res.setHeader('ETag', etagOf(versionIdOf(split)));
      if (replay) res.setHeader('Idempotent-Replay', 'true');
      written(req, res, replay ? 200 : 201, claimResponseOf(split, request, mapped.echo, id));
    },
  }),
  // $validate (R4 Resource-validate): everything $submit checks before settling — structure, modifier extensions,
  // references (read from the hospital's server if need be), the native request — and nothing settled. The
  // findings are the answer (200, an OperationOutcome); a call that cannot be validated (401, 403, 503) fails as usual.
  route({
    method: 'post', path: '/Claim/$validate', summary: 'Validate a Claim as $submit would, settling nothing: an OperationOutcome',
    access: { roles: ['desk'], scopeOnData: providerScope },
    body: claimBody,
    answers: { 200: resource('OperationOutcome: the findings') }, problems: { 415: 'Not FHIR JSON' },
    handler: (deps) => async ({ scope, req, res }) => {
      if (typeof req.body !== 'string') throw new UnsupportedMediaType('Content-Type 须为 application/fhir+json 或 application/json');
      const submitted = parseFhirJson(req.body);
      let findings: fhir4.OperationOutcome;
      try {
        const mapped = await claimToRequest(submitted, deps.servers, (hospitalId) => { if (hospitalId !== undefined) scope.admit(hospitalId); else scope.readsNone(); });
        findings = await validationOf(mapped, deps.ledger, (error) => translated(error, mapped));
      } catch (error) {
        if (!(error instanceof GatewayError) || (error.status !== 400 && error.status !== 422)) throw error;
        // A refusal's findings are of the submitted text alone, whether or not its hospital was read.
        scope.readsNone();
        findings = operationOutcomeOf(error);
      }
      deps.requests.inc({ operation: 'validate', outcome: findings.issue.some((i) => i.severity === 'error') ? 'invalid' : 'ok' });
      send(res, 200, findings);
    },
  }),
  ...VIEWS.flatMap(viewRoutes),
];

/** Refusals are OperationOutcomes (application/fhir+json), never problem+json. */
const outcomeAnswer = (description: string) => ({ description, content: { 'application/fhir+json': { schema: { type: 'object', description: 'OperationOutcome' } } } });
const outcomeProblems: ProblemsOf = {
  problem: (description) => outcomeAnswer(description),
  common: (r) => ({
    400: outcomeAnswer('invalid input, each issue with its FHIRPath expression'),
    406: outcomeAnswer('a format other than FHIR JSON asked for (_format, Accept)'),
    ...(r.access === 'public' ? {} : { 401: outcomeAnswer('missing or unknown token'), 403: outcomeAnswer('not your hospital or role') }),
    ...(r.body ? { 413: outcomeAnswer('body over the limit') } : {}),
    503: outcomeAnswer('transient: a dependency is down, nothing was committed'),
    ...(r.writes ? { 504: outcomeAnswer('the outcome is unknown; submit the same Claim again') } : {}),
  }),
};

export function fhirSurface(deps: FhirRouteDeps): Surface {
  return {
    prefix: '/fhir', routes: bindRoutes(fhirRoutes, deps), before: [jsonOnly], problems: outcomeProblems,
    notFound: (req: Request, _res: Response, next: NextFunction) => next(new NotFound(`没有这个 FHIR 接口：${req.method} ${req.path}`)),
    errors: outcomeErrors(deps),
  };
}

function outcomeErrors(deps: FhirRouteDeps): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const known = error instanceof GatewayError ? error : parserError(error) ?? ledgerRefusal(error);
    if (!known) {
      deps.requests.inc({ operation: operationOf(req), outcome: 'internal' });
      deps.log.error({ err: error, requestId: req.requestId }, 'unhandled error (fhir)');
      return send(res, 500, internalOutcome(req.requestId));
    }
    deps.metrics.errors.inc({ status: String(known.status), type: known.name });
    deps.requests.inc({ operation: operationOf(req), outcome: String(known.status) });
    const retryAfter = retryAfterOf(known);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    send(res, known.status, operationOutcomeOf(known));
  };
}

/** Claim.status = cancelled: the reversal (结算撤销) of the settlement the Claim names. */
async function cancel(deps: FhirRouteDeps, mapped: MappedClaim, req: Request, res: Response) {
  const { settlementId } = mapped;
  if (mapped.hospitalId === undefined || settlementId === undefined) {
    throw new InvalidInput('撤销须指明医院与结算号', [{ path: mapped.origins.expressionOf(settlementId !== undefined ? 'hospital.id' : 'settlementId'), message: 'required to cancel' }]);
  }
  let split: Split;
  try {
    split = await deps.service.reverse(mapped.hospitalId, settlementId, {}, req.call);
  } catch (error) {
    throw translated(error, mapped);
  }
  deps.metrics.settlements.inc({ operation: 'reverse', outcome: 'ok' });
  deps.requests.inc({ operation: 'cancel', outcome: 'ok' });
  const record = await deps.service.get(mapped.hospitalId, settlementId);
  const id = fhirIdOf(mapped.hospitalId, settlementId);
  const known = (await readStoredClaim(deps.store, id))?.echo;
  written(req, res, 200, claimResponseOf(split, record.request, known ?? mapped.echo, id));
}

async function remember(deps: FhirRouteDeps, id: string, split: Split, echo: ClaimEcho) {
  try {
    await deps.store.put(CLAIMS_COLLECTION, id, JSON.stringify({ hospitalId: split.hospitalId, settlementId: split.settlementId, echo }));
  } catch (error) {
    // The settlement stands (it is in the ledger); only the FHIR read by id is missing until a resubmission.
    deps.log.warn({ err: error instanceof Error ? error.message : String(error), id }, 'fhir: could not store the claim echo');
  }
}

async function settled(deps: FhirRouteDeps, id: string, scope: DataScope) {
  const stored = await readStoredClaim(deps.store, id);
  if (!stored) throw new NotFound(`没有编号为 ${id} 的已结算 Claim`);
  scope.admit(stored.hospitalId);
  const record = await deps.service.get(stored.hospitalId, stored.settlementId);
  // By the record's own version's reader, never today's strict schema: an old record must still read.
  return { id, split: record.split, request: record.request, echo: stored.echo };
}


/** This endpoint's base URL as the caller reached it (for fullUrl and links). */
const baseUrlOf = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}/fhir`;

/** The metrics label of a failed call, from its path (the route may not have been matched). */
function operationOf(req: Request): string {
  if (req.path === '/Claim/$validate') return 'validate';
  if (req.path.startsWith('/Claim/')) return req.query.preview === 'true' ? 'preview' : 'submit';
  if (req.path === '/ExplanationOfBenefit/_search' || req.path === '/ExplanationOfBenefit') return 'search-eob';
  if (req.path.startsWith('/ExplanationOfBenefit/')) return 'read-eob';
  if (req.path === '/ClaimResponse/_search' || req.path === '/ClaimResponse') return 'search-claim-response';
  if (req.path.startsWith('/ClaimResponse/')) return 'read-claim-response';
  return 'other';
}

/** A native error's field paths (items.3.amount) as the FHIR elements they came from (Claim.item[3].net.value). */
function translated(error: unknown, mapped: MappedClaim): unknown {
  if (error instanceof GatewayError && error.errors.length > 0) {
    const paths = mapped.origins.translate(error.errors);
    error.errors.splice(0, error.errors.length, ...paths);
  }
  return error;
}

/** Errors of the body parser (express.text) carry a `type`: too large, bad encoding or charset. */
function parserError(error: unknown): GatewayError | null {
  if (!(error instanceof Error) || !('type' in error) || typeof error.type !== 'string') return null;
  if (error.type === 'entity.too.large') return new PayloadTooLarge('请求体超过上限');
  // In fixed words: body-parser's own text (e.g. `unsupported charset "X"`) is a library's English, not an answer.
  if (error.type.startsWith('charset.') || error.type.startsWith('encoding.')) return new InvalidInput('请求体无法读取', [{ path: '(body)', message: '不支持的字符集或编码；请用 UTF-8' }]);
  if (error.type.startsWith('entity.')) return new InvalidInput('请求体无法读取', [{ path: '(body)', message: '请求体不完整或长度不符' }]);
  return null;
}
