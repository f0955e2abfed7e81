/**
 * The security headers of every answer: helmet's, with the gateway's Content-Security-Policy, worked
 * out once at start-up and then only copied onto each answer. helmet itself builds the CSP text anew
 * on every request (its directives may be functions of the request; ours are fixed), which cost about
 * a sixth of a settlement's time over HTTP. And `Cache-Control: no-store`: the answers carry persons'
 * settlements, rosters and reports, which no browser on a shared desk PC and no proxy may keep; a route
 * whose answer holds nothing personal (the desk's and the reports page's files) sets its own.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { invariant } from '../errors.js';

/** The headers helmet sets with these options, read off a response that is never sent. */
function helmetHeaders(options: Readonly<HelmetOptions>): ReadonlyArray<readonly [string, string]> {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  let called = false;
  helmet(options)(request, response, (error?: unknown) => {
    invariant(error === undefined, () => `helmet refused its options: ${String(error)}`);
    called = true;
  });
  invariant(called, 'helmet did not finish synchronously');
  return Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)] as const);
}

export function securityHeaders(options: Readonly<HelmetOptions>): RequestHandler {
  const headers = [...helmetHeaders(options), ['Cache-Control', 'no-store'] as const];
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
