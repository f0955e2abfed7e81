/**
 * The core /v1 routes, declared in the one route table (route-table.ts): method, path, who may call and for
 * which hospital, params, query and body, answers and problems. createApp registers them and openapi.ts
 * documents the same declarations, so a core route cannot exist without its documentation.
 */
import * as z from 'zod';
import type { Logger } from 'pino';
import { reversalNote } from '../../schemas/settlement.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { fieldErrors, InvalidInput } from '../errors.js';
import type { LedgerPort } from '../ledger/port.js';
import { csvToRows } from '../rosters/csv.js';
import { charsetOf, decodeCsvUpload, type CsvEncoding } from '../csv.js';
import { loadRoster, rosterIdOf, rosterLoadTexts } from '../rosters/load.js';
import type { SettlementService } from '../service/settlements.js';
import type { Metrics } from './metrics.js';
import { routeOf } from './route-table.js';

/** What the handlers work with. */
export interface RouteDeps {
  service: SettlementService;
  ledger: LedgerPort;
  programmes: ProgrammeSet;
  metrics: Metrics;
  log: Logger;
}

const route = routeOf<RouteDeps>();
const settlementPath = z.object({
  hospitalId: z.string().meta({ description: 'the hospital (hospital.id of the settlement)' }),
  settlementId: z.string().meta({ description: "the HIS's settlement number" }),
});
const splitJson = { 'application/json': { ref: 'Split' } };
const replayHeader = { 'Idempotent-Replay': { schema: { type: 'string', const: 'true' } } };

const programmeSummary = z.object({
  id: z.string(), name: z.string(), layer: z.string(), region: z.array(z.string()), term: z.object({ from: z.string(), to: z.string() }),
  version: z.string(), status: z.string(), sourceDocument: z.object({ file: z.string(), title: z.string() }),
});
export const programmesResponse = z.object({ programmes: z.array(programmeSummary) });

const rosterQuery = z.object({
  mode: z.enum(['merge', 'replace'], { error: 'mode 只能是 merge 或 replace' }).default('merge').meta({ description: 'merge: add and update rows; replace: the roster becomes these rows' }),
});

/** The core routes under /v1 (behind the bearer authentication of the /v1 router). */
export const coreRoutes = [
  route({
    method: 'post', path: '/settlements/preview', summary: 'Compute the split without committing (预结算)',
    access: { roles: ['desk'], hospital: 'settlement-body' },
    // Judged by the service (the same reader as the Kafka intake's), amounts by their source text.
    body: { read: 'json-exact', content: { 'application/json': { ref: 'SettlementRequest' } } },
    answers: { 200: { description: 'The split, status preview', content: splitJson } },
    problems: { 422: 'Well-formed but impossible' },
    handler: ({ service, metrics }) => async ({ body, res }) => {
      const split = await service.preview(body);
      metrics.settlements.inc({ operation: 'preview', outcome: 'ok' });
      res.json(split);
    },
  }),
  route({
    method: 'post', path: '/settlements', summary: 'Settle (结算): compute, commit the accumulators, publish',
    access: { roles: ['desk'], hospital: 'settlement-body' },
    body: { read: 'json-exact', content: { 'application/json': { ref: 'SettlementRequest' } } },
    answers: {
      201: { description: 'Settled', content: splitJson },
      200: { description: 'The same settlement again with an identical body: the stored split', content: splitJson, headers: replayHeader },
    },
    problems: { 409: 'The same settlement id with a different body', 422: 'Well-formed but impossible' },
    writes: true,
    handler: ({ service, metrics }) => async ({ body, req, res }) => {
      const { record, replay } = await service.settle(body, req.call);
      metrics.settlements.inc({ operation: 'settle', outcome: replay ? 'replay' : 'committed' });
      if (replay) {
        res.status(200).setHeader('Idempotent-Replay', 'true');
      } else {
        res.status(201);
        for (const l of record.split.lines) metrics.programmeLines.inc({ programme: l.programme, paid: l.amount === '0.00' ? 'no' : 'yes' });
      }
      // The stored text, byte for byte: a retried request gets exactly the first answer — unless the
      // settlement was reversed since; then its current status (reversed, reversedAt), never "settled".
      const answer = record.status === 'settled' ? record.firstAnswerBytes() : Buffer.from(JSON.stringify(record.split));
      // As bytes under a content type written out: handed a string, express parses its content type twice to add the charset.
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.send(answer);
    },
  }),
  route({
    method: 'get', path: '/settlements/:hospitalId/:settlementId', summary: 'The stored split',
    access: { roles: ['desk', 'admin', 'auditor'], hospital: { params: 'hospitalId' } },
    params: settlementPath,
    answers: { 200: { description: 'The split with its current status', content: splitJson } },
    problems: { 404: 'Unknown' },
    handler: ({ service }) => async ({ params, res }) => {
      res.json((await service.get(params.hospitalId, params.settlementId)).split);
    },
  }),
  route({
    method: 'post', path: '/settlements/:hospitalId/:settlementId/reversal', summary: 'Reverse (结算撤销): restore every accumulator, publish the reversal',
    access: { roles: ['desk'], hospital: { params: 'hospitalId' } },
    params: settlementPath,
    // The body is optional: { reason, operator } is recorded with the reversal (the desk always sends it).
    body: { read: 'json', content: { 'application/json': { ref: 'ReversalNote' } }, optional: 'optional: why and by whom; recorded with the reversal and answered in the split as `reversal`' },
    answers: { 200: { description: 'The split, status reversed; repeating answers the same', content: splitJson } },
    problems: { 404: 'Unknown', 422: 'A preview cannot be reversed' },
    writes: true,
    handler: ({ service, metrics }) => async ({ params, body, req, res }) => {
      const note = reversalNote.safeParse(body ?? {});
      if (!note.success) throw new InvalidInput('撤销的请求体无效', fieldErrors(note.error.issues));
      const split = await service.reverse(params.hospitalId, params.settlementId, note.data, req.call);
      metrics.settlements.inc({ operation: 'reverse', outcome: 'ok' });
      res.json(split);
    },
  }),
  route({
    method: 'put', path: '/rosters/:programmeId', summary: 'admin: load enrolment rows (JSON or text/csv)',
    access: { roles: ['admin'] },
    params: z.object({ programmeId: z.string().meta({ description: 'the programme (policy pack id) whose roster is loaded' }) }),
    query: rosterQuery,
    // CSV arrives as bytes: its encoding is decided by csv.ts (UTF-8 or GB18030), not by a missing charset.
    body: {
      read: 'json-or-bytes', alsoAccept: ['text/plain'],
      content: { 'application/json': { ref: 'RosterLoad' }, 'text/csv': { text: 'header personId,from,to,categories,preExisting; categories separated by ";"' } },
    },
    answers: { 200: { description: 'Rows accepted and rejected', content: { 'application/json': { ref: 'RosterLoadResult' } } } },
    problems: { 404: 'Unknown programme', 422: 'The programme has no roster, or a replacement has no valid row (the roster is left as it was)' },
    // Written in batches: a timeout after the first batch left cannot say how much was written.
    writes: true,
    handler: ({ programmes, ledger, log }) => async ({ params, query, body, req, res }) => {
      const rosterId = rosterIdOf(programmes, params.programmeId);
      const { mode } = query;
      let rows: unknown[];
      let csv: { encoding: CsvEncoding; lines: number[] } | undefined;
      if (Buffer.isBuffer(body)) {
        const { text, encoding } = decodeCsvUpload(body, charsetOf(req.get('content-type')));
        const parsed = csvToRows(text);
        if (parsed.headerErrors.length > 0) throw new InvalidInput('CSV 表头无效', parsed.headerErrors.map((message) => ({ path: '(header)', message })));
        rows = parsed.rows;
        csv = { encoding, lines: parsed.lines };
      } else {
        const load = z.object({ rows: z.array(z.unknown()) }).safeParse(body);
        if (!load.success) throw new InvalidInput('请求体应为 { "rows": [ … ] } 或 text/csv', [{ path: 'rows', message: '应为数组' }]);
        rows = load.data.rows;
      }
      if (req.call) req.call.timeoutTexts = rosterLoadTexts(mode === 'replace');
      const result = await loadRoster(ledger, rosterId, rows, mode === 'replace', csv?.lines, req.call);
      log.info({ requestId: req.requestId, programme: params.programmeId, rosterId, accepted: result.accepted, rejected: result.rejected.length, mode, encoding: csv?.encoding }, 'roster loaded');
      res.json(csv ? { ...result, encoding: csv.encoding } : result);
    },
  }),
  route({
    method: 'get', path: '/programmes', summary: 'The loaded programmes',
    access: { roles: ['desk', 'admin', 'auditor'] },
    answers: { 200: { description: 'Programmes', content: { 'application/json': { ref: 'Programmes' } } } },
    problems: {},
    handler: ({ programmes }) => ({ res }) => {
      const summaries: z.infer<typeof programmeSummary>[] = programmes.packs.map((p) => ({
        id: p.id, name: p.name, layer: p.layer, region: p.insuredRegions.value, term: { from: p.term.from, to: p.term.to },
        version: p.version, status: p.status, sourceDocument: p.source,
      }));
      res.json({ programmes: summaries });
    },
  }),
];
