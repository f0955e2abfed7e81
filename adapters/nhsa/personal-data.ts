/**
 * The person's data in an nhsa.settlements message, as a refusal from the platform may echo it back:
 * the ID number, the 医保 person number, the certificate number (a passport's is no digit run that
 * maskedExcerpt would find on its own) and the name, so that the refusal text is masked before it is
 * logged, stored in nhsa.deliveries or answered by GET /v1/nhsa/dead-letters.
 */
import * as z from 'zod';
import type { KnownPersonalData } from '../../gateway/mask-text.js';

/** Tolerant: a message that does not parse still gets the patterns of maskedExcerpt. */
const echoable = z.object({
  personId: z.string().optional().catch(undefined),
  setlinfo: z.object({
    certno: z.string().optional().catch(undefined),
    psn_no: z.string().optional().catch(undefined),
    psn_name: z.string().optional().catch(undefined),
  }).optional().catch(undefined),
});

export function personalDataOf(value: string | null): KnownPersonalData {
  let json: unknown;
  try { json = JSON.parse(value ?? ''); } catch { return {}; }
  const parsed = echoable.safeParse(json);
  if (!parsed.success) return {};
  const { personId, setlinfo } = parsed.data;
  const ids = [personId, setlinfo?.certno, setlinfo?.psn_no].filter((v): v is string => typeof v === 'string' && v.length > 0);
  const names = setlinfo?.psn_name ? [setlinfo.psn_name] : [];
  return { ids, names };
}
