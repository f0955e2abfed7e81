/**
 * Request bodies (HTTP and Kafka) as JSON, read so that no amount passes through binary floating
 * point and no body can nest deeper than a bound.
 *
 * JSON.parse turns `1000.000`, `1E3` and `0.009999999999999999999` into the doubles 1000, 1000 and
 * 0.01, after which nobody can tell they broke the contract (two decimals at most, no exponent). So one
 * pass over the text, skipping strings, measures the nesting depth and looks at every number literal:
 * when each one is already the shortest text of its double (`12.5`, `3`, `0.1` — what every ordinary
 * body holds, string amounts even more so), JSON.parse's numbers are faithful and the native parser
 * does the work. Only a body with a literal JSON.parse would rewrite is read again, losslessly
 * (lossless-json), keeping such a literal as a JsonNumberText that the schemas judge by its source text.
 */
import { parse as parseLossless } from 'lossless-json';
import { JsonNumberText } from '../../schemas/json-number.js';
import { InvalidInput } from '../errors.js';

/** Deep enough for every body of the contract (a settlement nests 4 levels), far below any stack limit. */
const MAX_JSON_DEPTH = 32;

export { JsonNumberText };

export interface JsonTextOptions {
  maxDepth?: number;
  /** Keep rewritten number literals as JsonNumberText (the native API); false gives plain numbers (adapters). */
  lossless?: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const isNumberChar = (c: number): boolean => (c >= DIGIT_0 && c <= DIGIT_9) || c === MINUS || c === 0x2b || c === 0x2e || c === 0x45 || c === 0x65;

function isEscaped(text: string, quoteAt: number): boolean {
  let backslashes = 0;
  for (let k = quoteAt - 1; k >= 0 && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
  return backslashes % 2 === 1;
}

/** True when JSON.parse would give back a double whose shortest text is not the literal. */
export function isRewrittenLiteral(literal: string): boolean {
  // The common case without a conversion: a plain integer of at most 15 digits, no leading zero, not -0.
  if (/^-?[1-9]\d{0,14}$/.test(literal) || literal === '0') return false;
  return String(Number(literal)) !== literal;
}

/** One pass over the text outside strings: the deepest nesting, and whether any number literal would be rewritten. */
export function scanJsonText(text: string): { depth: number; rewritten: boolean } {
  let depth = 0;
  let deepest = 0;
  let rewritten = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip the string (native indexOf: most of a body is strings); a quote preceded by an odd number
      // of backslashes is escaped and does not end it.
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      i = end === -1 ? length : end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > deepest) deepest = depth;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (!rewritten && (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9))) {
      let end = i + 1;
      while (end < length && isNumberChar(text.charCodeAt(end))) end++;
      rewritten = isRewrittenLiteral(text.slice(i, end));
      i = end - 1;
    }
  }
  return { depth: deepest, rewritten };
}

/** Parses a JSON body; InvalidInput (400) for bad syntax or nesting deeper than maxDepth. */
export function parseJsonText(text: string, options: JsonTextOptions = {}): unknown {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const { depth, rewritten } = scanJsonText(text);
  if (depth > maxDepth) {
    throw new InvalidInput(`JSON 嵌套层数 ${depth} 超过上限 ${maxDepth}`, [{ path: '(body)', message: `嵌套不得超过 ${maxDepth} 层` }]);
  }
  try {
    if (!rewritten || options.lossless === false) return JSON.parse(text);
    return parseLossless(text, null, {
      parseNumber: (literal: string) => (isRewrittenLiteral(literal) ? new JsonNumberText(literal) : Number(literal)),
      // As JSON.parse: the last of duplicate keys wins, whichever path a body takes.
      onDuplicateKey: ({ newValue }) => newValue,
    });
  } catch (error) {
    if (error instanceof InvalidInput) throw error;
    throw new InvalidInput('请求体不是有效的 JSON', [{ path: '(body)', message: 'JSON 语法错误' }]);
  }
}
