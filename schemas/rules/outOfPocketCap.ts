/** The pack rule of kind outOfPocketCap, as packs declare it (its computation: gateway/engine/rules/outOfPocketCap.ts). */
import * as z from 'zod';
import { cited, ruleHead, when } from '../pack-parts.js';
import { money, ratio } from '../primitives.js';

export const outOfPocketCapRule = z.object({
  ...ruleHead,
  kind: z.literal('outOfPocketCap'),
  when: when.optional(),
  participation: cited(ratio).meta({ description: 'the participation rate in force, configured by the operator' }),
  capsByParticipation: cited(z.array(z.object({ minParticipation: ratio, cap: money }).strict()).min(1)),
}).strict();
