/**
 * The direct-pay endpoints under /v1 (README.md beside this file). Who may do what:
 *   desk      reads claims, batches and the reconciliation of its own hospitals
 *   auditor   reads everything; uploads statements; reads reconciliation
 *   admin     everything, and replays dead letters
 *   insurer   (clients with `insurerCodes`) reads its own claims, batches and reconciliation, reports claim
 *             outcomes, uploads and lists its own statements — each call signed when its insurer has `signing`
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import * as z from 'zod';
import type { Client } from '../../schemas/clients.js';
import { requireHospital, requireRole } from '../../gateway/http/auth.js';
import { routeOf, type Content, type DataScopeRule, type ScopeRule } from '../../gateway/http/route-table.js';
import { Forbidden, InvalidInput, NotFound } from '../../gateway/errors.js';
import { identifier, isoDate } from '../../schemas/primitives.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { batchesCsv, buildBatches } from './batches.js';
import { claimState } from './claim-states.js';
import { claimView, type ClaimsStore, type ClaimView } from './claims-store.js';
import type { Insurer } from './config.js';
import { charsetOf, csvCharset, csvCharsetQuery, csvFile, decodeCsvUpload } from '../../gateway/csv.js';
import { daysBetween } from './days.js';
import { listDeadLetters, type DeadLetterDeps } from './dead-letters.js';
import type { InsurerDelivery } from './delivery.js';
import { reconciliationReport, reportCsv } from './report.js';
import { parseCsvStatement, parseStatement, statement } from './statements.js';
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
  log: Logger;
  clock: () => Date;
}

const ID_PARAM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/;
/** Ids become store keys: anything else cannot name a claim (404), and never reaches the store. */
function claimKey(value: string, name: string): string {
  if (!ID_PARAM.test(value)) throw new NotFound(`无此理赔 ${name}`);
  return value;
}

const day = isoDate.meta({ description: 'YYYY-MM-DD' });
/** One day (`date`) or a period (`from`, `to`, both days included). */
const periodQuery = z.object({ date: day.optional().meta({ description: 'one day (or from and to)' }), from: day.optional().meta({ description: 'first day' }), to: day.optional().meta({ description: 'last day' }) });
function periodOf(query: z.output<typeof periodQuery>): { from: string; to: string } {
  const from = query.date ?? query.from;
  const to = query.date ?? query.to;
  const missing = [...(from ? [] : [{ path: query.date ? 'date' : 'from', message: '应为日期 YYYY-MM-DD' }]), ...(to ? [] : [{ path: 'to', message: '应为日期 YYYY-MM-DD' }])];
  if (!from || !to) throw new InvalidInput('须给出 date，或 from 与 to', missing);
  try { daysBetween(from, to); } catch (e) { throw new InvalidInput('期间不正确', [{ path: 'to', message: e instanceof Error ? e.message : String(e) }]); }
  return { from, to };
}
const hospitalQuery = z.object({ hospitalId: identifier(32).optional().meta({ description: 'one hospital' }) });
const csvQuery = z.object({ format: z.enum(['json', 'csv']).optional().meta({ description: 'csv for a spreadsheet (or Accept: text/csv)' }), charset: csvCharsetQuery });
const insurerPath = z.object({ insurerCode: z.string().meta({ description: "the packs' payer.insurerCode, configured in INSURERS_FILE" }) });

const isInsurerOf = (client: Client, code: string) => client.roles.includes('insurer') && (client.insurerCodes ?? []).includes(code);

/**
 * The body of a call an insurer may make, as bytes: its signature covers them exactly (a parser's text
 * could differ by a BOM or a charset). Parsed afterwards: JSON by the gateway's one JSON reader; CSV
 * left as bytes for the statement reader; anything else is no body.
 */
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

function sendCsv(res: Response, charset: string | undefined, rows: string[][], filename: string): void {
  const { body, contentType } = csvFile(rows, csvCharset(charset));
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  res.type(contentType).send(body);
}

const wantsCsv = (req: Request, format: 'json' | 'csv' | undefined): boolean => format === 'csv' || (format === undefined && (req.accepts(['application/json', 'text/csv']) === 'text/csv'));

/** Who may read an insurer's claims, batches and reconciliation (requireReader), as the table declares it. */
const readerScope: ScopeRule<{ insurerCode: string }, { hospitalId?: string | undefined }> = {
  describe: 'an insurer client: its own insurerCodes; a desk: its own hospital, named by hospitalId (unless it acts for every hospital); admin, auditor: any',
  check: (client, { params, query }) => requireReader(client, params.insurerCode, query.hospitalId),
};
/** A settlement's claims: the readers' rule (requireReader) on the hospital of the claims found. */
const claimsFoundScope: DataScopeRule<{ insurerCode: string }> = {
  describe: "as the claims' other reads, on the hospital of the claims found",
  admit: (client, hospitalId, { params }) => requireReader(client, params.insurerCode, hospitalId),
};
/** The insurer's own calls: an insurer client for its own codes (admins, and auditors where listed, for any). */
const ownInsurerScope: ScopeRule<{ insurerCode: string }, unknown> = {
  describe: 'an insurer client: its own insurerCodes only',
  check: (client, { params }) => {
    if (!client.roles.includes('admin') && !client.roles.includes('auditor') && !isInsurerOf(client, params.insurerCode)) throw new Forbidden(`客户端 ${client.name} 无权代表保险公司 ${params.insurerCode}`);
  },
};

const json = (description: string, body: Content = z.record(z.string(), z.unknown())) => ({ description, content: { 'application/json': body } });
const csvOr = (description: string) => ({ description, content: { 'application/json': z.record(z.string(), z.unknown()), 'text/csv': { text: 'UTF-8 with BOM, or GBK with charset=gbk' } } });
const claimList = z.object({ insurerCode: z.string(), claims: z.array(claimView) });
/** The headers of a call an insurer signs (signature.ts); required of the insurer's own client when its configuration has `signing`. */
const signedCall = 'From an insurer client whose insurer has `signing`: X-Timestamp (Unix seconds, within maxSkewSeconds), X-Nonce (16–64 of A–Z a–z 0–9 _ -, new for every call), X-Signature (<algorithm>=<hex HMAC> over METHOD \\n path?query \\n timestamp \\n nonce \\n hex digest of the body); refused as 401 SIGNATURE_INVALID, SIGNATURE_EXPIRED or NONCE_REPLAYED';

/** The insurer's report of a claim's outcome (callback). */
const statusReport = z.object({
  status: z.enum(['accepted', 'rejected', 'paid']),
  reason: z.string().min(1).max(REASON_MAX_CHARS).optional(),
  paidAmount: z.string().regex(/^\d+\.\d{2}$/).optional(),
  paidOn: isoDate.optional(),
  paymentRef: z.string().max(100).optional(),
}).strict().refine((r) => r.status !== 'rejected' || r.reason !== undefined, { message: '拒付须说明原因', path: ['reason'] });

const insurerOf = (deps: RouteDeps, code: string): Insurer => {
  const insurer = deps.insurers.get(code);
  if (!insurer) throw new NotFound(`未配置保险公司 ${code}`);
  return insurer;
};
const visible = (client: Client | undefined, insurerCode: string, views: ClaimView[]): ClaimView[] => {
  if (!client || isInsurerOf(client, insurerCode) || client.roles.includes('admin') || client.roles.includes('auditor') || client.hospitalIds === '*') return views;
  const own = client.hospitalIds;
  return views.filter((v) => own.includes(v.hospitalId));
};
/** A call of the insurer's own client, verified when its insurer signs; a refusal is a security event: counted and logged. */
async function verifyInsurerCall(deps: RouteDeps, req: Request, insurer: Insurer): Promise<void> {
  try {
    await verifySignedCall(req, bytesOf(req), insurer, deps.nonces, wallClockMs());
  } catch (error) {
    if (error instanceof SignatureRefused) {
      deps.metrics.signedCallsRefused.inc({ insurer: insurer.code, code: error.code });
      deps.log.warn({ requestId: req.requestId, insurer: insurer.code, client: req.client?.name, code: error.code }, 'insurer: signed call refused');
    }
    throw error;
  }
}

const route = routeOf<RouteDeps>();
const bytes = (content: Record<string, Content>, limitTimes?: number) => ({ read: 'bytes' as const, content, ...(limitTimes ? { limitTimes } : {}) });

export const insurerRoutes = [
  route({
    method: 'get', path: '/insurers', summary: 'Configured insurers and the state of each delivery (auditor, admin)',
    access: { roles: ['admin', 'auditor'] },
    answers: { 200: json('Insurers') }, problems: {},
    handler: (deps) => ({ res }) => {
      res.json({ insurers: [...deps.insurers.values()].map((i) => ({ code: i.code, name: i.name, programmes: i.programmes, identifiers: i.identifiers, cutoff: i.cutoff, delivery: deps.deliveries.get(i.code)?.snapshot() ?? null })) });
    },
  }),
  route({
    method: 'get', path: '/claims/:insurerCode/batches', summary: 'Daily batches (机构交单) per hospital: batchNo, counts, totals, claims',
    access: { roles: ['desk', 'admin', 'auditor', 'insurer'], scope: readerScope },
    params: insurerPath,
    query: z.object({ date: day.meta({ description: 'the batch day' }), ...hospitalQuery.shape, ...csvQuery.shape }),
    answers: { 200: csvOr('The batches') }, problems: { 404: 'Unknown insurer' },
    handler: (deps) => async ({ params, query, client, req, res }) => {
      const insurer = insurerOf(deps, params.insurerCode);
      const { date, hospitalId } = query;
      const views: ClaimView[] = [];
      for await (const v of deps.claims.all(insurer.code, { from: date, to: date, by: 'batch', ...(hospitalId ? { hospitalId } : {}) })) views.push(v);
      const batches = buildBatches(insurer.code, date, insurer.cutoff, visible(client, insurer.code, views), deps.clock().getTime());
      if (wantsCsv(req, query.format)) return sendCsv(res, query.charset, batchesCsv(batches), `batches-${insurer.code}-${date}.csv`);
      res.json({ insurerCode: insurer.code, date, cutoff: insurer.cutoff, batches });
    },
  }),
  route({
    method: 'get', path: '/claims/:insurerCode/dead-letters', summary: 'Dead letters (admin), without personal data',
    access: { roles: ['admin'] },
    params: insurerPath,
    answers: { 200: json('Letters with claim id, reason, replayed') }, problems: { 404: 'Unknown insurer' },
    handler: (deps) => async ({ params, res }) => {
      const insurer = insurerOf(deps, params.insurerCode);
      res.json({ insurerCode: insurer.code, deadLetters: await listDeadLetters(deps.deadLetters, insurer.code) });
    },
  }),
  route({
    method: 'post', path: '/claims/:insurerCode/dead-letters/replay', summary: 'Send every dead claim not delivered since, in order, as the delivery sends them (admin)',
    access: { roles: ['admin'] },
    params: insurerPath,
    answers: { 200: json('{ replayed: [claimId], failed: [{ id, reason }], skipped }') }, problems: { 404: 'Unknown insurer, or its delivery does not run in this process (INSURER_DELIVERY_ENABLED)' },
    handler: (deps) => async ({ params, req, res }) => {
      const insurer = insurerOf(deps, params.insurerCode);
      // The delivery sends them (its breaker, its rate limit, in order); it runs where INSURER_DELIVERY_ENABLED is on.
      const delivery = deps.deliveries.get(insurer.code);
      if (!delivery) throw new NotFound(`本实例未运行保险公司 ${insurer.code} 的理赔投递（INSURER_DELIVERY_ENABLED），请在运行投递的实例上重放`);
      const result = await delivery.replayDeadLetters();
      deps.log.info({ requestId: req.requestId, insurer: insurer.code, replayed: result.replayed.length, failed: result.failed.length, skipped: result.skipped }, 'insurer: dead letters replayed');
      res.json({ insurerCode: insurer.code, ...result });
    },
  }),
  route({
    method: 'post', path: '/claims/:insurerCode/:claimId/status',
    summary: "The insurer's decision or payment (role insurer for its own codes, signed when it signs; or admin); never moves a claim backwards",
    access: { roles: ['insurer', 'admin'], scope: ownInsurerScope },
    params: insurerPath.extend({ claimId: z.string().meta({ description: 'clm_… or rev_…' }) }),
    // Read as bytes: the signature covers them exactly; judged by statusReport once verified.
    body: bytes({ 'application/json': statusReport }),
    answers: { 200: json('The claim, with transition new | same | behind', claimView.extend({ transition: z.enum(['new', 'same', 'behind']) })) },
    problems: { 401: signedCall, 404: 'Unknown insurer or claim' },
    handler: (deps) => async ({ params, client, req, res }) => {
      const insurer = insurerOf(deps, params.insurerCode);
      if (client && isInsurerOf(client, insurer.code)) await verifyInsurerCall(deps, req, insurer);
      const parsed = statusReport.safeParse(parsedBody(req));
      if (!parsed.success) throw new InvalidInput('状态报告格式不正确', parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })));
      const claimId = claimKey(params.claimId, 'claimId');
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
    },
  }),
  route({
    method: 'get', path: '/claims/:insurerCode/:gatewayId', summary: "A settlement's claims and reversals at this insurer, with state, receipt, reason and history",
    // The hospital is known only once the claims are found: the reader's scope is admitted on it then.
    access: { roles: ['desk', 'admin', 'auditor', 'insurer'], scopeOnData: claimsFoundScope },
    params: insurerPath.extend({ gatewayId: z.string().meta({ description: 'the settlement (stl_…)' }) }),
    answers: { 200: json('The claims', claimList.extend({ gatewayId: z.string() })) }, problems: { 404: 'Unknown insurer or claim' },
    handler: (deps) => async ({ params, scope, res }) => {
      const insurer = insurerOf(deps, params.insurerCode);
      const gatewayId = claimKey(params.gatewayId, 'gatewayId');
      const ids = insurer.programmes.flatMap((p) => [`clm_${gatewayId}_${p}`, `rev_${gatewayId}_${p}`]);
      const views = await deps.claims.views(insurer.code, ids);
      const first = views[0];
      if (!first) throw new NotFound(`保险公司 ${insurer.code} 无结算 ${gatewayId} 的理赔`);
      scope.admit(first.hospitalId);
      res.json({ insurerCode: insurer.code, gatewayId, claims: views });
    },
  }),
  route({
    method: 'get', path: '/claims/:insurerCode', summary: 'Direct-pay claims by settlement day (+08:00), hospital and state',
    access: { roles: ['desk', 'admin', 'auditor', 'insurer'], scope: readerScope },
    params: insurerPath,
    query: periodQuery.extend({
      ...hospitalQuery.shape,
      state: claimState.optional().meta({ description: 'current state' }),
      offset: z.coerce.number({ error: '分页参数应满足 offset ≥ 0' }).int().min(0).default(0).meta({ description: 'paging' }),
      limit: z.coerce.number({ error: '分页参数应满足 1 ≤ limit ≤ 1000' }).int().min(1).max(1000).default(100).meta({ description: '1–1000, default 100' }),
    }),
    answers: { 200: json('A page of claims; nextOffset when more', claimList.extend({ nextOffset: z.int().optional() })) }, problems: { 404: 'Unknown insurer' },
    handler: (deps) => async ({ params, query, client, res }) => {
      const insurer = insurerOf(deps, params.insurerCode);
      const { from, to } = periodOf(query);
      const { hospitalId, state, offset, limit } = query;
      const page = await deps.claims.list(insurer.code, { from, to, ...(hospitalId ? { hospitalId } : {}), ...(state ? { state } : {}), offset, limit });
      res.json({ insurerCode: insurer.code, from, to, claims: visible(client, insurer.code, page.claims), ...(page.nextOffset !== undefined ? { nextOffset: page.nextOffset } : {}) });
    },
  }),
  route({
    method: 'post', path: '/reconciliation/:insurerCode/statements',
    summary: "Upload an insurer's statement (auditor, admin, or the insurer itself for its own code, signed when it signs); the same statement again changes nothing; an upload that failed counts for nothing and may be sent again",
    // An insurer uploads its own statements with its own credential (signed when it signs); auditors and admins any insurer's.
    access: { roles: ['auditor', 'admin', 'insurer'], scope: ownInsurerScope },
    params: insurerPath,
    query: z.object({
      statementNo: z.string().optional().meta({ description: 'CSV only' }), from: z.string().optional().meta({ description: 'CSV only' }), to: z.string().optional().meta({ description: 'CSV only' }),
      charset: csvCharsetQuery,
    }),
    body: bytes({
      'application/json': statement,
      'text/csv': { text: 'header claimId,hospitalId,settledOn,amount,paidOn,paymentRef; dates YYYY-MM-DD or as Excel writes them (2026/12/6, 2026/1/5 9:05); a refused cell is named by its row of the file (header = row 1) and column' },
    }, 10),
    answers: { 201: json('Stored'), 200: json('Already stored with the same content (Idempotent-Replay: true)') },
    problems: { 401: signedCall, 404: 'Unknown insurer', 409: 'The statement number was stored with other content (also by an upload that overlapped this one); nothing of this upload counts' },
    handler: (deps) => async ({ params, query, client, req, res }) => {
      const insurer = insurerOf(deps, params.insurerCode);
      if (client && isInsurerOf(client, insurer.code)) await verifyInsurerCall(deps, req, insurer);
      const body = parsedBody(req);
      if (!Buffer.isBuffer(body) && (typeof body !== 'object' || body === null)) throw new InvalidInput('需要 JSON 对账单或 text/csv', [{ path: '(body)', message: 'missing' }]);
      const uploaded = Buffer.isBuffer(body)
        ? parseCsvStatement(decodeCsvUpload(body, query.charset === undefined ? charsetOf(req.get('content-type')) : csvCharset(query.charset)).text, { statementNo: query.statementNo, from: query.from, to: query.to })
        : parseStatement(body);
      const { statement: stored, replay } = await deps.statements.upload(insurer.code, uploaded, client?.name ?? '', deps.clock());
      deps.log.info({ requestId: req.requestId, insurer: insurer.code, statementNo: stored.statementNo, lines: stored.lines, replay }, 'insurer: statement uploaded');
      if (replay) res.status(200).setHeader('Idempotent-Replay', 'true');
      else res.status(201);
      res.json({ insurerCode: insurer.code, ...stored });
    },
  }),
  route({
    method: 'get', path: '/reconciliation/:insurerCode/statements', summary: 'Statements uploaded whose period starts in [from, to] (auditor, admin, the insurer for its own code)',
    access: { roles: ['auditor', 'admin', 'insurer'], scope: ownInsurerScope },
    params: insurerPath,
    query: periodQuery,
    answers: { 200: json('The statements: number, period, lines, total, known and unknown claims, uploaded at and by') }, problems: { 404: 'Unknown insurer' },
    handler: (deps) => async ({ params, query, res }) => {
      const insurer = insurerOf(deps, params.insurerCode);
      const { from, to } = periodOf(query);
      res.json({ insurerCode: insurer.code, from, to, statements: await deps.statements.list(insurer.code, { from, to }) });
    },
  }),
  route({
    method: 'get', path: '/reconciliation/:insurerCode',
    summary: "Reconciliation report: matched, missingAtInsurer, unknownToGateway, amountMismatch, reversedButPaid, rejectedButPaid, paidTwice, with totals and completeness (the ledger's claims and reversals not yet taken in)",
    // A hospital's finance office reconciles its own hospital at month end; auditors and admins any.
    access: { roles: ['desk', 'admin', 'auditor', 'insurer'], scope: readerScope },
    params: insurerPath,
    query: periodQuery.extend({ ...hospitalQuery.shape, ...csvQuery.shape }),
    answers: { 200: csvOr('The report') }, problems: { 404: 'Unknown insurer' },
    handler: (deps) => async ({ params, query, req, res }) => {
      const insurer = insurerOf(deps, params.insurerCode);
      const { from, to } = periodOf(query);
      const { hospitalId } = query;
      const report = await reconciliationReport({ claims: deps.claims, statements: deps.statements, ledger: deps.ledger, programmes: insurer.programmes }, insurer.code, { from, to, ...(hospitalId ? { hospitalId } : {}) });
      if (wantsCsv(req, query.format)) return sendCsv(res, query.charset, reportCsv(report), `reconciliation-${insurer.code}-${from}-${to}.csv`);
      res.json(report);
    },
  }),
];
