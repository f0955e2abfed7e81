/**
 * The FHIR R4 input this adapter reads, as zod schemas of the elements it uses (structural checks of
 * the submitted JSON; other elements are allowed and ignored). Numbers arrive as LosslessNumbers
 * (json-text.ts): decimals stay their source text, integers are checked to be integers.
 */
import * as z from 'zod';
import { isLosslessNumber, type LosslessNumber } from './json-text.js';

const jsonNumber = z.custom<LosslessNumber>((v) => isLosslessNumber(v), 'expected a JSON number');
/** A FHIR decimal as its exact source text. */
const decimalText = jsonNumber.transform((n) => n.value);
/** A FHIR integer. */
const integer = jsonNumber.transform((n, ctx) => {
  if (!/^-?\d{1,9}$/.test(n.value)) { ctx.addIssue({ code: 'custom', message: 'expected an integer' }); return z.NEVER; }
  return Number.parseInt(n.value, 10);
});

const money = z.object({ value: decimalText, currency: z.literal('CNY', 'only CNY is settled').optional() });
const coding = z.object({ system: z.string().optional(), code: z.string().optional(), display: z.string().optional() });
const codeableConcept = z.object({ coding: z.array(coding).optional(), text: z.string().optional() });
const identifier = z.object({ system: z.string().optional(), value: z.string().optional() });
const period = z.object({ start: z.string().optional(), end: z.string().optional() });

const extensionValues = {
  url: z.string().min(1),
  valueCode: z.string().optional(),
  valueString: z.string().optional(),
  valueBoolean: z.boolean().optional(),
  valueInteger: integer.optional(),
  valueDecimal: decimalText.optional(),
  valueMoney: money.optional(),
  valueCoding: coding.optional(),
};
const leafExtension = z.object(extensionValues);
/** Extensions nest one level here (the complex extensions of README: upstream-amount, disability). */
const extension = z.object({ ...extensionValues, extension: z.array(leafExtension).optional() });
export type Extension = z.infer<typeof extension>;
const extensions = z.array(extension).optional();

const reference = z.object({ reference: z.string().optional(), identifier: identifier.optional(), display: z.string().optional(), extension: extensions });
export type Reference = z.infer<typeof reference>;

const claimItem = z.object({
  sequence: integer,
  productOrService: codeableConcept,
  net: money.optional(),
  extension: extensions,
  encounter: z.array(reference).optional(),
});

export const claim = z.object({
  resourceType: z.literal('Claim'),
  id: z.string().optional(),
  contained: z.array(z.looseObject({ resourceType: z.string(), id: z.string().optional() })).optional(),
  extension: extensions,
  identifier: z.array(identifier).optional(),
  status: z.enum(['active', 'cancelled', 'draft', 'entered-in-error']),
  type: codeableConcept,
  use: z.enum(['claim', 'preauthorization', 'predetermination']),
  patient: reference,
  billablePeriod: period.optional(),
  created: z.string().optional(),
  provider: reference,
  insurance: z.array(z.object({ sequence: integer, focal: z.boolean(), coverage: reference })).min(1),
  diagnosis: z.array(z.object({
    sequence: integer,
    diagnosisCodeableConcept: codeableConcept.optional(),
    diagnosisReference: reference.optional(),
    type: z.array(codeableConcept).optional(),
  })).optional(),
  accident: z.object({ date: z.string().optional(), type: codeableConcept.optional(), extension: extensions }).optional(),
  item: z.array(claimItem).min(1),
  total: money.optional(),
});
export type Claim = z.infer<typeof claim>;

export const patient = z.object({
  resourceType: z.literal('Patient'),
  id: z.string().optional(),
  identifier: z.array(identifier).optional(),
  name: z.array(z.object({ text: z.string().optional(), family: z.string().optional(), given: z.array(z.string()).optional() })).optional(),
  extension: extensions,
});
export type Patient = z.infer<typeof patient>;

export const coverage = z.object({
  resourceType: z.literal('Coverage'),
  id: z.string().optional(),
  status: z.enum(['active', 'cancelled', 'draft', 'entered-in-error']),
  type: codeableConcept.optional(),
  extension: extensions,
});
export type Coverage = z.infer<typeof coverage>;

export const organization = z.object({
  resourceType: z.literal('Organization'),
  id: z.string().optional(),
  identifier: z.array(identifier).optional(),
  name: z.string().optional(),
  extension: extensions,
});
export type Organization = z.infer<typeof organization>;

export const encounter = z.object({
  resourceType: z.literal('Encounter'),
  id: z.string().optional(),
  class: coding.optional(),
  period: period.optional(),
});
export type Encounter = z.infer<typeof encounter>;

export const condition = z.object({
  resourceType: z.literal('Condition'),
  id: z.string().optional(),
  code: codeableConcept.optional(),
});
export type Condition = z.infer<typeof condition>;

export const bundle = z.object({
  resourceType: z.literal('Bundle'),
  type: z.enum(['collection', 'document', 'transaction', 'batch', 'message']),
  entry: z.array(z.object({ fullUrl: z.string().optional(), resource: z.looseObject({ resourceType: z.string(), id: z.string().optional() }) })).min(1).max(200),
});
export type Bundle = z.infer<typeof bundle>;

/** The standard invocation of an operation: named parameters, here one `resource` carrying the Claim or Bundle. */
export const parameters = z.object({
  resourceType: z.literal('Parameters'),
  parameter: z.array(z.object({ name: z.string(), resource: z.looseObject({ resourceType: z.string() }).optional() })).min(1).max(20),
});
