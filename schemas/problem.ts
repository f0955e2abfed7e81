import * as z from 'zod';
import { problemTypeRows } from './problem-types.js';

/** RFC 9457 problem details, with every bad field listed. */
export const problem = z.object({
  type: z.string(),
  /** Stable, machine-readable (gateway/problem-types.ts): INVALID_REQUEST, OUTCOME_UNKNOWN, … Branch on this, not on the wording. */
  code: z.string().optional().meta({
    description: `Stable machine-readable code of the problem type; title, detail and messages are Chinese and may change. ${problemTypeRows().map((r) => `${r.code} (${r.status} ${r.title})`).join(', ')}.`,
    examples: ['INVALID_REQUEST'],
  }),
  title: z.string(),
  status: z.int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).default([]),
});
export type Problem = z.infer<typeof problem>;
