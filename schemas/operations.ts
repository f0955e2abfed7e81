/**
 * A pack's programme figures (`operations:`): what the programme officer, the insurer's actuary and the
 * 残联 officer need after discharge — premium, service fee, loss-ratio target, profit cap, coverage
 * targets, second payout. Cited like every other number; a figure no document gives (the eligible
 * population, the enrolled count without a roster, the operating-cost share) is cited as configured.
 */
import * as z from 'zod';
import { cite, cited } from './pack-parts.js';
import { isoDate, money, ratio } from './primitives.js';

const count = z.int().min(0).max(100_000_000);

export const operations = z.object({
  premiumPerPerson: z.object({
    value: money,
    bound: z.enum(['exactly', 'atLeast', 'atMost']).default('exactly').meta({ description: 'what the document fixes: the premium, a floor (不低于) or a ceiling (不高于); the value is the one in force' }),
    cite,
  }).strict().optional(),
  /** Share of premiums kept as the service organisation's fee (南通 服务费). */
  serviceFeeShare: cited(ratio).optional(),
  /** Yearly loss ratio the programme must reach (南通 92%). */
  lossRatioTarget: cited(ratio).optional(),
  /** Net profit above this share of premiums goes to a fund (三明 3% → 健康管理基金). */
  profitCap: z.object({ share: ratio, fund: z.string().min(1), cite }).strict().optional(),
  /** Operating costs as a share of premiums, for the net result (configured: no document gives it). */
  operatingCostShare: cited(ratio).optional(),
  /** Persons enrolled where the programme has no roster (configured). With a roster, the roster is counted. */
  enrolledPersons: cited(count).optional(),
  /** The population the programme is meant to reach (configured: no document gives it). */
  eligiblePopulation: cited(count).optional(),
  /** Coverage targets: insured / eligible population at least `share` by `by` (湖南 40% by end-2025, 70% by end-2030). */
  coverageTargets: cited(z.array(z.object({ by: isoDate, share: ratio }).strict()).min(1)).optional(),
  /** Priority groups with their configured eligible and insured counts, for the coverage report. */
  priorityGroups: z.array(z.object({ id: z.string().min(1).max(40), name: z.string().min(1), eligible: count, insured: count, cite }).strict()).optional(),
  /** A yearly summary report due in this month of the next year (湖南: each February). */
  summaryReportMonth: cited(z.int().min(1).max(12)).optional(),
  /** 南通 二次赔付: the year's surplus paid out again on self-paid cost. */
  secondPayout: z.object({
    method: z.enum(['proRata', 'perCapita']).default('proRata').meta({ description: 'proRata: by eligible self-paid cost; perCapita: equal shares' }),
    /** Month-day by which the payout is made, in the next year. */
    dueBy: z.string().regex(/^\d{2}-\d{2}$/),
    cite,
  }).strict().optional(),
}).strict();

export type Operations = z.output<typeof operations>;
