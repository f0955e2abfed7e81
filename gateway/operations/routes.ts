/**
 * The operations' HTTP surface (under /v1, bearer auth, problem+json):
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
import express, { type Request, type Response } from 'express';
import type { Pack } from '../../schemas/pack.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { InvalidInput, NotFound, Unavailable } from '../errors.js';
import { requireRole } from '../http/auth.js';
import type { ExtensionContext } from '../http/app.js';
import type { LedgerPort } from '../ledger/port.js';
import type { DocumentStore } from '../store/port.js';
import type { Bus } from '../stream/bus.js';
import type { Topics } from '../stream/topics.js';
import { parseCandidatePack } from './candidate.js';
import { chinaTime } from '../service/ids.js';
import { Deadline, parsePeriod, parseReportPeriod } from './period.js';
import { programmeView } from './programme-view.js';
import { reportCsv } from './report-csv.js';
import { confirmSecondPayout, storedPayout } from './second-payout-commit.js';
import { payoutCsv } from './second-payout-csv.js';
import { planSecondPayout, secondPayoutYear } from './second-payout.js';
import { renderSummary } from './summary.js';
import { pricingCsv } from './pricing-csv.js';
import { priceFigure, pricingBody } from './pricing.js';
import { fieldErrors } from '../service/settlements.js';
import { whatIf } from './whatif.js';
import { whatIfCsv } from './whatif-csv.js';

export const WHATIF_HTTP_MAX_SETTLEMENTS = 200_000;

export interface OperationsRouteDeps {
  programmes: ProgrammeSet;
  ledger: LedgerPort;
  store: DocumentStore;
  bus: Bus;
  topics: Topics;
  eventSource: string;
  requestTimeoutMs: number;
  clock?: () => Date;
  /** The configured name of a hospital (HOSPITALS_FILE), for the reports' tables. */
  hospitalName?: (id: string) => string | undefined;
  /** Told each pass's kind, outcome and duration (metrics; the routes do not know Prometheus). */
  observe?: (pass: OperationsPass, outcome: 'ok' | 'error', seconds: number) => void;
}

export type OperationsPass = 'report' | 'summary' | 'secondPayoutPlan' | 'secondPayoutConfirm' | 'whatif' | 'pricing';

const param = (req: Request, name: string): string => String(req.params[name] ?? '');
const wantsCsv = (req: Request): boolean => req.query.format === 'csv' || (req.query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
const sendCsv = (res: Response, name: string, csv: string) => {
  res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  res.send(csv);
};

export function operationsRoutes(deps: OperationsRouteDeps) {
  const pack = (id: string): Pack => {
    const found = deps.programmes.get(id);
    if (!found) throw new NotFound(`没有政策包 ${id}`);
    return found;
  };
  // Stop a pass a little before the request timeout answers 503 for it, so that no work runs on unseen.
  const deadline = () => new Deadline(Date.now() + Math.max(500, deps.requestTimeoutMs - 500), () => new Unavailable('统计超时：期间内记录过多，请缩短期间（或使用命令行 npm run report / whatif / second-payout）', 30));

  /** Runs a pass and tells `observe` how it went; errors go on to the problem handler. */
  const timed = async <T>(pass: OperationsPass, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await run();
      deps.observe?.(pass, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      deps.observe?.(pass, 'error', (performance.now() - started) / 1000);
      throw error;
    }
  };

  return (router: express.Router, ctx: ExtensionContext) => {
    router.get('/reports/programmes/:id', async (req, res) => {
      requireRole(req.client, 'admin', 'auditor');
      const p = pack(param(req, 'id'));
      const { period, basis } = parseReportPeriod(req.query.from, req.query.to, req.query.basis);
      const today = chinaTime(deps.clock?.() ?? new Date()).slice(0, 10);
      const view = await timed('report', () => programmeView(deps, p, period, deadline(), { basis, today }));
      if (wantsCsv(req)) sendCsv(res, `${p.id}-${view.period.from}-${view.period.to}${basis === 'settled' ? '' : `-${basis}`}`, reportCsv(view));
      else res.json(view);
    });

    router.get('/reports/programmes/:id/summary', async (req, res) => {
      requireRole(req.client, 'admin', 'auditor');
      const p = pack(param(req, 'id'));
      const year = typeof req.query.year === 'string' && /^\d{4}$/.test(req.query.year) ? Number(req.query.year) : NaN;
      if (!Number.isInteger(year)) throw new InvalidInput('年度无效', [{ path: 'year', message: '应为四位年份' }]);
      const view = await timed('summary', () => programmeView(deps, p, { from: `${year}-01-01`, to: `${year + 1}-01-01` }, deadline()));
      res.type('text/html; charset=utf-8').send(renderSummary(view, year, p.operations?.summaryReportMonth?.value ?? null));
    });

    router.post('/programmes/:id/second-payout', async (req, res) => {
      requireRole(req.client, 'admin');
      const p = pack(param(req, 'id'));
      const year = secondPayoutYear(p, req.query.year);
      const confirm = req.query.confirm === 'true';
      if (confirm) {
        const outcome = await timed('secondPayoutConfirm', () => confirmSecondPayout(
          { store: deps.store, bus: deps.bus, topics: deps.topics, source: deps.eventSource, ...(deps.clock ? { clock: deps.clock } : {}) }, p, year,
          () => planSecondPayout({ pack: p, source: deps.ledger, ledger: deps.ledger, year, deadline: deadline() }),
        ));
        ctx.log.info({ requestId: req.requestId, programme: p.id, year, replay: outcome.replay, published: outcome.published, distributed: outcome.payout.distributed }, 'second payout confirmed');
        if (outcome.replay) res.status(200).setHeader('Idempotent-Replay', 'true');
        else res.status(201);
        if (wantsCsv(req)) sendCsv(res, `${p.id}-second-payout-${year}`, payoutCsv(outcome.payout));
        else res.json({ dryRun: false, replay: outcome.replay, published: outcome.published, ...outcome.payout });
        return;
      }
      const plan = await timed('secondPayoutPlan', () => planSecondPayout({ pack: p, source: deps.ledger, ledger: deps.ledger, year, deadline: deadline() }));
      if (wantsCsv(req)) sendCsv(res, `${p.id}-second-payout-${year}-dry-run`, payoutCsv(plan));
      else res.json({ dryRun: true, ...plan });
    });

    router.get('/programmes/:id/second-payout/:year', async (req, res) => {
      requireRole(req.client, 'admin', 'auditor');
      const p = pack(param(req, 'id'));
      const year = secondPayoutYear(p, param(req, 'year'));
      const payout = await storedPayout(deps.store, p.id, year);
      if (!payout) throw new NotFound(`${p.name} ${year} 年度尚未确认二次赔付`);
      if (wantsCsv(req)) sendCsv(res, `${p.id}-second-payout-${year}`, payoutCsv(payout));
      else res.json(payout);
    });

    router.post('/whatif', ctx.json, async (req, res) => {
      requireRole(req.client, 'admin');
      const body: unknown = req.body;
      if (typeof body !== 'object' || body === null) throw new InvalidInput('请求体应为 JSON 对象 { pack, from, to }', [{ path: '(body)', message: '缺少请求体或不是 JSON 对象' }]);
      const { pack: packText, from, to, top } = body as Record<string, unknown>;
      if (typeof packText !== 'string') throw new InvalidInput('pack 应为候选政策包的 YAML 文本', [{ path: 'pack', message: 'expected a string' }]);
      const topCount = top === undefined ? 20 : typeof top === 'number' && Number.isInteger(top) && top >= 0 && top <= 200 ? top : NaN;
      if (Number.isNaN(topCount)) throw new InvalidInput('top 应为 0–200 的整数', [{ path: 'top', message: 'expected an integer 0–200' }]);
      const candidate = parseCandidatePack(packText);
      const period = parsePeriod(from, to);
      const result = await timed('whatif', () => whatIf({
        programmes: deps.programmes, candidate, source: deps.ledger, ledger: deps.ledger, period,
        top: topCount, maxSettlements: WHATIF_HTTP_MAX_SETTLEMENTS, deadline: deadline(),
      }));
      ctx.log.info({ requestId: req.requestId, programme: candidate.id, read: result.settlements.read, difference: result.totals.difference }, 'what-if run');
      if (wantsCsv(req)) sendCsv(res, `whatif-${candidate.id}`, whatIfCsv(result));
      else res.json(result);
    });

    router.post('/pricing', ctx.json, async (req, res) => {
      requireRole(req.client, 'admin');
      const body = pricingBody.safeParse(req.body);
      if (!body.success) throw new InvalidInput('定价测算的请求体无效', fieldErrors(body.error.issues));
      const { pack: candidateText, from, to, ...query } = body.data;
      const period = parsePeriod(from, to);
      const result = await timed('pricing', () => priceFigure({
        programmes: deps.programmes, candidateText, query, source: deps.ledger, ledger: deps.ledger, period,
        maxSettlements: WHATIF_HTTP_MAX_SETTLEMENTS, deadline: deadline(),
      }));
      ctx.log.info({ requestId: req.requestId, programme: result.programme.id, figure: result.figure.path, outcome: result.outcome, passes: result.passes }, 'pricing run');
      if (wantsCsv(req)) sendCsv(res, `pricing-${result.programme.id}`, pricingCsv(result));
      else res.json(result);
    });
  };
}
