/** The express app: every endpoint of the contract, behind authentication, with problem+json errors. */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Client } from '../../schemas/clients.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { OutcomeUnknown, Unavailable } from '../errors.js';
import type { LedgerPort } from '../ledger/port.js';
import { ulid } from '../service/ids.js';
import type { CallControl } from '../call.js';
import { outcomeUnknown, type SettlementService } from '../service/settlements.js';
import { authenticate, ClientRegistry } from './auth.js';
import { jsonBodyParser } from './json-body.js';
import type { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { notFoundHandler, pathOf, problemHandler } from './problems.js';
import { probeRoutes } from './probe-routes.js';
import { securityHeaders } from './security-headers.js';
import { coreRoutes, registerRoutes } from './routes.js';
import type { ReadinessCheck } from '../readiness.js';
import { asyncApiDocument, type AsyncApiDocument } from '../stream/asyncapi.js';
import { topics } from '../stream/topics.js';

export type { ReadinessCheck } from '../readiness.js';

declare module 'express-serve-static-core' {
  /** The call's deadline (service/settlements.ts): every route passes it to service.settle / reverse (a required argument), so a timed-out call commits nothing. */
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
  /** The Kafka topics' AsyncAPI document (main builds it from the configuration); absent → the topics without prefix or insurer list. */
  asyncApi?: AsyncApiDocument;
}

export function createApp(deps: AppDeps) {
  const { service, ledger, programmes, metrics, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Answers are computed per call; a weak ETag would only hash every body for nothing.
  app.set('etag', false);
  app.set('trust proxy', false);
  // No upgrade-insecure-requests: a hospital may serve the desk over plain HTTP on its LAN, where upgraded asset requests would fail.
  app.use(securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], upgradeInsecureRequests: null } } }));

  const problems = problemHandler(log, (status, type) => metrics.errors.inc({ status: String(status), type }));

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
      // Through next(): an adapter's own error handler answers in its shape (the NHSA envelope, OperationOutcome).
      const texts = call.timeoutTexts;
      if (call.writeSent) return next(texts ? new OutcomeUnknown(texts.outcomeUnknown) : outcomeUnknown());
      next(new Unavailable(`请求处理超过 ${deps.requestTimeoutMs} 毫秒，${texts?.nothingWritten ?? '本次未记账；请用同一结算号重试'}`, 1));
    }, deps.requestTimeoutMs);
    res.on('close', () => clearTimeout(timer));
    next();
  });

  const document = openApiDocument(deps.version);
  for (const extension of deps.extensions ?? []) {
    const added = extension.openapi?.();
    // Method by method: an extension may add a method to a core path (the desk's GET /v1/settlements).
    for (const [path, operations] of Object.entries(added?.paths ?? {})) Object.assign(document.paths[path] ??= {}, operations);
    Object.assign(document.components.schemas, added?.schemas ?? {});
  }
  const openApiJson = JSON.stringify(document);
  const probes = express.Router();
  const asyncApiJson = JSON.stringify(deps.asyncApi ?? asyncApiDocument({ version: deps.version, topics: topics(), insurerCodes: [] }));
  registerRoutes(probes, probeRoutes, { readiness: deps.readiness, metrics, openApiJson: () => openApiJson, asyncApiJson: () => asyncApiJson });
  app.use(probes);

  const v1 = express.Router();
  const authenticateClient = authenticate(new ClientRegistry(deps.clients));
  v1.use(authenticateClient);
  // Amounts sent as JSON numbers are judged on their source text (service/json-text.ts).
  const json = jsonBodyParser(deps.bodyLimitBytes, { lossless: true });
  const extensionContext: ExtensionContext = { authenticate: authenticateClient, json: jsonBodyParser(deps.bodyLimitBytes, { lossless: false }), jsonExact: json, log };
  registerRoutes(v1, coreRoutes, { service, ledger, programmes, metrics, log, bodyLimitBytes: deps.bodyLimitBytes, json });

  for (const extension of deps.extensions ?? []) {
    extension.v1?.(v1, extensionContext);
    extension.mount?.(app, extensionContext);
  }
  // A /v1 route's errors are answered inside /v1. One that comes after the timeout answered (the call's
  // late CommitAborted) must not leave the router: the timeout's next() has already taken the app's chain
  // to its end, and express's final handler would destroy the keep-alive socket and the request it carries next.
  v1.use(problems);

  app.use('/v1', v1);
  app.use(notFoundHandler);
  app.use(problems);
  return app;
}
