/** The document store in memory: the embedded default and the reference the Redis store is tested against. */
import { invariant } from '../../errors.js';
import { RANGE_LIMIT_MAX, STORE_NAME, type DocumentStore, type PutOptions, type RangeOptions } from './port.js';

interface Collection {
  docs: Map<string, string>;
  /** index name → id → score */
  indexes: Map<string, Map<string, number>>;
  /** id → the index names it has entries in */
  indexedIn: Map<string, Set<string>>;
}

export function checkNames(...names: string[]): void {
  for (const name of names) invariant(STORE_NAME.test(name), () => `store name ${JSON.stringify(name)} must match ${String(STORE_NAME)}`);
}

/** Names and scores of a put, checked the same way by both stores. */
export function checkPut(collection: string, id: string, index: Record<string, number>): void {
  checkNames(collection, id, ...Object.keys(index));
  for (const score of Object.values(index)) invariant(Number.isSafeInteger(score), 'index scores are safe integers');
}

export function rangeLimit(options: RangeOptions): { offset: number; limit: number } {
  const offset = options.offset ?? 0;
  const limit = Math.min(options.limit ?? RANGE_LIMIT_MAX, RANGE_LIMIT_MAX);
  invariant(Number.isInteger(offset) && offset >= 0 && Number.isInteger(limit) && limit >= 1, 'range offset ≥ 0 and limit ≥ 1, integers');
  return { offset, limit };
}

export class MemoryStore implements DocumentStore {
  readonly kind = 'memory' as const;
  private readonly collections = new Map<string, Collection>();

  private collection(name: string): Collection {
    let c = this.collections.get(name);
    if (!c) { c = { docs: new Map(), indexes: new Map(), indexedIn: new Map() }; this.collections.set(name, c); }
    return c;
  }

  async get(collection: string, id: string): Promise<string | null> {
    checkNames(collection, id);
    return this.collection(collection).docs.get(id) ?? null;
  }

  async getMany(collection: string, ids: readonly string[]): Promise<Array<string | null>> {
    checkNames(collection, ...ids);
    const c = this.collection(collection);
    return ids.map((id) => c.docs.get(id) ?? null);
  }

  async put(collection: string, id: string, json: string, options: PutOptions = {}): Promise<boolean> {
    const index = options.index ?? {};
    checkPut(collection, id, index);
    const c = this.collection(collection);
    if (options.ifAbsent && c.docs.has(id)) return false;
    this.unindex(c, id);
    c.docs.set(id, json);
    const names = new Set<string>();
    for (const [name, score] of Object.entries(index)) {
      let entries = c.indexes.get(name);
      if (!entries) { entries = new Map(); c.indexes.set(name, entries); }
      entries.set(id, score);
      names.add(name);
    }
    c.indexedIn.set(id, names);
    return true;
  }

  async range(collection: string, index: string, min: number, max: number, options: RangeOptions = {}): Promise<string[]> {
    checkNames(collection, index);
    const { offset, limit } = rangeLimit(options);
    const entries = this.collection(collection).indexes.get(index);
    if (!entries) return [];
    return [...entries]
      .filter(([, score]) => score >= min && score <= max)
      // Redis orders equal scores by member bytes; compare the same way.
      .sort(([a, sa], [b, sb]) => sa - sb || Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .slice(offset, offset + limit)
      .map(([id]) => id);
  }

  async delete(collection: string, id: string): Promise<void> {
    checkNames(collection, id);
    const c = this.collection(collection);
    this.unindex(c, id);
    c.docs.delete(id);
  }

  private unindex(c: Collection, id: string): void {
    for (const name of c.indexedIn.get(id) ?? []) c.indexes.get(name)?.delete(id);
    c.indexedIn.delete(id);
  }
}
