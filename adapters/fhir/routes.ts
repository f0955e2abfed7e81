/**
 * The /fhir routes: Claim/$submit (settle, preview, cancel), ClaimResponse and ExplanationOfBenefit
 * reads, metadata. Same clients, hospital scoping and service path as /v1; answers and errors are FHIR
 * resources (application/fhir+json), never problem+json.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type * as fhir4 from 'fhir/r4.js';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { GatewayError, InvalidInput, NotFound, PayloadTooLarge } from '../../gateway/errors.js';
import { requireHospital, requireRole } from '../../gateway/http/auth.js';
import type { ExtensionContext } from '../../gateway/http/app.js';
import type { Metrics } from '../../gateway/http/metrics.js';
import { fromDependency } from '../../gateway/http/problems.js';
import type { SettlementService } from '../../gateway/service/settlements.js';
import type { DocumentStore } from '../../gateway/store/port.js';
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
  bodyLimitBytes: number;
  version: string;
  /** StructureDefinitions with their snapshots, by id (definitions.ts). */
  definitions: ReadonlyMap<string, fhir4.StructureDefinition>;
  terminology: Terminology;
  /** When this endpoint started (CapabilityStatement.date). */
  started: string;
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

export function fhirRouter(deps: FhirRouteDeps, ctx: ExtensionContext): express.Router {
  const { service, store, servers, metrics, requests, log } = deps;
  const router = express.Router();
  const body = express.text({ type: ['application/fhir+json', 'application/json'], limit: deps.bodyLimitBytes });

  router.use(jsonOnly);
  router.get('/metadata', (_req, res) => { send(res, 200, capabilityStatement(deps.version, deps.started)); });
  // The extensions' definitions, public like the CapabilityStatement: each extension URL resolves here.
  router.get('/StructureDefinition/:id', (req, res) => {
    const found = deps.definitions.get(String(req.params.id ?? ''));
    if (!found) throw new NotFound(`没有 StructureDefinition ${String(req.params.id ?? '')}`);
    send(res, 200, found);
  });

  // The systems the resources name, public like the definitions: each system URL resolves here.
  router.get('/CodeSystem/:id', (req, res) => {
    const found = deps.terminology.codeSystems.get(String(req.params.id ?? ''));
    if (!found) throw new NotFound(`没有 CodeSystem ${String(req.params.id ?? '')}`);
    send(res, 200, found);
  });
  router.get('/NamingSystem/:id', (req, res) => {
    const found = deps.terminology.namingSystems.get(String(req.params.id ?? ''));
    if (!found) throw new NotFound(`没有 NamingSystem ${String(req.params.id ?? '')}`);
    send(res, 200, found);
  });

  router.post('/Claim/\\$submit', ctx.authenticate, body, async (req, res) => {
    if (typeof req.body !== 'string') throw new UnsupportedMediaType('Content-Type 须为 application/fhir+json 或 application/json');
    const client = req.client;
    const mapped = await claimToRequest(parseFhirJson(req.body), servers, (hospitalId) => {
      if (hospitalId !== undefined) requireHospital(client, hospitalId, 'desk');
      else requireRole(client, 'desk');
    });
    if (mapped.status === 'cancelled') return cancel(mapped, req, res);
    if (mapped.use === 'preauthorization') {
      throw new InvalidInput('不支持事前授权（preauthorization）', [{ path: `${mapped.origins.expressionOf('')}.use`, message: 'use claim (settle) or predetermination (preview)' }]);
    }
    const preview = req.query.preview === 'true' || mapped.use === 'predetermination';
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
    await remember(id, split, mapped.echo);
    res.setHeader('Location', `ClaimResponse/${id}`);
    res.setHeader('ETag', etagOf(versionIdOf(split)));
    if (replay) res.setHeader('Idempotent-Replay', 'true');
    written(req, res, replay ? 200 : 201, claimResponseOf(split, request, mapped.echo, id));
  });

  // $validate (R4 Resource-validate): everything $submit checks before settling — structure, modifier extensions,
  // references (read from the hospital's server if need be), the native request — and nothing settled. The
  // findings are the answer (200, an OperationOutcome); a call that cannot be validated (401, 403, 503) fails as usual.
  router.post('/Claim/\\$validate', ctx.authenticate, body, async (req, res) => {
    if (typeof req.body !== 'string') throw new UnsupportedMediaType('Content-Type 须为 application/fhir+json 或 application/json');
    const client = req.client;
    const submitted = parseFhirJson(req.body);
    let findings: fhir4.OperationOutcome;
    try {
      const mapped = await claimToRequest(submitted, servers, (hospitalId) => {
        if (hospitalId !== undefined) requireHospital(client, hospitalId, 'desk');
        else requireRole(client, 'desk');
      });
      findings = await validationOf(mapped, deps.ledger, (error) => translated(error, mapped));
    } catch (error) {
      if (!(error instanceof GatewayError) || (error.status !== 400 && error.status !== 422)) throw error;
      findings = operationOutcomeOf(error);
    }
    requests.inc({ operation: 'validate', outcome: findings.issue.some((i) => i.severity === 'error') ? 'invalid' : 'ok' });
    send(res, 200, findings);
  });

  // Reads of a settlement's two views: the current version (ETag, If-None-Match → 304), one version, the history.
  for (const view of VIEWS) {
    router.get(`/${view.type}/:id`, ctx.authenticate, async (req, res) => {
      const found = await settled(req);
      requests.inc({ operation: view.operation, outcome: 'ok' });
      const etag = etagOf(versionIdOf(found.split));
      res.setHeader('ETag', etag);
      const lastUpdated = metaOf(found.split)?.lastUpdated;
      if (lastUpdated) res.setHeader('Last-Modified', new Date(lastUpdated).toUTCString());
      if (alreadyHeld(req, etag)) { res.status(304).end(); return; }
      send(res, 200, view.render(found.split, found.request, found.echo, found.id));
    });
    router.get(`/${view.type}/:id/_history/:versionId`, ctx.authenticate, async (req, res) => {
      const found = await settled(req);
      const version = versionAt(found.split, String(req.params.versionId ?? ''));
      if (!version) throw new NotFound(`${view.type}/${found.id} 没有版本 ${String(req.params.versionId ?? '')}`);
      requests.inc({ operation: view.operation, outcome: 'ok' });
      res.setHeader('ETag', etagOf(versionIdOf(version)));
      send(res, 200, view.render(version, found.request, found.echo, found.id));
    });
    router.get(`/${view.type}/:id/_history`, ctx.authenticate, async (req, res) => {
      const found = await settled(req);
      requests.inc({ operation: view.operation, outcome: 'ok' });
      send(res, 200, historyOf(baseUrlOf(req), view.type, found.id, versionsOf(found.split), (version) => view.render(version, found.request, found.echo, found.id)));
    });
  }

  // Searches (search.ts): by GET with `_id` or a page's `_cursor`; by POST _search also with the person's ID number.
  const searches = new SettlementSearch({ ledger: deps.ledger, store });
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  for (const view of VIEWS) {
    router.get(`/${view.type}`, ctx.authenticate, async (req, res) => {
      const bundle = await searches.search({ type: view.type, method: 'GET', parameters: req.query, client: req.client, baseUrl: baseUrlOf(req) }, view.render);
      requests.inc({ operation: view.search, outcome: 'ok' });
      send(res, 200, bundle);
    });
    router.post(`/${view.type}/_search`, ctx.authenticate, form, async (req, res) => {
      const bundle = await searches.search({ type: view.type, method: 'POST', parameters: req.body, client: req.client, baseUrl: baseUrlOf(req) }, view.render);
      requests.inc({ operation: view.search, outcome: 'ok' });
      send(res, 200, bundle);
    });
  }

  router.use((req: Request, _res: Response, next: NextFunction) => next(new NotFound(`没有这个 FHIR 接口：${req.method} ${req.path}`)));
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const known = error instanceof GatewayError ? error : parserError(error) ?? fromDependency(error);
    if (!known) {
      requests.inc({ operation: operationOf(req), outcome: 'internal' });
      log.error({ err: error, requestId: req.requestId }, 'unhandled error (fhir)');
      return send(res, 500, internalOutcome(req.requestId));
    }
    metrics.errors.inc({ status: String(known.status), type: known.name });
    requests.inc({ operation: operationOf(req), outcome: String(known.status) });
    const retryAfter = retryAfterOf(known);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    send(res, known.status, operationOutcomeOf(known));
  });

  /** Claim.status = cancelled: the reversal (结算撤销) of the settlement the Claim names. */
  async function cancel(mapped: MappedClaim, req: Request, res: Response) {
    const { settlementId } = mapped;
    if (mapped.hospitalId === undefined || settlementId === undefined) {
      throw new InvalidInput('撤销须指明医院与结算号', [{ path: mapped.origins.expressionOf(settlementId !== undefined ? 'hospital.id' : 'settlementId'), message: 'required to cancel' }]);
    }
    let split: Split;
    try {
      split = await service.reverse(mapped.hospitalId, settlementId, {}, req.call);
    } catch (error) {
      throw translated(error, mapped);
    }
    metrics.settlements.inc({ operation: 'reverse', outcome: 'ok' });
    requests.inc({ operation: 'cancel', outcome: 'ok' });
    const record = await service.get(mapped.hospitalId, settlementId);
    const id = fhirIdOf(mapped.hospitalId, settlementId);
    const known = (await readStoredClaim(store, id))?.echo;
    written(req, res, 200, claimResponseOf(split, record.request, known ?? mapped.echo, id));
  }

  async function remember(id: string, split: Split, echo: ClaimEcho) {
    try {
      await store.put(CLAIMS_COLLECTION, id, JSON.stringify({ hospitalId: split.hospitalId, settlementId: split.settlementId, echo }));
    } catch (error) {
      // The settlement stands (it is in the ledger); only the FHIR read by id is missing until a resubmission.
      log.warn({ err: error instanceof Error ? error.message : String(error), id }, 'fhir: could not store the claim echo');
    }
  }

  async function settled(req: Request) {
    const id = String(req.params.id ?? '');
    const stored = await readStoredClaim(store, id);
    if (!stored) throw new NotFound(`没有编号为 ${id} 的已结算 Claim`);
    requireHospital(req.client, stored.hospitalId, 'desk', 'admin', 'auditor');
    const record = await service.get(stored.hospitalId, stored.settlementId);
    // By the record's own version's reader, never today's strict schema: an old record must still read.
    return { id, split: record.split, request: record.request, echo: stored.echo };
  }

  return router;
}

/** The two views of a stored settlement, each read, vread and history the same way. */
const VIEWS = [
  { type: 'ClaimResponse', operation: 'read-claim-response', search: 'search-claim-response', render: claimResponseOf },
  { type: 'ExplanationOfBenefit', operation: 'read-eob', search: 'search-eob', render: explanationOfBenefitOf },
] as const;

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
