/**
 * Searches of ClaimResponse and ExplanationOfBenefit (R4 search, `searchset` Bundles with paging):
 *
 * - `patient:identifier=<system>|<ID number>` — a person's settlements, whichever door they came in by
 *   (/v1, Kafka, FHIR), latest first. By POST `_search` only: an ID number in a URL is logged by every
 *   proxy on the way. Its `self` / `next` links therefore carry an opaque `_cursor` instead: a random id of the
 *   search kept (for CURSOR_TTL_MS) in the document store with the person and the client who searched.
 * - `_id=<id>` — one settlement by its FHIR id; by GET or POST.
 * - `identifier=[<settlement-id system>|]<number>` — the settlement the hospital numbered so (what a logical
 *   `ClaimResponse.request` names), in the hospital of `requestor:identifier` (ClaimResponse) / `provider:identifier`
 *   (EOB), or else in each hospital the client acts for.
 * - `_cursor`, `_offset`, `_count` (1–100) — the pages: `total` counts every match the caller may read,
 *   `entry` holds `_count` of them from `_offset`, `next` / `previous` link the neighbouring pages.
 *
 * Unknown parameters are refused (400), as HAPI does, rather than silently ignored: a filter the server
 * dropped would answer more than was asked. Each settlement found is recorded under its FHIR id, so that
 * a read by id works afterwards too.
 */
import { randomBytes } from 'node:crypto';
import type * as fhir4 from 'fhir/r4.js';
import * as z from 'zod';
import type { Client } from '../../schemas/clients.js';
import { InvalidInput, NotFound } from '../../gateway/errors.js';
import { requireHospital, requireRole } from '../../gateway/http/auth.js';
import type { SettlementBook, SettlementListing } from '../../gateway/ledger/port.js';
import type { StoredSettlement } from '../../gateway/ledger/stored.js';
import type { DocumentStore } from '../../gateway/ledger/documents/port.js';
import type { Split } from '../../schemas/settlement.js';
import type { AdjudicatedRequest } from './adjudication.js';
import { fhirIdOf } from './ids.js';
import { CLAIMS_COLLECTION, readStoredClaim, type ClaimEcho, type StoredClaim } from './stored-claims.js';
import { PERSON_ID_SYSTEMS, SYSTEM } from './vocabulary.js';

const SEARCH_COUNT_MAX = 100;
/** A person's settlements are at most the ledger's PERSON_SETTLEMENTS_MAX; an offset past that finds nothing anyway. */
const OFFSET_MAX = 10_000;
export const CURSORS_COLLECTION = 'fhir.searches';
/** How long a person search's links stay usable. */
export const CURSOR_TTL_MS = 60 * 60 * 1000;
/** Expired cursors removed per new search: enough to keep pace with new ones, bounded per call. */
const CURSOR_PRUNE_MAX = 20;
const PARAMETERS = ['patient:identifier', '_id', '_cursor', 'identifier', 'requestor:identifier', 'provider:identifier', '_offset', '_count', '_format'] as const;
/** The reference naming the hospital: ClaimResponse.requestor, ExplanationOfBenefit.provider (R4 search parameters). */
const HOSPITAL_PARAMETER = { ClaimResponse: 'requestor:identifier', ExplanationOfBenefit: 'provider:identifier' } as const;
/** A desk searching by settlement number without naming its hospital is looked up in each of its hospitals, up to this many. */
const HOSPITALS_PER_SEARCH_MAX = 20;

const storedCursor = z.object({ personId: z.string(), client: z.string(), createdMs: z.int() });

export type SearchedType = 'ClaimResponse' | 'ExplanationOfBenefit';
export type Render = (split: Split, request: AdjudicatedRequest, echo: ClaimEcho | undefined, id: string) => fhir4.ClaimResponse | fhir4.ExplanationOfBenefit;

export interface SearchCall {
  type: SearchedType;
  method: 'GET' | 'POST';
  /** The query (GET) or the form body (POST), as express parsed it. */
  parameters: unknown;
  client: Client | undefined;
  baseUrl: string;
}

function mayRead(client: Client | undefined, hospitalId: string): boolean {
  try { requireHospital(client, hospitalId, 'desk', 'admin', 'auditor'); return true; } catch { return false; }
}

/** Each parameter once, as text; an unknown or repeated one is refused by name. */
function parametersOf(raw: unknown): Map<string, string> {
  const found = new Map<string, string>();
  if (typeof raw !== 'object' || raw === null) return found;
  for (const [name, value] of Object.entries(raw)) {
    if (!(PARAMETERS as readonly string[]).includes(name)) throw new InvalidInput(`不支持的检索参数 ${name}`, [{ path: name, message: `支持的参数：${PARAMETERS.filter((p) => p !== '_format').join('、')}` }]);
    if (typeof value !== 'string') throw new InvalidInput(`检索参数 ${name} 只能给一次`, [{ path: name, message: '每个参数只能出现一次' }]);
    found.set(name, value);
  }
  return found;
}

/** `system|value` or `value` (FHIR token search). */
function personIdOf(raw: string): string {
  const bar = raw.lastIndexOf('|');
  const system = bar >= 0 ? raw.slice(0, bar) : undefined;
  const value = bar >= 0 ? raw.slice(bar + 1) : raw;
  if (system !== undefined && system !== '' && !PERSON_ID_SYSTEMS.includes(system)) {
    throw new InvalidInput('不支持的身份标识系统', [{ path: 'patient:identifier', message: `system must be one of ${PERSON_ID_SYSTEMS.join(', ')}` }]);
  }
  if (!/^[0-9A-Za-z]{1,32}$/.test(value)) throw new InvalidInput('身份号码格式不符', [{ path: 'patient:identifier', message: 'letters and digits only' }]);
  return value;
}

/** A token `[system|]value` whose system, when given, must be `system`. */
function tokenValue(token: string, name: string, system: string): string {
  const bar = token.lastIndexOf('|');
  const given = bar >= 0 ? token.slice(0, bar) : '';
  const value = bar >= 0 ? token.slice(bar + 1) : token;
  if (given !== '' && given !== system) throw new InvalidInput(`${name} 的标识系统不符`, [{ path: name, message: `系统须为 ${system}` }]);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(value)) throw new InvalidInput(`${name} 的值格式不符`, [{ path: name, message: '字母、数字及 . _ -，至多 64 个' }]);
  return value;
}

function boundedInteger(parameters: Map<string, string>, name: string, min: number, max: number, absent: number): number {
  const raw = parameters.get(name);
  if (raw === undefined) return absent;
  if (!/^\d{1,5}$/.test(raw) || Number.parseInt(raw, 10) < min || Number.parseInt(raw, 10) > max) {
    throw new InvalidInput(`${name} 须为 ${min}–${max} 的整数`, [{ path: name, message: `须为 ${min}–${max} 的整数，收到 ${raw}` }]);
  }
  return Number.parseInt(raw, 10);
}

export class SettlementSearch {
  constructor(private readonly deps: { ledger: Pick<SettlementBook, 'getSettlement'> & Pick<SettlementListing, 'settlementsOfPerson'>; store: DocumentStore; clock?: () => number }) {}

  private now(): number { return this.deps.clock?.() ?? Date.now(); }

  async search(call: SearchCall, render: Render): Promise<fhir4.Bundle> {
    const client = requireRole(call.client, 'desk', 'admin', 'auditor');
    const parameters = parametersOf(call.parameters);
    const count = boundedInteger(parameters, '_count', 1, SEARCH_COUNT_MAX, SEARCH_COUNT_MAX);
    const offset = boundedInteger(parameters, '_offset', 0, OFFSET_MAX, 0);
    const { records, linkSelector } = await this.select(call, parameters, client);
    const matches = records.filter((r) => mayRead(client, r.hospitalId));
    const page = matches.slice(offset, offset + count);
    const entry: fhir4.BundleEntry[] = [];
    for (const record of page) {
      const { id, echo } = await this.entryOf(record);
      // By the record's own version's reader: today's stricter request schema must not turn an old stay into a 500.
      const resource = render(record.split, record.request, echo, id);
      entry.push({ fullUrl: `${call.baseUrl}/${call.type}/${id}`, resource, search: { mode: 'match' } });
    }
    const link = (relation: string, at: number): fhir4.BundleLink => ({ relation, url: `${call.baseUrl}/${call.type}?${linkSelector}&_count=${count}&_offset=${at}` });
    return {
      resourceType: 'Bundle', type: 'searchset', total: matches.length,
      link: [
        link('self', offset),
        ...(offset + count < matches.length ? [link('next', offset + count)] : []),
        ...(offset > 0 ? [link('previous', Math.max(0, offset - count))] : []),
      ],
      entry,
    };
  }

  /** The settlements one selector finds (before the caller's scope is applied), and how the page links repeat it. */
  private async select(call: SearchCall, parameters: Map<string, string>, client: Client): Promise<{ records: StoredSettlement[]; linkSelector: string }> {
    const selectors = (['patient:identifier', '_cursor', '_id', 'identifier'] as const).filter((name) => parameters.has(name));
    if (selectors.length !== 1) {
      throw new InvalidInput('须且只须以 patient:identifier（POST _search）、identifier、_id 或 _cursor 之一检索', [{ path: selectors[1] ?? 'patient:identifier', message: `patient:identifier、identifier、_id、_cursor 须恰好给一个，收到 ${selectors.length} 个` }]);
    }
    const hospitalParameter = HOSPITAL_PARAMETER[call.type];
    const otherHospitalParameter = Object.values(HOSPITAL_PARAMETER).find((p) => p !== hospitalParameter)!;
    if (parameters.has(otherHospitalParameter)) throw new InvalidInput(`${call.type} 没有检索参数 ${otherHospitalParameter}`, [{ path: otherHospitalParameter, message: `请用 ${hospitalParameter}` }]);
    if (parameters.has(hospitalParameter) && selectors[0] !== 'identifier') throw new InvalidInput(`${hospitalParameter} 只与 identifier 同用`, [{ path: hospitalParameter, message: '按结算号检索时指明医院' }]);
    const selector = selectors[0]!;
    const value = parameters.get(selector)!;
    if (selector === '_id') return { records: await this.byId(value), linkSelector: `_id=${encodeURIComponent(value)}` };
    if (selector === 'identifier') {
      const hospital = parameters.get(hospitalParameter);
      return {
        records: await this.bySettlementNumber(value, hospital, hospitalParameter, client),
        linkSelector: `identifier=${encodeURIComponent(value)}${hospital === undefined ? '' : `&${hospitalParameter}=${encodeURIComponent(hospital)}`}`,
      };
    }
    if (selector === 'patient:identifier' && call.method === 'GET') {
      throw new InvalidInput('身份号码不得出现在 URL 中：请以 POST 表单检索', [{ path: 'patient:identifier', message: `请 POST ${call.type}/_search，patient:identifier 放在表单（application/x-www-form-urlencoded）中` }]);
    }
    const personId = selector === 'patient:identifier' ? personIdOf(value) : await this.cursorPerson(value, client.name);
    const cursor = selector === 'patient:identifier' ? await this.openCursor(personId, client.name) : value;
    // The latest first; the ledger keeps a person's settlements in settledAt order.
    return { records: [...(await this.deps.ledger.settlementsOfPerson(personId))].reverse(), linkSelector: `_cursor=${cursor}` };
  }

  private async byId(id: string): Promise<StoredSettlement[]> {
    const stored = await readStoredClaim(this.deps.store, id);
    if (!stored) return [];
    const record = await this.deps.ledger.getSettlement(stored.hospitalId, stored.settlementId);
    return record ? [record] : [];
  }

  /**
   * `identifier=[<settlement-id system>|]<number>`: the settlement of that number in the hospital named by
   * `requestor:identifier` / `provider:identifier`, or else in each hospital the client acts for.
   */
  private async bySettlementNumber(token: string, hospitalToken: string | undefined, hospitalParameter: string, client: Client): Promise<StoredSettlement[]> {
    const number = tokenValue(token, 'identifier', SYSTEM.settlementId);
    const hospitals = hospitalToken !== undefined ? [tokenValue(hospitalToken, hospitalParameter, SYSTEM.hospitalId)] : client.hospitalIds;
    if (hospitals === '*' || hospitals.length > HOSPITALS_PER_SEARCH_MAX) {
      throw new InvalidInput(`按结算号检索须以 ${hospitalParameter} 指明医院`, [{ path: hospitalParameter, message: `结算号只在一家医院内唯一：请给出 ${SYSTEM.hospitalId}|<医院编码>` }]);
    }
    const found = await Promise.all(hospitals.map((hospitalId) => this.deps.ledger.getSettlement(hospitalId, number)));
    return found.filter((r): r is StoredSettlement => r !== null);
  }

  /** The FHIR id of a record and the Claim echo kept for it; a settlement first seen here (settled through /v1 or Kafka) gets its entry, so its id reads afterwards. */
  private async entryOf(record: StoredSettlement): Promise<{ id: string; echo: ClaimEcho | undefined }> {
    const id = fhirIdOf(record.hospitalId, record.settlementId);
    const stored = await readStoredClaim(this.deps.store, id);
    if (stored) return { id, echo: stored.echo };
    const entry: StoredClaim = { hospitalId: record.hospitalId, settlementId: record.settlementId };
    await this.deps.store.put(CLAIMS_COLLECTION, id, JSON.stringify(entry), { ifAbsent: true });
    return { id, echo: undefined };
  }

  private async openCursor(personId: string, clientName: string): Promise<string> {
    const now = this.now();
    const expired = await this.deps.store.range(CURSORS_COLLECTION, 'byCreated', 0, now - CURSOR_TTL_MS, { limit: CURSOR_PRUNE_MAX });
    for (const old of expired) await this.deps.store.delete(CURSORS_COLLECTION, old);
    const id = randomBytes(16).toString('hex');
    await this.deps.store.put(CURSORS_COLLECTION, id, JSON.stringify({ personId, client: clientName, createdMs: now }), { index: { byCreated: now } });
    return id;
  }

  /** The person of a cursor this client opened, while it lasts; any other is unknown (never whose it is). */
  private async cursorPerson(cursor: string, clientName: string): Promise<string> {
    const text = /^[0-9a-f]{32}$/.test(cursor) ? await this.deps.store.get(CURSORS_COLLECTION, cursor) : null;
    const stored = text === null ? undefined : storedCursor.parse(JSON.parse(text));
    if (!stored || stored.client !== clientName || stored.createdMs + CURSOR_TTL_MS < this.now()) {
      throw new NotFound('检索已过期或不存在，请重新检索（POST _search）');
    }
    return stored.personId;
  }
}
