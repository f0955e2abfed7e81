/** The settlement request and the split: CONTRACT.md in code. Types are inferred, never restated. */
import * as z from 'zod';
import { admdvs, encounterDate, identifier, money, moneyText, plainText, share } from './primitives.js';
import { category, disabilityType } from './categories.js';
import { nhsaStayIdentity } from './nhsa.js';
import { MAX_FEN, parseShareText } from './money-text.js';

const LIMITS = {
  itemsPerBill: 1000,
  diagnosesPerStay: 50,
  catalogEntriesPerStay: 20,
  textLength: 200,
} as const;

export const LAYERS = ['basic', 'majorIllness', 'waiver', 'aid', 'supplementary'] as const;
export const layer = z.enum(LAYERS);
export type Layer = z.infer<typeof layer>;
export const UPSTREAM_LAYERS = ['basic', 'majorIllness', 'waiver', 'aid'] as const;
export type UpstreamLayer = (typeof UPSTREAM_LAYERS)[number];

/**
 * The parts of a bill's cost, per item, in the order a payment is taken from them: 政策范围内 (compliant),
 * 乙类先行自付 (preSelfPay), 超限价自费 (overLimit), 丙类全自费 (outOfScope). The split's totals of the same
 * names add them up; a supplementary rule's base names the parts it pays on (gateway/programmes/README.md).
 */
export const BILL_PARTS = ['compliant', 'preSelfPay', 'overLimit', 'outOfScope'] as const;
export const billPart = z.enum(BILL_PARTS);
export type BillPart = z.infer<typeof billPart>;

/** What an item is, as a supplementary rule may select by it (自费药品: drugs only). */
export const ITEM_TYPES = ['drug', 'consumable', 'service'] as const;
/** Where in the hospital an item was incurred: the 普通部, or a 特需部 / VIP部 / 国际部 that plans exclude. */
export const WARDS = ['general', 'special'] as const;
/** Encounter kinds: a stay, a 门诊特殊病种 visit, or a dispensing at a designated pharmacy (特药). */
export const ENCOUNTER_KINDS = ['inpatient', 'outpatientSpecial', 'pharmacy'] as const;
/** 甲 A, 乙 B, 丙 C: an item's class in the catalogue. */
const ITEM_CLASSES = ['A', 'B', 'C'] as const;
const OWNERSHIPS = ['public', 'private'] as const;
const SCHEMES = ['employee', 'resident'] as const;
const CAUSES = ['disease', 'accident'] as const;

const text = plainText(LIMITS.textLength);

const billItem = z.object({
  code: text,
  name: text,
  amount: money,
  class: z.enum(ITEM_CLASSES).meta({ description: '甲 A in scope, 乙 B in scope after selfPayRatio × amount, 丙 C out of scope' }),
  selfPayRatio: share.optional().meta({ description: '乙类先行自付比例, for class B; absent means 0' }),
  overLimit: money.optional().meta({ description: '超限价自费: the part of the amount above the price limit' }),
  itemType: z.enum(ITEM_TYPES).optional().meta({ description: 'drug, consumable or service; absent: not stated (a rule selecting by type does not count the item)' }),
  ward: z.enum(WARDS).optional().meta({ description: "absent or general: the hospital's 普通部; special: a 特需部, VIP部 or 国际部 (plans that exclude them do not pay the item)" }),
  supplyDays: z.int().min(1).max(366).optional().meta({ description: 'days of supply of a dispensed drug (特药: the part beyond a month is not paid where a plan says so)' }),
}).superRefine((item, ctx) => {
  // A self-pay share belongs to class B alone; on A or C it would be a contradiction silently ignored.
  if (item.selfPayRatio !== undefined && item.class !== 'B') {
    ctx.addIssue({ code: 'custom', path: ['selfPayRatio'], message: `只有乙类（B）项目可带先行自付比例 selfPayRatio，此项为 ${item.class} 类` });
  }
});

export const settlementRequest = z.object({
  settlementId: identifier(64).meta({ description: "the hospital's settlement number, unique per hospital" }),
  hospital: z.object({
    id: identifier(32),
    name: z.string().min(1).max(100).optional().meta({ description: "the hospital's name, printed on the slip (configuration may supply it instead)" }),
    region: admdvs,
    level: z.int().min(1).max(3).meta({ description: 'hospital level 1–3 (一/二/三级)' }),
    drgPublic: z.boolean().default(false).meta({ description: 'a public hospital paid by C-DRG' }),
    ownership: z.enum(OWNERSHIPS).optional().meta({ description: "public (公立) or private (民营); plans paying public hospitals only read it" }),
  }),
  patient: z.object({
    id: z.string().min(1).max(32).regex(/^[0-9A-Za-z]+$/, '只能由字母和数字组成'),
    name: plainText(50).optional(),
    insuredRegion: admdvs,
    hukouRegion: admdvs.optional().meta({ description: '户籍地 (6-digit admdvs), for programmes whose eligibility is by 户籍 (闻喜); absent, such a programme reads insuredRegion and says so' }),
    scheme: z.enum(SCHEMES),
    categories: z.array(category).max(13).default([]),
    basicInsuranceActive: z.boolean().default(true),
    disability: z.object({ grade: z.int().min(1).max(4), type: disabilityType }).optional(),
  }),
  encounter: z.object({
    kind: z.enum(ENCOUNTER_KINDS).meta({ description: 'inpatient, outpatientSpecial (门诊特殊病种), or pharmacy (a dispensing at a designated pharmacy: admittedOn = dischargedOn = the day)' }),
    admittedOn: encounterDate,
    dischargedOn: encounterDate,
    diagnoses: z.array(z.object({
      icd10: z.string().regex(/^[A-Z]\d{2}(\.[0-9A-Za-z+*]{1,10})?$/, '应为 ICD-10 编码，如 C34.9 或 C34.900x001（国家扩展码）'),
      primary: z.boolean().default(false),
      firstDiagnosedOn: encounterDate.optional().meta({ description: 'when the disease was first diagnosed: a plan judging 既往症 by claim compares it with the enrolment' }),
    })).max(LIMITS.diagnosesPerStay).default([]),
    catalogEntries: z.array(z.object({ catalog: identifier(40), entry: z.int().min(1).max(999) })).max(LIMITS.catalogEntriesPerStay).default([]),
    cause: z.enum(CAUSES).default('disease'),
    thirdPartyLiable: z.boolean().default(false),
    offsiteFiled: z.boolean().optional().meta({ description: '异地就医备案: true when the person filed for care outside the insured region (read only for a hospital outside a plan\'s area; absent: not filed)' }),
    localBasicSettlement: z.boolean().optional().meta({ description: 'false: the stay was not settled through the local basic insurance (plans that pay only after it do not pay)' }),
  }),
  items: z.array(billItem).min(1).max(LIMITS.itemsPerBill),
  upstream: z.object({ basic: money, majorIllness: money, waiver: money, aid: money }).partial().default({}),
  /** The national interface's identifiers of the stay (set by adapters/nhsa; a HIS settling natively may give them too). */
  nhsa: nhsaStayIdentity.optional().meta({ description: 'national identifiers of the stay (psn_no, mdtrt_id, insutype, med_type…), carried to the 2304-shaped output on nhsa.settlements' }),
});

export type SettlementRequest = z.output<typeof settlementRequest>;
export type SettlementRequestInput = z.input<typeof settlementRequest>;

const fen = z.int().min(0).max(MAX_FEN);
const shareText = z.string().refine((text) => parseShareText(text) === text);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/**
 * A request settlementRequest has already read (its output: amounts in fen, shares as their text, defaults
 * filled in) written as JSON and read back: what the day projections keep for a replay (gateway/operations/
 * day-projection.ts). Checked for the shapes and bounds the engine relies on, not again for what the
 * contract asked of the hospital's text (no control characters, identifier alphabets): zod reads one of a
 * 三明 year's requests back in 2.0–2.6 µs this way, the wire form in 5.6–6.1 µs (and allocates less), for each of a
 * replay's 10⁶ settlements. Its
 * output type is SettlementRequest exactly (test/operations/parsed-request.test.ts says so to the compiler),
 * so a field added to the contract cannot be forgotten here.
 */
export const parsedSettlementRequest = z.object({
  settlementId: z.string().min(1).max(64),
  hospital: z.object({
    id: z.string().min(1).max(32),
    name: z.string().max(100).optional(),
    region: z.string(),
    level: z.int().min(1).max(3),
    drgPublic: z.boolean(),
    ownership: z.enum(OWNERSHIPS).optional(),
  }),
  patient: z.object({
    id: z.string().min(1).max(32),
    name: z.string().optional(),
    insuredRegion: z.string(),
    hukouRegion: z.string().optional(),
    scheme: z.enum(SCHEMES),
    categories: z.array(category),
    basicInsuranceActive: z.boolean(),
    disability: z.object({ grade: z.int().min(1).max(4), type: disabilityType }).optional(),
  }),
  encounter: z.object({
    kind: z.enum(ENCOUNTER_KINDS),
    admittedOn: day,
    dischargedOn: day,
    diagnoses: z.array(z.object({ icd10: z.string(), primary: z.boolean(), firstDiagnosedOn: day.optional() })),
    catalogEntries: z.array(z.object({ catalog: z.string(), entry: z.int() })),
    cause: z.enum(CAUSES),
    thirdPartyLiable: z.boolean(),
    offsiteFiled: z.boolean().optional(),
    localBasicSettlement: z.boolean().optional(),
  }),
  items: z.array(z.object({
    code: z.string(),
    name: z.string(),
    amount: fen,
    class: z.enum(ITEM_CLASSES),
    selfPayRatio: shareText.optional(),
    overLimit: fen.optional(),
    itemType: z.enum(ITEM_TYPES).optional(),
    ward: z.enum(WARDS).optional(),
    supplyDays: z.int().min(1).max(366).optional(),
  })).min(1).max(LIMITS.itemsPerBill),
  upstream: z.object({ basic: fen, majorIllness: fen, waiver: fen, aid: fen }).partial(),
  nhsa: nhsaStayIdentity.optional(),
});

/** The optional body of a reversal: why, and which clerk; recorded with the reversal. */
export const reversalNote = z.object({
  reason: z.string().trim().min(1).max(200).optional(),
  operator: z.string().trim().min(1).max(50).optional(),
}).strict();
export type ReversalNote = z.infer<typeof reversalNote>;

export const splitLine = z.object({
  layer,
  programme: z.string(),
  payer: z.string(),
  fundPayType: z.string().optional().meta({ description: 'NHSA fund_pay_type of the payer, where it has one' }),
  mode: z.enum(['given', 'computed']),
  amount: moneyText,
  explanation: z.array(z.string()),
});

const benefit = z.object({
  programme: z.string(),
  kind: z.string(),
  amount: moneyText,
  paidTo: z.literal('patient'),
  explanation: z.array(z.string()).optional(),
});

export const split = z.object({
  gatewayId: z.string(),
  settlementId: z.string(),
  hospitalId: z.string(),
  personId: z.string(),
  status: z.enum(['preview', 'settled', 'reversed']),
  currency: z.literal('CNY'),
  total: moneyText,
  outOfScope: moneyText,
  overLimit: moneyText,
  preSelfPay: moneyText,
  compliant: moneyText,
  lines: z.array(splitLine),
  benefits: z.array(benefit),
  patientPays: moneyText,
  policyVersions: z.record(z.string(), z.string()),
  settledAt: z.string().optional(),
  reversedAt: z.string().optional(),
  reversal: reversalNote.optional().meta({ description: 'why and by whom a reversed settlement was reversed, as the reversal call gave it' }),
});

export type SplitLine = z.infer<typeof splitLine>;
export type Benefit = z.infer<typeof benefit>;
export type Split = z.infer<typeof split>;
