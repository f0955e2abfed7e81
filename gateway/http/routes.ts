/**
 * The core /v1 routes as one table: each entry carries what express needs (method, path, body parsing,
 * who may call, the handler) and what the OpenAPI document says of it (summary, parameters, request
 * and answer schemas, problems). createApp registers the table and openapi.ts documents the same table,
 * so a core route cannot exist without its documentation.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { Client } from '../../schemas/clients.js';
import { reversalNote, settlementRequest } from '../../schemas/settlement.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { fieldErrors, InvalidInput } from '../errors.js';
import type { LedgerPort } from '../ledger/port.js';
import { csvToRows } from '../rosters/csv.js';
import { charsetOf, decodeCsvUpload, type CsvEncoding } from '../csv.js';
import { loadRoster, rosterIdOf } from '../rosters/load.js';
import type { SettlementService } from '../service/settlements.js';
import { requireHospital, requireRole } from './auth.js';
import type { Metrics } from './metrics.js';
import type { ComponentName, ProgrammeSummary } from './openapi.js';

type Role = Client['roles'][number];

/** What the handlers work with. */
export interface RouteDeps {
  service: SettlementService;
  ledger: LedgerPort;
  programmes: ProgrammeSet;
  metrics: Metrics;
  log: Logger;
  bodyLimitBytes: number;
  /** The JSON body parser that keeps amounts' source text (service/json-text.ts). */
  json: RequestHandler;
}

/** An answer of the route: a component schema by name, a media type of its own (HTML, CSV), or a description only. */
export type Answer =
  | { description: string; schema: ComponentName; headers?: Record<string, unknown> }
  | { description: string; mediaType: string }
  | { description: string };

export interface PathParameter { name: string; description?: string }
export interface QueryParameter { name: string; schema: Record<string, unknown> }

/** What the OpenAPI document says of a route (openapi.ts reads only this part). */
export interface RouteDoc {
  method: 'get' | 'post' | 'put';
  /** In express syntax (`:param`); the document shows it as `{param}`. */
  path: string;
  summary: string;
  /**
   * Who may call: `public` (no token: the probes), or roles. `hospital`: where the hospital the call acts
   * for is named — `path` (:hospitalId) or `body` (hospital.id of a settlement request) — and checked
   * against the client's hospitals.
   */
  access: 'public' | { roles: readonly Role[]; hospital?: 'path' | 'body' };
  query?: readonly QueryParameter[];
  /** The request body: a component schema, and the other media types accepted (CSV as text); `optional` says why it may be left out. */
  request?: { schema: ComponentName; alsoText?: { mediaType: string; description: string }; optional?: string };
  answers: Record<number, Answer>;
  /** The route's own problems (status → when); the common ones (400, 401, 403, 413, 503) apply to every authenticated route. */
  problems: Record<number, string>;
  /** A write that may be left in doubt (504 OUTCOME_UNKNOWN). */
  writes?: boolean;
}

/** A route: its documentation, and what express runs for it given the handlers' dependencies. */
export interface Route<Deps = RouteDeps> extends RouteDoc {
  /** Body parsers before the access check. */
  parsers?: (deps: Deps) => RequestHandler[];
  handler: (deps: Deps) => (req: Request, res: Response) => void | Promise<void>;
}

/** A param of the route as a string (express 5 types params loosely). */
export const param = (req: Request, name: string): string => String(req.params[name] ?? '');

const jsonBody = (req: Request): unknown => {
  if (req.body === undefined || req.body === null || typeof req.body !== 'object') {
    throw new InvalidInput('请求体应为 JSON 对象，并带 Content-Type: application/json', [{ path: '(body)', message: '缺少请求体或不是 JSON 对象' }]);
  }
  return req.body;
};

/** The access check of a route, run after its body parsers and before its handler. */
export function accessCheck(access: Exclude<RouteDoc['access'], 'public'>): RequestHandler {
  return (req, _res, next) => {
    if (access.hospital === 'path') requireHospital(req.client, param(req, 'hospitalId'), ...access.roles);
    else if (access.hospital === 'body') {
      // A settlement body, once the caller may act for the hospital it names: checked before anything is
      // computed, so a desk cannot probe other hospitals.
      const body = jsonBody(req);
      const hospital = settlementRequest.shape.hospital.safeParse((body as { hospital?: unknown }).hospital);
      if (hospital.success) requireHospital(req.client, hospital.data.id, ...access.roles);
      else requireRole(req.client, ...access.roles);
    } else requireRole(req.client, ...access.roles);
    next();
  };
}

const jsonParser = (deps: RouteDeps) => [deps.json];

/** The core routes under /v1 (behind the bearer authentication of the /v1 router). */
export const coreRoutes: readonly Route[] = [
  {
    method: 'post', path: '/settlements/preview', summary: 'Compute the split without committing (预结算)',
    access: { roles: ['desk'], hospital: 'body' },
    request: { schema: 'SettlementRequest' },
    answers: { 200: { description: 'The split, status preview', schema: 'Split' } },
    problems: { 422: 'Well-formed but impossible' },
    parsers: jsonParser,
    handler: ({ service, metrics }) => async (req, res) => {
      const split = await service.preview(req.body);
      metrics.settlements.inc({ operation: 'preview', outcome: 'ok' });
      res.json(split);
    },
  },
  {
    method: 'post', path: '/settlements', summary: 'Settle (结算): compute, commit the accumulators, publish',
    access: { roles: ['desk'], hospital: 'body' },
    request: { schema: 'SettlementRequest' },
    answers: {
      201: { description: 'Settled', schema: 'Split' },
      200: { description: 'The same settlement again with an identical body: the stored split', schema: 'Split', headers: { 'Idempotent-Replay': { schema: { type: 'string', const: 'true' } } } },
    },
    problems: { 409: 'The same settlement id with a different body', 422: 'Well-formed but impossible' },
    writes: true,
    parsers: jsonParser,
    handler: ({ service, metrics }) => async (req, res) => {
      const { record, replay } = await service.settle(req.body, req.call);
      metrics.settlements.inc({ operation: 'settle', outcome: replay ? 'replay' : 'committed' });
      if (replay) {
        res.status(200).setHeader('Idempotent-Replay', 'true');
      } else {
        res.status(201);
        for (const l of record.split.lines) metrics.programmeLines.inc({ programme: l.programme, paid: l.amount === '0.00' ? 'no' : 'yes' });
      }
      // The stored text, byte for byte: a retried request gets exactly the first answer — unless the
      // settlement was reversed since; then its current status (reversed, reversedAt), never "settled".
      res.type('application/json').send(record.status === 'settled' ? record.firstAnswer : JSON.stringify(record.split));
    },
  },
  {
    method: 'get', path: '/settlements/:hospitalId/:settlementId', summary: 'The stored split',
    access: { roles: ['desk', 'admin', 'auditor'], hospital: 'path' },
    answers: { 200: { description: 'The split with its current status', schema: 'Split' } },
    problems: { 404: 'Unknown' },
    handler: ({ service }) => async (req, res) => {
      res.json((await service.get(param(req, 'hospitalId'), param(req, 'settlementId'))).split);
    },
  },
  {
    method: 'post', path: '/settlements/:hospitalId/:settlementId/reversal', summary: 'Reverse (结算撤销): restore every accumulator, publish the reversal',
    access: { roles: ['desk'], hospital: 'path' },
    request: { schema: 'ReversalNote', optional: 'optional: why and by whom; recorded with the reversal and answered in the split as `reversal`' },
    answers: { 200: { description: 'The split, status reversed; repeating answers the same', schema: 'Split' } },
    problems: { 404: 'Unknown', 422: 'A preview cannot be reversed' },
    writes: true,
    // The body is optional: { reason, operator } is recorded with the reversal (the desk always sends it).
    parsers: jsonParser,
    handler: ({ service, metrics }) => async (req, res) => {
      const note = reversalNote.safeParse(req.body ?? {});
      if (!note.success) throw new InvalidInput('撤销的请求体无效', fieldErrors(note.error.issues));
      const split = await service.reverse(param(req, 'hospitalId'), param(req, 'settlementId'), note.data, req.call);
      metrics.settlements.inc({ operation: 'reverse', outcome: 'ok' });
      res.json(split);
    },
  },
  {
    method: 'put', path: '/rosters/:programmeId', summary: 'admin: load enrolment rows (JSON or text/csv)',
    access: { roles: ['admin'] },
    query: [{ name: 'mode', schema: { type: 'string', enum: ['merge', 'replace'], default: 'merge' } }],
    request: { schema: 'RosterLoad', alsoText: { mediaType: 'text/csv', description: 'header personId,from,to,categories,preExisting; categories separated by ";"' } },
    answers: { 200: { description: 'Rows accepted and rejected', schema: 'RosterLoadResult' } },
    problems: { 404: 'Unknown programme', 422: 'The programme has no roster, or a replacement has no valid row (the roster is left as it was)' },
    // Written in batches: a timeout after the first batch left cannot say how much was written.
    writes: true,
    // CSV arrives as bytes: its encoding is decided by rosters/encoding.ts (UTF-8 or GB18030), not by a missing charset.
    parsers: (deps) => [deps.json, express.raw({ limit: deps.bodyLimitBytes, type: ['text/csv', 'text/plain'] })],
    handler: ({ programmes, ledger, log }) => async (req, res) => {
      const rosterId = rosterIdOf(programmes, param(req, 'programmeId'));
      const mode = req.query.mode ?? 'merge';
      if (mode !== 'merge' && mode !== 'replace') throw new InvalidInput('mode 只能是 merge 或 replace', [{ path: 'mode', message: `未知的 mode：${String(mode)}` }]);
      let rows: unknown[];
      let csv: { encoding: CsvEncoding; lines: number[] } | undefined;
      if (Buffer.isBuffer(req.body)) {
        const { text, encoding } = decodeCsvUpload(req.body, charsetOf(req.get('content-type')));
        const parsed = csvToRows(text);
        if (parsed.headerErrors.length > 0) throw new InvalidInput('CSV 表头无效', parsed.headerErrors.map((message) => ({ path: '(header)', message })));
        rows = parsed.rows;
        csv = { encoding, lines: parsed.lines };
      } else {
        const body = jsonBody(req) as { rows?: unknown };
        if (!Array.isArray(body.rows)) throw new InvalidInput('请求体应为 { "rows": [ … ] } 或 text/csv', [{ path: 'rows', message: '应为数组' }]);
        rows = body.rows;
      }
      if (req.call) {
        req.call.timeoutTexts = {
          nothingWritten: '名单未写入任何一行；请重新上传',
          outcomeUnknown: `名单已开始写入但未在时限内完成，部分行可能已写入${mode === 'replace' ? '（替换模式下旧名单可能已被清除）' : ''}；请以相同内容和相同模式重新上传（重复上传是安全的），或拆成较小的批次以合并方式上传`,
        };
      }
      const result = await loadRoster(ledger, rosterId, rows, mode === 'replace', csv?.lines, req.call);
      log.info({ requestId: req.requestId, programme: param(req, 'programmeId'), rosterId, accepted: result.accepted, rejected: result.rejected.length, mode, encoding: csv?.encoding }, 'roster loaded');
      res.json(csv ? { ...result, encoding: csv.encoding } : result);
    },
  },
  {
    method: 'get', path: '/programmes', summary: 'The loaded programmes',
    access: { roles: ['desk', 'admin', 'auditor'] },
    answers: { 200: { description: 'Programmes', schema: 'Programmes' } },
    problems: {},
    handler: ({ programmes }) => (_req, res) => {
      const summaries: ProgrammeSummary[] = programmes.packs.map((p) => ({
        id: p.id, name: p.name, layer: p.layer, region: p.insuredRegions.value, term: { from: p.term.from, to: p.term.to },
        version: p.version, status: p.status, sourceDocument: p.source,
      }));
      res.json({ programmes: summaries });
    },
  },
];

/** Registers the routes on a router: body parsers, then the access check, then the handler. */
export function registerRoutes<Deps>(router: express.Router, routes: readonly Route<Deps>[], deps: Deps): void {
  for (const route of routes) {
    const access = route.access === 'public' ? [] : [accessCheck(route.access)];
    router[route.method](route.path, ...(route.parsers?.(deps) ?? []), ...access, route.handler(deps));
  }
}
