/**
 * What the ledger stores outlives the schemas that accepted it. A record carries the version of its
 * stored form (`recordVersion`; records written before versioning have none and are version 1), and a
 * stored request is read back by that version's own tolerant reader — never by today's strict
 * `settlementRequest`, which may refuse what it accepted years ago (a stricter field would turn every
 * old slip into a 500, every old event into a dead letter). The readers take only what the slip, the
 * relay, the NHSA 2304 mapping and the FHIR ClaimResponse / ExplanationOfBenefit (per-item
 * classification included) need, and check types, not today's rules (lengths, patterns, cross-field
 * checks): an unreadable optional field is absent, never an error.
 *
 * Versions: 1 — record, request and split as accepted before versioning; 2 — the same, plus
 * `recordVersion` on the record and in the event data. Fixtures of each: test/fixtures/records/.
 */
import { z } from 'zod';
import { category, disabilityType } from '../../schemas/categories.js';
import { parseFen, parseShareText } from '../engine/money.js';
import { nhsaStayIdentity } from '../../schemas/nhsa.js';
import { InvariantViolation } from '../errors.js';
import type { RosterRow } from '../../schemas/roster.js';
import { ENCOUNTER_KINDS, type Split } from '../../schemas/settlement.js';
import type { SettlementRecord } from './port.js';

/** The version every record written now carries. A change to what is stored adds a version and its reader. */
export const RECORD_VERSION = 2;

export const recordVersionOf = (stored: { recordVersion?: number | undefined }): number => stored.recordVersion ?? 1;

/**
 * One item of a version 1 (and 2) request: amounts in fen (unreadable → 0), unknown classes as 甲. The
 * optional parts are read by the parsers the live schema used when it accepted them (parseFen,
 * parseShareText), so the engine classifies a stored item as it did then; unreadable → absent. A class A
 * or C item may carry a selfPayRatio (version 1 accepted it): the engine ignores it there.
 */
const storedItemV1 = z.object({
  code: z.string().optional().catch(undefined),
  name: z.string().catch('—'),
  amount: z.unknown().transform((v) => parseFen(v) ?? 0),
  class: z.enum(['A', 'B', 'C']).catch('A'),
  /** 超限价自费 in fen; absent means 0 to the engine. */
  overLimit: z.unknown().transform((v) => parseFen(v) ?? undefined).optional(),
  /** 乙类先行自付比例 as the live schema keeps it: canonical decimal text, multiplied exactly by the engine. */
  selfPayRatio: z.unknown().transform((v) => parseShareText(v) ?? undefined).optional(),
});

/** A stored list of categories: the ones this release knows, in order; a category since retired is dropped, not refused. */
const knownCategories = z.array(z.unknown()).catch([]).transform((list) => list.flatMap((c) => {
  const known = category.safeParse(c);
  return known.success ? [known.data] : [];
}));

/** Version 1 (and 2) requests: plain strings where today's schema has patterns; unknown categories dropped, not refused. */
const storedRequestV1 = z.object({
  settlementId: z.string(),
  hospital: z.object({ id: z.string(), region: z.string().catch(''), level: z.number().catch(0), name: z.string().optional().catch(undefined) }),
  patient: z.object({
    id: z.string(),
    name: z.string().optional().catch(undefined),
    insuredRegion: z.string().catch(''),
    scheme: z.enum(['employee', 'resident']),
    categories: knownCategories,
    disability: z.object({ grade: z.number(), type: disabilityType }).optional().catch(undefined),
  }),
  encounter: z.object({
    kind: z.enum(ENCOUNTER_KINDS),
    admittedOn: z.string(),
    dischargedOn: z.string(),
    cause: z.enum(['disease', 'accident']).catch('disease'),
    diagnoses: z.array(z.object({ icd10: z.string(), primary: z.boolean().catch(false) })).catch([]),
  }),
  /** The bill's items as the slip lists them and the FHIR adapter classifies them (engine/bill.ts). */
  items: z.array(storedItemV1).catch([]),
  /** The national identifiers of the stay, when the NHSA adapter (or the HIS) gave them; unreadable → absent. */
  nhsa: nhsaStayIdentity.optional().catch(undefined),
});

/**
 * A roster row as stored, whatever release stored it: what eligibility reads, types checked, never today's
 * rules (attribute names and lengths, control characters, the order of from and to). Before, a row an older
 * release accepted and today's `rosterRow` refuses made every settlement of that person a 500.
 */
const storedRosterRow = z.object({
  personId: z.string(),
  from: z.string(),
  to: z.string(),
  categories: knownCategories,
  preExisting: z.boolean().catch(false),
  attributes: z.record(z.string(), z.string()).catch({}),
});

/** One stored roster row's JSON, read tolerantly (above); an unreadable one is an invariant failure naming the field. */
export function readStoredRosterRow(json: string): RosterRow {
  const parsed = storedRosterRow.safeParse(JSON.parse(json));
  if (!parsed.success) throw new InvariantViolation(`a stored roster row is unreadable: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.code}`).join('; ')}`);
  return parsed.data;
}

/** A stored request as the slip and the relay read it, whatever version stored it. */
export type StoredRequest = z.output<typeof storedRequestV1>;

const READERS: Record<number, z.ZodType<StoredRequest>> = { 1: storedRequestV1, 2: storedRequestV1 };

export function readStoredRequest(requestJson: string, version: number): StoredRequest {
  const reader = READERS[version];
  if (!reader) throw new InvariantViolation(`stored record version ${version} has no reader (this release knows 1..${RECORD_VERSION})`);
  const parsed = reader.safeParse(JSON.parse(requestJson));
  if (!parsed.success) {
    throw new InvariantViolation(`a version ${version} stored request is unreadable: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.code}`).join('; ')}`);
  }
  return parsed.data;
}

/**
 * A stored request brought to today's request shape so the engine can run it again (what-if): the changes
 * the request schema made since a version was written, undone where the engine's answer cannot depend on
 * them. Versions 1 and 2 accepted `selfPayRatio` on class A and C items, which the engine never read (only
 * 乙类 is pre-self-paid); today's schema refuses it. Anything else today's schema refuses stays refused: the
 * caller says how many records it could not replay.
 */
export function upgradeStoredRequest(request: unknown, version: number): unknown {
  if (version > RECORD_VERSION) throw new InvariantViolation(`stored record version ${version} has no upgrade (this release knows 1..${RECORD_VERSION})`);
  if (typeof request !== 'object' || request === null || !('items' in request) || !Array.isArray(request.items)) return request;
  const items: unknown[] = request.items.map((item: unknown) => {
    if (typeof item !== 'object' || item === null || !('selfPayRatio' in item) || ('class' in item && item.class === 'B')) return item;
    const { selfPayRatio: _ignored, ...rest } = item;
    return rest;
  });
  return { ...request, items };
}

/** The split as stored, with the record's current status (a reversal adds status, reversedAt and its note). */
export function currentSplit(record: SettlementRecord): Split {
  if (record.status === 'settled') return JSON.parse(record.splitJson) as Split;
  return {
    ...(JSON.parse(record.splitJson) as Split), status: 'reversed',
    ...(record.reversedAt ? { reversedAt: record.reversedAt } : {}),
    ...(record.reversal ? { reversal: record.reversal } : {}),
  };
}
