/** The one place errors become problem+json (RFC 9457). */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { GatewayError, InvalidInput, NotFound, PayloadTooLarge, Unavailable } from '../errors.js';
import type { Problem } from '../../schemas/problem.js';

const TYPE_BASE = 'https://settlement-gateway.example/problems/';
const SLUGS: Record<number, string> = {
  400: 'invalid-request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not-found', 409: 'conflict',
  413: 'payload-too-large', 415: 'unsupported-media-type', 422: 'unprocessable', 500: 'internal', 503: 'unavailable',
};

export function problemOf(error: GatewayError, instance?: string): Problem {
  return {
    type: TYPE_BASE + (SLUGS[error.status] ?? 'error'),
    title: error.title,
    status: error.status,
    detail: error.message,
    ...(instance ? { instance } : {}),
    errors: error.errors,
  };
}

/** Errors thrown by body parsers (express.json, express.text) carry a `type` and a status. */
function fromParser(error: unknown): GatewayError | null {
  if (!(error instanceof Error) || !('type' in error)) return null;
  const type = error.type;
  if (type === 'entity.too.large') return new PayloadTooLarge('the request body is larger than the limit');
  if (type === 'entity.parse.failed') return new InvalidInput('the body is not valid JSON', [{ path: '(body)', message: error.message }]);
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new InvalidInput('unsupported body encoding', [{ path: '(body)', message: String(error.message) }]);
  return null;
}

export function sendProblem(res: Response, problem: Problem, retryAfterSeconds?: number): void {
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

export function problemHandler(log: Logger, onError: (status: number, type: string) => void) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    // An answer already went out (a timeout answered first): nothing more can be said on this response.
    if (res.headersSent) return next(error);
    const known = error instanceof GatewayError ? error : fromParser(error) ?? fromDependency(error);
    if (known) {
      onError(known.status, known.name);
      return sendProblem(res, problemOf(known, req.originalUrl), known instanceof Unavailable ? known.retryAfterSeconds : undefined);
    }
    onError(500, error instanceof Error ? error.name : 'unknown');
    log.error({ err: error, requestId: req.requestId }, 'unhandled error');
    sendProblem(res, { type: TYPE_BASE + 'internal', title: 'Internal error', status: 500, detail: `an internal error occurred; quote request id ${req.requestId ?? '?'}`, errors: [] });
  };
}

/** A dependency that is down (Redis unreachable, a cluster without quorum): 503, retry later — not our bug. */
export function fromDependency(error: unknown): GatewayError | null {
  if (!(error instanceof Error)) return null;
  const down = error.name === 'MaxRetriesPerRequestError' || /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|CLUSTERDOWN|TRYAGAIN|LOADING|did not answer/.test(error.message);
  return down ? new Unavailable(`a dependency is unavailable: ${error.message}`, 2) : null;
}

export const notFoundHandler = (req: Request, _res: Response, next: NextFunction) => next(new NotFound(`no route ${req.method} ${req.path}`));
