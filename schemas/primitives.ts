/** Building blocks of the contract's schemas: money, ratios, dates, identifiers. */
import { z } from 'zod';
import { parseFen, parsePpm, parseShareText } from '../gateway/engine/money.js';

const MONEY_HELP = 'an amount in yuan: a string or number with at most two decimals, not negative, no exponent, at most 90000000.00';

/** A contract amount, parsed to integer fen. */
export const money = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const fen = parseFen(value);
    if (fen === null) {
      ctx.addIssue({ code: 'custom', message: `expected ${MONEY_HELP}` });
      return z.NEVER;
    }
    return fen;
  })
  .meta({ description: MONEY_HELP, examples: ['1234.50'] });

/** Money as the split writes it: exactly two decimals. */
export const moneyText = z.string().regex(/^\d+\.\d{2}$/).meta({ description: 'yuan with exactly two decimals', examples: ['1234.50'] });

/** A ratio in [0, 1], parsed to integer parts per million. */
export const ratio = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const ppm = parsePpm(value);
    if (ppm === null) {
      ctx.addIssue({ code: 'custom', message: 'expected a ratio in [0, 1] with at most six decimals' });
      return z.NEVER;
    }
    return ppm;
  })
  .meta({ description: 'a ratio in [0, 1], string or number, at most six decimals', examples: ['0.10'] });

/** A share in [0, 1] with any number of decimals, kept as exact decimal text (乙类先行自付比例). */
export const share = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const text = parseShareText(value);
    if (text === null) {
      ctx.addIssue({ code: 'custom', message: 'expected a ratio in [0, 1], string or number, no exponent' });
      return z.NEVER;
    }
    return text;
  })
  .meta({ description: 'a ratio in [0, 1], string or number', examples: ['0.10'] });

/** An ISO calendar date that exists (2024-02-30 does not). */
export const isoDate = z.iso.date().meta({ description: 'ISO date YYYY-MM-DD' });

/** A 6-digit administrative division code (admdvs). */
export const admdvs = z.string().regex(/^\d{6}$/, 'expected a 6-digit administrative division code');

/** A prefix of admdvs codes: "3710" matches every code of 威海市. */
export const admdvsPrefix = z.string().regex(/^\d{2,6}$/);

export const identifier = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore or hyphen');
