/** The express app: every endpoint of the contract, behind authentication, with problem+json errors. */
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Client } from '../../schemas/clients.js';
import { reversalNote, settlementRequest } from '../../schemas/settlement.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { InvalidInput, Unavailable } from '../errors.js';
import type { LedgerPort } from '../ledger/port.js';
import { csvToRows } from '../rosters/csv.js';
import { loadRoster, rosterIdOf } from '../rosters/load.js';
import { ulid } from '../service/ids.js';
import { currentSplit, fieldErrors, type SettlementService } from '../service/settlements.js';
import { authenticate, ClientRegistry, requireHospital, requireRole } from './auth.js';
import type { Metrics } from './metrics.js';
import { openApiDocument, type ProgrammeSummary } from './openapi.js';
import { notFoundHandler, problemHandler } from './problems.js';

export interface ReadinessCheck {
  name: string;
  /** Throws when not ready; may answer a detail object, shown in /readyz. */
  check: () => Promise<void | Record<string, unknown>>;
  /** false: reported in /readyz but never makes it 503 (an insurer down must not take the gateway out of service). */
  critical?: boolean;
}

/** What an extension (an adapter, the desk) is given to add its routes with the gateway's own parts. */
export interface ExtensionContext {
  /** Bearer authentication against the configured clients (sets req.client). */
  authenticate: express.RequestHandler;
  /** The JSON body parser with the configured body limit. */
  json: express.RequestHandler;
  log: Logger;
}

/**
 * An adapter's routes. `v1` adds routes under /v1 (authenticated; errors as problem+json). `mount`
 * adds the adapter's own paths (e.g. /nhsa, /fhir, /desk) before the 404 handler; such routes answer
 * errors in their own shape and call `ctx.authenticate` themselves.
 */
export interface AppExtension {
  name: string;
  v1?: (router: express.Router, ctx: ExtensionContext) => void;
  mount?: (app: express.Express, ctx: ExtensionContext) => void;
  /** The extension's paths (and component schemas) in the served OpenAPI document. */
  openapi?: () => { paths?: Record<string, unknown>; schemas?: Record<string, unknown> };
}

export interface AppDeps {
  service: SettlementService;
  ledger: LedgerPort;
  programmes: ProgrammeSet;
  clients: readonly Client[];
  metrics: Metrics;
  log: Logger;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  readiness: readonly ReadinessCheck[];
  version: string;
  extensions?: readonly AppExtension[];
}

const READINESS_TIMEOUT_MS = 1000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms} ms`)), ms); }),
  ]);
}

/** A param of the route as a string (express 5 types params loosely). */
const param = (req: Request, name: string): string => String(req.params[name] ?? '');

export function createApp(deps: AppDeps) {
  const { service, ledger, programmes, metrics, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Answers are computed per call; a weak ETag would only hash every body for nothing.
  app.set('etag', false);
  app.set('trust proxy', false);
  // No upgrade-insecure-requests: a hospital may serve the desk over plain HTTP on its LAN, where upgraded asset requests would fail.
  app.use(helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], upgradeInsecureRequests: null } } }));

  // Request id, access log and latency: personal data never appears here (URLs carry hospital and settlement ids only).
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    req.requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : ulid();
    res.setHeader('X-Request-Id', req.requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      log.info({ requestId: req.requestId, method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(seconds * 1000), client: req.client?.name }, 'request');
    });
    // Nothing blocks the desk for long: an answer that is not ready in time becomes a 503 the client may retry (settling is idempotent).
    const timer = setTimeout(() => {
      if (!res.headersSent) next(new Unavailable(`the request took longer than ${deps.requestTimeoutMs} ms`, 1));
    }, deps.requestTimeoutMs);
    res.on('close', () => clearTimeout(timer));
    next();
  });

  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(deps.readiness.map(async (r) => {
      const critical = r.critical === false ? { critical: false } : {};
      try { const detail = await withTimeout(r.check(), READINESS_TIMEOUT_MS, r.name); return { name: r.name, ok: true, ...critical, ...(detail ? { detail } : {}) }; }
      catch (error) { return { name: r.name, ok: false, ...critical, error: error instanceof Error ? error.message : String(error) }; }
    }));
    const ready = results.every((r) => r.ok || r.critical === false);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  const document = openApiDocument(deps.version);
  for (const extension of deps.extensions ?? []) {
    const added = extension.openapi?.();
    Object.assign(document.paths, added?.paths ?? {});
    Object.assign(document.components.schemas, added?.schemas ?? {});
  }
  const openapi = JSON.stringify(document);
  app.get('/openapi.json', (_req, res) => { res.type('application/json').send(openapi); });

  const v1 = express.Router();
  const authenticateClient = authenticate(new ClientRegistry(deps.clients));
  v1.use(authenticateClient);
  const json = express.json({ limit: deps.bodyLimitBytes, type: ['application/json', 'application/*+json'] });
  const extensionContext: ExtensionContext = { authenticate: authenticateClient, json, log };
  const jsonBody = (req: Request): unknown => {
    if (req.body === undefined || req.body === null || typeof req.body !== 'object') {
      throw new InvalidInput('expected a JSON object body with Content-Type: application/json', [{ path: '(body)', message: 'missing or not a JSON object' }]);
    }
    return req.body;
  };
  /** A settlement body, once the caller may act for the hospital it names: checked before anything is computed, so a desk cannot probe other hospitals. */
  const deskBody = (req: Request): unknown => {
    const body = jsonBody(req);
    const hospital = settlementRequest.shape.hospital.safeParse((body as { hospital?: unknown }).hospital);
    if (hospital.success) requireHospital(req.client, hospital.data.id, 'desk');
    else requireRole(req.client, 'desk');
    return body;
  };

  v1.post('/settlements/preview', json, async (req, res) => {
    const body = deskBody(req);
    const split = await service.preview(body);
    metrics.settlements.inc({ operation: 'preview', outcome: 'ok' });
    res.json(split);
  });

  v1.post('/settlements', json, async (req, res) => {
    const body = deskBody(req);
    const { record, replay, split } = await service.settle(body);
    metrics.settlements.inc({ operation: 'settle', outcome: replay ? 'replay' : 'committed' });
    if (replay) {
      res.status(200).setHeader('Idempotent-Replay', 'true');
    } else {
      res.status(201);
      for (const l of split.lines) metrics.programmeLines.inc({ programme: l.programme, paid: l.amount === '0.00' ? 'no' : 'yes' });
    }
    // The stored text, byte for byte: a retried request gets exactly the first answer.
    res.type('application/json').send(record.splitJson);
  });

  v1.get('/settlements/:hospitalId/:settlementId', async (req, res) => {
    requireHospital(req.client, param(req, 'hospitalId'), 'desk', 'admin', 'auditor');
    res.json(currentSplit(await service.get(param(req, 'hospitalId'), param(req, 'settlementId'))));
  });

  // The body is optional: { reason, operator } is recorded with the reversal (the desk always sends it).
  v1.post('/settlements/:hospitalId/:settlementId/reversal', json, async (req, res) => {
    requireHospital(req.client, param(req, 'hospitalId'), 'desk');
    const note = reversalNote.safeParse(req.body ?? {});
    if (!note.success) throw new InvalidInput('the reversal body is not valid', fieldErrors(note.error.issues));
    const split = await service.reverse(param(req, 'hospitalId'), param(req, 'settlementId'), note.data);
    metrics.settlements.inc({ operation: 'reverse', outcome: 'ok' });
    res.json(split);
  });

  const rosterBody = [json, express.text({ limit: deps.bodyLimitBytes, type: ['text/csv', 'text/plain'] })];
  v1.put('/rosters/:programmeId', ...rosterBody, async (req, res) => {
    requireRole(req.client, 'admin');
    const rosterId = rosterIdOf(programmes, param(req, 'programmeId'));
    const mode = req.query.mode ?? 'merge';
    if (mode !== 'merge' && mode !== 'replace') throw new InvalidInput('mode is merge or replace', [{ path: 'mode', message: `unknown mode ${String(mode)}` }]);
    let rows: unknown[];
    if (typeof req.body === 'string') {
      const parsed = csvToRows(req.body);
      if (parsed.headerErrors.length > 0) throw new InvalidInput('the CSV header is not valid', parsed.headerErrors.map((message) => ({ path: '(header)', message })));
      rows = parsed.rows;
    } else {
      const body = jsonBody(req) as { rows?: unknown };
      if (!Array.isArray(body.rows)) throw new InvalidInput('expected { "rows": [ … ] } or text/csv', [{ path: 'rows', message: 'expected an array' }]);
      rows = body.rows;
    }
    const result = await loadRoster(ledger, rosterId, rows, mode === 'replace');
    log.info({ requestId: req.requestId, programme: param(req, 'programmeId'), rosterId, accepted: result.accepted, rejected: result.rejected.length, mode }, 'roster loaded');
    res.json(result);
  });

  v1.get('/programmes', (req, res) => {
    requireRole(req.client, 'desk', 'admin', 'auditor');
    const summaries: ProgrammeSummary[] = programmes.packs.map((p) => ({
      id: p.id, name: p.name, layer: p.layer, region: p.insuredRegions.value, term: { from: p.term.from, to: p.term.to },
      version: p.version, status: p.status, sourceDocument: p.source,
    }));
    res.json({ programmes: summaries });
  });

  for (const extension of deps.extensions ?? []) {
    extension.v1?.(v1, extensionContext);
    extension.mount?.(app, extensionContext);
  }

  app.use('/v1', v1);
  app.use(notFoundHandler);
  app.use(problemHandler(log, (status, type) => metrics.errors.inc({ status: String(status), type })));
  return app;
}
