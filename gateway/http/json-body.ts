/**
 * The JSON body parser of every route: express reads the text (limit, charset), then json-text.ts
 * parses it with a bounded depth and, for the native API, number literals judged by their source text.
 */
import express, { type RequestHandler } from 'express';
import { parseJsonText, type JsonTextOptions } from '../service/json-text.js';

const JSON_MEDIA_TYPES = ['application/json', 'application/*+json'];

export function jsonBodyParser(limitBytes: number, options: JsonTextOptions = {}): RequestHandler {
  const readText = express.text({ limit: limitBytes, type: JSON_MEDIA_TYPES, defaultCharset: 'utf-8' });
  return (req, res, next) => {
    readText(req, res, (error?: unknown) => {
      if (error) return next(error);
      // Another content type (or none): the body is left for the route's other parsers.
      if (typeof req.body !== 'string') return next();
      if (req.body.trim() === '') { req.body = undefined; return next(); }
      try {
        req.body = parseJsonText(req.body, options);
      } catch (parseError) {
        return next(parseError);
      }
      next();
    });
  };
}
