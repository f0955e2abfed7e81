/**
 * The body reader (gateway/service/json-text.ts): the same values as JSON.parse for every body it lets
 * through the fast path, the exact source text of every number literal JSON.parse would rewrite, and the
 * nesting depth measured right whatever strings hold (brackets, quotes, escapes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../gateway/errors.js';
import { isRewrittenLiteral, JsonNumberText, parseJsonText, scanJsonText } from '../../gateway/service/json-text.js';

/** Nesting depth of a parsed value: 0 for a scalar, 1 for a flat array or object. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('json-text', () => {
  it('gives what JSON.parse gives for any JSON text of canonical numbers, and measures its depth', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      const text = JSON.stringify(value);
      expect(scanJsonText(text).depth).toBe(depthOf(JSON.parse(text)));
      expect(parseJsonText(text, { lossless: true, maxDepth: 64 })).toEqual(JSON.parse(text));
    }), { numRuns: 500 });
  });

  it('keeps the source text of exactly the literals JSON.parse would rewrite', () => {
    const literal = fc.oneof(
      fc.integer({ min: -1e6, max: 1e6 }).map(String),
      fc.tuple(fc.nat(99999), fc.stringMatching(/^\d{1,4}$/)).map(([w, f]) => `${w}.${f}`),
      fc.tuple(fc.nat(999), fc.constantFrom('e', 'E', 'e+', 'e-', 'E-'), fc.nat(30)).map(([m, e, x]) => `${m}${e}${x}`),
      fc.constantFrom('-0', '0.0', '1000.000', '0.009999999999999999999', '12345678901234567890'),
    );
    fc.assert(fc.property(literal, (lit) => {
      const parsed = parseJsonText(`{"amount":${lit}}`, { lossless: true }) as { amount: unknown };
      if (String(Number(lit)) === lit) {
        expect(isRewrittenLiteral(lit)).toBe(false);
        expect(parsed.amount).toBe(Number(lit));
      } else {
        expect(parsed.amount).toEqual(new JsonNumberText(lit));
      }
    }), { numRuns: 1000 });
  });

  it('refuses nesting beyond the bound and bad syntax as InvalidInput, whatever the strings hold', () => {
    expect(() => parseJsonText(`${'['.repeat(33)}${']'.repeat(33)}`)).toThrow(InvalidInput);
    expect(parseJsonText(`{"a":"${'['.repeat(100)}\\"{{"}`)).toEqual({ a: `${'['.repeat(100)}"{{` });
    expect(() => parseJsonText('{"a":1,}')).toThrow(InvalidInput);
    expect(() => parseJsonText('{"a":1.0,}')).toThrow(InvalidInput);
  });

  it('gives plain numbers when asked (adapters)', () => {
    expect(parseJsonText('{"value":100.50}', { lossless: false })).toEqual({ value: 100.5 });
  });
});
