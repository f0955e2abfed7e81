import { z } from 'zod';

/** RFC 9457 problem details, with every bad field listed. */
export const problem = z.object({
  type: z.string(),
  /** Stable, machine-readable (gateway/problem-types.ts): INVALID_REQUEST, OUTCOME_UNKNOWN, … Branch on this, not on the wording. */
  code: z.string().optional(),
  title: z.string(),
  status: z.int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).default([]),
});
export type Problem = z.infer<typeof problem>;
