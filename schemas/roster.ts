import * as z from 'zod';
import { identifier, isoDate, plainText } from './primitives.js';
import { category } from './categories.js';

export const ROSTER_LIMITS = { rowsPerCall: 50_000 } as const;

export const rosterRow = z.object({
  personId: z.string().min(1).max(32).regex(/^[0-9A-Za-z]+$/),
  from: isoDate,
  to: isoDate,
  categories: z.array(category).max(13).default([]),
  preExisting: z.boolean().default(false).meta({ description: '特定既往症人群 (judged by person)' }),
  variant: identifier(40).optional().meta({ description: "the product (款) the person holds, for a programme with variants: one per person and period" }),
  attributes: z.record(plainText(100), z.string().max(200).regex(/^[^\p{Cc}\p{Cf}\u2028\u2029]*$/u, '不得含控制字符或不可见的格式字符')).default({}),
}).refine((row) => row.from <= row.to, { path: ['to'], message: '截止日期（to）早于起始日期（from）' });

export type RosterRow = z.output<typeof rosterRow>;

export const rosterLoad = z.object({ rows: z.array(z.unknown()).max(ROSTER_LIMITS.rowsPerCall) });

export const rosterLoadResult = z.object({
  accepted: z.int(),
  rejected: z.array(z.object({
    row: z.int().meta({ description: 'CSV: the line of the file (header = line 1), as a spreadsheet shows it; JSON: the index in rows, from 0' }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  })),
  /** CSV only: how the bytes were read — UTF-8 (with or without BOM, or as the charset said) or GB18030 (GBK). */
  encoding: z.enum(['utf-8', 'gb18030']).optional(),
});
