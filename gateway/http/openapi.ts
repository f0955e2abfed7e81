/** The OpenAPI 3.1 document, generated from the zod schemas: one source, nothing restated by hand. */
import { z } from 'zod';
import { problem } from '../../schemas/problem.js';
import { jsonNumberText } from '../../schemas/primitives.js';
import { problemTypeRows } from '../problem-types.js';
import { rosterLoad, rosterLoadResult, rosterRow } from '../../schemas/roster.js';
import { dayList, hospitalsAnswer, personQuery, personSettlements, standing } from '../../schemas/desk.js';
import { reversalNote, settlementRequest, split } from '../../schemas/settlement.js';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, {
    io, target: 'draft-2020-12', unrepresentable: 'any',
    // A number literal kept as its source text (json-text.ts) is, on the wire, a JSON number.
    override: (ctx) => { if (ctx.zodSchema === jsonNumberText) ctx.jsonSchema.type = 'number'; },
  });

const programmeSummary = z.object({
  id: z.string(), name: z.string(), layer: z.string(), region: z.array(z.string()), term: z.object({ from: z.string(), to: z.string() }),
  version: z.string(), status: z.string(), sourceDocument: z.object({ file: z.string(), title: z.string() }),
});
export const programmesResponse = z.object({ programmes: z.array(programmeSummary) });
export type ProgrammeSummary = z.infer<typeof programmeSummary>;

const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
const splitResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Split' } } } });
const errors = {
  400: problemResponse('Malformed or schema-invalid input; every bad field is listed in errors'),
  401: problemResponse('Missing or unknown token'),
  403: problemResponse('Not your hospital, or not your role'),
  413: problemResponse('Body over the limit'),
  503: problemResponse('UNAVAILABLE: a dependency the call needs is down and nothing was committed; retry after Retry-After'),
};
/** Only calls that write can leave a write in doubt. */
const outcomeUnknown = { 504: problemResponse('OUTCOME_UNKNOWN: the write was sent but its answer never came; it may have been committed. Retry the same settlement id (never a new one): the retry answers the truth') };
const settlementPath = [
  { name: 'hospitalId', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'settlementId', in: 'path', required: true, schema: { type: 'string' } },
];
const jsonResponse = (description: string, ref: string) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const json = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });

export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'One-stop settlement gateway (一站式结算)',
      version,
      description: 'Splits a discharge bill among basic insurance, major illness insurance, the hospital waiver, medical aid and supplementary programmes, and what the patient pays. Money is a string with two decimals.',
    },
    /** Every problem type: its stable code, status, Chinese title and type URI (gateway/problem-types.ts). */
    'x-problem-types': problemTypeRows(),
    security: [{ bearer: [] }],
    paths: {
      '/v1/settlements/preview': { post: { summary: 'Compute the split without committing (预结算)', requestBody: json('SettlementRequest'), responses: { 200: splitResponse('The split, status preview'), 422: problemResponse('Well-formed but impossible'), ...errors } } },
      '/v1/settlements': {
        get: {
          summary: "The day's settlements of a hospital (settled that day, +08:00), with totals per payer of those still in force (the desk's 今日结算)",
          parameters: [
            { name: 'hospitalId', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'date', in: 'query', required: false, schema: { type: 'string', format: 'date' }, description: 'default: today (+08:00)' },
          ],
          responses: { 200: jsonResponse("The day's list", 'DayList'), ...errors },
        },
        post: {
          summary: 'Settle (结算): compute, commit the accumulators, publish',
          requestBody: json('SettlementRequest'),
          responses: {
            201: splitResponse('Settled'),
            200: { ...splitResponse('The same settlement again with an identical body: the stored split'), headers: { 'Idempotent-Replay': { schema: { type: 'string', const: 'true' } } } },
            409: problemResponse('The same settlement id with a different body'),
            422: problemResponse('Well-formed but impossible'),
            ...errors,
            ...outcomeUnknown,
          },
        },
      },
      '/v1/settlements/{hospitalId}/{settlementId}': { get: { summary: 'The stored split', parameters: settlementPath, responses: { 200: splitResponse('The split with its current status'), 404: problemResponse('Unknown'), ...errors } } },
      '/v1/settlements/{hospitalId}/{settlementId}/reversal': { post: { summary: 'Reverse (结算撤销): restore every accumulator, publish the reversal', parameters: settlementPath, requestBody: { required: false, description: 'optional: why and by whom; recorded with the reversal and answered in the split as `reversal`', content: { 'application/json': { schema: { $ref: '#/components/schemas/ReversalNote' } } } }, responses: { 200: splitResponse('The split, status reversed; repeating answers the same'), 404: problemResponse('Unknown'), 422: problemResponse('A preview cannot be reversed'), ...errors, ...outcomeUnknown } } },
      '/v1/settlements/{hospitalId}/{settlementId}/slip': { get: { summary: 'The printable settlement slip (一站式结算单)', parameters: settlementPath, responses: { 200: { description: 'HTML for one A4 page (一站式结算单): names, times to the minute, 大写, plain explanations, 已撤销 watermark; fonts from /desk/fonts', content: { 'text/html': { schema: { type: 'string' } } } }, 404: problemResponse('Unknown'), ...errors } } },
      '/v1/rosters/{programmeId}': {
        put: {
          summary: 'admin: load enrolment rows (JSON or text/csv)',
          parameters: [
            { name: 'programmeId', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'mode', in: 'query', required: false, schema: { type: 'string', enum: ['merge', 'replace'], default: 'merge' } },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/RosterLoad' } }, 'text/csv': { schema: { type: 'string', description: 'header personId,from,to,categories,preExisting; categories separated by ";"' } } } },
          responses: { 200: { description: 'Rows accepted and rejected', content: { 'application/json': { schema: { $ref: '#/components/schemas/RosterLoadResult' } } } }, 404: problemResponse('Unknown programme'), 422: problemResponse('The programme has no roster'), ...errors },
        },
      },
      '/v1/hospitals': { get: { summary: 'The hospitals this client may act for, named from HOSPITALS_FILE (the desk fills its form from them)', responses: { 200: jsonResponse('Hospitals', 'Hospitals'), ...errors } } },
      '/v1/persons/settlements': { post: { summary: "A person's settlements (reversed ones too), in settledAt order; a desk sees its own hospitals' only; the patient masked. POST: the ID number never goes in a URL", requestBody: json('PersonQuery'), responses: { 200: jsonResponse('Settlements', 'PersonSettlements'), ...errors } } },
      '/v1/persons/standing': { post: { summary: "A person's year-to-date standing per programme: paid, deductible used, cap and cap left, as the counters and packs tell it", requestBody: json('PersonQuery'), responses: { 200: jsonResponse('Standing', 'Standing'), ...errors } } },
      '/v1/programmes': { get: { summary: 'The loaded programmes', responses: { 200: { description: 'Programmes', content: { 'application/json': { schema: { $ref: '#/components/schemas/Programmes' } } } }, ...errors } } },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: { description: 'Alive' } } } },
      '/readyz': { get: { summary: 'Readiness: dependencies reachable', security: [], responses: { 200: { description: 'Ready' }, 503: { description: 'A dependency is down' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { 200: { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        SettlementRequest: jsonSchema(settlementRequest, 'input'),
        Split: jsonSchema(split, 'output'),
        Problem: jsonSchema(problem, 'output'),
        RosterRow: jsonSchema(rosterRow, 'input'),
        RosterLoad: jsonSchema(rosterLoad.extend({ rows: z.array(rosterRow) }), 'input'),
        RosterLoadResult: jsonSchema(rosterLoadResult, 'output'),
        Programmes: jsonSchema(programmesResponse, 'output'),
        ReversalNote: jsonSchema(reversalNote, 'input'),
        Hospitals: jsonSchema(hospitalsAnswer, 'output'),
        DayList: jsonSchema(dayList, 'output'),
        PersonQuery: jsonSchema(personQuery, 'input'),
        PersonSettlements: jsonSchema(personSettlements, 'output'),
        Standing: jsonSchema(standing, 'output'),
      },
    },
  };
}
