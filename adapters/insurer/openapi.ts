/** The direct-pay endpoints in the served OpenAPI document, their bodies generated from the same zod schemas the routes use. */
import { problemResponse as problem, queryParameter } from '../../gateway/http/openapi.js';
import { z } from 'zod';
import { claimView } from './claims-store.js';
import { outboundClaim } from './claim-document.js';
import { insurerAnswer } from './insurer-client.js';
import { statusReport } from './routes.js';
import { statement } from './statements.js';

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, target: 'draft-2020-12', unrepresentable: 'any' });
const jsonOf = (description: string, body: unknown = { type: 'object' }) => ({ description, content: { 'application/json': { schema: body } } });
const csvOr = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string', description: 'UTF-8 with BOM, or GBK with charset=gbk' } } } });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const query = (name: string, description: string, extra: Record<string, unknown> = {}) => queryParameter(name, description, false, extra);
const insurerCode = path('insurerCode', "the packs' payer.insurerCode, configured in INSURERS_FILE");
const errors = { 400: problem('Invalid query or body'), 401: problem('Missing or unknown token'), 403: problem('Not your hospital, insurer or role'), 404: problem('Unknown insurer or claim') };
/** The headers of a call an insurer signs (signature.ts); required of the insurer's own client when its configuration has `signing`. */
const signatureHeaders = [
  { name: 'X-Timestamp', in: 'header', required: false, description: 'Unix seconds; within the insurer\'s maxSkewSeconds of the gateway\'s clock (else 401 SIGNATURE_EXPIRED)', schema: { type: 'string' } },
  { name: 'X-Nonce', in: 'header', required: false, description: '16–64 of A–Z a–z 0–9 _ -, new for every call (a nonce used before: 401 NONCE_REPLAYED)', schema: { type: 'string' } },
  { name: 'X-Signature', in: 'header', required: false, description: '<algorithm>=<hex HMAC> over METHOD \\n path?query \\n timestamp \\n nonce \\n hex digest of the body (else 401 SIGNATURE_INVALID)', schema: { type: 'string' } },
];
const signedErrors = { ...errors, 401: problem('Missing or unknown token; or, from a signing insurer, SIGNATURE_INVALID, SIGNATURE_EXPIRED or NONCE_REPLAYED') };
const csvQuery = [query('format', 'csv for a spreadsheet (or Accept: text/csv)', { enum: ['json', 'csv'] }), query('charset', 'CSV encoding', { enum: ['utf-8', 'gbk'] })];
const claimList = z.object({ insurerCode: z.string(), claims: z.array(claimView) });

export function insurerOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/insurers': { get: { summary: 'Configured insurers and the state of each delivery (auditor, admin)', responses: { 200: jsonOf('Insurers'), ...errors } } },
    '/v1/claims/{insurerCode}': {
      get: {
        summary: 'Direct-pay claims by settlement day (+08:00), hospital and state',
        parameters: [insurerCode, query('date', 'one day YYYY-MM-DD (or from and to)'), query('from', 'first day'), query('to', 'last day'), query('hospitalId', 'one hospital'),
          query('state', 'current state', { enum: ['pending', 'delivered', 'accepted', 'rejected', 'paid'] }), query('offset', 'paging'), query('limit', '1–1000, default 100')],
        responses: { 200: jsonOf('A page of claims; nextOffset when more', schema(claimList.extend({ nextOffset: z.int().optional() }), 'output')), ...errors },
      },
    },
    '/v1/claims/{insurerCode}/{gatewayId}': {
      get: { summary: "A settlement's claims and reversals at this insurer, with state, receipt, reason and history", parameters: [insurerCode, path('gatewayId', 'the settlement (stl_…)')], responses: { 200: jsonOf('The claims', schema(claimList.extend({ gatewayId: z.string() }), 'output')), ...errors } },
    },
    '/v1/claims/{insurerCode}/{claimId}/status': {
      post: {
        summary: "The insurer's decision or payment (role insurer for its own codes, signed when it signs; or admin); never moves a claim backwards",
        parameters: [insurerCode, path('claimId', 'clm_… or rev_…'), ...signatureHeaders],
        requestBody: { required: true, content: { 'application/json': { schema: schema(statusReport, 'input') } } },
        responses: { 200: jsonOf('The claim, with transition new | same | behind', schema(claimView.extend({ transition: z.enum(['new', 'same', 'behind']) }), 'output')), ...signedErrors },
      },
    },
    '/v1/claims/{insurerCode}/batches': {
      get: { summary: 'Daily batches (机构交单) per hospital: batchNo, counts, totals, claims', parameters: [insurerCode, { ...query('date', 'the batch day'), required: true }, query('hospitalId', 'one hospital'), ...csvQuery], responses: { 200: csvOr('The batches'), ...errors } },
    },
    '/v1/claims/{insurerCode}/dead-letters': { get: { summary: 'Dead letters (admin), without personal data', parameters: [insurerCode], responses: { 200: jsonOf('Letters with claim id, reason, replayed'), ...errors } } },
    '/v1/claims/{insurerCode}/dead-letters/replay': { post: { summary: 'Send every dead claim not delivered since, in order, as the delivery sends them (admin)', parameters: [insurerCode], responses: { 200: jsonOf('{ replayed: [claimId], failed: [{ id, reason }], skipped }'), ...errors } } },
    '/v1/reconciliation/{insurerCode}/statements': {
      get: { summary: 'Statements uploaded whose period starts in [from, to] (auditor, admin, the insurer for its own code)', parameters: [insurerCode, query('from', 'first day'), query('to', 'last day'), query('date', 'one day')], responses: { 200: jsonOf('The statements: number, period, lines, total, known and unknown claims, uploaded at and by'), ...errors } },
      post: {
        summary: "Upload an insurer's statement (auditor, admin, or the insurer itself for its own code, signed when it signs); the same statement again changes nothing; an upload that failed counts for nothing and may be sent again",
        parameters: [insurerCode, query('statementNo', 'CSV only'), query('from', 'CSV only'), query('to', 'CSV only'), query('charset', 'CSV encoding', { enum: ['utf-8', 'gbk'] }), ...signatureHeaders],
        requestBody: { required: true, content: { 'application/json': { schema: schema(statement, 'input') }, 'text/csv': { schema: { type: 'string', description: 'header claimId,hospitalId,settledOn,amount,paidOn,paymentRef; dates YYYY-MM-DD or as Excel writes them (2026/12/6, 2026/1/5 9:05); a refused cell is named by its row of the file (header = row 1) and column' } } } },
        responses: { 201: jsonOf('Stored'), 200: jsonOf('Already stored with the same content (Idempotent-Replay: true)'), 409: problem('The statement number was stored with other content (also by an upload that overlapped this one); nothing of this upload counts'), 413: problem('Body over the limit'), ...signedErrors },
      },
    },
    '/v1/reconciliation/{insurerCode}': {
      get: {
        summary: 'Reconciliation report: matched, missingAtInsurer, unknownToGateway, amountMismatch, reversedButPaid, rejectedButPaid, paidTwice, with totals and completeness (the ledger\'s claims and reversals not yet taken in)',
        parameters: [insurerCode, { ...query('from', 'first settlement day'), required: true }, { ...query('to', 'last settlement day'), required: true }, query('hospitalId', 'one hospital'), ...csvQuery],
        responses: { 200: csvOr('The report'), ...errors },
      },
    },
  };
}

/** What is POSTed to an insurer and what it answers: not endpoints of the gateway, published for insurers as schemas. */
export function insurerOpenApiSchemas(): Record<string, unknown> {
  return { InsurerOutboundClaim: schema(outboundClaim, 'output'), InsurerAnswer: schema(insurerAnswer, 'input') };
}
