/** Errors as FHIR OperationOutcome: one issue per field error, `expression` naming the FHIR element. */
import type * as fhir4 from 'fhir/r4.js';
import { GatewayError, OutcomeUnknown, Unavailable, type FieldError } from '../../gateway/errors.js';

type IssueType = fhir4.OperationOutcomeIssue['code'];

const ISSUE_TYPES: Record<number, IssueType> = {
  400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 413: 'too-long',
  415: 'not-supported', 422: 'processing', 503: 'transient',
  // Outcome unknown (the ledger write left, its answer did not come): resubmitting the same Claim tells.
  504: 'transient',
};

/**
 * What this server does not support, as R4 servers answer it (issue type `not-supported`): a modifier
 * extension it does not understand (422: the Claim is well formed, acting on it would be wrong), or an
 * answer format it does not serve (406).
 */
export class NotSupported extends GatewayError {
  readonly title = '不支持';
  constructor(readonly status: 406 | 422, message: string, errors: FieldError[] = []) { super(message, errors); }
}

/** `expression` holds FHIRPath only: a path rooted at a resource type (`Claim.item[0].net.value`), as paths.ts builds them. */
const isElementPath = (path: string): boolean => /^[A-Z][A-Za-z]*(?:[.[]|$)/.test(path);

export function operationOutcomeOf(error: GatewayError): fhir4.OperationOutcome {
  const code = error instanceof NotSupported ? 'not-supported' : ISSUE_TYPES[error.status] ?? 'exception';
  const issues: fhir4.OperationOutcomeIssue[] = error.errors.length > 0
    ? error.errors.map((e) => (isElementPath(e.path)
      ? { severity: 'error', code, diagnostics: `${error.message}: ${e.message}`, expression: [e.path] }
      // A search parameter (`_count`, `patient:identifier`) or a native field name is no FHIRPath: it is named in words.
      : { severity: 'error', code, diagnostics: `${error.message}: ${e.message}${e.path && !e.path.startsWith('(') ? `（参数 ${e.path}）` : ''}` }))
    : [{ severity: 'error', code, diagnostics: error.message }];
  return { resourceType: 'OperationOutcome', issue: issues };
}

export const internalOutcome = (requestId: string | undefined): fhir4.OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'fatal', code: 'exception', diagnostics: `网关内部错误；请提供请求编号 ${requestId ?? '?'}` }],
});

export const retryAfterOf = (error: GatewayError): number | undefined => (error instanceof Unavailable || error instanceof OutcomeUnknown ? error.retryAfterSeconds : undefined);
