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
import { charsetOf, decodeCsvBytes, type CsvEncoding } from '../rosters/encoding.js';
import { loadRoster, rosterIdOf } from '../rosters/load.js';
import { callContext } from '../service/call-context.js';
import { ulid } from '../service/ids.js';
import { currentSplit, fieldErrors, outcomeUnknown, type CallControl, type SettlementService } from '../service/settlements.js';
import { authenticate, ClientRegistry, requireHospital, requireRole } from './auth.js';
import { jsonBodyParser } from './json-body.js';
import type { Metrics } from './metrics.js';
import { openApiDocument, type ProgrammeSummary } from './openapi.js';
import { notFoundHandler, pathOf, problemHandler } from './problems.js';

export interface ReadinessCheck {
  name: string;
  /** Throws when not ready; may answer a detail object, shown in /readyz. */
  check: () => Promise<void | Record<string, unknown>>;
  /** false: reported in /readyz but never makes it 503 (an insurer down must not take the gateway out of service). */
  critical?: boolean;
}

declare module 'express-serve-static-core' {
  /** The call's deadline (service/settlements.ts): pass it to service.settle / reverse so a timed-out call commits nothing. */
  interface Request { call?: CallControl }
}

/** What an extension (an adapter, the desk) is given to add its routes with the gateway's own parts. */
export interface ExtensionContext {
  /** Bearer authentication against the configured clients (sets req.client). */
  authenticate: express.RequestHandler;
  /** The JSON body parser with the configured body limit and a bounded nesting depth; numbers as JSON.parse gives them. */
  json: express.RequestHandler;
  /** The same, but number literals that JSON.parse would rewrite (`1000.000`, `1E3`) arrive as JsonNumberText (service/json-text.ts). */
  jsonExact?: express.RequestHandler;
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

  // Request id, access log and latency: personal data never appears here (paths carry hospital and settlement ids
  // only; the query string is left out, as a token wrongly put there must not reach the log).
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    req.requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : ulid();
    res.setHeader('X-Request-Id', req.requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      log.info({ requestId: req.requestId, method: req.method, url: pathOf(req), status: res.statusCode, ms: Math.round(seconds * 1000), client: req.client?.name }, 'request');
    });
    // Nothing blocks the desk for long: an answer that is not ready in time becomes a 503 the client may retry
    // (settling is idempotent). The call is aborted with it, so nothing of it is committed after that answer;
    // if its write had already left for the ledger, the truth is "outcome unknown", not 503.
    const deadline = new AbortController();
    const call: CallControl = { signal: deadline.signal, writeSent: false };
    req.call = call;
    const timer = setTimeout(() => {
      deadline.abort();
      if (res.headersSent) return;
      // A body still trickling in is not waited for: the connection closes once the answer is out.
      if (!req.complete) {
        res.setHeader('Connection', 'close');
        res.once('finish', () => req.socket.destroySoon());
      }
      next(call.writeSent ? outcomeUnknown() : new Unavailable(`请求处理超过 ${deps.requestTimeoutMs} 毫秒，本次未记账；请用同一结算号重试`, 1));
    }, deps.requestTimeoutMs);
    res.on('close', () => clearTimeout(timer));
    // The call travels with the work (service/call-context.ts): an adapter's route is held to it too.
    callContext.run(call, next);
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
  // Amounts sent as JSON numbers are judged on their source text (service/json-text.ts).
  const json = jsonBodyParser(deps.bodyLimitBytes, { lossless: true });
  const extensionContext: ExtensionContext = { authenticate: authenticateClient, json: jsonBodyParser(deps.bodyLimitBytes, { lossless: false }), jsonExact: json, log };
  const jsonBody = (req: Request): unknown => {
    if (req.body === undefined || req.body === null || typeof req.body !== 'object') {
      throw new InvalidInput('请求体应为 JSON 对象，并带 Content-Type: application/json', [{ path: '(body)', message: '缺少请求体或不是 JSON 对象' }]);
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
    const { record, replay, split } = await service.settle(body, req.call);
    metrics.settlements.inc({ operation: 'settle', outcome: replay ? 'replay' : 'committed' });
    if (replay) {
      res.status(200).setHeader('Idempotent-Replay', 'true');
    } else {
      res.status(201);
      for (const l of split.lines) metrics.programmeLines.inc({ programme: l.programme, paid: l.amount === '0.00' ? 'no' : 'yes' });
    }
    // The stored text, byte for byte: a retried request gets exactly the first answer — unless the
    // settlement was reversed since; then its current status (reversed, reversedAt), never "settled".
    res.type('application/json').send(record.status === 'settled' ? record.splitJson : JSON.stringify(split));
  });

  v1.get('/settlements/:hospitalId/:settlementId', async (req, res) => {
    requireHospital(req.client, param(req, 'hospitalId'), 'desk', 'admin', 'auditor');
    res.json(currentSplit(await service.get(param(req, 'hospitalId'), param(req, 'settlementId'))));
  });

  // The body is optional: { reason, operator } is recorded with the reversal (the desk always sends it).
  v1.post('/settlements/:hospitalId/:settlementId/reversal', json, async (req, res) => {
    requireHospital(req.client, param(req, 'hospitalId'), 'desk');
    const note = reversalNote.safeParse(req.body ?? {});
    if (!note.success) throw new InvalidInput('撤销的请求体无效', fieldErrors(note.error.issues));
    const split = await service.reverse(param(req, 'hospitalId'), param(req, 'settlementId'), note.data, req.call);
    metrics.settlements.inc({ operation: 'reverse', outcome: 'ok' });
    res.json(split);
  });

  // CSV arrives as bytes: its encoding is decided by rosters/encoding.ts (UTF-8 or GB18030), not by a missing charset.
  const rosterBody = [json, express.raw({ limit: deps.bodyLimitBytes, type: ['text/csv', 'text/plain'] })];
  v1.put('/rosters/:programmeId', ...rosterBody, async (req, res) => {
    requireRole(req.client, 'admin');
    const rosterId = rosterIdOf(programmes, param(req, 'programmeId'));
    const mode = req.query.mode ?? 'merge';
    if (mode !== 'merge' && mode !== 'replace') throw new InvalidInput('mode 只能是 merge 或 replace', [{ path: 'mode', message: `未知的 mode：${String(mode)}` }]);
    let rows: unknown[];
    let csv: { encoding: CsvEncoding; lines: number[] } | undefined;
    if (Buffer.isBuffer(req.body)) {
      const { text, encoding } = decodeCsvBytes(req.body, charsetOf(req.get('content-type')));
      const parsed = csvToRows(text);
      if (parsed.headerErrors.length > 0) throw new InvalidInput('CSV 表头无效', parsed.headerErrors.map((message) => ({ path: '(header)', message })));
      rows = parsed.rows;
      csv = { encoding, lines: parsed.lines };
    } else {
      const body = jsonBody(req) as { rows?: unknown };
      if (!Array.isArray(body.rows)) throw new InvalidInput('请求体应为 { "rows": [ … ] } 或 text/csv', [{ path: 'rows', message: '应为数组' }]);
      rows = body.rows;
    }
    const result = await loadRoster(ledger, rosterId, rows, mode === 'replace', csv?.lines);
    log.info({ requestId: req.requestId, programme: param(req, 'programmeId'), rosterId, accepted: result.accepted, rejected: result.rejected.length, mode, encoding: csv?.encoding }, 'roster loaded');
    res.json(csv ? { ...result, encoding: csv.encoding } : result);
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
