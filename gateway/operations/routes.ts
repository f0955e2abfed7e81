/**
 * The operations' HTTP surface (under /v1, bearer auth, problem+json), declared in the route table:
 *   GET  /reports/programmes/:id?from=&to=[&basis=settled|discharged][&format=csv]   admin, auditor
 *   GET  /reports/programmes/:id/summary?year=               admin, auditor (printable HTML, 湖南's February report)
 *   POST /programmes/:id/second-payout?year=[&confirm=true]  admin (dry run unless confirm=true)
 *   GET  /programmes/:id/second-payout/:year                  admin, auditor (the committed payout)
 *   POST /whatif[?format=csv]                                 admin, body { pack: "<yaml>", from, to, top? }
 *   POST /pricing[?format=csv]                                admin, body { pack, from, to, figure, target, samples?, perPass? }
 * Long passes are bounded: each stops before the gateway's request timeout, and a what-if (each pricing
 * pass) reads at most WHATIF_HTTP_MAX_SETTLEMENTS records (a longer one runs from the command line:
 * npm run whatif, npm run price).
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import * as z from 'zod';
import type { Pack } from '../../schemas/pack.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { NotFound, Unavailable } from '../errors.js';
import { routeOf, type Content } from '../http/route-table.js';
import type { LedgerPort } from '../ledger/port.js';
import type { DocumentStore } from '../ledger/documents/port.js';
import type { Bus } from '../stream/bus.js';
import type { EventMapping } from '../stream/event-records.js';
import { CANDIDATE_MAX_CHARS, parseCandidatePack } from './candidate.js';
import { chinaTime } from '../service/ids.js';
import { Deadline, parsePeriod, reportPeriodQuery } from './period.js';
import { programmeView } from './programme-view.js';
import { reportCsv } from './report-csv.js';
import { confirmSecondPayout, storedPayout } from './second-payout-commit.js';
import { payoutCsv } from './second-payout-csv.js';
import { planSecondPayout, secondPayoutYear } from './second-payout.js';
import { renderSummary } from './summary.js';
import { pricingCsv } from './pricing-csv.js';
import { priceFigure, pricingBody } from './pricing.js';
import { whatIf } from './whatif.js';
import { whatIfCsv } from './whatif-csv.js';

const WHATIF_HTTP_MAX_SETTLEMENTS = 200_000;

export interface OperationsRouteDeps {
  programmes: ProgrammeSet;
  ledger: LedgerPort;
  store: DocumentStore;
  bus: Bus;
  /** The relay's mapping: the audience carrying a programme's payer tells it of a second payout. */
  mapping: EventMapping;
  requestTimeoutMs: number;
  log: Logger;
  clock?: () => Date;
  /** The configured name of a hospital (HOSPITALS_FILE), for the reports' tables. */
  hospitalName?: (id: string) => string | undefined;
  /** Told each pass's kind, outcome and duration (metrics; the routes do not know Prometheus). */
  observe?: (pass: OperationsPass, outcome: 'ok' | 'error', seconds: number) => void;
}

export type OperationsPass = 'report' | 'summary' | 'secondPayoutPlan' | 'secondPayoutConfirm' | 'whatif' | 'pricing';

const wantsCsv = (req: Request, format: 'json' | 'csv' | undefined): boolean => format === 'csv' || (format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
const sendCsv = (res: Response, name: string, csv: string) => {
  res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  res.send(csv);
};

const pack = (deps: OperationsRouteDeps, id: string): Pack => {
  const found = deps.programmes.get(id);
  if (!found) throw new NotFound(`没有政策包 ${id}`);
  return found;
};
// Stop a pass a little before the request timeout answers 503 for it, so that no work runs on unseen.
const deadline = (deps: OperationsRouteDeps) => new Deadline(Date.now() + Math.max(500, deps.requestTimeoutMs - 500), () => new Unavailable('统计超时：期间内记录过多，请缩短期间（或使用命令行 npm run report / whatif / second-payout）', 30));

/** Runs a pass and tells `observe` how it went; errors go on to the problem handler. */
async function timed<T>(deps: OperationsRouteDeps, pass: OperationsPass, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await run();
    deps.observe?.(pass, 'ok', (performance.now() - started) / 1000);
    return result;
  } catch (error) {
    deps.observe?.(pass, 'error', (performance.now() - started) / 1000);
    throw error;
  }
}

const route = routeOf<OperationsRouteDeps>();
const programme = z.object({ id: z.string().meta({ description: 'the programme (policy pack id)' }) });
const format = z.enum(['json', 'csv']).optional().meta({ description: 'csv for a spreadsheet (or Accept: text/csv)' });
const jsonOrCsv = (description: string): { description: string; content: Record<string, Content> } => ({ description, content: { 'application/json': z.record(z.string(), z.unknown()), 'text/csv': { text: 'UTF-8 with a BOM' } } });
const yearText = (message: string) => z.string({ error: message }).regex(/^\d{4}$/, message);
const passTimeout = { 503: 'The pass would outlast the request timeout (shorten the period, or use the command line); retry after Retry-After' };

/** A what-if's body: the candidate pack as YAML, the period (read by parsePeriod, which names both ends), how many differences to list. */
const whatIfBody = z.object({
  // Its size is judged by parseCandidatePack, in its own words.
  pack: z.string({ error: '应为候选政策包的 YAML 文本' }).meta({ description: `the candidate policy pack as YAML, at most ${CANDIDATE_MAX_CHARS} characters` }),
  from: z.unknown().meta({ description: 'first day, YYYY-MM-DD' }),
  to: z.unknown().meta({ description: 'day after the last, YYYY-MM-DD' }),
  top: z.int({ error: '应为 0–200 的整数' }).min(0, '应为 0–200 的整数').max(200, '应为 0–200 的整数').default(20).meta({ description: 'how many largest differences to list' }),
});

export const operationsRoutes = [
  route({
    method: 'get', path: '/reports/programmes/:id',
    summary: "A programme's figures over [from, to): settlements, payouts, loss ratio, by month, by hospital (named from HOSPITALS_FILE) (admin, auditor)",
    access: { roles: ['admin', 'auditor'] },
    params: programme,
    query: reportPeriodQuery.extend({ format }),
    answers: { 200: jsonOrCsv('The report') }, problems: { 404: 'Unknown programme', ...passTimeout },
    handler: (deps) => async ({ params, query, req, res }) => {
      const p = pack(deps, params.id);
      const { basis } = query;
      const period = parsePeriod(query.from, query.to);
      const today = chinaTime(deps.clock?.() ?? new Date()).slice(0, 10);
      const view = await timed(deps, 'report', () => programmeView(deps, p, period, deadline(deps), { basis, today }));
      if (wantsCsv(req, query.format)) sendCsv(res, `${p.id}-${view.period.from}-${view.period.to}${basis === 'settled' ? '' : `-${basis}`}`, reportCsv(view));
      else res.json(view);
    },
  }),
  route({
    method: 'get', path: '/reports/programmes/:id/summary', summary: "The printable yearly summary (湖南's February report) (admin, auditor)",
    access: { roles: ['admin', 'auditor'] },
    params: programme,
    query: z.object({ year: yearText('应为四位年份').meta({ description: 'four-digit year' }) }),
    answers: { 200: { description: 'HTML', content: { 'text/html': { text: 'the summary, printable' } } } }, problems: { 404: 'Unknown programme', ...passTimeout },
    handler: (deps) => async ({ params, query, res }) => {
      const p = pack(deps, params.id);
      const year = Number(query.year);
      const view = await timed(deps, 'summary', () => programmeView(deps, p, { from: `${year}-01-01`, to: `${year + 1}-01-01` }, deadline(deps)));
      res.type('text/html; charset=utf-8').send(renderSummary(view, year, p.operations?.summaryReportMonth?.value ?? null));
    },
  }),
  route({
    method: 'post', path: '/programmes/:id/second-payout',
    summary: 'The second payout (南通 二次赔付) of a year: a dry run, or committed and published with confirm=true (admin)',
    access: { roles: ['admin'] },
    params: programme,
    query: z.object({
      year: yearText('应为四位年份，如 2022').meta({ description: 'the policy year' }),
      confirm: z.string().optional().meta({ description: 'true commits; otherwise a dry run' }),
      format,
    }),
    answers: {
      200: { ...jsonOrCsv('The dry run; or, confirmed again, the committed payout (Idempotent-Replay: true)'), headers: { 'Idempotent-Replay': { schema: { type: 'string', const: 'true' } } } },
      201: jsonOrCsv('Committed and published'),
    },
    problems: { 404: 'Unknown programme', 422: 'No second payout configured, the year outside the term or (confirm) not ended yet, or premium figures missing', ...passTimeout },
    handler: (deps) => async ({ params, query, req, res }) => {
      const p = pack(deps, params.id);
      const year = secondPayoutYear(p, query.year);
      if (query.confirm === 'true') {
        const outcome = await timed(deps, 'secondPayoutConfirm', () => confirmSecondPayout(
          { store: deps.store, bus: deps.bus, mapping: deps.mapping, ...(deps.clock ? { clock: deps.clock } : {}) }, p, year,
          () => planSecondPayout({ pack: p, source: deps.ledger, ledger: deps.ledger, year, deadline: deadline(deps) }),
        ));
        deps.log.info({ requestId: req.requestId, programme: p.id, year, replay: outcome.replay, published: outcome.published, distributed: outcome.payout.distributed }, 'second payout confirmed');
        if (outcome.replay) res.status(200).setHeader('Idempotent-Replay', 'true');
        else res.status(201);
        if (wantsCsv(req, query.format)) sendCsv(res, `${p.id}-second-payout-${year}`, payoutCsv(outcome.payout));
        else res.json({ dryRun: false, replay: outcome.replay, published: outcome.published, ...outcome.payout });
        return;
      }
      const plan = await timed(deps, 'secondPayoutPlan', () => planSecondPayout({ pack: p, source: deps.ledger, ledger: deps.ledger, year, deadline: deadline(deps) }));
      if (wantsCsv(req, query.format)) sendCsv(res, `${p.id}-second-payout-${year}-dry-run`, payoutCsv(plan));
      else res.json({ dryRun: true, ...plan });
    },
  }),
  route({
    method: 'get', path: '/programmes/:id/second-payout/:year', summary: 'The committed second payout of a year (admin, auditor)',
    access: { roles: ['admin', 'auditor'] },
    params: programme.extend({ year: z.string().meta({ description: 'the policy year' }) }),
    query: z.object({ format }),
    answers: { 200: jsonOrCsv('The payout') },
    problems: { 404: 'Unknown programme, or the year not confirmed yet', 422: 'No second payout configured, or the year outside the term' },
    handler: (deps) => async ({ params, query, req, res }) => {
      const p = pack(deps, params.id);
      const year = secondPayoutYear(p, params.year);
      const payout = await storedPayout(deps.store, p.id, year);
      if (!payout) throw new NotFound(`${p.name} ${year} 年度尚未确认二次赔付`);
      if (wantsCsv(req, query.format)) sendCsv(res, `${p.id}-second-payout-${year}`, payoutCsv(payout));
      else res.json(payout);
    },
  }),
  route({
    method: 'post', path: '/whatif', summary: "Replays a period's stored settlements under a candidate pack and compares with what was paid (admin)",
    access: { roles: ['admin'] },
    query: z.object({ format }),
    body: {
      read: 'json', content: { 'application/json': whatIfBody }, invalid: '请求体应为 JSON 对象 { pack, from, to }',
      schema: whatIfBody,
    },
    answers: { 200: jsonOrCsv('Totals, differences and the largest changes') },
    problems: { 400: 'Invalid period or top, or a candidate pack that is not valid YAML or not a valid pack', ...passTimeout },
    handler: (deps) => async ({ query, body, req, res }) => {
      const candidate = parseCandidatePack(body.pack);
      const period = parsePeriod(body.from, body.to);
      const result = await timed(deps, 'whatif', () => whatIf({
        programmes: deps.programmes, candidate, source: deps.ledger, ledger: deps.ledger, period,
        top: body.top, maxSettlements: WHATIF_HTTP_MAX_SETTLEMENTS, deadline: deadline(deps),
      }));
      deps.log.info({ requestId: req.requestId, programme: candidate.id, read: result.settlements.read, difference: result.totals.difference }, 'what-if run');
      if (wantsCsv(req, query.format)) sendCsv(res, `whatif-${candidate.id}`, whatIfCsv(result));
      else res.json(result);
    },
  }),
  route({
    method: 'post', path: '/pricing',
    summary: "The figure of a candidate pack (a path into it, its unit and range) at which the period's settlements meet a loss ratio or the profit cap, with the curve of figure → claims, loss ratio (admin)",
    access: { roles: ['admin'] },
    query: z.object({ format }),
    body: { read: 'json', content: { 'application/json': pricingBody }, invalid: '定价测算的请求体无效', schema: pricingBody },
    answers: { 200: jsonOrCsv('outcome (found, metThroughout, unreachable), the answers to the fen or basis point with their failing neighbours, monotonicity, the curve') },
    problems: {
      400: 'Invalid period, figure (path, unit, range), target or samples, or a candidate pack that is not valid',
      422: 'More settlements in one pass than an HTTP call reads: use npm run price', ...passTimeout,
    },
    handler: (deps) => async ({ query, body, req, res }) => {
      const { pack: candidateText, from, to, ...figureQuery } = body;
      const period = parsePeriod(from, to);
      const result = await timed(deps, 'pricing', () => priceFigure({
        programmes: deps.programmes, candidateText, query: figureQuery, source: deps.ledger, ledger: deps.ledger, period,
        maxSettlements: WHATIF_HTTP_MAX_SETTLEMENTS, deadline: deadline(deps),
      }));
      deps.log.info({ requestId: req.requestId, programme: result.programme.id, figure: result.figure.path, outcome: result.outcome, passes: result.passes }, 'pricing run');
      if (wantsCsv(req, query.format)) sendCsv(res, `pricing-${result.programme.id}`, pricingCsv(result));
      else res.json(result);
    },
  }),
];

