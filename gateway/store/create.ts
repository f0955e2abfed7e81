/** The document store beside the ledger: on the ledger's Redis connection when there is one, else in memory. */
import type { Config } from '../config.js';
import type { LedgerPort } from '../ledger/port.js';
import { MemoryStore } from './memory.js';
import type { DocumentStore } from './port.js';
import { RedisStore } from './redis.js';

export function createStore(config: Config, ledger: LedgerPort): DocumentStore {
  const client = ledger.redisClient?.();
  return client ? new RedisStore(client, config.REDIS_KEY_PREFIX) : new MemoryStore();
}
