/** What the billing desk reads besides splits: hospitals, a day's list, a person's settlements and year-to-date standing. */
import * as z from 'zod';
import { admdvs, identifier, isoDate, moneyText } from './primitives.js';
import { layer } from './settlement.js';

/** HOSPITALS_FILE: the names (and defaults for the desk's form) of the hospitals this gateway serves. */
const hospitalInfo = z.object({
  id: identifier(32),
  name: z.string().min(1).max(100),
  region: admdvs.optional(),
  level: z.int().min(1).max(3).optional(),
  drgPublic: z.boolean().optional(),
}).strict();
export const hospitalsFile = z.array(hospitalInfo);
export type HospitalInfo = z.infer<typeof hospitalInfo>;
/** The hospitals a client may act for; `name` absent where the configuration has none. */
export const hospitalsAnswer = z.object({ hospitals: z.array(hospitalInfo.partial({ name: true })) });

/** A settlement number given to one desk window (the path names the hospital); no other window of the hospital gets it. */
export const settlementNumberQuery = z.object({ hospitalId: identifier(32) });
export const settlementNumberAnswer = z.object({
  settlementId: identifier(64).meta({ description: 'ZY + yyyyMMddHHmmss (+08:00), with -2, -3… for further windows in that second', examples: ['ZY20240310091244', 'ZY20240310091244-2'] }),
});
export type SettlementNumberAnswer = z.infer<typeof settlementNumberAnswer>;

const payerAmount = z.object({ layer, payer: z.string(), amount: moneyText });

/** One settlement as a list shows it: the patient masked, the amounts per payer. */
const settlementSummary = z.object({
  gatewayId: z.string(),
  settlementId: z.string(),
  hospitalId: z.string(),
  patient: z.object({ id: z.string(), name: z.string().optional() }).meta({ description: 'masked: 37************1234, 张*' }),
  status: z.enum(['settled', 'reversed']),
  total: moneyText,
  patientPays: moneyText,
  payers: z.array(payerAmount),
  settledAt: z.string(),
  reversedAt: z.string().optional(),
});
export type SettlementSummary = z.infer<typeof settlementSummary>;

export const dayListQuery = z.object({ hospitalId: identifier(32), date: isoDate });
export const dayList = z.object({
  hospitalId: z.string(),
  date: z.string(),
  settlements: z.array(settlementSummary),
  truncated: z.literal(true).optional().meta({ description: 'the list stops at 5000 settlements; the totals still count every one' }),
  totals: z.object({
    settled: z.int().meta({ description: 'settlements of the day still in force' }),
    reversed: z.int(),
    total: moneyText,
    patientPays: moneyText,
    byPayer: z.array(payerAmount).meta({ description: 'settlements in force only, per payer, in waterfall order' }),
  }),
});
export type DayList = z.infer<typeof dayList>;

/** A person look-up: the ID travels in the body, never in a URL (URLs land in access logs and proxies). */
export const personQuery = z.object({
  personId: z.string().regex(/^[0-9A-Za-z]{1,32}$/, '证件号只能包含字母和数字，最多 32 位'),
  year: z.string().regex(/^\d{4}$/, '年度为 4 位数字').optional().meta({ description: 'for standing; default this year (+08:00)' }),
}).strict();

export const personSettlements = z.object({ settlements: z.array(settlementSummary) });

/** A rule's year-to-date standing, as far as the counters and the pack tell it. */
const ruleStanding = z.object({
  rule: z.string(),
  name: z.string(),
  paid: moneyText.optional().meta({ description: 'paid by this rule so far in the period' }),
  deductibleUsed: moneyText.optional(),
  deductible: moneyText.optional().meta({ description: "the period's deductible, where the pack states one figure for everyone" }),
  cap: moneyText.optional().meta({ description: "the period's cap for the general case (preferential or risk-group caps may differ: see note)" }),
  capLeft: moneyText.optional(),
  note: z.string().optional(),
});
export const standing = z.object({
  year: z.string(),
  programmes: z.array(z.object({ programme: z.string(), name: z.string(), layer, period: z.string(), rules: z.array(ruleStanding) })),
});
export type Standing = z.infer<typeof standing>;
