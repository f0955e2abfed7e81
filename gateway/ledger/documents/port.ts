/**
 * A small document store for the state the adapters keep beside the ledger (national-interface stays
 * and message ids, deliveries, insurer claims, batches, statements): JSON texts by id in named
 * collections, with numeric indexes for range scans (by day, by hospital and day, by state…).
 * Two implementations behave identically (one test suite runs against both): Redis and memory.
 *
 * Atomicity: one `put` writes the document and its index entries together, or nothing. All keys of
 * one collection share a Redis Cluster slot, so a collection is the unit of atomicity — keep a
 * collection to one concern (e.g. `nhsa.msgid`, `insurer.claims`).
 */
export interface PutOptions {
  /** Write only when no document has this id; answers false (writing nothing) when one does. */
  ifAbsent?: boolean;
  /**
   * Index entries of this document: index name → score (e.g. `byDay` → 20240310, or epoch ms).
   * They replace every index entry the document had before, so an index always reflects the
   * latest version of each document.
   */
  index?: Record<string, number>;
}

export interface RangeOptions {
  /** Ids to skip from the start of the range (paging). */
  offset?: number;
  /** At most this many ids (default and ceiling: 1000). */
  limit?: number;
}

export interface DocumentStore {
  readonly kind: 'redis' | 'memory';
  get(collection: string, id: string): Promise<string | null>;
  getMany(collection: string, ids: readonly string[]): Promise<Array<string | null>>;
  /** True when written. */
  put(collection: string, id: string, json: string, options?: PutOptions): Promise<boolean>;
  /** Ids whose score in `index` lies in [min, max], ascending by score then id. */
  range(collection: string, index: string, min: number, max: number, options?: RangeOptions): Promise<string[]>;
  /** Removes the document and its index entries; absent is not an error. */
  delete(collection: string, id: string): Promise<void>;
}

/** Collection, id and index names become key parts: letters, digits and . _ - only (no ':' and no '{}'). */
export const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
export const RANGE_LIMIT_MAX = 1000;
