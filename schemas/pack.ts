/**
 * A programme pack: one versioned YAML file per programme. Every number is a cited value
 * `{ value, cite }` naming the source document and clause, so an auditor can trace each figure.
 */
import * as z from 'zod';
import { RESERVED_PROGRAMME_IDS } from './programme-ids.js';
import { admdvsPrefix, identifier, isoDate, money, ratio } from './primitives.js';
import { category, disabilityType } from './categories.js';
import { layer } from './settlement.js';
import { operations } from './operations.js';
import { cite, cited, drugEntry, stayCondition } from './pack-parts.js';
import { aidByCategoryRule } from './rules/aidByCategory.js';
import { basicDeductibleRatioRule } from './rules/basicDeductibleRatio.js';
import { burdenCeilingRule } from './rules/burdenCeiling.js';
import { categoryShareRule } from './rules/categoryShare.js';
import { coinsuranceRule } from './rules/coinsurance.js';
import { dailyAllowanceRule } from './rules/dailyAllowance.js';
import { majorIllnessTiersRule } from './rules/majorIllnessTiers.js';
import { outOfPocketCapRule } from './rules/outOfPocketCap.js';
import { specificDrugsRule } from './rules/specificDrugs.js';

export { type When, type StayCondition } from './pack-parts.js';

/**
 * A rule: one of the rule kinds, each declared in its own module of schemas/rules/ (the engine's
 * gateway/engine/rules/<kind>.ts computes it; its registry lists the kinds). A new kind adds one line here.
 */
export const rule = z.discriminatedUnion('kind', [
  basicDeductibleRatioRule, majorIllnessTiersRule, categoryShareRule, aidByCategoryRule, coinsuranceRule, burdenCeilingRule,
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
  id: identifier(60).refine((id) => !RESERVED_PROGRAMME_IDS.includes(id), `${RESERVED_PROGRAMME_IDS.join(' and ')} name split lines no pack decided (schemas/programme-ids.ts): a pack may not take either`),
  version: z.string().min(1),
  name: z.string().min(1),
  status: z.enum(['active', 'template', 'reference']).default('active').meta({
    description: 'active: in force in its term. template: a skeleton a county fills in. reference: a real plan encoded from public sources with figures they leave open taken from configuration. A template or reference loads, validates and is tested, and is never in force until an operator sets active',
  }),
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
  variants: cited(z.array(z.object({ id: identifier(40), name: z.string().min(1) }).strict()).min(1)).optional().meta({
    description: "the products (款) of the programme: a person holds exactly one, named by the roster row's variant; rules and figures select by it",
  }),
  cover: z.object({
    straddle: z.enum(['discharge', 'days', 'refuse']).meta({
      description: "a stay across the start or end of the person's cover (the term, or the roster row): discharge — judged by the discharge date alone; days — paid on the share of the stay's days in cover; refuse — not paid, with the reason",
    }),
    waiting: z.object({
      days: z.int().min(1).max(365),
      forEnrolmentAfter: isoDate.meta({ description: 'a roster row starting after this date (a late enrolment) waits; rows starting on or before it do not' }),
    }).strict().optional().meta({ description: 'waiting period: a stay admitted within these days of the row\'s start is not paid' }),
    cite,
  }).strict().optional(),
  rules: z.array(rule).max(20),
  sharedDeductibles: z.array(z.object({
    id: identifier(40),
    name: z.string().min(1),
    rules: z.array(identifier(40)).min(2),
    cite,
  }).strict()).max(10).default([]).meta({
    description: 'responsibilities whose yearly deductibles are filled together (责任一、二共用免赔额): each keeps its own amount, the used part is one counter `<id>.deductibleUsed`',
  }),
  limits: z.array(z.object({
    id: identifier(40),
    name: z.string().min(1),
    rules: z.array(identifier(40)).min(1).optional().meta({ description: 'the rules whose payments count against it; absent: every rule of the pack (a person-level cap)' }),
    amount: cited(money),
    overrides: z.array(z.object({ if: stayCondition, amount: cited(money) }).strict()).max(10).optional().meta({
      description: 'another amount where the condition holds (a 款 of its own): every override that holds applies, a later one last',
    }),
  }).strict()).max(10).default([]).meta({ description: 'limits over several rules per period (a cap shared by responsibilities, a person-level cap): counters `<limit>.paid`' }),
  schedules: z.record(identifier(40), schedule).default({}),
  notes: z.array(z.string()).default([]),
  operations: operations.optional().meta({ description: 'programme figures for reports, the second payout and what-if (gateway/operations)' }),
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

/**
 * A drug list (特药目录) of a programme as its own file, beside the packs: `kind: drugList`. A specificDrugs
 * rule naming it (`drugList: { id }`) settles with its drugs, and the settlement's policy version names the
 * list's version too. Updated more often than the plan itself, and by a different hand (the insurer's
 * pharmacists).
 */
export const drugList = z.object({
  kind: z.literal('drugList'),
  id: identifier(60),
  version: z.string().min(1),
  name: z.string().min(1),
  source: z.object({ file: z.string(), title: z.string() }).strict(),
  drugs: z.array(drugEntry).min(1).max(5000),
  notes: z.array(z.string()).default([]),
}).strict();
export type DrugList = z.output<typeof drugList>;
