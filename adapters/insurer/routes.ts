/**
 * The direct-pay endpoints under /v1 (README.md beside this file). Who may do what:
 *   desk      reads claims, batches and the reconciliation of its own hospitals
 *   auditor   reads everything; uploads statements; reads reconciliation
 *   admin     everything, and replays dead letters
 *   insurer   (clients with `insurerCodes`) reads its own claims, batches and reconciliation, reports claim
 *             outcomes, uploads and lists its own statements — each call signed when its insurer has `signing`
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Client } from '../../schemas/clients.js';
import type { ExtensionContext } from '../../gateway/http/app.js';
import { requireHospital, requireRole } from '../../gateway/http/auth.js';
import { Forbidden, InvalidInput, NotFound } from '../../gateway/errors.js';
import { identifier, isoDate } from '../../schemas/primitives.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { z } from 'zod';
import { batchesCsv, buildBatches } from './batches.js';
import { claimState } from './claim-states.js';
import type { ClaimsStore, ClaimView } from './claims-store.js';
import type { Insurer } from './config.js';
import { charsetOf, csvCharset, csvFile, decodeCsvUpload } from '../../gateway/csv.js';
import { daysBetween } from './days.js';
import { listDeadLetters, type DeadLetterDeps } from './dead-letters.js';
import type { InsurerDelivery } from './delivery.js';
import { reconciliationReport, reportCsv } from './report.js';
import { parseCsvStatement, parseStatement } from './statements.js';
import type { StatementsStore } from './statements-store.js';
import { REASON_MAX_CHARS } from './insurer-client.js';
import { maskedExcerpt } from '../../gateway/mask-text.js';
import { parseJsonText } from '../../gateway/service/json-text.js';
import { SignatureRefused, verifySignedCall, type NonceLedger } from './signed-calls.js';
import type { InsurerMetrics } from './metrics.js';

export interface RouteDeps {
  insurers: ReadonlyMap<string, Insurer>;
  deliveries: ReadonlyMap<string, InsurerDelivery>;
  claims: ClaimsStore;
  statements: StatementsStore;
  deadLetters: DeadLetterDeps;
  ledger: LedgerPort;
  nonces: NonceLedger;
  metrics: InsurerMetrics;
  bodyLimitBytes: number;
  clock: () => Date;
}

const param = (req: Request, name: string): string => String(req.params[name] ?? '');
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const ID_PARAM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/;
/** Ids become store keys: anything else cannot name a claim (404), and never reaches the store. */
function idParam(req: Request, name: string): string {
  const value = param(req, name);
  if (!ID_PARAM.test(value)) throw new NotFound(`无此理赔 ${name}`);
  return value;
}
function hospitalQuery(req: Request): string | undefined {
  const value = text(req.query.hospitalId);
  if (value !== undefined && !identifier(32).safeParse(value).success) throw new InvalidInput('hospitalId 不正确', [{ path: 'hospitalId', message: 'letters, digits, dot, underscore or hyphen; at most 32' }]);
  return value;
}

function dateParam(value: unknown, name: string): string {
  const parsed = isoDate.safeParse(value);
  if (!parsed.success) throw new InvalidInput(`${name} 应为日期 YYYY-MM-DD`, [{ path: name, message: 'expected YYYY-MM-DD' }]);
  return parsed.data;
}

function period(req: Request): { from: string; to: string } {
  const date = text(req.query.date);
  const from = dateParam(date ?? req.query.from, date ? 'date' : 'from');
  const to = dateParam(date ?? req.query.to, date ? 'date' : 'to');
  try { daysBetween(from, to); } catch (e) { throw new InvalidInput('期间不正确', [{ path: 'to', message: (e as Error).message }]); }
  return { from, to };
}

const isInsurerOf = (client: Client, code: string) => client.roles.includes('insurer') && (client.insurerCodes ?? []).includes(code);

/**
 * The body of a call an insurer may make, as bytes: its signature covers them exactly (a parser's text
 * could differ by a BOM or a charset). Parsed afterwards: JSON by the gateway's one JSON reader; CSV
 * left as bytes for the statement reader; anything else is no body.
 */
const rawBody = (limitBytes: number) => express.raw({ limit: limitBytes, type: () => true });
function parsedBody(req: Request): unknown {
  const bytes: unknown = req.body;
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return undefined;
  if (req.is(['application/json', 'application/*+json'])) return parseJsonText(bytes.toString('utf8'));
  if (req.is(['text/csv', 'text/plain'])) return bytes;
  return undefined;
}
const bytesOf = (req: Request): Buffer => { const bytes: unknown = req.body; return Buffer.isBuffer(bytes) ? bytes : Buffer.alloc(0); };
/** A signature's timestamp is checked against the wall clock, never deps.clock: that one dates claims and batches (and tests move it). */
const wallClockMs = (): number => Date.now();

/** Reads of an insurer's claims: its own insurer client, auditors and admins; desks for their hospitals (named). */
function requireReader(client: Client | undefined, code: string, hospitalId: string | undefined): void {
  const c = requireRole(client, 'desk', 'admin', 'auditor', 'insurer');
  if (isInsurerOf(c, code) || c.roles.includes('admin') || c.roles.includes('auditor')) return;
  if (c.roles.includes('desk')) {
    if (hospitalId === undefined && c.hospitalIds !== '*') throw new Forbidden('请指定本院的 hospitalId');
    if (hospitalId !== undefined) requireHospital(c, hospitalId, 'desk');
    return;
  }
  throw new Forbidden(`客户端 ${c.name} 无权代表保险公司 ${code}`);
}

function sendCsv(res: Response, req: Request, rows: string[][], filename: string): void {
  const { body, contentType } = csvFile(rows, csvCharset(req.query.charset));
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  res.type(contentType).send(body);
}

const wantsCsv = (req: Request): boolean => req.query.format === 'csv' || (req.query.format === undefined && (req.accepts(['application/json', 'text/csv']) === 'text/csv'));

/** The insurer's report of a claim's outcome (callback). */
export const statusReport = z.object({
  status: z.enum(['accepted', 'rejected', 'paid']),
  reason: z.string().min(1).max(REASON_MAX_CHARS).optional(),
  paidAmount: z.string().regex(/^\d+\.\d{2}$/).optional(),
  paidOn: isoDate.optional(),
  paymentRef: z.string().max(100).optional(),
}).strict().refine((r) => r.status !== 'rejected' || r.reason !== undefined, { message: '拒付须说明原因', path: ['reason'] });

export function insurerRoutes(deps: RouteDeps) {
  const insurerOf = (req: Request): Insurer => {
    const insurer = deps.insurers.get(param(req, 'insurerCode'));
    if (!insurer) throw new NotFound(`未配置保险公司 ${param(req, 'insurerCode')}`);
    return insurer;
  };
  const visible = (req: Request, views: ClaimView[]): ClaimView[] => {
    const c = req.client!;
    if (isInsurerOf(c, param(req, 'insurerCode')) || c.roles.includes('admin') || c.roles.includes('auditor') || c.hospitalIds === '*') return views;
    return views.filter((v) => (c.hospitalIds as string[]).includes(v.hospitalId));
  };

  return (v1: Router, ctx: ExtensionContext) => {
    /** A call of the insurer's own client, verified when its insurer signs; a refusal is a security event: counted and logged. */
    const verifyInsurerCall = async (req: Request, insurer: Insurer): Promise<void> => {
      try {
        await verifySignedCall(req, bytesOf(req), insurer, deps.nonces, wallClockMs());
      } catch (error) {
        if (error instanceof SignatureRefused) {
          deps.metrics.signedCallsRefused.inc({ insurer: insurer.code, code: error.code });
          ctx.log.warn({ requestId: req.requestId, insurer: insurer.code, client: req.client?.name, code: error.code }, 'insurer: signed call refused');
        }
        throw error;
      }
    };

    v1.get('/insurers', (req, res) => {
      requireRole(req.client, 'admin', 'auditor');
      res.json({ insurers: [...deps.insurers.values()].map((i) => ({ code: i.code, name: i.name, programmes: i.programmes, identifiers: i.identifiers, cutoff: i.cutoff, delivery: deps.deliveries.get(i.code)?.snapshot() ?? null })) });
    });

    v1.get('/claims/:insurerCode/batches', async (req, res) => {
      const insurer = insurerOf(req);
      const hospitalId = hospitalQuery(req);
      requireReader(req.client, insurer.code, hospitalId);
      const date = dateParam(req.query.date, 'date');
      const views: ClaimView[] = [];
      for await (const v of deps.claims.all(insurer.code, { from: date, to: date, by: 'batch', ...(hospitalId ? { hospitalId } : {}) })) views.push(v);
      const batches = buildBatches(insurer.code, date, insurer.cutoff, visible(req, views), deps.clock().getTime());
      if (wantsCsv(req)) return sendCsv(res, req, batchesCsv(batches), `batches-${insurer.code}-${date}.csv`);
      res.json({ insurerCode: insurer.code, date, cutoff: insurer.cutoff, batches });
    });

    v1.get('/claims/:insurerCode/dead-letters', async (req, res) => {
      const insurer = insurerOf(req);
      requireRole(req.client, 'admin');
      res.json({ insurerCode: insurer.code, deadLetters: await listDeadLetters(deps.deadLetters, insurer.code) });
    });

    v1.post('/claims/:insurerCode/dead-letters/replay', async (req, res) => {
      const insurer = insurerOf(req);
      requireRole(req.client, 'admin');
      // The delivery sends them (its breaker, its rate limit, in order); it runs where INSURER_DELIVERY_ENABLED is on.
      const delivery = deps.deliveries.get(insurer.code);
      if (!delivery) throw new NotFound(`本实例未运行保险公司 ${insurer.code} 的理赔投递（INSURER_DELIVERY_ENABLED），请在运行投递的实例上重放`);
      const result = await delivery.replayDeadLetters();
      ctx.log.info({ requestId: req.requestId, insurer: insurer.code, replayed: result.replayed.length, failed: result.failed.length, skipped: result.skipped }, 'insurer: dead letters replayed');
      res.json({ insurerCode: insurer.code, ...result });
    });

    v1.post('/claims/:insurerCode/:claimId/status', rawBody(deps.bodyLimitBytes), async (req, res) => {
      const insurer = insurerOf(req);
      const c = requireRole(req.client, 'insurer', 'admin');
      if (!c.roles.includes('admin') && !isInsurerOf(c, insurer.code)) throw new Forbidden(`客户端 ${c.name} 无权代表保险公司 ${insurer.code}`);
      if (isInsurerOf(c, insurer.code)) await verifyInsurerCall(req, insurer);
      const parsed = statusReport.safeParse(parsedBody(req));
      if (!parsed.success) throw new InvalidInput('状态报告格式不正确', parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })));
      const claimId = idParam(req, 'claimId');
      const record = await deps.claims.get(insurer.code, claimId);
      if (!record) throw new NotFound(`网关无理赔 ${claimId}`);
      const r = parsed.data;
      const verdict = await deps.claims.record(insurer.code, claimId, {
        state: r.status, at: deps.clock().toISOString(), source: 'callback',
        ...(r.reason ? { reason: maskedExcerpt(r.reason, REASON_MAX_CHARS) } : {}), ...(r.status === 'paid' ? { paidAmount: r.paidAmount ?? record.amount } : {}),
        ...(r.paidOn ? { paidOn: r.paidOn } : {}), ...(r.paymentRef ? { paymentRef: r.paymentRef } : {}),
      });
      if (verdict === 'contradicts') throw new InvalidInput(`理赔 ${claimId} 的状态与已报告的状态矛盾，请与医院核对`, [{ path: 'status', message: `contradicts the state already reported` }]);
      const [view] = await deps.claims.views(insurer.code, [claimId]);
      res.json({ ...view, transition: verdict });
    });

    v1.get('/claims/:insurerCode/:gatewayId', async (req, res) => {
      const insurer = insurerOf(req);
      requireRole(req.client, 'desk', 'admin', 'auditor', 'insurer');
      const gatewayId = idParam(req, 'gatewayId');
      const ids = insurer.programmes.flatMap((p) => [`clm_${gatewayId}_${p}`, `rev_${gatewayId}_${p}`]);
      const views = await deps.claims.views(insurer.code, ids);
      if (views.length === 0) throw new NotFound(`保险公司 ${insurer.code} 无结算 ${gatewayId} 的理赔`);
      requireReader(req.client, insurer.code, views[0]!.hospitalId);
      res.json({ insurerCode: insurer.code, gatewayId, claims: views });
    });

    v1.get('/claims/:insurerCode', async (req, res) => {
      const insurer = insurerOf(req);
      const hospitalId = hospitalQuery(req);
      requireReader(req.client, insurer.code, hospitalId);
      const { from, to } = period(req);
      const state = req.query.state === undefined ? undefined : claimState.safeParse(req.query.state);
      if (state && !state.success) throw new InvalidInput('state 不正确', [{ path: 'state', message: `one of ${claimState.options.join(', ')}` }]);
      const offset = Number(text(req.query.offset) ?? '0');
      const limit = Number(text(req.query.limit) ?? '100');
      if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInput('分页参数应满足 offset ≥ 0、1 ≤ limit ≤ 1000', [{ path: 'limit', message: '超出范围' }]);
      const page = await deps.claims.list(insurer.code, { from, to, ...(hospitalId ? { hospitalId } : {}), ...(state?.success ? { state: state.data } : {}), offset, limit });
      res.json({ insurerCode: insurer.code, from, to, claims: visible(req, page.claims), ...(page.nextOffset !== undefined ? { nextOffset: page.nextOffset } : {}) });
    });

    v1.post('/reconciliation/:insurerCode/statements', rawBody(deps.bodyLimitBytes * 10), async (req, res) => {
      const insurer = insurerOf(req);
      // An insurer uploads its own statements with its own credential (signed when it signs); auditors and admins any insurer's.
      const c = requireRole(req.client, 'auditor', 'admin', 'insurer');
      const asInsurer = !c.roles.includes('admin') && !c.roles.includes('auditor');
      if (asInsurer && !isInsurerOf(c, insurer.code)) throw new Forbidden(`客户端 ${c.name} 无权代表保险公司 ${insurer.code} 上传对账单`);
      if (isInsurerOf(c, insurer.code)) await verifyInsurerCall(req, insurer);
      const body = parsedBody(req);
      if (!Buffer.isBuffer(body) && (typeof body !== 'object' || body === null)) throw new InvalidInput('需要 JSON 对账单或 text/csv', [{ path: '(body)', message: 'missing' }]);
      const statement = Buffer.isBuffer(body)
        ? parseCsvStatement(decodeCsvUpload(body, req.query.charset === undefined ? charsetOf(req.get('content-type')) : csvCharset(req.query.charset)).text, { statementNo: req.query.statementNo, from: req.query.from, to: req.query.to })
        : parseStatement(body);
      const { statement: stored, replay } = await deps.statements.upload(insurer.code, statement, c.name, deps.clock());
      ctx.log.info({ requestId: req.requestId, insurer: insurer.code, statementNo: stored.statementNo, lines: stored.lines, replay }, 'insurer: statement uploaded');
      if (replay) res.status(200).setHeader('Idempotent-Replay', 'true');
      else res.status(201);
      res.json({ insurerCode: insurer.code, ...stored });
    });

    v1.get('/reconciliation/:insurerCode/statements', async (req, res) => {
      const insurer = insurerOf(req);
      const c = requireRole(req.client, 'auditor', 'admin', 'insurer');
      if (!c.roles.includes('admin') && !c.roles.includes('auditor') && !isInsurerOf(c, insurer.code)) throw new Forbidden(`客户端 ${c.name} 无权代表保险公司 ${insurer.code}`);
      const { from, to } = period(req);
      res.json({ insurerCode: insurer.code, from, to, statements: await deps.statements.list(insurer.code, { from, to }) });
    });

    v1.get('/reconciliation/:insurerCode', async (req, res) => {
      const insurer = insurerOf(req);
      const hospitalId = hospitalQuery(req);
      // A hospital's finance office reconciles its own hospital at month end; auditors and admins any.
      requireReader(req.client, insurer.code, hospitalId);
      const { from, to } = period(req);
      const report = await reconciliationReport({ claims: deps.claims, statements: deps.statements, ledger: deps.ledger, programmes: insurer.programmes }, insurer.code, { from, to, ...(hospitalId ? { hospitalId } : {}) });
      if (wantsCsv(req)) return sendCsv(res, req, reportCsv(report), `reconciliation-${insurer.code}-${from}-${to}.csv`);
      res.json(report);
    });
  };
}
