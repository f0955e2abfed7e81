/**
 * Checks both ledgers run on their inputs before touching any state, so the two implementations
 * refuse exactly the same things. A failure is a caller bug (the engine and the schemas produce valid
 * input), hence InvariantViolation rather than a 400.
 */
import { invariant } from '../errors.js';
import { ROSTER_LIMITS, type RosterRow } from '../../schemas/roster.js';
import { assertKeyPart, isKeyPart } from './keys.js';
import type { NewSettlement, OutboxEventHead } from './port.js';

/** The accumulator hash's version field; a delta may not name it. */
export const VERSION_FIELD = '_v';

/** Whether the text holds a control character (C0 or DEL). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

const OUTBOX_LIMITS = { countPerRead: 10_000, blockMs: 60_000, idsPerAck: 10_000 } as const;

export function checkDeltas(deltas: Record<string, number>): void {
  for (const [field, delta] of Object.entries(deltas)) {
    // No control characters: a field travels in the Redis commit's packed head, whose separator is a line break (codec.ts).
    invariant(field.length > 0 && field.length <= 200 && field !== VERSION_FIELD && !hasControl(field), () => `delta field ${JSON.stringify(field)} is not allowed`);
    // Fen are integers; accumulators are read back as JS numbers, so stay within the safe range.
    invariant(Number.isSafeInteger(delta), () => `delta ${field}=${delta} is not a safe integer`);
  }
}

export function checkCommit(record: NewSettlement, expectedVersion: number, event: OutboxEventHead): void {
  assertKeyPart('hospitalId', record.hospitalId);
  assertKeyPart('settlementId', record.settlementId);
  assertKeyPart('personId', record.personId);
  invariant(record.split.status === 'settled', 'a commit stores a settled split');
  invariant(Number.isSafeInteger(expectedVersion) && expectedVersion >= 0, `expectedVersion ${expectedVersion} is not a version`);
  checkDeltas(record.deltas);
  checkEvent(event, 'settlement.settled', record.hospitalId, record.settlementId);
  invariant(event.personId === record.personId, 'the event is about another person than the record');
}

function checkEvent(event: OutboxEventHead, type: OutboxEventHead['type'], hospitalId: string, settlementId: string): void {
  invariant(event.type === type, () => `expected a ${type} event, got ${event.type}`);
  invariant(event.hospitalId === hospitalId && event.settlementId === settlementId, 'the event is about another settlement');
}

/**
 * Lookups (GET, reversal) may carry ids straight from a URL. Nothing can have been stored under an id
 * that is not a safe key part (commits refuse them), so such a lookup is simply not found — not a bug.
 */
export function isStorableSettlementId(hospitalId: string, settlementId: string): boolean {
  return isKeyPart(hospitalId) && isKeyPart(settlementId);
}

export function checkReverse(hospitalId: string, settlementId: string, event: OutboxEventHead): void {
  checkEvent(event, 'settlement.reversed', hospitalId, settlementId);
}

export function checkRoster(rosterId: string, rows: readonly RosterRow[]): void {
  assertKeyPart('rosterId', rosterId);
  invariant(rows.length <= ROSTER_LIMITS.rowsPerCall, `${rows.length} roster rows exceed ${ROSTER_LIMITS.rowsPerCall} per call`);
  for (const row of rows) assertKeyPart('personId', row.personId);
}

export function checkRead(consumer: string, count: number, blockMs: number): void {
  invariant(/^[A-Za-z0-9._-]{1,64}$/.test(consumer), `consumer ${JSON.stringify(consumer)} is not a consumer name`);
  invariant(Number.isInteger(count) && count >= 1 && count <= OUTBOX_LIMITS.countPerRead, `count ${count} out of 1..${OUTBOX_LIMITS.countPerRead}`);
  invariant(Number.isInteger(blockMs) && blockMs >= 0 && blockMs <= OUTBOX_LIMITS.blockMs, `blockMs ${blockMs} out of 0..${OUTBOX_LIMITS.blockMs}`);
}

export function checkAck(entryIds: readonly string[]): void {
  invariant(entryIds.length <= OUTBOX_LIMITS.idsPerAck, `${entryIds.length} ids exceed ${OUTBOX_LIMITS.idsPerAck} per ack`);
}

/**
 * A person's rows of one roster are keyed by their period: merging a row for a period the person already
 * has replaces it (a corrected row), a new period adds a row (cover is the union of periods).
 */
function rosterRowKey(row: RosterRow): string { return `${row.from}|${row.to}`; }

/** Rows grouped by person, later rows of the same period winning, in first-seen person order. */
export function rowsByPerson(rows: readonly RosterRow[]): Map<string, Map<string, RosterRow>> {
  const byPerson = new Map<string, Map<string, RosterRow>>();
  for (const row of rows) {
    let periods = byPerson.get(row.personId);
    if (!periods) byPerson.set(row.personId, (periods = new Map()));
    periods.set(rosterRowKey(row), row);
  }
  return byPerson;
}

/** Rows in period order, the order both ledgers answer in. */
export function sortedRows(periods: Iterable<[string, RosterRow]>): RosterRow[] {
  return [...periods].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}
