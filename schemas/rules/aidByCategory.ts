/** The pack rule of kind aidByCategory, as packs declare it (its computation: gateway/engine/rules/aidByCategory.ts). */
import * as z from 'zod';
import { category } from '../categories.js';
import { cited, ruleHead, when } from '../pack-parts.js';
import { money, ratio } from '../primitives.js';

export const aidByCategoryRule = z.object({
  ...ruleHead,
  kind: z.literal('aidByCategory'),
  when: when.optional(),
  rates: cited(z.array(z.object({ category, ratio, annualDeductible: money }).strict()).min(1)),
  annualCap: cited(money),
}).strict();
