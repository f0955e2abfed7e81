/**
 * Typed errors of the gateway. Each maps to one problem+json status in http/problems.ts; nothing
 * else decides a status code.
 */
import { PROBLEM_TYPES, problemTypeOfStatus, type ProblemTypeId } from './problem-types.js';

export interface FieldError { path: string; message: string }

/** zod issues as the contract's field errors: "items.3.amount". */
export function fieldErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): FieldError[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}

/**
 * `message` becomes the problem's `detail` and `errors` its field list: both are read by clerks and HIS
 * engineers, so both are written in Chinese. The title and the stable `code` come from problem-types.ts.
 */
export abstract class GatewayError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** The problem type (problem-types.ts); a subclass that names none is typed by its status. */
  readonly problemType?: ProblemTypeId;
  constructor(message: string, readonly errors: FieldError[] = []) {
    super(message);
    this.name = new.target.name;
  }

  get problemTypeId(): ProblemTypeId { return this.problemType ?? problemTypeOfStatus(this.status); }
  get code(): string { return PROBLEM_TYPES[this.problemTypeId].code; }
}

const T = PROBLEM_TYPES;

/** Malformed or schema-invalid input. */
export class InvalidInput extends GatewayError { readonly status = 400; readonly title: string = T['invalid-request'].title; override readonly problemType = 'invalid-request' as const; }
export class Unauthenticated extends GatewayError { readonly status = 401; readonly title: string = T.unauthenticated.title; override readonly problemType = 'unauthenticated' as const; }
export class Forbidden extends GatewayError { readonly status = 403; readonly title: string = T.forbidden.title; override readonly problemType = 'forbidden' as const; }
export class NotFound extends GatewayError { readonly status = 404; readonly title: string = T['not-found'].title; override readonly problemType = 'not-found' as const; }
/** The same settlement id with a different body. */
export class Conflict extends GatewayError { readonly status = 409; readonly title: string = T.conflict.title; override readonly problemType = 'conflict' as const; }
export class PayloadTooLarge extends GatewayError { readonly status = 413; readonly title: string = T['payload-too-large'].title; override readonly problemType = 'payload-too-large' as const; }
/** Well-formed but impossible: discharge before admission, contradictory items, reversing a preview. */
export class Unprocessable extends GatewayError { readonly status = 422; readonly title: string = T.unprocessable.title; override readonly problemType = 'unprocessable' as const; }
/** A dependency the call needs is down, and nothing was committed: the call may simply be sent again. */
export class Unavailable extends GatewayError {
  readonly status = 503;
  readonly title: string = T.unavailable.title;
  override readonly problemType = 'unavailable' as const;
  constructor(message: string, readonly retryAfterSeconds = 5) { super(message); }
}
/**
 * A commit was sent and its answer never came: it may have been applied. The caller must retry the
 * same settlement id (never a new one), which answers the truth.
 */
export class OutcomeUnknown extends GatewayError {
  readonly status = 504;
  readonly title: string = T['outcome-unknown'].title;
  override readonly problemType = 'outcome-unknown' as const;
  constructor(message: string, errors: FieldError[] = [], readonly retryAfterSeconds = 2) { super(message, errors); }
}

/** A broken invariant: a bug, never the caller's fault. */
export class InvariantViolation extends Error {
  constructor(message: string) { super(`invariant violated: ${message}`); this.name = 'InvariantViolation'; }
}

export function invariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantViolation(typeof message === 'string' ? message : message());
}
