/**
 * What an answer may be: this endpoint serves FHIR JSON only, so a client asking for anything else
 * (`_format=xml`, `Accept: application/fhir+xml`) is told so (406 not-supported) rather than handed JSON
 * it did not ask for; and what a client prefers to get back from a write (`Prefer: return=…`, R4
 * http.html#ops): the resource, nothing (the Location says where), or an OperationOutcome.
 */
import type { NextFunction, Request, Response } from 'express';
import { NotSupported } from './outcome.js';

/** `_format` values that mean JSON (R4 http.html#mime-type); the query parser reads a `+` as a space. */
const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/fhir json']);
const SERVED = ['application/fhir+json', 'application/json'];

/** Refuses, before anything else is done, a call whose answer would have to be in a format not served. */
export function jsonOnly(req: Request, _res: Response, next: NextFunction): void {
  const format = req.query._format;
  if (format !== undefined) {
    const asked = (Array.isArray(format) ? format : [format]).map((f) => String(f).split(';')[0]!.trim().toLowerCase());
    if (!asked.every((f) => JSON_FORMATS.has(f))) {
      return next(new NotSupported(406, `不提供 ${asked.join('、')} 格式：本接口只提供 FHIR JSON（_format=json 或 application/fhir+json）`));
    }
  }
  if (req.headers.accept !== undefined && req.accepts(SERVED) === false) {
    return next(new NotSupported(406, `不提供 Accept 所求的格式（${req.headers.accept}）：本接口只提供 application/fhir+json`));
  }
  next();
}

export type ReturnPreference = 'representation' | 'minimal' | 'OperationOutcome';

/** `Prefer: return=minimal` (or `representation`, `OperationOutcome`); absent or unknown → the resource. */
export function returnPreferenceOf(req: Request): ReturnPreference {
  const header = req.headers.prefer;
  const match = typeof header === 'string' ? /(?:^|[;,\s])return\s*=\s*"?(minimal|representation|OperationOutcome)"?/i.exec(header) : null;
  const value = match?.[1]?.toLowerCase();
  if (value === 'minimal') return 'minimal';
  if (value === 'operationoutcome') return 'OperationOutcome';
  return 'representation';
}
