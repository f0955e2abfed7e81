/**
 * Typed errors of the gateway. Each maps to one problem+json status in http/problems.ts; nothing
 * else decides a status code.
 */
export interface FieldError { path: string; message: string }

export abstract class GatewayError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  constructor(message: string, readonly errors: FieldError[] = []) {
    super(message);
    this.name = new.target.name;
  }
}

/** Malformed or schema-invalid input. */
export class InvalidInput extends GatewayError { readonly status = 400; readonly title = 'Invalid request'; }
export class Unauthenticated extends GatewayError { readonly status = 401; readonly title = 'Unauthenticated'; }
export class Forbidden extends GatewayError { readonly status = 403; readonly title = 'Forbidden'; }
export class NotFound extends GatewayError { readonly status = 404; readonly title = 'Not found'; }
/** The same settlement id with a different body. */
export class Conflict extends GatewayError { readonly status = 409; readonly title = 'Conflict'; }
export class PayloadTooLarge extends GatewayError { readonly status = 413; readonly title = 'Payload too large'; }
/** Well-formed but impossible: discharge before admission, contradictory items, reversing a preview. */
export class Unprocessable extends GatewayError { readonly status = 422; readonly title = 'Unprocessable settlement'; }
/** A dependency the call needs is down. */
export class Unavailable extends GatewayError {
  readonly status = 503;
  readonly title = 'Service unavailable';
  constructor(message: string, readonly retryAfterSeconds = 5) { super(message); }
}

/** A broken invariant: a bug, never the caller's fault. */
export class InvariantViolation extends Error {
  constructor(message: string) { super(`invariant violated: ${message}`); this.name = 'InvariantViolation'; }
}

export function invariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantViolation(typeof message === 'string' ? message : message());
}
