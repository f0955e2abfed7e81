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
import * as z from 'zod';
import { category, disabilityType } from '../../schemas/categories.js';
import { parseFen, parseShareText } from '../engine/money.js';
import { nhsaStayIdentity } from '../../schemas/nhsa.js';
import { InvariantViolation } from '../errors.js';
import type { RosterRow } from '../../schemas/roster.js';
import { moneyText } from '../../schemas/primitives.js';
import { ENCOUNTER_KINDS, layer, reversalNote, type ReversalNote, type Split } from '../../schemas/settlement.js';
import { eventData } from './event-data.js';
import type { SETTLEMENT_EVENT_TYPES } from '../../schemas/messages.js';
import type { RawSettlement } from './raw.js';

/** The version every record written now carries. A change to what is stored adds a version and its reader. */
export const RECORD_VERSION = 2;

/** The version of a stored form that may predate versioning (an event's data): absent = 1. */
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

/** A stored request's JSON, read by its version's reader. */
export function readStoredRequest(requestJson: string, version: number): StoredRequest {
  return storedRequestOf(JSON.parse(requestJson), version);
}

/** A stored request already decoded (an outbox event's data carries it as JSON), read by its version's reader. */
export function storedRequestOf(request: unknown, version: number): StoredRequest {
  const reader = READERS[version];
  if (!reader) throw new InvariantViolation(`stored record version ${version} has no reader (this release knows 1..${RECORD_VERSION})`);
  const parsed = reader.safeParse(request);
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

/**
 * The split as versions 1 and 2 stored it: the contract's split of those releases, frozen here so that a
 * later change to the live schema cannot refuse what was stored (a field the split gains later is a new
 * version, with its reader and, where the new field is required, an upgrader filling it). Typed as today's
 * `Split`: the type checker says when a change to the contract needs one.
 */
const storedLineV1 = z.object({
  layer,
  programme: z.string(),
  payer: z.string(),
  fundPayType: z.string().optional(),
  mode: z.enum(['given', 'computed']),
  amount: moneyText,
  explanation: z.array(z.string()),
});

const storedSplitV1 = z.object({
  gatewayId: z.string(),
  settlementId: z.string(),
  hospitalId: z.string(),
  personId: z.string(),
  status: z.enum(['preview', 'settled', 'reversed']),
  currency: z.literal('CNY'),
  total: moneyText,
  outOfScope: moneyText,
  overLimit: moneyText,
  preSelfPay: moneyText,
  compliant: moneyText,
  lines: z.array(storedLineV1),
  benefits: z.array(z.object({ programme: z.string(), kind: z.string(), amount: moneyText, paidTo: z.literal('patient'), explanation: z.array(z.string()).optional() })),
  patientPays: moneyText,
  policyVersions: z.record(z.string(), z.string()),
  settledAt: z.string().optional(),
  reversedAt: z.string().optional(),
  reversal: reversalNote.optional(),
});

const SPLIT_READERS: Record<number, z.ZodType<Split>> = { 1: storedSplitV1, 2: storedSplitV1 };

function readStoredSplit(splitJson: string, version: number): Split {
  const reader = SPLIT_READERS[version];
  if (!reader) throw new InvariantViolation(`stored record version ${version} has no split reader (this release knows 1..${RECORD_VERSION})`);
  const parsed = reader.safeParse(JSON.parse(splitJson));
  if (!parsed.success) {
    throw new InvariantViolation(`a version ${version} stored split is unreadable: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.code}`).join('; ')}`);
  }
  return parsed.data;
}

/**
 * What the programme operations read of a stored record (operations/records.ts): the split's amounts and
 * programmes and three request fields — not the explanations, nor the items, which a pass over a city's
 * year would otherwise decode 10⁶ times. The versions' own readers above, narrowed: a record readable in
 * full reads the same here.
 */
const splitFiguresV1 = storedSplitV1.pick({ total: true, outOfScope: true, overLimit: true, patientPays: true, policyVersions: true }).extend({
  lines: z.array(storedLineV1.pick({ layer: true, programme: true, amount: true })),
  benefits: z.array(z.object({ programme: z.string(), kind: z.string(), amount: moneyText })),
});
const requestFactsV1 = z.object({
  hospital: storedRequestV1.shape.hospital.pick({ name: true }),
  patient: storedRequestV1.shape.patient.pick({ categories: true }),
  encounter: storedRequestV1.shape.encounter.pick({ dischargedOn: true }),
});
export interface StoredFigures { split: z.output<typeof splitFiguresV1>; request: z.output<typeof requestFactsV1> }
const FIGURES_READERS: Record<number, { split: typeof splitFiguresV1; request: typeof requestFactsV1 }> = {
  1: { split: splitFiguresV1, request: requestFactsV1 }, 2: { split: splitFiguresV1, request: requestFactsV1 },
};

function readFigures<T>(json: string, reader: z.ZodType<T>, what: string, version: number): T {
  const parsed = reader.safeParse(JSON.parse(json));
  if (!parsed.success) {
    throw new InvariantViolation(`a version ${version} stored ${what} is unreadable: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.code}`).join('; ')}`);
  }
  return parsed.data;
}

/**
 * A committed settlement as everyone outside the ledger reads it: typed, its split and request read by the
 * record's version. Both are decoded on first use only, so the hot paths (a commit, which already holds its
 * split; a replay over HTTP, which answers `firstAnswer`) decode nothing they do not send.
 */
export class StoredSettlement {
  readonly gatewayId: string;
  readonly hospitalId: string;
  readonly settlementId: string;
  readonly personId: string;
  readonly bodyHash: string;
  readonly status: 'settled' | 'reversed';
  readonly deltas: Readonly<Record<string, number>>;
  readonly settledAt: string;
  readonly reversedAt: string | undefined;
  readonly reversal: ReversalNote | undefined;
  /** The version of the stored form (1 for records written before versioning). */
  readonly recordVersion: number;
  readonly #splitJson: string;
  readonly #requestJson: string;
  #firstSplit: Split | undefined;
  #firstAnswerBytes: Buffer | undefined;
  #request: StoredRequest | undefined;

  /**
   * `firstSplit`: the split as first answered, when the caller already holds it (a commit), so it is not decoded again;
   * `firstAnswerBytes`: its JSON's UTF-8 bytes, when the ledger encoded them to store them (Redis), so the answer is not encoded again.
   */
  constructor(raw: RawSettlement, firstSplit?: Split, firstAnswerBytes?: Buffer) {
    this.gatewayId = raw.gatewayId;
    this.hospitalId = raw.hospitalId;
    this.settlementId = raw.settlementId;
    this.personId = raw.personId;
    this.bodyHash = raw.bodyHash;
    this.status = raw.status;
    this.deltas = { ...raw.deltas };
    this.settledAt = raw.settledAt;
    this.reversedAt = raw.reversedAt;
    this.reversal = raw.reversal;
    this.recordVersion = raw.recordVersion ?? 1;
    this.#splitJson = raw.splitJson;
    this.#requestJson = raw.requestJson;
    this.#firstSplit = firstSplit;
    this.#firstAnswerBytes = firstAnswerBytes;
  }

  /** The split as first answered, byte for byte: what an idempotent replay sends while the settlement is in force. */
  get firstAnswer(): string { return this.#splitJson; }

  /** `firstAnswer` as UTF-8, what HTTP sends: after a commit to Redis the very bytes it stored (~3 KB a settlement, encoded once). */
  firstAnswerBytes(): Buffer {
    this.#firstAnswerBytes ??= Buffer.from(this.#splitJson, 'utf8');
    return this.#firstAnswerBytes;
  }

  /** The split with the record's current status (a reversal adds status, reversedAt and its note). */
  get split(): Split {
    this.#firstSplit ??= readStoredSplit(this.#splitJson, this.recordVersion);
    if (this.status === 'settled') return this.#firstSplit;
    return {
      ...this.#firstSplit, status: 'reversed',
      ...(this.reversedAt ? { reversedAt: this.reversedAt } : {}),
      ...(this.reversal ? { reversal: this.reversal } : {}),
    };
  }

  /** The request as its version's reader reads it: what the slip, the 2304 mapping and FHIR need. */
  get request(): StoredRequest {
    this.#request ??= readStoredRequest(this.#requestJson, this.recordVersion);
    return this.#request;
  }

  /** The amounts and the request fields the programme operations read (StoredFigures), decoded alone, each call. */
  figures(): StoredFigures {
    const reader = FIGURES_READERS[this.recordVersion];
    if (!reader) throw new InvariantViolation(`stored record version ${this.recordVersion} has no reader (this release knows 1..${RECORD_VERSION})`);
    return {
      split: readFigures(this.#splitJson, reader.split, 'split', this.recordVersion),
      request: readFigures(this.#requestJson, reader.request, 'request', this.recordVersion),
    };
  }

  /** The request as sent, untyped: the idempotency check compares a re-serialised body with it. */
  sentRequest(): unknown { return JSON.parse(this.#requestJson); }

  /** The request brought to today's shape (upgradeStoredRequest), for the engine to run again; the caller parses it with today's schema. */
  upgradedRequest(): unknown { return upgradeStoredRequest(JSON.parse(this.#requestJson), this.recordVersion); }

  /** The data of this record's outbox event (event-data.ts): the stored texts as they are, for a relay or a republish. */
  eventData(type: (typeof SETTLEMENT_EVENT_TYPES)[number]): string {
    return eventData(type, {
      gatewayId: this.gatewayId, hospitalId: this.hospitalId, settlementId: this.settlementId, personId: this.personId, bodyHash: this.bodyHash,
      status: this.status, splitJson: this.#splitJson, requestJson: this.#requestJson, deltas: { ...this.deltas }, settledAt: this.settledAt,
      ...(this.reversedAt === undefined ? {} : { reversedAt: this.reversedAt }), ...(this.reversal === undefined ? {} : { reversal: this.reversal }),
      recordVersion: this.recordVersion,
    });
  }
}
