/**
 * R4 (Extensibility, §2.4.1 modifier extensions; Resource.implicitRules): a system must not act on a
 * resource carrying a modifier extension it does not understand, nor one that says it follows rules it
 * does not know — the element's meaning may be reversed ("not", "planned only"). This adapter
 * understands no modifier extension, so any one found anywhere in a submission (the Claim, its contained
 * resources, every Bundle entry) refuses the whole submission before anything is read or settled.
 */
import type { FieldError } from '../../gateway/errors.js';
import { isLosslessNumber } from './json-text.js';

/** Deeper than any resource this adapter reads; a bound keeps the walk from following a pathological body. */
const DEPTH_MAX = 64;

const urlOf = (extension: unknown): string => {
  const url = typeof extension === 'object' && extension !== null ? (extension as { url?: unknown }).url : undefined;
  return typeof url === 'string' ? url : '（无 url）';
};

/** Every modifierExtension and implicitRules in `value`, each named by its FHIRPath under `path`. */
export function notUnderstood(value: unknown, path: string, depth = 0): FieldError[] {
  if (depth > DEPTH_MAX || typeof value !== 'object' || value === null || isLosslessNumber(value)) return [];
  if (Array.isArray(value)) return value.flatMap((element, i) => notUnderstood(element, `${path}[${i}]`, depth + 1));
  const found: FieldError[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key === 'modifierExtension' && Array.isArray(child)) {
      child.forEach((extension, i) => found.push({ path: `${path}.modifierExtension[${i}]`, message: `不理解的修饰扩展 ${urlOf(extension)}` }));
    } else if (key === 'implicitRules') {
      found.push({ path: `${path}.implicitRules`, message: `不理解的隐含规则 ${typeof child === 'string' ? child : ''}` });
    } else {
      found.push(...notUnderstood(child, `${path}.${key}`, depth + 1));
    }
  }
  return found;
}
