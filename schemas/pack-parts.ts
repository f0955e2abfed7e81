/**
 * Building blocks of a programme pack that the rule kinds share (gateway/engine/rules/<kind>.ts each
 * declares its own rule schema from these): citations, stay conditions, bases, ratios by group.
 */
import { z } from 'zod';
import { identifier, ratio } from './primitives.js';
import { layer } from './settlement.js';

export const cite = z.string().min(3).meta({ description: 'document file and clause the value comes from' });
export const cited = <T extends z.ZodType>(value: T) => z.object({ value, cite }).strict();

export const byLevel = <T extends z.ZodType>(value: T) => z.object({ 1: value, 2: value, 3: value }).strict();

/** A condition on the stay; every field given must hold. */
export const stayCondition = z.object({
  kinds: z.array(z.enum(['inpatient', 'outpatientSpecial'])).optional(),
  hospitalArea: z.enum(['in', 'out']).optional().meta({ description: "the hospital's region against the pack's area" }),
  minHospitalLevel: z.int().min(1).max(3).optional(),
  drgPublic: z.boolean().optional(),
  cause: z.enum(['disease', 'accident']).optional(),
  thirdPartyLiable: z.boolean().optional(),
  catalog: identifier(40).optional().meta({ description: "the primary diagnosis or an asserted entry is in this disease catalogue" }),
}).strict();

export const when = stayCondition.extend({
  anyOf: z.array(stayCondition).optional(),
  cite,
}).strict();
export type When = z.infer<typeof when>;
export type StayCondition = z.infer<typeof stayCondition>;

/** What a rule pays on: the compliant cost or the whole bill, less what the named layers already paid. */
export const base = z.object({
  of: z.enum(['compliant', 'all']),
  after: z.array(layer).meta({ description: 'layers whose payments are deducted before this rule' }),
  cite,
}).strict();

/** Ratios by risk group; null: this group is not covered by the rule. */
export const groupRatios = z.object({
  healthy: ratio,
  preExisting: ratio.nullable().optional(),
  aidPreExisting: ratio.nullable().optional(),
}).strict();

/** Every rule's head: its id (part of its counter keys: never rename one in a running term) and its name. */
export const ruleHead = { id: identifier(40), name: z.string().min(1) };
