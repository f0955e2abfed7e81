/**
 * The native split as FHIR R4 ClaimResponse and ExplanationOfBenefit. Amounts are the split's own
 * two-decimal texts (moneyOf), never recomputed; per-item parts come from the engine's own bill
 * classification of each item. Payers are bill-level in the engine, so they appear at the header
 * (`adjudication`, `total`, `insurance`), one entry per split line in waterfall order — never spread
 * over items by a proportion the engine did not compute.
 *
 * The request is read as the ledger's tolerant reader gives it (gateway/ledger/stored.ts): a settlement
 * read back may be years old, and today's strict schema may refuse what it accepted then. A request
 * just accepted by the live schema fits the same type.
 */
import type * as fhir4 from 'fhir/r4.js';
import { classifyBill } from '../../gateway/engine/bill.js';
import { formatFen, parseFen } from '../../gateway/engine/money.js';
import { chinaTime } from '../../gateway/service/ids.js';
import type { StoredRequest } from '../../gateway/ledger/stored.js';
import type { Split, SplitLine } from '../../schemas/settlement.js';
import type { ClaimEcho } from './stored-claims.js';
import { moneyOf } from './json-text.js';
import { metaOf } from './versions.js';
import { LAYER_NAMES } from '../../schemas/vocabulary.js';
import { BILL_PARTS, CASH_BENEFIT, EXT, PROFILE, SYSTEM } from './vocabulary.js';

/** What the answers read of a request: its items, and the stay's dates and diagnoses. */
export type AdjudicatedRequest = Pick<StoredRequest, 'items'> & { encounter: Pick<StoredRequest['encounter'], 'admittedOn' | 'dischargedOn' | 'diagnoses'> };

const GATEWAY_DISPLAY = '一站式结算网关';

const standard = (code: string, display: string): fhir4.CodeableConcept => ({ coding: [{ system: SYSTEM.adjudication, code, display }] });
const billPart = (code: keyof typeof BILL_PARTS): fhir4.CodeableConcept => ({ coding: [{ system: SYSTEM.billPart, code, display: BILL_PARTS[code] }] });
const payerCategory = (line: SplitLine): fhir4.CodeableConcept => ({
  coding: [{ system: SYSTEM.payerLayer, code: line.layer, display: LAYER_NAMES[line.layer] }, { system: SYSTEM.programme, code: line.programme }],
  text: line.payer,
});

/** The amounts of a bill (or of one item) as adjudications: submitted, eligible, and what is not eligible. */
function billAdjudications(totals: { total: string; compliant: string; outOfScope: string; overLimit: string; preSelfPay: string }): fhir4.ClaimResponseItemAdjudication[] {
  return [
    { category: standard('submitted', 'Submitted Amount'), amount: moneyOf(totals.total) },
    { category: standard('eligible', 'Eligible Amount'), amount: moneyOf(totals.compliant) },
    { category: billPart('out-of-scope'), amount: moneyOf(totals.outOfScope) },
    { category: billPart('over-limit'), amount: moneyOf(totals.overLimit) },
    { category: billPart('pre-self-pay'), amount: moneyOf(totals.preSelfPay) },
  ];
}

function itemAdjudications(request: AdjudicatedRequest, sequences: readonly number[] | undefined) {
  return request.items.map((item, i) => {
    const bill = classifyBill([item]);
    return {
      itemSequence: sequences?.[i] ?? i + 1,
      adjudication: billAdjudications({ total: formatFen(bill.totalFen), compliant: formatFen(bill.compliantFen), outOfScope: formatFen(bill.outOfScopeFen), overLimit: formatFen(bill.overLimitFen), preSelfPay: formatFen(bill.preSelfPayFen) }),
    };
  });
}

/** Σ of the payers' lines, as two-decimal text (integer fen in between: exact). */
function payersTotal(split: Split): string {
  let fen = 0;
  for (const line of split.lines) fen += parseFen(line.amount) ?? 0;
  return formatFen(fen);
}

/** One Coverage per split line, `order` = its place in the waterfall (basic 1, major illness 2, …). */
function layerCoverages(split: Split, beneficiary: fhir4.Reference): fhir4.Coverage[] {
  return split.lines.map((line, i) => ({
    resourceType: 'Coverage',
    id: `layer-${i + 1}`,
    status: 'active',
    type: { coding: [{ system: SYSTEM.payerLayer, code: line.layer, display: LAYER_NAMES[line.layer] }], text: LAYER_NAMES[line.layer] },
    beneficiary,
    payor: [{ display: line.payer }],
    order: i + 1,
    class: [{ type: { coding: [{ system: SYSTEM.coverageClass, code: 'plan' }] }, value: line.programme, name: line.payer }],
  }));
}

function processNotes(split: Split): fhir4.ClaimResponseProcessNote[] {
  const texts: string[] = [];
  for (const line of split.lines) for (const text of line.explanation) texts.push(`【${LAYER_NAMES[line.layer]}·${line.payer}】${text}`);
  for (const benefit of split.benefits) for (const text of benefit.explanation ?? []) texts.push(`【待遇·${benefit.programme}】${text}`);
  texts.push(`个人支付 ${split.patientPays} 元（合计 ${split.total} 元）`);
  return texts.map((text, i) => ({ number: i + 1, type: 'display', text, language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'zh-CN' }] } }));
}

function references(split: Split, echo: ClaimEcho | undefined) {
  // Only absolute references (a resource read from the hospital's server, or one the Claim named by URL) are repeated:
  // relative to this gateway, `Patient/123` names nothing it serves, and a contained `#p` or a Bundle's `urn:uuid:` means
  // nothing in another resource. Otherwise the identifier stands in (a logical reference).
  const usable = (ref: string | undefined) => (ref !== undefined && /^https?:\/\//.test(ref) ? ref : undefined);
  const patientRef = usable(echo?.patientReference);
  const providerRef = usable(echo?.providerReference);
  return {
    patient: patientRef ? { reference: patientRef } : { identifier: { system: SYSTEM.personId, value: split.personId } },
    provider: providerRef ? { reference: providerRef } : { identifier: { system: SYSTEM.hospitalId, value: split.hospitalId } },
    type: echo?.claimType.code ? { coding: [{ system: echo.claimType.system ?? SYSTEM.claimType, code: echo.claimType.code, ...(echo.claimType.display ? { display: echo.claimType.display } : {}) }] } : { coding: [{ system: SYSTEM.claimType, code: 'institutional' }] },
  };
}

/**
 * The Claim answered, as a logical reference: the hospital's settlement number (assigned by the hospital). The
 * Claim itself is the hospital's and is not kept here, so a literal `Claim/{id}` would be a reference this server
 * answers 404 for.
 */
const claimOf = (split: Split): fhir4.Reference => ({
  type: 'Claim',
  identifier: { system: SYSTEM.settlementId, value: split.settlementId, assigner: { identifier: { system: SYSTEM.hospitalId, value: split.hospitalId } } },
});

interface Built {
  common: {
    meta?: fhir4.Meta;
    contained: fhir4.Coverage[];
    extension: fhir4.Extension[];
    identifier: fhir4.Identifier[];
    status: 'active' | 'cancelled';
    type: fhir4.CodeableConcept;
    use: 'claim' | 'predetermination';
    patient: fhir4.Reference;
    created: string;
    insurer: fhir4.Reference;
    outcome: 'complete';
    disposition: string;
    processNote: fhir4.ClaimResponseProcessNote[];
  };
  provider: fhir4.Reference;
  header: fhir4.ClaimResponseItemAdjudication[];
  total: fhir4.ClaimResponseTotal[];
  payment: fhir4.ClaimResponsePayment;
  insurance: Array<{ sequence: number; focal: boolean; coverage: fhir4.Reference }>;
  items: Array<{ itemSequence: number; adjudication: fhir4.ClaimResponseItemAdjudication[] }>;
}

function build(split: Split, request: AdjudicatedRequest, echo: ClaimEcho | undefined): Built {
  const refs = references(split, echo);
  const meta = metaOf(split);
  const disposition = split.status === 'preview' ? '预结算（未提交）' : split.status === 'reversed' ? `已撤销（${split.reversedAt ?? ''}）` : '已结算';
  const header: fhir4.ClaimResponseItemAdjudication[] = [
    ...billAdjudications(split),
    ...split.lines.map((line) => ({ category: payerCategory(line), reason: { coding: [{ system: SYSTEM.programme, code: line.programme }], text: line.mode === 'given' ? '上游已结算金额' : '网关按政策计算' }, amount: moneyOf(line.amount) })),
    { category: standard('benefit', 'Benefit Amount'), amount: moneyOf(payersTotal(split)) },
    { category: standard('copay', 'CoPay'), amount: moneyOf(split.patientPays) },
    ...split.benefits.map((b) => ({ category: { coding: [{ system: SYSTEM.payerLayer, ...CASH_BENEFIT }], text: b.kind }, reason: { coding: [{ system: SYSTEM.programme, code: b.programme }] }, amount: moneyOf(b.amount) })),
  ];
  const total: fhir4.ClaimResponseTotal[] = [
    { category: standard('submitted', 'Submitted Amount'), amount: moneyOf(split.total) },
    { category: standard('eligible', 'Eligible Amount'), amount: moneyOf(split.compliant) },
    ...split.lines.map((line) => ({ category: payerCategory(line), amount: moneyOf(line.amount) })),
    { category: standard('benefit', 'Benefit Amount'), amount: moneyOf(payersTotal(split)) },
    { category: standard('copay', 'CoPay'), amount: moneyOf(split.patientPays) },
  ];
  return {
    common: {
      ...(meta ? { meta } : {}),
      contained: layerCoverages(split, refs.patient),
      extension: [{ url: EXT.gatewayId, valueString: split.gatewayId }],
      identifier: [{ system: SYSTEM.gatewayId, value: split.gatewayId }, { system: SYSTEM.settlementId, value: split.settlementId }],
      status: split.status === 'reversed' ? 'cancelled' : 'active',
      type: refs.type,
      use: split.status === 'preview' ? 'predetermination' : 'claim',
      patient: refs.patient,
      created: split.settledAt ?? chinaTime(new Date()),
      insurer: { display: GATEWAY_DISPLAY },
      outcome: 'complete',
      disposition,
      processNote: processNotes(split),
    },
    provider: refs.provider,
    header,
    total,
    // The payers' part goes to the hospital; the patient pays copay at the desk.
    payment: { type: { coding: [{ system: SYSTEM.paymentType, code: 'complete' }] }, amount: moneyOf(payersTotal(split)) },
    insurance: split.lines.map((_line, i) => ({ sequence: i + 1, focal: i === 0, coverage: { reference: `#layer-${i + 1}` } })),
    items: itemAdjudications(request, echo?.itemSequences),
  };
}

export function claimResponseOf(split: Split, request: AdjudicatedRequest, echo: ClaimEcho | undefined, id: string): fhir4.ClaimResponse {
  const b = build(split, request, echo);
  return {
    resourceType: 'ClaimResponse',
    id,
    ...b.common,
    meta: { ...b.common.meta, profile: [PROFILE.claimResponse] },
    requestor: b.provider,
    request: claimOf(split),
    item: b.items,
    adjudication: b.header,
    total: b.total,
    payment: b.payment,
    insurance: b.insurance,
  };
}

export function explanationOfBenefitOf(split: Split, request: AdjudicatedRequest, echo: ClaimEcho | undefined, id: string): fhir4.ExplanationOfBenefit {
  const b = build(split, request, echo);
  const diagnosis = request.encounter.diagnoses.map((d, i) => ({
    sequence: i + 1,
    diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: d.icd10 }] },
    ...(d.primary ? { type: [{ coding: [{ system: SYSTEM.diagnosisType, code: 'principal' }] }] } : {}),
  }));
  return {
    resourceType: 'ExplanationOfBenefit',
    id,
    ...b.common,
    meta: { ...b.common.meta, profile: [PROFILE.explanationOfBenefit] },
    use: 'claim',
    billablePeriod: { start: request.encounter.admittedOn, end: request.encounter.dischargedOn },
    provider: b.provider,
    claim: claimOf(split),
    claimResponse: { reference: `ClaimResponse/${id}` },
    ...(diagnosis.length > 0 ? { diagnosis } : {}),
    insurance: b.insurance.map((i) => ({ focal: i.focal, coverage: i.coverage })),
    item: request.items.map((item, i) => ({
      sequence: b.items[i]!.itemSequence,
      // A stored item may have no code (or an empty one, which is no FHIR code): then the name alone.
      productOrService: { coding: [{ ...(item.code ? { code: item.code } : {}), display: item.name }] },
      net: moneyOf(formatFen(item.amount)),
      adjudication: b.items[i]!.adjudication,
    })),
    adjudication: b.header,
    total: b.total,
    payment: b.payment,
  };
}
