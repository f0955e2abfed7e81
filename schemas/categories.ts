import * as z from 'zod';
import { CATEGORY_NAMES, DISABILITY_TYPES } from './vocabulary.js';

/** Person identities as the 医保 person record or a roster states them (CONTRACT.md); names in schemas/vocabulary.ts. */
export { CATEGORY_NAMES, DISABILITY_TYPES };

export const category = z.enum(Object.keys(CATEGORY_NAMES) as [keyof typeof CATEGORY_NAMES, ...(keyof typeof CATEGORY_NAMES)[]]);
export type Category = z.infer<typeof category>;

export const disabilityType = z.enum(Object.keys(DISABILITY_TYPES) as [keyof typeof DISABILITY_TYPES, ...(keyof typeof DISABILITY_TYPES)[]]);
