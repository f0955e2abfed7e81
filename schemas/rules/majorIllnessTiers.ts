/** The pack rule of kind majorIllnessTiers, as packs declare it (its computation: gateway/engine/rules/majorIllnessTiers.ts). */
import * as z from 'zod';
import { category } from '../categories.js';
import { cited, ruleHead, when } from '../pack-parts.js';
import { money, ratio } from '../primitives.js';

export const tier = z.object({ from: money, to: money.optional(), ratio }).strict();
export const majorIllnessTiersRule = z.object({
  ...ruleHead,
  kind: z.literal('majorIllnessTiers'),
  when: when.optional(),
  threshold: cited(money),
  tiers: cited(z.array(tier).min(1)),
  annualCap: cited(money.nullable()),
  preferential: z.object({ categories: cited(z.array(category)), threshold: cited(money), ratioBonus: cited(ratio), annualCap: cited(money.nullable()) }).strict().optional(),
}).strict();
