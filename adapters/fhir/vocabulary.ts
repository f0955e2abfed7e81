/**
 * The URLs this adapter defines or reads: extensions, naming systems and code systems. Every one is
 * documented in adapters/fhir/README.md with the native field it carries.
 */
export const FHIR_BASE = 'https://settlement-gateway.example/fhir';
const sd = (name: string) => `${FHIR_BASE}/StructureDefinition/${name}`;

export const EXT = {
  /** Claim.item: 甲/乙/丙 catalogue class (valueCode A|B|C or 甲|乙|丙). */
  catalogueClass: sd('catalogue-class'),
  /** Claim.item: 乙类先行自付比例 (valueDecimal in [0, 1]). */
  selfPayRatio: sd('self-pay-ratio'),
  /** Claim.item: 超限价自费 (valueMoney). */
  overLimit: sd('over-limit'),
  /** Claim: an amount already decided upstream (complex: layer valueCode, amount valueMoney). */
  upstreamAmount: sd('upstream-amount'),
  /** Claim: a disease-catalogue entry the hospital asserts (valueCoding, system = catalogue). */
  catalogEntry: sd('catalog-entry'),
  /** Claim.accident: a liable third party exists (valueBoolean). */
  thirdPartyLiable: sd('third-party-liable'),
  /** Patient: a person category (valueCode, one extension per category). */
  personCategory: sd('person-category'),
  /** Patient: disability certificate (complex: grade valueInteger 1–4, type valueCode). */
  disability: sd('disability'),
  /** Patient: 户籍地 (valueCode, 6-digit admdvs). */
  hukouRegion: sd('hukou-region'),
  /** Coverage: the insured region (valueCode, 6-digit admdvs). */
  insuredRegion: sd('insured-region'),
  /** Organization (or the provider Reference): 6-digit admdvs of the hospital. */
  hospitalRegion: sd('hospital-region'),
  /** Organization (or the provider Reference): hospital level 1–3 (valueInteger). */
  hospitalLevel: sd('hospital-level'),
  /** Organization (or the provider Reference): public hospital paid by C-DRG (valueBoolean). */
  drgPublic: sd('drg-public'),
  /** ClaimResponse/EOB: the native split's gateway id and status (valueString). */
  gatewayId: sd('gateway-id'),
} as const;

/** The profiles this endpoint's answers claim (meta.profile) and the CapabilityStatement declares. */
export const PROFILE = {
  claimResponse: sd('settlement-claim-response'),
  explanationOfBenefit: sd('settlement-explanation-of-benefit'),
} as const;

export const SYSTEM = {
  /** The hospital's settlement number (Claim.identifier). */
  settlementId: `${FHIR_BASE}/NamingSystem/settlement-id`,
  /** The hospital's national code (Organization.identifier / provider.identifier). */
  hospitalId: `${FHIR_BASE}/NamingSystem/hospital-id`,
  /** The person's ID number as the 医保 person record has it (Patient.identifier). */
  personId: `${FHIR_BASE}/NamingSystem/person-id`,
  /** 居民身份证号码 (the OID of Chinese health-information standards), accepted as the person id too. */
  residentIdCard: 'urn:oid:2.16.156.10011.1.3',
  /** The insurance scheme (Coverage.type): 310 职工 / 390 城乡居民. */
  insutype: `${FHIR_BASE}/CodeSystem/insutype`,
  /** The payer layer of a line (ClaimResponse adjudication category). */
  payerLayer: `${FHIR_BASE}/CodeSystem/payer-layer`,
  /** The programme of a line (adjudication reason). */
  programme: `${FHIR_BASE}/CodeSystem/programme`,
  /** Bill parts without a standard adjudication code: out of scope, over limit, pre-self-pay. */
  billPart: `${FHIR_BASE}/CodeSystem/bill-part`,
  /** The gateway's own id of a settlement (stl_…, pre_…). */
  gatewayId: `${FHIR_BASE}/NamingSystem/gateway-id`,
  adjudication: 'http://terminology.hl7.org/CodeSystem/adjudication',
  claimType: 'http://terminology.hl7.org/CodeSystem/claim-type',
  diagnosisType: 'http://terminology.hl7.org/CodeSystem/ex-diagnosistype',
  actCode: 'http://terminology.hl7.org/v3/ActCode',
  processPriority: 'http://terminology.hl7.org/CodeSystem/processpriority',
  payeeType: 'http://terminology.hl7.org/CodeSystem/payeetype',
  paymentType: 'http://terminology.hl7.org/CodeSystem/ex-paymenttype',
  noteType: 'http://hl7.org/fhir/note-type',
  coverageClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
} as const;

/** The codes of this endpoint's own code systems (served as CodeSystems by terminology.ts), with their displays. */
export const BILL_PARTS = { 'out-of-scope': '丙类（目录外）自费', 'over-limit': '超限价自费', 'pre-self-pay': '乙类先行自付' } as const;
/** Payer layers beyond the split's own (schemas/vocabulary.ts LAYER_NAMES): a cash benefit paid to the patient later. */
export const CASH_BENEFIT = { code: 'cash-benefit', display: '现金待遇（不冲减费用）' } as const;
export const INSUTYPE_NAMES = { '310': '职工基本医疗保险', '390': '城乡居民基本医疗保险' } as const;

/** A coding system is ICD-10 (WHO, or a national edition such as ICD-10 医保版) when its URL says so. */
export const isIcd10System = (system: string | undefined): boolean => system !== undefined && /icd-?10/i.test(system);

export const PERSON_ID_SYSTEMS: readonly string[] = [SYSTEM.personId, SYSTEM.residentIdCard];
