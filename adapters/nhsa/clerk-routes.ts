/**
 * The clerk's /v1/nhsa routes, declared in the route table: the 3202 detail of a hospital and period, the
 * hospital's detail file compared with it, and the delivery's dead letters and their replay.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import * as z from 'zod';
import { InvalidInput, NotFound } from '../../gateway/errors.js';
import { routeOf, type Content } from '../../gateway/http/route-table.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { charsetOf, csvCharset, csvCharsetQuery, csvFile, decodeCsvUpload } from '../../gateway/csv.js';
import type { NhsaDelivery } from './delivery.js';
import { NhsaFault } from './fault.js';
import { date } from './inputs.js';
import { applyFilters, compareDetail, comparisonRows, detailRows, hospitalRows, STATEMENT_COLUMNS } from './reconcile.js';
import type { Mapping2304Options } from './settlement-2304.js';
import { statementRows } from './statements.js';
import type { Stays } from './stays.js';
import { readNational } from './wire.js';

export interface ClerkRouteDeps {
  ledger: LedgerPort;
  stays: Stays;
  mapping: Mapping2304Options;
  /** Absent: delivery to the platform is not configured (NHSA_PLATFORM_URL). */
  delivery: NhsaDelivery | undefined;
  log: Logger;
}

/** The clerk's detail file as JSON: { "detail": [ rows ] }. */
const detailFile = z.object({ detail: z.array(z.unknown()) });

/** The period and hospital of the gateway's 对账 rows, with the 3202 filters. */
const statementQuery = z.object({
  fixmedins_code: z.string({ error: '必填项缺失' }).min(1, '必填项缺失').meta({ description: 'the hospital (定点医药机构编号)' }),
  begndate: z.string().default('').pipe(date).meta({ description: 'first settlement day, yyyy-MM-dd' }),
  enddate: z.string().default('').pipe(date).meta({ description: 'last settlement day, yyyy-MM-dd' }),
  insutype: z.string().optional().meta({ description: '险种类型 filter' }),
  clr_type: z.string().optional().meta({ description: '清算类别 filter' }),
  setl_optins: z.string().optional().meta({ description: '结算经办机构 filter' }),
  format: z.enum(['json', 'csv']).optional().meta({ description: 'csv for the detail file (or Accept: text/csv)' }),
  charset: csvCharsetQuery,
});
type StatementQuery = z.output<typeof statementQuery>;

const statementAccess = { roles: ['desk', 'admin', 'auditor'], hospital: { query: 'fixmedins_code' } } as const;

/** The gateway's 对账 rows of a hospital and period, for the clerk. */
async function rowsFor(deps: ClerkRouteDeps, query: StatementQuery) {
  try {
    const rows = await statementRows(deps.ledger, deps.stays, deps.mapping, query.fixmedins_code, query.begndate, query.enddate);
    return applyFilters(rows, { insutype: query.insutype, clr_type: query.clr_type, setl_optins: query.setl_optins });
  } catch (error) {
    if (error instanceof NhsaFault) throw new InvalidInput(error.message, [{ path: 'query', message: error.message }]);
    throw error;
  }
}
const wantsCsv = (req: Request, query: StatementQuery) => query.format === 'csv' || (req.headers.accept ?? '').includes('text/csv');
// For the clerk's Excel: UTF-8 with a BOM, or GBK with ?charset=gbk, as every CSV the gateway serves.
const sendCsv = (res: Response, query: StatementQuery, rows: ReadonlyArray<ReadonlyArray<string | number>>) => {
  const { body, contentType } = csvFile(rows, csvCharset(query.charset));
  res.type(contentType).send(body);
};
const jsonOrCsv = (description: string, columns: string): { description: string; content: Record<string, Content> } => ({
  description, content: { 'application/json': z.record(z.string(), z.unknown()), 'text/csv': { text: columns } },
});
const deliveryOf = (deps: ClerkRouteDeps): NhsaDelivery => {
  if (!deps.delivery) throw new NotFound('未配置医保平台地址（NHSA_PLATFORM_URL），投递未启用');
  return deps.delivery;
};
const deliveryOff = 'Delivery to the 医保 platform is not configured (NHSA_PLATFORM_URL unset)';

const route = routeOf<ClerkRouteDeps>();

export const clerkRoutes = [
  // 3202 detail for the clerk: the gateway's rows of a period, JSON or CSV (the detail file's columns).
  route({
    method: 'get', path: '/nhsa/statements/detail',
    summary: "3202 detail for the clerk: the gateway's rows of a hospital and period (desk of that hospital, admin, auditor)",
    access: statementAccess, query: statementQuery, fieldPaths: 'located',
    answers: { 200: jsonOrCsv('{ detail: [ … ] }, or the detail file as CSV', `columns ${STATEMENT_COLUMNS.join(',')}`) }, problems: {},
    handler: (deps) => async ({ query, req, res }) => {
      const rows = detailRows(await rowsFor(deps, query), undefined);
      if (wantsCsv(req, query)) sendCsv(res, query, [[...STATEMENT_COLUMNS], ...rows.map((r) => STATEMENT_COLUMNS.map((c) => r[c]))]);
      else res.json({ detail: rows });
    },
  }),
  // The hospital's detail file as its bytes: a detail file Excel saved as GBK is read as such, not garbled (one reader of CSV uploads).
  route({
    method: 'post', path: '/nhsa/statements/compare',
    summary: "The hospital's detail file against the gateway's rows: matched, missing either side, amount mismatches",
    access: statementAccess, query: statementQuery, fieldPaths: 'located',
    body: {
      read: 'bytes', alsoAccept: ['text/plain'],
      content: {
        'text/csv': { text: `the hospital's detail file, columns ${STATEMENT_COLUMNS.join(',')}; UTF-8 or GBK as Excel saves it` },
        'application/json': z.object({ detail: z.array(z.record(z.string(), z.unknown())) }),
      },
    },
    answers: { 200: jsonOrCsv('{ matched, missing_in_hospital, missing_in_gateway, mismatches }, or the same as CSV', 'one row per difference') },
    problems: {},
    handler: (deps) => async ({ query, body, req, res }) => {
      const gateway = await rowsFor(deps, query);
      const text = Buffer.isBuffer(body) ? decodeCsvUpload(body, charsetOf(req.get('content-type'))).text : '';
      let hospital;
      try {
        if ((req.headers['content-type'] ?? '').includes('json')) {
          const parsed = detailFile.safeParse(readNational(text));
          if (!parsed.success) throw new NhsaFault('detail：应为明细数组 { "detail": [ … ] }');
          hospital = hospitalRows(parsed.data.detail, undefined, 'detail');
        } else hospital = hospitalRows(undefined, text, 'csv');
      } catch (error) {
        const message = error instanceof NhsaFault ? error.message : '明细文件无法读取';
        throw new InvalidInput(message, [{ path: '(body)', message }]);
      }
      const comparison = compareDetail(hospital, gateway);
      if (wantsCsv(req, query)) sendCsv(res, query, comparisonRows(comparison));
      else res.json(comparison);
    },
  }),
  route({
    method: 'get', path: '/nhsa/dead-letters', summary: 'Settlements the 医保 platform never acknowledged, with the reason, and the delivery breaker (admin)',
    access: { roles: ['admin'] },
    answers: { 200: { description: '{ dead: [{ id, reason, attempts, at }], breaker }', content: { 'application/json': z.object({ dead: z.array(z.object({ id: z.string(), reason: z.string(), attempts: z.int(), at: z.string() })), breaker: z.enum(['open', 'halfOpen', 'closed']) }) } } },
    problems: { 404: deliveryOff },
    handler: (deps) => async ({ res }) => {
      const delivery = deliveryOf(deps);
      res.json({ dead: await delivery.deadLetters(), breaker: delivery.breakerState });
    },
  }),
  // Replay of dead letters once the cause is fixed: reads nhsa.settlements.dlq to its end, re-posts what was never acknowledged.
  route({
    method: 'post', path: '/nhsa/dead-letters/replay', summary: 'Re-post every dead letter never acknowledged, reading nhsa.settlements.dlq to its end (admin)',
    access: { roles: ['admin'] },
    answers: { 200: { description: '{ replayed, failed: [{ id, reason }], skipped }', content: { 'application/json': z.object({ replayed: z.int(), failed: z.array(z.object({ id: z.string(), reason: z.string() })), skipped: z.int() }) } } },
    problems: { 404: deliveryOff },
    handler: (deps) => async ({ res }) => {
      const result = await deliveryOf(deps).replayDeadLetters();
      deps.log.info({ replayed: result.replayed, failed: result.failed.length, skipped: result.skipped }, 'nhsa: dead letters replayed');
      res.json(result);
    },
  }),
];
