/** The insurer adapter's environment variables, validated with the core's at start-up and read by the part (readPartConfig). */
import * as z from 'zod';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const insurerVariables = z.object({
  /** Insurers for direct pay (config.ts): JSON or YAML; absent → no claim is delivered (claims wait on Kafka). Their credentials are secret references inside it. */
  INSURERS_FILE: z.string().optional(),
  /** Run the per-insurer claim delivery consumers in this process. */
  INSURER_DELIVERY_ENABLED: flag.default(true),
  /** Default daily batch cut-off (机构交单), HH:MM in +08:00; claims settled at or after it go to the next day's batch. */
  INSURER_BATCH_CUTOFF: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM, 00:00–24:00').default('24:00'),
});
