/** The pack rule of kind burdenCeiling, as packs declare it (its computation: gateway/engine/rules/burdenCeiling.ts). */
import * as z from 'zod';
import { cited, ruleHead, when } from '../pack-parts.js';
import { money, ratio } from '../primitives.js';

export const burdenCeilingRule = z.object({
  ...ruleHead,
  kind: z.literal('burdenCeiling'),
  when: when.optional(),
  maxBurdenShare: cited(ratio).meta({ description: "cumulative personal burden on compliant cost held at most this share of cumulative compliant cost" }),
  annualCap: cited(money),
}).strict();
