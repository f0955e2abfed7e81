/**
 * A typed error as a problem+json body (RFC 9457). Shared by HTTP (http/problems.ts) and the stream
 * intake, which answers problems on the bus: neither side imports the other.
 */
import type { GatewayError } from './errors.js';
import { PROBLEM_TYPES, problemTypeUri } from './problem-types.js';
import type { Problem } from '../schemas/problem.js';

export function problemOf(error: GatewayError, instance?: string): Problem {
  const id = error.problemTypeId;
  return {
    type: problemTypeUri(id),
    code: PROBLEM_TYPES[id].code,
    title: error.title,
    status: error.status,
    detail: error.message,
    ...(instance ? { instance } : {}),
    errors: error.errors,
  };
}

/** The 500 problem: a bug, never the caller's fault; the request id lets the operator find the log line. */
export function internalProblem(detail: string): Problem {
  return { type: problemTypeUri('internal'), code: PROBLEM_TYPES.internal.code, title: PROBLEM_TYPES.internal.title, status: 500, detail, errors: [] };
}
