/** GET /fhir/metadata: what this endpoint supports, as an R4 CapabilityStatement. */
import type * as fhir4 from 'fhir/r4.js';
import { EXT, FHIR_BASE, PROFILE } from './vocabulary.js';

const SEARCH: fhir4.CapabilityStatementRestResourceInteraction = {
  code: 'search-type',
  documentation: 'GET with _id, identifier or a page link\'s _cursor; POST _search (form body) also with patient:identifier — an ID number is never accepted in a URL. Unknown parameters are refused (400).',
};
const SEARCH_PARAMETERS: fhir4.CapabilityStatementRestResourceSearchParam[] = [
  { name: 'patient', type: 'reference', documentation: 'with the :identifier modifier only, by POST _search: patient:identifier=<person-id system>|<ID number>' },
  { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
  { name: 'identifier', type: 'token', documentation: 'the hospital\'s settlement number ([settlement-id system|]number), in the hospital named by requestor:identifier (ClaimResponse) or provider:identifier (ExplanationOfBenefit), else in each hospital of a desk' },
  { name: 'requestor', type: 'reference', documentation: 'ClaimResponse, with :identifier only, beside identifier: the hospital ([hospital-id system|]code)' },
  { name: 'provider', type: 'reference', documentation: 'ExplanationOfBenefit, with :identifier only, beside identifier: the hospital ([hospital-id system|]code)' },
  { name: '_count', type: 'number', documentation: '1–100 per page (default 100), the latest settlements first' },
  { name: '_offset', type: 'number', documentation: 'the first match of the page (0-based); the next and previous links carry it' },
  { name: '_cursor', type: 'string', documentation: 'the opaque id of a person search, in its page links (valid one hour, for the client that searched)' },
];

export function capabilityStatement(version: string, date: string): fhir4.CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    url: `${FHIR_BASE}/CapabilityStatement/settlement-gateway`,
    name: 'SettlementGatewayFhir',
    title: '一站式结算网关 FHIR 接口',
    status: 'active',
    date,
    kind: 'instance',
    software: { name: 'settlement-gateway', version },
    implementation: { description: '出院一站式结算：FHIR R4 Claim 提交，ClaimResponse / ExplanationOfBenefit 返回各支付方分担' },
    fhirVersion: '4.0.1',
    // JSON only: any other _format or Accept is answered 406 (negotiation.ts).
    format: ['application/fhir+json', 'json'],
    rest: [{
      mode: 'server',
      documentation: `Extensions (each URL resolves to its StructureDefinition): ${Object.values(EXT).join(', ')}`,
      security: { description: 'Authorization: Bearer <token>，与 /v1 相同的客户端与医院范围（desk 仅可为本院提交）' },
      resource: [
        {
          type: 'Claim',
          documentation: 'POST /fhir/Claim/$submit：Claim 或含 Claim 及 Patient、Coverage、Organization、Encounter、Condition 的 Bundle，或以参数 resource 携带二者之一的 Parameters；?preview=true 或 use=predetermination 只预结算；status=cancelled 撤销已结算的 Claim',
          operation: [
            { name: 'submit', definition: 'http://hl7.org/fhir/OperationDefinition/Claim-submit' },
            { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate', documentation: 'what $submit checks, nothing settled: 200 with the findings as an OperationOutcome' },
          ],
        },
        { type: 'ClaimResponse', profile: PROFILE.claimResponse, supportedProfile: [PROFILE.claimResponse], versioning: 'versioned', readHistory: true, interaction: [{ code: 'read' }, { code: 'vread' }, { code: 'history-instance' }, SEARCH], searchParam: SEARCH_PARAMETERS },
        { type: 'StructureDefinition', interaction: [{ code: 'read' }], documentation: 'the definitions of this endpoint\'s extensions and of the profiles of its answers, with snapshots, at their URLs (no token needed)' },
        { type: 'CodeSystem', interaction: [{ code: 'read' }], documentation: 'the code systems the resources use (insutype, payer-layer, bill-part, programme, the disease catalogues), at their URLs (no token needed)' },
        { type: 'NamingSystem', interaction: [{ code: 'read' }], documentation: 'the identifier systems (settlement-id, hospital-id, person-id, gateway-id), at their URLs (no token needed)' },
        { type: 'ExplanationOfBenefit', profile: PROFILE.explanationOfBenefit, supportedProfile: [PROFILE.explanationOfBenefit], versioning: 'versioned', readHistory: true, interaction: [{ code: 'read' }, { code: 'vread' }, { code: 'history-instance' }, SEARCH], searchParam: SEARCH_PARAMETERS },
      ],
    }],
  };
}
