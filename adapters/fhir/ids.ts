/** The FHIR id of a settlement's ClaimResponse and ExplanationOfBenefit: stable, derived, FHIR-safe. */
import { createHash } from 'node:crypto';

/**
 * (hospitalId, settlementId) → 32 hex digits. The native ids may hold `_` and run to 97 characters,
 * which a FHIR id ([A-Za-z0-9.-]{1,64}) cannot; the hash is the same for every submission of the same
 * settlement, and the adapter's store maps it back to the pair.
 */
export function fhirIdOf(hospitalId: string, settlementId: string): string {
  return createHash('sha256').update(`${hospitalId}\n${settlementId}`).digest('hex').slice(0, 32);
}

/** A preview's id: its gateway id (pre_…) with `_` made FHIR-safe. */
export const previewIdOf = (gatewayId: string): string => gatewayId.replace(/_/g, '-');
