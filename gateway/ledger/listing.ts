/**
 * Listing settlements by time: the query both ledgers answer, and the merge of per-bucket time indexes
 * into one time order. Reconciliation (3201/3202), the desk's day list and programme reports read
 * through here, in bounded pages, so a year of a city (~10⁶ records) streams in constant memory.
 */
import { invariant } from '../errors.js';

export interface SettlementQuery {
  /** Inclusive: an ISO instant with offset, or a date YYYY-MM-DD read as its 00:00 in China (+08:00). */
  from: string;
  /** Exclusive, the same forms. */
  to: string;
  /** Which instant places a record in the period: when it was settled (default) or reversed. */
  by?: 'settledAt' | 'reversedAt';
  hospitalId?: string;
  /**
   * Only the records of this part of the persons, for a pass shared out over processes: the parts of one
   * count hold every person exactly once, with all their records. Which persons form a part is the ledger's
   * choice: Redis reads only the buckets b ≡ index (mod count), so a part reads its own share of the
   * listing rather than all of it and filtering; memory hashes the person's ID.
   */
  part?: PersonPart;
}

export interface PersonPart { index: number; count: number }

export function checkPart(part: PersonPart): void {
  invariant(Number.isInteger(part.count) && part.count >= 1 && part.count <= 1024, () => `a listing's part count ${part.count} must be an integer in 1..1024`);
  invariant(Number.isInteger(part.index) && part.index >= 0 && part.index < part.count, () => `a listing's part ${part.index} is not one of ${part.count}`);
}

/** The buckets a part reads: b ≡ index (mod count); all of them without a part. */
export function bucketsOfPart(buckets: readonly number[], part: PersonPart | undefined): number[] {
  if (!part) return [...buckets];
  checkPart(part);
  return buckets.filter((bucket) => bucket % part.count === part.index);
}

/** The cells of a ledger without buckets (memory): persons hashed into this many, as Redis's into its buckets. */
export const PERSON_CELLS = 16;

/** The cell of a person in a ledger without buckets: FNV-1a of the ID, stable across processes and releases. */
export function personCell(personId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < personId.length; i++) {
    h ^= personId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % PERSON_CELLS;
}

/** Whether a person is in the part, for a ledger without buckets: their cell ≡ index (mod count), as a Redis part's buckets (so a part's listing holds its cells' day projections' persons). */
export function personInPart(personId: string, part: PersonPart | undefined): boolean {
  return !part || personCell(personId) % part.count === part.index;
}

/** Records per page read from each bucket (and per batch of record reads). */
export const LISTING_PAGE = 500;
/** A person's settlements are few; this bounds one answer all the same. */
export const PERSON_SETTLEMENTS_MAX = 10_000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds of an instant or of a date's midnight in China. */
export function instantMs(text: string): number {
  invariant(DATE.test(text) || INSTANT.test(text), () => `${JSON.stringify(text)} is neither a date YYYY-MM-DD nor an ISO instant with offset`);
  const ms = Date.parse(DATE.test(text) ? `${text}T00:00:00+08:00` : text);
  invariant(Number.isSafeInteger(ms), () => `${JSON.stringify(text)} is not a valid date`);
  return ms;
}

export function queryRange(query: SettlementQuery): { fromMs: number; toMs: number } {
  const fromMs = instantMs(query.from);
  const toMs = instantMs(query.to);
  invariant(fromMs <= toMs, 'a listing period ends after it starts');
  return { fromMs, toMs };
}

/** The instant that places a record in a listing, or null when it has none (not reversed). */
export function recordInstantMs(record: { settledAt: string; reversedAt?: string | undefined }, by: SettlementQuery['by'] = 'settledAt'): number | null {
  const text = by === 'reversedAt' ? record.reversedAt : record.settledAt;
  return text === undefined ? null : Date.parse(text);
}

/** Index members name the record within its bucket: "<hospitalId>:<settlementId>" (neither holds ':'). */
export const indexMember = (hospitalId: string, settlementId: string): string => `${hospitalId}:${settlementId}`;

export function parseIndexMember(member: string): { hospitalId: string; settlementId: string } {
  const colon = member.indexOf(':');
  invariant(colon > 0, () => `index member ${JSON.stringify(member)} is malformed`);
  return { hospitalId: member.slice(0, colon), settlementId: member.slice(colon + 1) };
}

export interface IndexEntry { score: number; member: string; bucket: number }

/** One page of a bucket's index after `offset` entries: what the Redis ledger reads with ZRANGEBYSCORE … LIMIT. */
export type PageReader = (bucket: number, offset: number, count: number) => Promise<Array<{ score: number; member: string }>>;

/**
 * Merges the buckets' time indexes into one order (time, then member), reading each bucket a page at
 * a time. Offsets, not score cursors, so entries with equal times are neither skipped nor repeated;
 * an entry added during the listing may or may not be seen, as with any paged read.
 */
export async function* mergeBuckets(buckets: readonly number[], readPage: PageReader): AsyncGenerator<IndexEntry> {
  const heads = buckets.map((bucket) => ({ bucket, offset: 0, buffer: [] as Array<{ score: number; member: string }>, done: false }));
  const fill = async (head: (typeof heads)[number]) => {
    if (head.buffer.length > 0 || head.done) return;
    const page = await readPage(head.bucket, head.offset, LISTING_PAGE);
    head.offset += page.length;
    head.buffer = page;
    if (page.length < LISTING_PAGE) head.done = true;
  };
  await Promise.all(heads.map(fill));
  for (;;) {
    let best: (typeof heads)[number] | undefined;
    for (const head of heads) {
      const first = head.buffer[0];
      if (!first) continue;
      const top = best?.buffer[0];
      if (!top || first.score < top.score || (first.score === top.score && first.member < top.member)) best = head;
    }
    if (!best) return;
    const entry = best.buffer.shift();
    invariant(entry !== undefined, 'merge head without an entry');
    yield { ...entry, bucket: best.bucket };
    await fill(best);
  }
}
