import { z } from 'zod';
import { CATEGORY_NAMES, DISABILITY_TYPES } from './category-names.js';

// The names live apart from zod so that the desk's browser bundle can use them without zod.
export { CATEGORY_NAMES, DISABILITY_TYPES };

export const category = z.enum(Object.keys(CATEGORY_NAMES) as [keyof typeof CATEGORY_NAMES, ...(keyof typeof CATEGORY_NAMES)[]]);
export type Category = z.infer<typeof category>;

export const disabilityType = z.enum(Object.keys(DISABILITY_TYPES) as [keyof typeof DISABILITY_TYPES, ...(keyof typeof DISABILITY_TYPES)[]]);
