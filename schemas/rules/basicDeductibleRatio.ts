/** The pack rule of kind basicDeductibleRatio, as packs declare it (its computation: gateway/engine/rules/basicDeductibleRatio.ts). */
import * as z from 'zod';
import { category } from '../categories.js';
import { byLevel, cited, ruleHead, when } from '../pack-parts.js';
import { money, ratio } from '../primitives.js';

export const basicDeductibleRatioRule = z.object({
  ...ruleHead,
  kind: z.literal('basicDeductibleRatio'),
  when: when.optional(),
  deductiblePerStayByLevel: cited(byLevel(money)),
  ratioByLevel: cited(byLevel(ratio)),
  annualFundCap: cited(money),
  preferential: z.object({ categories: cited(z.array(category)), deductibleFactor: cited(ratio), ratioBonus: cited(ratio) }).strict().optional(),
}).strict();
