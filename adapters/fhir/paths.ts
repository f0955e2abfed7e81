/** FHIRPath expressions for OperationOutcome.issue.expression, and the native → FHIR path map. */
import type { FieldError } from '../../gateway/errors.js';

/** `Claim` + ['item', 3, 'net', 'value'] → `Claim.item[3].net.value`. */
function fhirPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`;
  return out;
}

export const extensionPath = (base: string, url: string, value: string): string => `${base}.extension('${url}').${value}`;

/** zod issues of a FHIR element as field errors with FHIRPath expressions. */
export function fhirFieldErrors(prefix: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): FieldError[] {
  return issues.map((i) => ({ path: fhirPath(prefix, i.path), message: i.message }));
}

/**
 * Where each native field came from: `items.3.amount` → `Claim.item[3].net.value`. Filled while the
 * Claim is mapped, so a native validation error names the FHIR element the caller sent (or should have).
 */
export class Origins {
  private readonly byNativePath = new Map<string, string>();
  constructor(private readonly root: string) {}

  set(nativePath: string, expression: string): void { this.byNativePath.set(nativePath, expression); }

  /** The expression of the native path, or of its nearest recorded parent (`items.3` for `items.3.class.x`). */
  expressionOf(nativePath: string): string {
    const segments = nativePath.split('.');
    for (let n = segments.length; n > 0; n--) {
      const found = this.byNativePath.get(segments.slice(0, n).join('.'));
      if (found !== undefined) return found;
    }
    return this.root;
  }

  translate(errors: readonly FieldError[]): FieldError[] {
    return errors.map((e) => ({ path: this.expressionOf(e.path), message: e.message }));
  }
}
