import * as z from 'zod';

/** GATEWAY_CLIENTS_FILE: who may call /v1, with which roles, for which hospitals. */
const client = z.object({
  token: z.string().min(16, 'tokens must be at least 16 characters'),
  name: z.string().min(1),
  /** `insurer` (added for direct pay): an insurer's system reporting claim outcomes, limited to `insurerCodes`. */
  roles: z.array(z.enum(['desk', 'admin', 'auditor', 'insurer'])).min(1),
  hospitalIds: z.union([z.literal('*'), z.array(z.string().min(1))]),
  /** The insurers an `insurer` client speaks for (its own codes of the packs' payer.insurerCode). */
  insurerCodes: z.array(z.string().min(1)).optional(),
}).strict().refine((c) => !c.roles.includes('insurer') || (c.insurerCodes?.length ?? 0) > 0, { message: 'an insurer client names its insurerCodes', path: ['insurerCodes'] });
export const clientsFile = z.array(client).min(1);
export type Client = z.infer<typeof client>;
