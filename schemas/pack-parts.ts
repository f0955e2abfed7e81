/**
 * Building blocks of a programme pack that the rule kinds share (gateway/engine/rules/<kind>.ts each
 * declares its own rule schema from these): citations, stay conditions, bases, ratios by group.
 */
import * as z from 'zod';
import { admdvsPrefix, identifier, money, plainText, ratio } from './primitives.js';
import { BILL_PARTS, ENCOUNTER_KINDS, ITEM_TYPES, WARDS, layer } from './settlement.js';
import { RISK_GROUP_NAMES } from './vocabulary.js';

export const riskGroup = z.enum(Object.keys(RISK_GROUP_NAMES) as [keyof typeof RISK_GROUP_NAMES, ...(keyof typeof RISK_GROUP_NAMES)[]]);
/** A supplementary programme's risk group: healthy, preExisting (特定既往症), aidPreExisting (救助对象 among them). */
export type RiskGroup = z.infer<typeof riskGroup>;

/** Where a stay happened as a plan sees it: in its area, or outside it with or without 异地就医备案. */
const PLACES = ['inArea', 'offsiteFiled', 'offsiteUnfiled'] as const;
export type Place = (typeof PLACES)[number];

export const cite = z.string().min(3).meta({ description: 'document file and clause the value comes from' });
export const cited = <T extends z.ZodType>(value: T) => z.object({ value, cite }).strict();

export const byLevel = <T extends z.ZodType>(value: T) => z.object({ 1: value, 2: value, 3: value }).strict();

/** A condition on the stay; every field given must hold. */
export const stayCondition = z.object({
  kinds: z.array(z.enum(ENCOUNTER_KINDS)).optional(),
  hospitalArea: z.enum(['in', 'out']).optional().meta({ description: "the hospital's region against the pack's area" }),
  minHospitalLevel: z.int().min(1).max(3).optional(),
  drgPublic: z.boolean().optional(),
  cause: z.enum(['disease', 'accident']).optional(),
  thirdPartyLiable: z.boolean().optional(),
  catalog: identifier(40).optional().meta({ description: "the primary diagnosis or an asserted entry is in this disease catalogue" }),
  ownership: z.enum(['public', 'private']).optional().meta({ description: "the hospital's ownership as the request states it (hospital.ownership); unstated does not hold" }),
  place: z.array(z.enum(PLACES)).min(1).optional().meta({
    description: 'inArea: a hospital in the pack\'s area; offsiteFiled / offsiteUnfiled: outside it, with or without 异地就医备案 (encounter.offsiteFiled)',
  }),
  localBasicSettlement: z.boolean().optional().meta({ description: 'true: the stay was settled through the local basic insurance (encounter.localBasicSettlement is not false)' }),
  basicInsuranceActive: z.boolean().optional().meta({ description: "the person's basic insurance, as the request states it (patient.basicInsuranceActive)" }),
  variants: z.array(identifier(40)).min(1).optional().meta({ description: 'the product (款) the person holds, of the pack\'s variants' }),
  groups: z.array(riskGroup).min(1).optional().meta({ description: "the person's risk group for this rule (healthy, preExisting, aidPreExisting)" }),
  attributes: z.record(plainText(100), z.array(z.string().min(1)).min(1)).optional().meta({
    description: "roster attributes of the person's row: each named attribute must have one of the values listed",
  }),
}).strict();

export const when = stayCondition.extend({
  anyOf: z.array(stayCondition).optional(),
  cite,
}).strict();
export type When = z.infer<typeof when>;
export type StayCondition = z.infer<typeof stayCondition>;

/**
 * What a rule pays on: parts of the bill's cost (`parts`, or `of`: compliant = [compliant], all = every part),
 * of the items it selects, less what the named layers already paid on those parts.
 */
export const base = z.object({
  of: z.enum(['compliant', 'all']).optional().meta({ description: 'shorthand: compliant = parts [compliant]; all = every part' }),
  parts: z.array(z.enum(BILL_PARTS)).min(1).optional().meta({ description: 'the parts of the cost the rule pays on (compliant, preSelfPay, overLimit, outOfScope)' }),
  after: z.array(layer).meta({ description: 'layers whose payments on these parts are deducted before this rule' }),
  items: z.object({
    types: z.array(z.enum(ITEM_TYPES)).min(1).optional().meta({ description: 'only items of these types (an item stating none is not counted)' }),
    wards: z.array(z.enum(WARDS)).min(1).optional().meta({ description: 'only items incurred in these wards (an item stating none is general)' }),
    codes: z.array(z.string().min(1).max(60)).min(1).max(500).optional().meta({ description: "only items whose code starts with one of these (质子重离子, CAR-T, an implant's codes)" }),
    notCodes: z.array(z.string().min(1).max(60)).min(1).max(500).optional().meta({ description: 'never items whose code starts with one of these (a plan\'s 负面清单)' }),
  }).strict().optional().meta({ description: 'the items the base counts; a layer\'s payment on a part falls on the items in proportion to their cost of that part' }),
  lessCompliantShare: ratio.optional().meta({ description: 'this share of the selected items\' compliant cost is taken off the base first (惠琼保: 扣除70%合规医疗费用 for a person without basic insurance)' }),
  cite,
}).strict().refine((b) => (b.of === undefined) !== (b.parts === undefined), { path: ['parts'], message: 'a base names either of or parts, exactly one' });
export type Base = z.output<typeof base>;

/** Ratios by risk group; null: this group is not covered by the rule. */
export const groupRatios = z.object({
  healthy: ratio,
  preExisting: ratio.nullable().optional(),
  aidPreExisting: ratio.nullable().optional(),
}).strict();
export type GroupRatios = z.output<typeof groupRatios>;

/** Every rule's head: its id (part of its counter keys: never rename one in a running term) and its name. */
export const ruleHead = { id: identifier(40), name: z.string().min(1) };

/** One listed drug (特药), inline in a pack's specificDrugs rule or in a drug-list file (schemas/pack.ts drugList). */
export const drugEntry = z.object({
  code: z.string().min(1).max(60).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, '药品编码只能由字母、数字、点、下划线或连字符组成'),
  name: z.string().min(1).max(200).optional(),
  group: identifier(40),
  drugClass: z.enum(['A', 'B', 'C']).optional().meta({ description: "the drug's class (三明: the group pays by class)" }),
  ratio: groupRatios.optional().meta({ description: "the drug's own ratio by risk group (惠琼保: 按照药品清单中各药品备注的赔付比例); else the group's ratio by class" }),
  origin: z.enum(['domestic', 'overseas']).optional(),
  where: z.object({
    kinds: z.array(z.enum(ENCOUNTER_KINDS)).min(1).optional().meta({ description: 'dispensed only in these encounters (pharmacy: a designated pharmacy)' }),
    regions: z.array(admdvsPrefix).min(1).optional().meta({ description: 'dispensed only where the hospital or pharmacy lies here (博鳌乐城 for overseas drugs)' }),
  }).strict().optional(),
  annualCap: money.optional().meta({ description: "the drug's own yearly sub-limit: counter `<group>.drug-<code>.paid`" }),
}).strict();
export type DrugEntry = z.output<typeof drugEntry>;
