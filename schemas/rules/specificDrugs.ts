/** The pack rule of kind specificDrugs, as packs declare it (its computation: gateway/engine/rules/specificDrugs.ts). */
import * as z from 'zod';
import { cite, cited, drugEntry, riskGroup, ruleHead, when } from '../pack-parts.js';
import { identifier, money, ratio } from '../primitives.js';
import { layer } from '../settlement.js';

export const specificDrugsRule = z.object({
  ...ruleHead,
  kind: z.literal('specificDrugs'),
  when: when.optional(),
  drugs: cited(z.array(drugEntry).max(5000)).optional(),
  drugList: z.object({ id: identifier(60), cite }).strict().optional().meta({ description: 'a drug-list file (kind: drugList) the loader reads into drugs' }),
  riskGroup: z.object({ by: z.literal('claim'), catalog: identifier(40).optional(), whenUnknown: riskGroup, cite }).strict().optional(),
  groups: z.array(z.object({
    id: identifier(40),
    name: z.string(),
    annualDeductible: cited(money),
    ratioByDrugClass: cited(z.object({ A: ratio, B: ratio, C: ratio }).strict()).optional(),
    annualCap: cited(z.object({ healthy: money, preExisting: money.nullable() }).strict()),
    after: cited(z.array(layer).min(1)).optional().meta({ description: "pays on what is left of each drug after these layers (a layer's payment falls on the items in proportion to their cost): 医保 first" }),
    maxSupplyDays: cited(z.int().min(1).max(366)).optional().meta({ description: 'the part of a dispensing beyond this many days of supply (item.supplyDays) is not paid' }),
  }).strict()).min(1),
}).strict()
  .refine((r) => r.drugs === undefined || r.drugList === undefined, { path: ['drugList'], message: 'a rule names its drugs inline or by drugList, not both' });
