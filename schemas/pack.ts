/**
 * A programme pack: one versioned YAML file per programme. Every number is a cited value
 * `{ value, cite }` naming the source document and clause, so an auditor can trace each figure.
 */
import { z } from 'zod';
import { admdvsPrefix, identifier, isoDate, money, ratio } from './primitives.js';
import { category, disabilityType } from './categories.js';
import { layer } from './settlement.js';

const cite = z.string().min(3).meta({ description: 'document file and clause the value comes from' });
const cited = <T extends z.ZodType>(value: T) => z.object({ value, cite }).strict();

const byLevel = <T extends z.ZodType>(value: T) => z.object({ 1: value, 2: value, 3: value }).strict();

/** A condition on the stay; every field given must hold. */
const stayCondition = z.object({
  kinds: z.array(z.enum(['inpatient', 'outpatientSpecial'])).optional(),
  hospitalArea: z.enum(['in', 'out']).optional().meta({ description: "the hospital's region against the pack's area" }),
  minHospitalLevel: z.int().min(1).max(3).optional(),
  drgPublic: z.boolean().optional(),
  cause: z.enum(['disease', 'accident']).optional(),
  thirdPartyLiable: z.boolean().optional(),
  catalog: identifier(40).optional().meta({ description: "the primary diagnosis or an asserted entry is in this disease catalogue" }),
}).strict();

export const when = stayCondition.extend({
  anyOf: z.array(stayCondition).optional(),
  cite,
}).strict();
export type When = z.infer<typeof when>;
export type StayCondition = z.infer<typeof stayCondition>;

/** What a rule pays on: the compliant cost or the whole bill, less what the named layers already paid. */
const base = z.object({
  of: z.enum(['compliant', 'all']),
  after: z.array(layer).meta({ description: 'layers whose payments are deducted before this rule' }),
  cite,
}).strict();

/** Ratios by risk group; null: this group is not covered by the rule. */
const groupRatios = z.object({
  healthy: ratio,
  preExisting: ratio.nullable().optional(),
  aidPreExisting: ratio.nullable().optional(),
}).strict();

const ruleHead = { id: identifier(40), name: z.string().min(1) };

const basicRule = z.object({
  ...ruleHead,
  kind: z.literal('basicDeductibleRatio'),
  when: when.optional(),
  deductiblePerStayByLevel: cited(byLevel(money)),
  ratioByLevel: cited(byLevel(ratio)),
  annualFundCap: cited(money),
  preferential: z.object({ categories: cited(z.array(category)), deductibleFactor: cited(ratio), ratioBonus: cited(ratio) }).strict().optional(),
}).strict();

const tier = z.object({ from: money, to: money.optional(), ratio }).strict();
const majorIllnessRule = z.object({
  ...ruleHead,
  kind: z.literal('majorIllnessTiers'),
  when: when.optional(),
  threshold: cited(money),
  tiers: cited(z.array(tier).min(1)),
  annualCap: cited(money.nullable()),
  preferential: z.object({ categories: cited(z.array(category)), threshold: cited(money), ratioBonus: cited(ratio), annualCap: cited(money.nullable()) }).strict().optional(),
}).strict();

const categoryShareRule = z.object({
  ...ruleHead,
  kind: z.literal('categoryShare'),
  when: when.optional(),
  categories: cited(z.array(category).min(1)),
  share: cited(ratio),
}).strict();

const aidRule = z.object({
  ...ruleHead,
  kind: z.literal('aidByCategory'),
  when: when.optional(),
  rates: cited(z.array(z.object({ category, ratio, annualDeductible: money }).strict()).min(1)),
  annualCap: cited(money),
}).strict();

const coinsuranceRule = z.object({
  ...ruleHead,
  kind: z.literal('coinsurance'),
  when,
  base,
  deductible: z.object({ amount: money, per: z.enum(['stay', 'year']), cite }).strict().optional(),
  ratio: cited(groupRatios),
  perStayCap: cited(money).optional(),
  annualCap: cited(money).optional(),
  payment: z.enum(['direct', 'benefit']),
  benefitKind: z.string().optional(),
}).strict();

const burdenCeilingRule = z.object({
  ...ruleHead,
  kind: z.literal('burdenCeiling'),
  when,
  maxBurdenShare: cited(ratio).meta({ description: "cumulative personal burden on compliant cost held at most this share of cumulative compliant cost" }),
  annualCap: cited(money),
}).strict();

const dailyAllowanceRule = z.object({
  ...ruleHead,
  kind: z.literal('dailyAllowance'),
  when,
  perDay: cited(money),
  maxDaysPerStay: cited(z.int().min(1).max(3660)).optional().meta({ description: 'at most this many days paid for one stay' }),
  maxDaysPerYear: cited(z.int().min(1).max(366)).optional().meta({ description: 'at most this many days paid in a policy year (accumulation period)' }),
  benefitKind: z.string(),
}).strict();

const outOfPocketCapRule = z.object({
  ...ruleHead,
  kind: z.literal('outOfPocketCap'),
  when,
  participation: cited(ratio).meta({ description: 'the participation rate in force, configured by the operator' }),
  capsByParticipation: cited(z.array(z.object({ minParticipation: ratio, cap: money }).strict()).min(1)),
}).strict();

const specificDrugsRule = z.object({
  ...ruleHead,
  kind: z.literal('specificDrugs'),
  when,
  drugs: cited(z.array(z.object({ code: z.string().min(1), group: identifier(40), drugClass: z.enum(['A', 'B', 'C']) }).strict())),
  groups: z.array(z.object({
    id: identifier(40),
    name: z.string(),
    annualDeductible: cited(money),
    ratioByDrugClass: cited(z.object({ A: ratio, B: ratio, C: ratio }).strict()),
    annualCap: cited(z.object({ healthy: money, preExisting: money.nullable() }).strict()),
  }).strict()).min(1),
}).strict();

export const rule = z.discriminatedUnion('kind', [
  basicRule, majorIllnessRule, categoryShareRule, aidRule, coinsuranceRule, burdenCeilingRule,
  dailyAllowanceRule, outOfPocketCapRule, specificDrugsRule,
]);
export type Rule = z.infer<typeof rule>;

const disabilityMatch = z.object({ grades: z.array(z.int().min(1).max(4)).min(1), types: z.array(disabilityType).optional() }).strict();

/** Fixed sums a claim is paid from (death, disability, …): data for claims, not settled at discharge. */
const schedule = z.object({
  name: z.string(),
  sum: cited(money).optional(),
  gradeStepShare: cited(ratio).optional().meta({ description: 'each lower disability grade pays this share of the sum less' }),
  floor: cited(money).optional(),
}).strict();

export const pack = z.object({
  id: identifier(60),
  version: z.string().min(1),
  name: z.string().min(1),
  status: z.enum(['active', 'template']).default('active').meta({ description: 'a template loads and validates but is never in force' }),
  layer,
  order: z.int().min(0).default(0).meta({ description: 'order among supplementary programmes, lowest first' }),
  source: z.object({ file: z.string(), title: z.string() }).strict(),
  payer: z.object({ name: z.string(), fundPayType: z.string().optional(), insurerCode: identifier(40).optional(), hospital: z.boolean().default(false) }).strict(),
  insuredRegions: cited(z.array(admdvsPrefix).min(1)),
  area: cited(z.array(admdvsPrefix).min(1)).optional(),
  schemes: z.array(z.enum(['employee', 'resident'])).default(['employee', 'resident']),
  term: z.object({ from: isoDate, to: isoDate, cite }).strict(),
  accumulation: z.enum(['calendarYear', 'term']).default('calendarYear'),
  eligibility: z.object({
    roster: z.object({ id: identifier(60), cite }).strict().optional(),
    rosterOverridesInsuredRegion: cited(z.boolean()).optional().meta({
      description: 'a row on the roster puts the programme in force whatever the insured region (the paid-premium list decides: buyers insured elsewhere)',
    }),
    hukouRegions: cited(z.array(admdvsPrefix).min(1)).optional().meta({
      description: '户籍 must lie here: judged by patient.hukouRegion, or by the insured region when the request has none (said in the explanation)',
    }),
    categoriesAny: cited(z.array(category).min(1)).optional(),
    categoriesNone: cited(z.array(category).min(1)).optional(),
    basicInsuranceActive: cited(z.boolean()).optional(),
    disability: cited(z.array(disabilityMatch).min(1)).optional(),
  }).strict().default({}),
  aidCategories: cited(z.array(category)).optional().meta({ description: 'who counts as 救助对象 for aidPreExisting ratios' }),
  rules: z.array(rule).max(20),
  schedules: z.record(identifier(40), schedule).default({}),
  notes: z.array(z.string()).default([]),
}).strict()
  .refine((p) => p.term.from <= p.term.to, { path: ['term', 'to'], message: 'term ends before it starts' })
  .refine((p) => !p.eligibility.rosterOverridesInsuredRegion?.value || p.eligibility.roster !== undefined, {
    path: ['eligibility', 'rosterOverridesInsuredRegion'], message: 'a roster can only decide the region when the pack names one (eligibility.roster)',
  });

export type Pack = z.output<typeof pack>;

/** A disease catalogue: entries of a programme's list mapped to ICD-10 code prefixes. */
export const catalogue = z.object({
  id: identifier(40),
  name: z.string(),
  source: z.object({ file: z.string(), clause: z.string() }).strict(),
  entries: z.array(z.object({
    entry: z.int().min(1),
    name: z.string(),
    icd10: z.array(z.string().regex(/^[A-Z]\d{0,2}(\.[0-9A-Z]{0,4})?$/)).default([]).meta({ description: 'ICD-10 prefixes; empty when only a procedure shows the entry' }),
    note: z.string().optional(),
  }).strict()).min(1),
}).strict();
export type Catalogue = z.output<typeof catalogue>;
