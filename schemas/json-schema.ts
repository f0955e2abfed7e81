/**
 * JSON Schema of a zod schema, as every published document writes it: OpenAPI 3.1 (draft 2020-12) and
 * AsyncAPI 3.0 (draft-07, the JSON Schema version its parser knows). One place, so that a number kept as
 * its source text reads the same in both.
 */
import * as z from 'zod';
import { jsonNumberText } from './primitives.js';

export type JsonSchemaTarget = 'draft-2020-12' | 'draft-7';

export const jsonSchema = (schema: z.ZodType, io: 'input' | 'output', target: JsonSchemaTarget = 'draft-2020-12') =>
  z.toJSONSchema(schema, {
    io, target, unrepresentable: 'any',
    // A number literal kept as its source text (json-text.ts) is, on the wire, a JSON number.
    override: (ctx) => { if (ctx.zodSchema === jsonNumberText) ctx.jsonSchema.type = 'number'; },
  });
