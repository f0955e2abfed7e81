/** The FHIR adapter's environment variables, validated with the core's at start-up and read by the part (readPartConfig). */
import * as z from 'zod';

export const fhirVariables = z.object({
  /** JSON or YAML file: hospitalId → { baseUrl, timeoutMs, retries, credential (the token by reference) } of the hospital's FHIR server. */
  FHIR_SERVERS_FILE: z.string().optional(),
  /** How long an open breaker of a hospital's FHIR server waits before one trial read. */
  FHIR_BREAKER_RESET_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
});
