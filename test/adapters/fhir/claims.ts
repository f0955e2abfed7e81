/** Builders of FHIR R4 Claims (and their Patient, Coverage, Organization) from native requests, for the tests. */
import type { SettlementRequestInput } from '../../../schemas/settlement.js';
import { EXT, SYSTEM } from '../../../adapters/fhir/vocabulary.js';

type Json = Record<string, unknown>;
/** Money as FHIR JSON text would carry it: a raw JSON number token (see `claimText`). */
const RAW = '\u0000raw:';
export const rawNumber = (text: string): string => `${RAW}${text}`;
const amount = (value: string | number) => ({ value: rawNumber(String(value)), currency: 'CNY' });

export function patientOf(r: SettlementRequestInput, id = 'p1'): Json {
  return {
    resourceType: 'Patient', id,
    identifier: [{ system: SYSTEM.personId, value: r.patient.id }],
    ...(r.patient.name ? { name: [{ text: r.patient.name }] } : {}),
    extension: [
      ...(r.patient.categories ?? []).map((c) => ({ url: EXT.personCategory, valueCode: c })),
      ...(r.patient.hukouRegion ? [{ url: EXT.hukouRegion, valueCode: r.patient.hukouRegion }] : []),
      ...(r.patient.disability ? [{ url: EXT.disability, extension: [{ url: 'grade', valueInteger: rawNumber(String(r.patient.disability.grade)) }, { url: 'type', valueCode: r.patient.disability.type }] }] : []),
    ],
  };
}

export function coverageOf(r: SettlementRequestInput, id = 'c1', patientRef = 'Patient/p1'): Json {
  return {
    resourceType: 'Coverage', id,
    status: r.patient.basicInsuranceActive === false ? 'cancelled' : 'active',
    type: { coding: [{ system: SYSTEM.insutype, code: r.patient.scheme === 'employee' ? '310' : '390' }] },
    beneficiary: { reference: patientRef },
    payor: [{ display: '医保' }],
    extension: [{ url: EXT.insuredRegion, valueCode: r.patient.insuredRegion }],
  };
}

export function organizationOf(r: SettlementRequestInput, id = 'org'): Json {
  return {
    resourceType: 'Organization', id,
    identifier: [{ system: SYSTEM.hospitalId, value: r.hospital.id }],
    extension: [
      { url: EXT.hospitalRegion, valueCode: r.hospital.region },
      { url: EXT.hospitalLevel, valueInteger: rawNumber(String(r.hospital.level)) },
      ...(r.hospital.drgPublic !== undefined ? [{ url: EXT.drgPublic, valueBoolean: r.hospital.drgPublic }] : []),
    ],
  };
}

export interface ClaimShape {
  /** Where Patient and Coverage are: contained in the Claim, or only referenced (read from the hospital's server). */
  references?: 'contained' | 'remote';
  patientId?: string;
  coverageId?: string;
  status?: 'active' | 'cancelled';
  use?: 'claim' | 'predetermination';
}

export function claimOf(r: SettlementRequestInput, shape: ClaimShape = {}): Json {
  const remote = shape.references === 'remote';
  const patientRef = remote ? `Patient/${shape.patientId ?? 'p1'}` : '#p1';
  const coverageRef = remote ? `Coverage/${shape.coverageId ?? 'c1'}` : '#c1';
  const outpatient = r.encounter.kind === 'outpatientSpecial';
  const encounter = { resourceType: 'Encounter', id: 'enc', status: 'finished', class: { system: SYSTEM.actCode, code: outpatient ? 'AMB' : 'IMP' }, period: { start: r.encounter.admittedOn, end: r.encounter.dischargedOn } };
  const contained = [organizationOf(r), encounter, ...(remote ? [] : [patientOf(r), coverageOf(r, 'c1', '#p1')])];
  const upstream = Object.entries(r.upstream ?? {}).map(([layer, value]) => ({
    url: EXT.upstreamAmount, extension: [{ url: 'layer', valueCode: layer }, { url: 'amount', valueMoney: amount(String(value)) }],
  }));
  return {
    resourceType: 'Claim', id: `claim-${r.settlementId}`,
    contained,
    extension: [
      ...upstream,
      ...(r.encounter.catalogEntries ?? []).map((e) => ({ url: EXT.catalogEntry, valueCoding: { system: `https://settlement-gateway.example/fhir/CodeSystem/${e.catalog}`, code: String(e.entry) } })),
    ],
    identifier: [{ system: SYSTEM.settlementId, value: r.settlementId }],
    status: shape.status ?? 'active',
    type: { coding: [{ system: SYSTEM.claimType, code: 'institutional' }] },
    use: shape.use ?? 'claim',
    patient: { reference: patientRef },
    billablePeriod: { start: r.encounter.admittedOn, end: r.encounter.dischargedOn },
    created: '2024-03-10T10:00:00+08:00',
    provider: { reference: '#org' },
    priority: { coding: [{ system: SYSTEM.processPriority, code: 'normal' }] },
    insurance: [{ sequence: rawNumber('1'), focal: true, coverage: { reference: coverageRef } }],
    ...(r.encounter.cause === 'accident' ? { accident: { date: r.encounter.admittedOn, extension: [{ url: EXT.thirdPartyLiable, valueBoolean: r.encounter.thirdPartyLiable ?? false }] } } : {}),
    diagnosis: (r.encounter.diagnoses ?? []).map((d, i) => ({
      sequence: rawNumber(String(i + 1)),
      diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: d.icd10 }] },
      ...(d.primary ? { type: [{ coding: [{ system: SYSTEM.diagnosisType, code: 'principal' }] }] } : {}),
    })),
    item: r.items.map((item, i) => ({
      sequence: rawNumber(String(i + 1)),
      ...(i === 0 ? { encounter: [{ reference: '#enc' }] } : {}),
      productOrService: { coding: [{ code: item.code, display: item.name }] },
      net: amount(String(item.amount)),
      extension: [
        { url: EXT.catalogueClass, valueCode: item.class },
        ...(item.selfPayRatio !== undefined ? [{ url: EXT.selfPayRatio, valueDecimal: rawNumber(String(item.selfPayRatio)) }] : []),
        ...(item.overLimit !== undefined ? [{ url: EXT.overLimit, valueMoney: amount(String(item.overLimit)) }] : []),
      ],
    })),
  };
}

/** JSON text of a resource with every rawNumber written as the bare number token it holds (1234.50 stays 1234.50). */
export function claimText(resource: unknown): string {
  return JSON.stringify(resource).replace(/"\\u0000raw:([^"]*)"/g, '$1');
}

export const bundleOf = (...resources: Json[]): Json => ({
  resourceType: 'Bundle', type: 'collection',
  entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${String(resource.resourceType)}-${String(resource.id)}`, resource })),
});
