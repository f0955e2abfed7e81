/** The pack rule of kind coinsurance, as packs declare it (its computation: gateway/engine/rules/coinsurance.ts). */
import * as z from 'zod';
import { base, cite, cited, groupRatios, riskGroup, ruleHead, stayCondition, when } from '../pack-parts.js';
import { identifier, money, ratio } from '../primitives.js';
import { billPart } from '../settlement.js';

const deductible = z.object({
  amount: money,
  per: z.enum(['stay', 'year']),
  bands: z.array(z.object({ from: money, ratio }).strict()).min(1).max(5).optional().meta({
    description: 'parts of the deductible paid at their own ratio: from `from` up to the next band or the deductible (烟台: 1.3万–1.5万 at 10%)',
  }),
  cite,
}).strict().refine((d) => (d.bands ?? []).every((b, i, all) => b.from < d.amount && (i === 0 || all[i - 1]!.from < b.from)), {
  path: ['bands'], message: 'bands start below the deductible, in ascending order',
});

/** Ratios by amount on what is paid on after the deductible (分段赔付): the part above each `above` at its own ratio. */
export const ratioBands = z.object({
  per: z.enum(['stay', 'year']).meta({ description: "year: the bands run over the year's cumulative amount after the deductible (counter `payable`); stay: over this stay's" }),
  bands: z.array(z.object({ above: money, ratio: groupRatios }).strict()).min(1).max(5),
  cite,
}).strict().refine((r) => r.bands.every((b, i, all) => b.above > 0 && (i === 0 || all[i - 1]!.above < b.above)), {
  path: ['bands'], message: 'bands start above 0, in ascending order',
});

/** Figures that differ where a condition holds: every override that holds applies, in order, a later one last. */
const override = z.object({
  if: stayCondition,
  base: base.optional(),
  deductible: deductible.optional(),
  ratio: cited(groupRatios).optional(),
  ratioBands: ratioBands.optional(),
  perStayCap: cited(money).optional(),
  annualCap: cited(money).optional(),
  notCovered: cite.optional().meta({ description: 'the responsibility pays nothing where the condition holds; the clause that says so' }),
}).strict();

export const coinsuranceRule = z.object({
  ...ruleHead,
  kind: z.literal('coinsurance'),
  when: when.optional(),
  base,
  threshold: z.object({
    amount: money,
    measure: z.array(billPart).min(1).meta({ description: "the parts of the selected items' gross cost the year's cumulative amount counts" }),
    cite,
  }).strict().optional().meta({ description: "pays only on the share of this stay's base that lies above the year's cumulative threshold of the measure (惠琼保 责任二: in-catalogue cost above 45万)" }),
  deductible: deductible.optional(),
  ratio: cited(groupRatios),
  ratioBands: ratioBands.optional().meta({ description: 'above amounts of what is paid on after the deductible, other ratios (分段赔付); below the first band, `ratio`' }),
  perStayCap: cited(money).optional(),
  annualCap: cited(money).optional(),
  riskGroup: z.object({
    by: z.literal('claim'),
    catalog: identifier(40).optional().meta({ description: 'only diseases of this catalogue count as pre-existing; absent: any disease' }),
    whenUnknown: riskGroup.meta({ description: 'the group when the stay states no first-diagnosis date' }),
    cite,
  }).strict().optional().meta({ description: "既往症 judged by claim: pre-existing when the stay's primary diagnosis was first diagnosed before the person's cover began" }),
  overrides: z.array(override).max(20).optional(),
  payment: z.enum(['direct', 'benefit']),
  benefitKind: z.string().optional(),
}).strict();
