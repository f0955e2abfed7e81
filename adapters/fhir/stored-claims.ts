/** What the adapter keeps per settlement it has given a FHIR id (collection `fhir.claims`, by that id). */
import * as z from 'zod';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';

export const CLAIMS_COLLECTION = 'fhir.claims';

/** What an answer repeats of the Claim it answers: its references and item sequences. */
const claimEcho = z.object({
  /** Written by earlier releases (`Claim/{id}`, which this server never served); read and no longer repeated. */
  claimReference: z.string().optional(),
  claimType: z.object({ system: z.string().optional(), code: z.string().optional(), display: z.string().optional(), text: z.string().optional() }),
  patientReference: z.string(),
  providerReference: z.string(),
  coverageReference: z.string(),
  itemSequences: z.array(z.int()),
});
export type ClaimEcho = z.infer<typeof claimEcho>;

/** What the store keeps per settlement, to answer reads of its ClaimResponse / EOB. */
const storedClaim = z.object({
  hospitalId: z.string(),
  settlementId: z.string(),
  /** Absent for a settlement first seen through a search (settled through /v1 or Kafka). */
  echo: claimEcho.optional(),
});
export type StoredClaim = z.infer<typeof storedClaim>;

/** The one reader of the collection: the entry under a FHIR id, or undefined (an id that is no FHIR id is none). */
export async function readStoredClaim(store: DocumentStore, id: string): Promise<StoredClaim | undefined> {
  const text = /^[A-Za-z0-9.-]{1,64}$/.test(id) ? await store.get(CLAIMS_COLLECTION, id) : null;
  return text === null ? undefined : storedClaim.parse(JSON.parse(text));
}
