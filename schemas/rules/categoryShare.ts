/** The pack rule of kind categoryShare, as packs declare it (its computation: gateway/engine/rules/categoryShare.ts). */
import * as z from 'zod';
import { category } from '../categories.js';
import { cited, ruleHead, when } from '../pack-parts.js';
import { ratio } from '../primitives.js';

export const categoryShareRule = z.object({
  ...ruleHead,
  kind: z.literal('categoryShare'),
  when: when.optional(),
  categories: cited(z.array(category).min(1)),
  share: cited(ratio),
}).strict();
