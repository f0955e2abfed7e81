/** Building blocks of the contract's schemas: money, ratios, dates, identifiers. */
import * as z from 'zod';
import './locale.js';
import { MAX_SHARE_DECIMALS, parseFen, parsePpm, parseShareText } from './money-text.js';
import { JsonNumberText } from './json-number.js';

/**
 * A JSON number whose literal JSON.parse would have rewritten (`1000.000`, `1E3`): amounts and ratios
 * are judged by this source text, never by the double (gateway/service/json-text.ts). In the OpenAPI
 * document it is just a number (see openapi.ts).
 */
export const jsonNumberText = z.instanceof(JsonNumberText);

/** A JSON string or number read by `parse` (null = invalid: `message` for the caller, `help` for the OpenAPI description). */
function parsedFrom<T>(parse: (value: unknown) => T | null, help: string, message: string) {
  return z
    .union([z.string(), z.number(), jsonNumberText])
    .transform((value, ctx) => {
      const parsed = parse(value instanceof JsonNumberText ? value.text : value);
      if (parsed === null) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return parsed;
    })
    .meta({ description: help });
}

/** A contract amount, parsed to integer fen. */
export const money = parsedFrom(parseFen, 'an amount in yuan: a string or number with at most two decimals, not negative, no exponent, at most 90000000.00',
  '应为金额（元）：字符串或数字，最多两位小数，不得为负，不得用指数写法，最大 90000000.00')
  .meta({ examples: ['1234.50'] });

/** Money as the split writes it: exactly two decimals. */
export const moneyText = z.string().regex(/^\d+\.\d{2}$/).meta({ description: 'yuan with exactly two decimals', examples: ['1234.50'] });

/** A ratio of a programme pack in [0, 1], parsed to integer parts per million. */
export const ratio = parsedFrom(parsePpm, 'a ratio in [0, 1], string or number, at most six decimals', '应为 0 到 1 之间的比例，最多六位小数').meta({ examples: ['0.10'] });

/** A share in [0, 1] with any number of decimals, kept as exact decimal text (乙类先行自付比例). */
export const share = parsedFrom(parseShareText, `a ratio in [0, 1], string or number, at most ${MAX_SHARE_DECIMALS} decimals, no exponent`, `应为 0 到 1 之间的比例，最多 ${MAX_SHARE_DECIMALS} 位小数，不得用指数写法`).meta({ examples: ['0.10'] });

/** An ISO calendar date that exists (2024-02-30 does not). */
export const isoDate = z.iso.date().meta({ description: 'ISO date YYYY-MM-DD' });

/**
 * The years a stay's dates may fall in. Bounded so a typo (0000-01-01) is a 400, not a stay of 739 037
 * days; wide enough for any record a hospital still settles or corrects (1990) and any plan (2100).
 */
const DATE_BOUNDS = { from: '1990-01-01', to: '2100-12-31' } as const;

/** An ISO date of a stay, within DATE_BOUNDS. */
export const encounterDate = isoDate.refine((d) => d >= DATE_BOUNDS.from && d <= DATE_BOUNDS.to, {
  message: `日期须在 ${DATE_BOUNDS.from} 至 ${DATE_BOUNDS.to} 之间`,
});

/** A 6-digit administrative division code (admdvs). */
export const admdvs = z.string().regex(/^\d{6}$/, '应为 6 位行政区划代码');

/** A prefix of admdvs codes: "3710" matches every code of 威海市. */
export const admdvsPrefix = z.string().regex(/^\d{2,6}$/);

/** No control character (NUL, line breaks) and no invisible format character (bidi overrides such as U+202E). */
export const PLAIN_TEXT = /^[^\p{Cc}\p{Cf}\u2028\u2029]*$/u;

/**
 * Text a person wrote (a name, an item's name or code): no control characters (NUL, line breaks) and no
 * invisible format characters — bidi overrides such as U+202E would make a slip or a log read backwards.
 */
export const plainText = (max: number) => z.string().min(1).max(max)
  .regex(PLAIN_TEXT, '不得含控制字符或不可见的格式字符（如 NUL、U+202E）');

export const identifier = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, '只能由字母、数字、点、下划线或连字符组成，且以字母或数字开头');
