import { z } from 'zod';

/** GATEWAY_CLIENTS_FILE: who may call /v1, with which roles, for which hospitals. */
export const client = z.object({
  token: z.string().min(16, 'tokens must be at least 16 characters'),
  name: z.string().min(1),
  roles: z.array(z.enum(['desk', 'admin', 'auditor'])).min(1),
  hospitalIds: z.union([z.literal('*'), z.array(z.string().min(1))]),
}).strict();
export const clientsFile = z.array(client).min(1);
export type Client = z.infer<typeof client>;
