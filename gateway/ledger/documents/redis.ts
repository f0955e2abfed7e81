/**
 * The document store on Redis (standalone or Cluster). Key layout (prefix `gw`, c = collection):
 *
 *   gw:doc:{c}:d:<id>       string  the document (JSON text)
 *   gw:doc:{c}:i:<index>    zset    id scored per index
 *   gw:doc:{c}:di:<id>      set     the index names the document has entries in
 *
 * The hash tag `{c}` keeps a collection in one Cluster slot, so one script writes a document and its
 * index entries atomically. Nothing expires: adapters keep their books.
 */
import type { Cluster, Redis } from 'ioredis';
import { checkNames, checkPut, rangeLimit } from './memory.js';
import type { DocumentStore, PutOptions, RangeOptions } from './port.js';
import { callsOn, guardCalls, type KeyedCall, type ScriptCall } from '../script-guard.js';

// KEYS[1] document, KEYS[2] its index-name set; ARGV[1] the collection's index key prefix, ARGV[2] "1" = only if absent,
// ARGV[3] the JSON, then index name / score pairs. The index keys are built from ARGV[1]: asked of as ARGV[1] .. '?'.
export const WRITE_CALLS: readonly ScriptCall[] = [
  ['EXISTS', 'KEYS[1]'], ['SMEMBERS', 'KEYS[2]'], ['ZREM', "ARGV[1] .. '?'"], ['DEL', 'KEYS[2]'], ['SET', 'KEYS[1]'], ['ZADD', "ARGV[1] .. '?'"], ['SADD', 'KEYS[2]'],
];
export const WRITE_LUA = `${guardCalls(WRITE_CALLS)}
local id = ARGV[4]
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for _, name in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('ZREM', ARGV[1] .. name, id) end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[3])
for i = 5, #ARGV, 2 do
  redis.call('ZADD', ARGV[1] .. ARGV[i], ARGV[i + 1], id)
  redis.call('SADD', KEYS[2], ARGV[i])
end
return 1`;

export const DELETE_CALLS: readonly ScriptCall[] = [['SMEMBERS', 'KEYS[2]'], ['ZREM', "ARGV[1] .. '?'"], ['DEL', 'KEYS[1]'], ['DEL', 'KEYS[2]']];
export const DELETE_LUA = `${guardCalls(DELETE_CALLS)}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('ZREM', ARGV[1] .. name, ARGV[2]) end
redis.call('DEL', KEYS[1], KEYS[2])
return 1`;

interface StoreScripts {
  gwStorePut(doc: string, names: string, ...args: Array<string | number>): Promise<number>;
  gwStoreDelete(doc: string, names: string, ...args: string[]): Promise<number>;
}

export class RedisStore implements DocumentStore {
  readonly kind = 'redis' as const;
  private readonly scripts: StoreScripts;

  constructor(private readonly client: Redis | Cluster, private readonly prefix = 'gw') {
    client.defineCommand('gwStorePut', { numberOfKeys: 2, lua: WRITE_LUA });
    client.defineCommand('gwStoreDelete', { numberOfKeys: 2, lua: DELETE_LUA });
    this.scripts = client as unknown as StoreScripts;
  }

  private base(collection: string): string { return `${this.prefix}:doc:{${collection}}`; }

  /** Every call of the store's scripts, on a sample collection's keys: what start-up asks Redis's ACL about (script-guard.ts). */
  scriptCalls(): KeyedCall[] {
    const base = this.base('acl-probe');
    const keys = [`${base}:d:acl-probe`, `${base}:di:acl-probe`];
    return [...callsOn(WRITE_CALLS, keys, [`${base}:i:`]), ...callsOn(DELETE_CALLS, keys, [`${base}:i:`])];
  }

  async get(collection: string, id: string): Promise<string | null> {
    checkNames(collection, id);
    return this.client.get(`${this.base(collection)}:d:${id}`);
  }

  async getMany(collection: string, ids: readonly string[]): Promise<Array<string | null>> {
    checkNames(collection, ...ids);
    if (ids.length === 0) return [];
    const base = this.base(collection);
    return this.client.mget(ids.map((id) => `${base}:d:${id}`));
  }

  async put(collection: string, id: string, json: string, options: PutOptions = {}): Promise<boolean> {
    const index = options.index ?? {};
    checkPut(collection, id, index);
    const base = this.base(collection);
    const pairs = Object.entries(index).flatMap(([name, score]) => [name, score]);
    const written = await this.scripts.gwStorePut(`${base}:d:${id}`, `${base}:di:${id}`, `${base}:i:`, options.ifAbsent ? '1' : '0', json, id, ...pairs);
    return written === 1;
  }

  async range(collection: string, index: string, min: number, max: number, options: RangeOptions = {}): Promise<string[]> {
    checkNames(collection, index);
    const { offset, limit } = rangeLimit(options);
    return this.client.zrangebyscore(`${this.base(collection)}:i:${index}`, min, max, 'LIMIT', offset, limit);
  }

  async delete(collection: string, id: string): Promise<void> {
    checkNames(collection, id);
    const base = this.base(collection);
    await this.scripts.gwStoreDelete(`${base}:d:${id}`, `${base}:di:${id}`, `${base}:i:`, id);
  }
}
