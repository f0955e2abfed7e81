/**
 * POST /fhir/ExplanationOfBenefit/_search with `patient:identifier=<system>|<ID number>`: the EOBs of a
 * person's settlements, whichever door they came in by (/v1, Kafka, FHIR), limited to the hospitals the
 * caller may read. Only POST (form body): the ID number would otherwise sit in the URL, and URLs are logged.
 * Each EOB found is recorded under its FHIR id, so that GET /fhir/ExplanationOfBenefit/{id} reads it too.
 */
import type * as fhir4 from 'fhir/r4.js';
import type { Client } from '../../schemas/clients.js';
import { InvalidInput } from '../../gateway/errors.js';
import { requireHospital, requireRole } from '../../gateway/http/auth.js';
import type { LedgerPort } from '../../gateway/ledger/port.js';
import { currentSplit, readStoredRequest, recordVersionOf } from '../../gateway/ledger/stored.js';
import type { DocumentStore } from '../../gateway/store/port.js';
import { explanationOfBenefitOf } from './adjudication.js';
import { fhirIdOf } from './ids.js';
import { CLAIMS_COLLECTION, storedClaim, type StoredClaim } from './stored-claims.js';
import { PERSON_ID_SYSTEMS } from './vocabulary.js';

export const SEARCH_COUNT_MAX = 100;

function mayRead(client: Client | undefined, hospitalId: string): boolean {
  try { requireHospital(client, hospitalId, 'desk', 'admin', 'auditor'); return true; } catch { return false; }
}

/** `system|value` or `value` (FHIR token search). */
function personIdOf(form: Record<string, unknown>): string {
  const raw = form['patient:identifier'];
  if (typeof raw !== 'string' || raw.length === 0) throw new InvalidInput('须以 patient:identifier 检索', [{ path: 'patient:identifier', message: 'expected <system>|<ID number> in the form body' }]);
  const bar = raw.lastIndexOf('|');
  const system = bar >= 0 ? raw.slice(0, bar) : undefined;
  const value = bar >= 0 ? raw.slice(bar + 1) : raw;
  if (system !== undefined && system !== '' && !PERSON_ID_SYSTEMS.includes(system)) {
    throw new InvalidInput('不支持的身份标识系统', [{ path: 'patient:identifier', message: `system must be one of ${PERSON_ID_SYSTEMS.join(', ')}` }]);
  }
  if (!/^[0-9A-Za-z]{1,32}$/.test(value)) throw new InvalidInput('身份号码格式不符', [{ path: 'patient:identifier', message: 'letters and digits only' }]);
  return value;
}

function countOf(form: Record<string, unknown>): number {
  const raw = form._count;
  if (raw === undefined) return SEARCH_COUNT_MAX;
  if (typeof raw !== 'string' || !/^\d{1,3}$/.test(raw) || Number.parseInt(raw, 10) < 1) throw new InvalidInput('_count 须为 1–100', [{ path: '_count', message: 'expected an integer 1–100' }]);
  return Math.min(Number.parseInt(raw, 10), SEARCH_COUNT_MAX);
}

export async function searchExplanationsOfBenefit(
  deps: { ledger: LedgerPort; store: DocumentStore },
  client: Client | undefined, form: Record<string, unknown>, baseUrl: string,
): Promise<fhir4.Bundle> {
  requireRole(client, 'desk', 'admin', 'auditor');
  const personId = personIdOf(form);
  const count = countOf(form);
  const records = (await deps.ledger.settlementsOfPerson(personId)).filter((r) => mayRead(client, r.hospitalId));
  // The latest first, at most `count` (a person has few stays a year; the bound keeps the answer small anyway).
  const page = records.slice(-count).reverse();
  const entry: fhir4.BundleEntry[] = [];
  for (const record of page) {
    const id = fhirIdOf(record.hospitalId, record.settlementId);
    const text = await deps.store.get(CLAIMS_COLLECTION, id);
    let stored: StoredClaim | undefined = text === null ? undefined : storedClaim.parse(JSON.parse(text));
    if (!stored) {
      stored = { hospitalId: record.hospitalId, settlementId: record.settlementId };
      await deps.store.put(CLAIMS_COLLECTION, id, JSON.stringify(stored), { ifAbsent: true });
    }
    // By the record's own version's reader: today's stricter request schema must not turn an old stay into a 500.
    const resource = explanationOfBenefitOf(currentSplit(record), readStoredRequest(record.requestJson, recordVersionOf(record)), stored.echo, id);
    entry.push({ fullUrl: `${baseUrl}/ExplanationOfBenefit/${id}`, resource, search: { mode: 'match' } });
  }
  return { resourceType: 'Bundle', type: 'searchset', total: records.length, entry };
}
