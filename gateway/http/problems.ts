/** The one place errors become problem+json (RFC 9457). */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { GatewayError, InvalidInput, NotFound, OutcomeUnknown, PayloadTooLarge, Unavailable } from '../errors.js';
import { internalProblem, problemOf } from '../problem-body.js';
import { ledgerRefusal } from '../ledger/errors.js';
import type { Problem } from '../../schemas/problem.js';

// The error → problem body mapping lives outside http/ (the stream intake answers problems too); re-exported here.
export { problemOf } from '../problem-body.js';

/**
 * Errors of express itself and its body parsers (they carry a `type` and/or a 4xx `status`), and a path
 * whose percent-escapes do not decode (URIError from the router): the caller's mistake, never a 500.
 */
function fromParser(error: unknown): GatewayError | null {
  if (error instanceof URIError) return new InvalidInput('路径中的百分号转义无效', [{ path: '(path)', message: '路径含无法解码的 % 转义（如 %ZZ）' }]);
  if (!(error instanceof Error)) return null;
  const type = 'type' in error ? error.type : undefined;
  if (type === 'entity.too.large') return new PayloadTooLarge('请求体超过大小上限');
  if (type === 'entity.parse.failed') return new InvalidInput('请求体不是有效的 JSON', [{ path: '(body)', message: 'JSON 语法错误' }]);
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new InvalidInput('不支持的请求体编码', [{ path: '(body)', message: '请使用 UTF-8 编码' }]);
  if (type === 'request.aborted') return new InvalidInput('请求体未传完，客户端已中断', [{ path: '(body)', message: '请求体不完整' }]);
  const status = 'status' in error && typeof error.status === 'number' ? error.status : undefined;
  if (status !== undefined && status >= 400 && status < 500) return new InvalidInput('请求无法解析', [{ path: '(body)', message: '请求格式错误' }]);
  return null;
}

function sendProblem(res: Response, problem: Problem, retryAfterSeconds?: number): void {
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

export function problemHandler(log: Logger, onError: (status: number, type: string) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // An answer already went out (a timeout answered first): nothing more can be said on this response,
    // and the late error (typically the aborted call's CommitAborted) is expected, not a crash to print.
    if (res.headersSent) {
      log.debug({ requestId: req.requestId, err: error instanceof Error ? error.message : String(error) }, 'error after the answer was sent');
      if (!res.writableEnded) res.end();
      return;
    }
    const known = error instanceof GatewayError ? error : fromParser(error) ?? ledgerRefusal(error);
    if (known) {
      onError(known.status, known.name);
      // The log keeps the dependency's own words (English, for the operator); the caller gets plain Chinese.
      if (known.status >= 500) log.warn({ requestId: req.requestId, err: error instanceof Error ? error.message : String(error), code: known.code }, 'dependency failure answered');
      // RFC 6750: a 401 names the scheme the client must use.
      if (known.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="settlement-gateway"');
      const retryAfter = known instanceof Unavailable || known instanceof OutcomeUnknown ? known.retryAfterSeconds : undefined;
      return sendProblem(res, problemOf(known, pathOf(req)), retryAfter);
    }
    onError(500, error instanceof Error ? error.name : 'unknown');
    log.error({ err: error, requestId: req.requestId }, 'unhandled error');
    sendProblem(res, internalProblem(`网关内部错误，请联系运维并提供请求编号 ${req.requestId ?? '?'}`));
  };
}

/** The path without the query string: a token wrongly put in a query must not be echoed back or logged. */
export function pathOf(req: Request): string {
  const url = req.originalUrl;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export const notFoundHandler = (req: Request, _res: Response, next: NextFunction) => next(new NotFound(`没有这个接口：${req.method} ${req.path}`));
