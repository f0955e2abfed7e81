/** The clerk's /v1/nhsa endpoints in the served OpenAPI document (the national interface under /nhsa is documented in README.md). */
import { problemResponse as problem, queryParameter as query } from '../../gateway/http/openapi.js';
import { STATEMENT_COLUMNS } from './reconcile.js';

const jsonOf = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } });
const jsonOrCsv = (description: string, columns: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string', description: columns } } },
});
const errors = { 401: problem('Missing or unknown token'), 403: problem('Not your hospital, or not your role') };
/** The period and hospital of the gateway's 对账 rows, with the 3202 filters. */
const period = [
  query('fixmedins_code', 'the hospital (定点医药机构编号)', true),
  query('begndate', 'first settlement day, yyyy-MM-dd', true, { format: 'date' }),
  query('enddate', 'last settlement day, yyyy-MM-dd', true, { format: 'date' }),
  query('insutype', '险种类型 filter', false),
  query('clr_type', '清算类别 filter', false),
  query('setl_optins', '结算经办机构 filter', false),
  query('format', 'csv for the detail file (or Accept: text/csv)', false, { enum: ['json', 'csv'] }),
];
const deliveryOff = problem('Delivery to the 医保 platform is not configured (NHSA_PLATFORM_URL unset)');

export function nhsaOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/nhsa/statements/detail': {
      get: {
        summary: "3202 detail for the clerk: the gateway's rows of a hospital and period (desk of that hospital, admin, auditor)",
        'x-roles': ['desk', 'admin', 'auditor'],
        parameters: period,
        responses: { 200: jsonOrCsv('{ detail: [ … ] }, or the detail file as CSV', `columns ${STATEMENT_COLUMNS.join(',')}`), 400: problem('fixmedins_code, begndate or enddate missing or invalid'), ...errors },
      },
    },
    '/v1/nhsa/statements/compare': {
      post: {
        summary: "The hospital's detail file against the gateway's rows: matched, missing either side, amount mismatches",
        'x-roles': ['desk', 'admin', 'auditor'],
        parameters: period,
        requestBody: {
          required: true,
          content: {
            'text/csv': { schema: { type: 'string', description: `the hospital's detail file, columns ${STATEMENT_COLUMNS.join(',')}` } },
            'application/json': { schema: { type: 'object', required: ['detail'], properties: { detail: { type: 'array', items: { type: 'object' } } } } },
          },
        },
        responses: {
          200: jsonOrCsv('{ matched, missing_in_hospital, missing_in_gateway, mismatches }, or the same as CSV', 'one row per difference'),
          400: problem('Period missing or the detail file unreadable'), 413: problem('Body over the limit'), ...errors,
        },
      },
    },
    '/v1/nhsa/dead-letters': {
      get: {
        summary: 'Settlements the 医保 platform never acknowledged, with the reason, and the delivery breaker (admin)',
        'x-roles': ['admin'],
        responses: {
          200: jsonOf('{ dead: [{ id, reason, attempts, at }], breaker }', { type: 'object', required: ['dead', 'breaker'], properties: { dead: { type: 'array', items: { type: 'object' } }, breaker: { type: 'string' } } }),
          404: deliveryOff, ...errors,
        },
      },
    },
    '/v1/nhsa/dead-letters/replay': {
      post: {
        summary: 'Re-post every dead letter never acknowledged, reading nhsa.settlements.dlq to its end (admin)',
        'x-roles': ['admin'],
        responses: {
          200: jsonOf('{ replayed, failed: [{ id, reason }], skipped }', { type: 'object', required: ['replayed', 'failed', 'skipped'], properties: { replayed: { type: 'integer' }, failed: { type: 'array', items: { type: 'object' } }, skipped: { type: 'integer' } } }),
          404: deliveryOff, ...errors,
        },
      },
    },
  };
}
