/**
 * FHIR JSON in and out without binary floats. FHIR writes money as a JSON number (`"value": 1234.50`);
 * JSON.parse would turn 0.1 or 12345678.905 into the nearest double, and JSON.stringify cannot write
 * 1234.50. So this adapter reads its request bodies with lossless-json (every number stays its source
 * text, a LosslessNumber) and writes its answers with lossless-json's stringify, where each amount is a
 * LosslessNumber made from the split's two-decimal text: `1234.50` in, `1234.50` out, no float between.
 */
import type * as fhir4 from 'fhir/r4.js';
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { InvalidInput } from '../../gateway/errors.js';

/** Parses a request body; every JSON number becomes a LosslessNumber holding its source text. */
export function parseFhirJson(text: string): unknown {
  try {
    return parse(text, null, (source) => new LosslessNumber(source));
  } catch (error) {
    // The parser's own (English, positional) text stays out of the answer, as on the native API.
    throw new InvalidInput('请求体不是合法的 JSON', [{ path: '(body)', message: 'JSON 语法错误' }]);
  }
}

/** A FHIR resource as JSON text; LosslessNumbers are written as their text. */
export function fhirJson(resource: unknown): string {
  return stringify(resource) ?? 'null';
}

/**
 * A FHIR Money of the split's two-decimal text. The cast is the one place the text stands in for
 * `number` in the FHIR types: it is written verbatim by `fhirJson`, never converted to a float.
 */
export function moneyOf(text: string): fhir4.Money {
  if (!/^\d+\.\d{2}$/.test(text)) throw new Error(`moneyOf: ${text} is not two-decimal money`);
  return { value: new LosslessNumber(text) as unknown as number, currency: 'CNY' };
}

export { isLosslessNumber, LosslessNumber };
