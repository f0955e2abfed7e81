/** The express app: every endpoint of the contract, behind authentication, with problem+json errors. */
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type * as z from 'zod';
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
import { openApiDocument, plainProblems, v1Problems } from './openapi.js';
import { notFoundHandler, pathOf, problemHandler } from './problems.js';
import { probeRoutes } from './probe-routes.js';
import { securityHeaders } from './security-headers.js';
import { coreRoutes } from './routes.js';
import { bindRoutes, registerRoutes, type BodyReaders, type BoundRoute, type ProblemsOf } from './route-table.js';
import type { ReadinessCheck } from '../readiness.js';
import { asyncApiDocument, type AsyncApiDocument } from '../stream/asyncapi.js';
import { topics } from '../stream/topics.js';

export type { ReadinessCheck } from '../readiness.js';

declare module 'express-serve-static-core' {
  /** The call's deadline (service/settlements.ts): every route passes it to service.settle / reverse (a required argument), so a timed-out call commits nothing. */
  interface Request { call?: CallControl }
}

/**
 * A part's own router at its own prefix (/nhsa, /fhir, /desk, /reports): its routes declared in the route
 * table like every other, answering in its own shape (the national envelope, OperationOutcome, a page).
 */
export interface Surface {
  prefix: string;
  routes: readonly BoundRoute[];
  /** Before any of its routes (FHIR's format negotiation). */
  before?: RequestHandler[];
  /** Its answer to a path under its prefix that no route has; absent: the app's 404. */
  notFound?: RequestHandler;
  /** Its errors in its own shape (authentication, parsing, the handlers'); absent: problem+json. */
  errors?: ErrorRequestHandler;
  /** How the document describes its refusals. */
  problems: ProblemsOf;
}

/** What a part adds to the app: routes under /v1 (bearer authentication, problem+json), its own surfaces, the component schemas its routes name. */
export interface AppExtension {
  name: string;
  v1?: readonly BoundRoute[];
  surfaces?: readonly Surface[];
  schemas?: Record<string, z.ZodType | { schema: z.ZodType; io: 'input' | 'output' }>;
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
  // only; the query string is left out, as a token wrongly put there must not reach the log). The line's fields
  // are these six, none of them personal, so the redaction of the other lines (log.ts) would only walk it for
  // nothing: ~5 µs of every request (measured).
  const accessLog = log.child({}, { redact: [] });
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    req.requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : ulid();
    res.setHeader('X-Request-Id', req.requestId);
    const started = process.hrtime.bigint();
    // Nothing blocks the desk for long: an answer that is not ready in time becomes a 503 the client may retry
    // (settling is idempotent). The call is aborted with it, so nothing of it is committed after that answer;
    // if its write had already left for the ledger, the truth is "outcome unknown", not 503.
    const deadline = { aborted: false };
    const call: CallControl = { signal: deadline, writeSent: false };
    req.call = call;
    const timer = setTimeout(() => {
      deadline.aborted = true;
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
    // One listener: 'close' follows 'finish' once the answer is out, and comes alone when the client went away first (no line then).
    res.once('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) return;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      accessLog.info({ requestId: req.requestId, method: req.method, url: pathOf(req), status: res.statusCode, ms: Math.round(seconds * 1000), client: req.client?.name }, 'request');
    });
    next();
  });

  const extensions = deps.extensions ?? [];
  const authenticateClient = authenticate(new ClientRegistry(deps.clients));
  const readers: BodyReaders = {
    bodyLimitBytes: deps.bodyLimitBytes,
    json: jsonBodyParser(deps.bodyLimitBytes, { lossless: false }),
    // Amounts sent as JSON numbers are judged on their source text (service/json-text.ts).
    jsonExact: jsonBodyParser(deps.bodyLimitBytes, { lossless: true }),
  };
  const v1Routes = [...bindRoutes(coreRoutes, { service, ledger, programmes, metrics, log }), ...extensions.flatMap((e) => e.v1 ?? [])];
  const surfaces = extensions.flatMap((e) => e.surfaces ?? []);

  let openApiJson = '';
  const asyncApiJson = JSON.stringify(deps.asyncApi ?? asyncApiDocument({ version: deps.version, topics: topics() }));
  const probes = bindRoutes(probeRoutes, { readiness: deps.readiness, metrics, openApiJson: () => openApiJson, asyncApiJson: () => asyncApiJson });
  openApiJson = JSON.stringify(openApiDocument(deps.version, [
    { prefix: '/v1', routes: v1Routes, problems: v1Problems },
    { prefix: '', routes: probes, problems: plainProblems },
    ...surfaces.map((s) => ({ prefix: s.prefix, routes: s.routes, problems: s.problems })),
  ], Object.assign({}, ...extensions.map((e) => e.schemas ?? {}))));

  const v1 = express.Router();
  v1.use(authenticateClient);
  registerRoutes(v1, v1Routes, readers);
  // A /v1 route's errors are answered inside /v1. One that comes after the timeout answered (the call's
  // late CommitAborted) must not leave the router: the timeout's next() has already taken the app's chain
  // to its end, and express's final handler would destroy the keep-alive socket and the request it carries next.
  v1.use(problems);
  // First: no other router has a path under /v1, and a settlement then passes no probe's or page's layer on its way.
  app.use('/v1', v1);

  const root = express.Router();
  registerRoutes(root, probes, readers);
  app.use(root);

  for (const surface of surfaces) {
    const router = express.Router();
    for (const handler of surface.before ?? []) router.use(handler);
    // Authentication per route: a surface may serve public resources (FHIR's metadata) beside authenticated ones.
    registerRoutes(router, surface.routes, readers, (route) => (route.access === 'public' ? [] : [authenticateClient]));
    if (surface.notFound) router.use(surface.notFound);
    // At the app's level, after the router: errors raised outside it (the request timeout's) answer in its shape too.
    const mounted = surface.errors ? [router, surface.errors] : [router];
    if (surface.prefix === '') app.use(...mounted); else app.use(surface.prefix, ...mounted);
  }
  app.use(notFoundHandler);
  app.use(problems);
  return app;
}
