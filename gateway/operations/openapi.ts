/** The operations' /v1 endpoints in the served OpenAPI document (routes.ts says what each does). */
import { problemResponse as problem, queryParameter as query } from '../http/openapi.js';
import { jsonSchema } from '../../schemas/json-schema.js';
import { CANDIDATE_MAX_CHARS } from './candidate.js';
import { pricingBody } from './pricing.js';

const jsonOrCsv = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } } });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const programme = path('id', 'the programme (policy pack id)');
const format = query('format', 'csv for a spreadsheet (or Accept: text/csv)', false, { enum: ['json', 'csv'] });
const errors = {
  400: problem('Invalid period, basis, year or body; every bad field is listed in errors'),
  401: problem('Missing or unknown token'),
  403: problem('Not your role'),
  503: problem('The pass would outlast the request timeout (shorten the period, or use the command line); retry after Retry-After'),
};
const unknownProgramme = problem('Unknown programme');

export function operationsOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/reports/programmes/{id}': {
      get: {
        summary: "A programme's figures over [from, to): settlements, payouts, loss ratio, by month, by hospital (named from HOSPITALS_FILE) (admin, auditor)",
        'x-roles': ['admin', 'auditor'],
        parameters: [
          programme, query('from', 'first day, YYYY-MM-DD (+08:00)', true, { format: 'date' }), query('to', 'day after the last, YYYY-MM-DD', true, { format: 'date' }),
          query('basis', 'what places a settlement in the period: settled, its settlement day (default); discharged, its discharge day (encounter.dischargedOn), reading the settlements up to today — the answer says which, and which settlement days it read (basis, settledWindow)', false, { enum: ['settled', 'discharged'], default: 'settled' }),
          format,
        ],
        responses: { 200: jsonOrCsv('The report'), 404: unknownProgramme, ...errors },
      },
    },
    '/v1/reports/programmes/{id}/summary': {
      get: {
        summary: "The printable yearly summary (湖南's February report) (admin, auditor)",
        'x-roles': ['admin', 'auditor'],
        parameters: [programme, query('year', 'four-digit year', true, { pattern: '^\\d{4}$' })],
        responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } }, 404: unknownProgramme, ...errors },
      },
    },
    '/v1/programmes/{id}/second-payout': {
      post: {
        summary: 'The second payout (南通 二次赔付) of a year: a dry run, or committed and published with confirm=true (admin)',
        'x-roles': ['admin'],
        parameters: [programme, query('year', 'the policy year', false), query('confirm', 'true commits; otherwise a dry run', false, { enum: ['true', 'false'] }), format],
        responses: {
          200: { ...jsonOrCsv('The dry run; or, confirmed again, the committed payout (Idempotent-Replay: true)'), headers: { 'Idempotent-Replay': { schema: { type: 'string', const: 'true' } } } },
          201: jsonOrCsv('Committed and published'),
          404: unknownProgramme, 422: problem('No second payout configured, the year outside the term or (confirm) not ended yet, or premium figures missing'), ...errors,
        },
      },
    },
    '/v1/programmes/{id}/second-payout/{year}': {
      get: {
        summary: 'The committed second payout of a year (admin, auditor)',
        'x-roles': ['admin', 'auditor'],
        parameters: [programme, path('year', 'the policy year'), format],
        responses: { 200: jsonOrCsv('The payout'), 404: problem('Unknown programme, or the year not confirmed yet'), 422: problem('No second payout configured, or the year outside the term'), ...errors },
      },
    },
    '/v1/whatif': {
      post: {
        summary: "Replays a period's stored settlements under a candidate pack and compares with what was paid (admin)",
        'x-roles': ['admin'],
        parameters: [format],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object', required: ['pack', 'from', 'to'],
                properties: {
                  pack: { type: 'string', maxLength: CANDIDATE_MAX_CHARS, description: 'the candidate policy pack as YAML' },
                  from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' },
                  top: { type: 'integer', minimum: 0, maximum: 200, default: 20, description: 'how many largest differences to list' },
                },
              },
            },
          },
        },
        responses: { 200: jsonOrCsv('Totals, differences and the largest changes'), 413: problem('Body over the limit'), ...errors, 400: problem('Invalid period or top, or a candidate pack that is not valid YAML or not a valid pack') },
      },
    },
    '/v1/pricing': {
      post: {
        summary: "The figure of a candidate pack (a path into it, its unit and range) at which the period's settlements meet a loss ratio or the profit cap, with the curve of figure → claims, loss ratio (admin)",
        'x-roles': ['admin'],
        parameters: [format],
        requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(pricingBody, 'input') } } },
        responses: {
          200: jsonOrCsv('outcome (found, metThroughout, unreachable), the answers to the fen or basis point with their failing neighbours, monotonicity, the curve'),
          413: problem('Body over the limit'), 422: problem('More settlements in one pass than an HTTP call reads: use npm run price'), ...errors,
          400: problem('Invalid period, figure (path, unit, range), target or samples, or a candidate pack that is not valid'),
        },
      },
    },
  };
}
