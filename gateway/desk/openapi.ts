/** The desk's /v1 reads in the served OpenAPI document, their bodies generated from schemas/desk.ts. */
import { errors, jsonSchema, problemResponse } from '../http/openapi.js';
import { dayList, hospitalsAnswer, personQuery, personSettlements, settlementNumberAnswer, standing } from '../../schemas/desk.js';

const jsonResponse = (description: string, ref: string) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const json = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const settlementPath = [
  { name: 'hospitalId', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'settlementId', in: 'path', required: true, schema: { type: 'string' } },
];
const readers = ['desk', 'admin', 'auditor'];

export function deskOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/settlements': {
      get: {
        summary: "The day's settlements of a hospital (settled that day, +08:00), with totals per payer of those still in force (the desk's 今日结算)",
        'x-roles': readers,
        parameters: [
          { name: 'hospitalId', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'date', in: 'query', required: false, schema: { type: 'string', format: 'date' }, description: 'default: today (+08:00)' },
        ],
        responses: { 200: jsonResponse("The day's list", 'DayList'), ...errors },
      },
    },
    '/v1/settlements/{hospitalId}/{settlementId}/slip': {
      get: {
        summary: 'The printable settlement slip (一站式结算单)',
        'x-roles': readers,
        parameters: settlementPath,
        responses: { 200: { description: 'HTML for one A4 page (一站式结算单): names, times to the minute, 大写, plain explanations, 已撤销 watermark; fonts from /desk/fonts', content: { 'text/html': { schema: { type: 'string' } } } }, 404: problemResponse('Unknown'), ...errors },
      },
    },
    '/v1/hospitals': { get: { summary: 'The hospitals this client may act for, named from HOSPITALS_FILE (the desk fills its form from them)', 'x-roles': readers, responses: { 200: jsonResponse('Hospitals', 'Hospitals'), ...errors } } },
    '/v1/hospitals/{hospitalId}/settlement-numbers': {
      post: {
        summary: "A new settlement number for one desk window (下一位): ZY + the time to the second (+08:00), -2, -3… for further windows in that second; claimed beside the ledger, so no other window of the hospital is ever given it",
        'x-roles': ['desk'],
        parameters: [{ name: 'hospitalId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 201: jsonResponse('The number', 'SettlementNumber'), ...errors },
      },
    },
    '/v1/persons/settlements': { post: { summary: "A person's settlements (reversed ones too), in settledAt order; a desk sees its own hospitals' only; the patient masked. POST: the ID number never goes in a URL", 'x-roles': readers, requestBody: json('PersonQuery'), responses: { 200: jsonResponse('Settlements', 'PersonSettlements'), ...errors } } },
    '/v1/persons/standing': { post: { summary: "A person's year-to-date standing per programme: paid, deductible used, cap and cap left, as the counters and packs tell it", 'x-roles': readers, requestBody: json('PersonQuery'), responses: { 200: jsonResponse('Standing', 'Standing'), ...errors } } },
  };
}

export function deskOpenApiSchemas(): Record<string, unknown> {
  return {
    Hospitals: jsonSchema(hospitalsAnswer, 'output'),
    SettlementNumber: jsonSchema(settlementNumberAnswer, 'output'),
    DayList: jsonSchema(dayList, 'output'),
    PersonQuery: jsonSchema(personQuery, 'input'),
    PersonSettlements: jsonSchema(personSettlements, 'output'),
    Standing: jsonSchema(standing, 'output'),
  };
}
