/** The pack rule of kind dailyAllowance, as packs declare it (its computation: gateway/engine/rules/dailyAllowance.ts). */
import * as z from 'zod';
import { cited, ruleHead, when } from '../pack-parts.js';
import { money } from '../primitives.js';

export const dailyAllowanceRule = z.object({
  ...ruleHead,
  kind: z.literal('dailyAllowance'),
  when: when.optional(),
  perDay: cited(money),
  maxDaysPerStay: cited(z.int().min(1).max(3660)).optional().meta({ description: 'at most this many days paid for one stay' }),
  maxDaysPerYear: cited(z.int().min(1).max(366)).optional().meta({ description: 'at most this many days paid in a policy year (accumulation period)' }),
  benefitKind: z.string(),
}).strict();
