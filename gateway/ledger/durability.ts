/**
 * Redis is the system of record here: settlements and accumulators live nowhere else until the relay
 * has published them. So at start-up the gateway asks every Redis master whether it keeps what it is
 * given: the append-only file on (RDB snapshots alone lose the minutes since the last one), fsync not
 * left to the OS, and `maxmemory-policy noeviction` (any other policy may silently drop a record or an
 * accumulator when memory runs short). INFO is used, not CONFIG, which managed Redis often disables.
 * And, while running, how full each master is: under noeviction a full master refuses every commit, and
 * the ledger keeps every settlement for ever, so its memory only grows (deploy/README.md, "Sizing").
 */
import type { Cluster, Redis } from 'ioredis';
import type { LedgerMemory } from './port.js';

const CHECK_TIMEOUT_MS = 5_000;

/** INFO text as a field map. */
function infoFields(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) map.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return map;
}

/** What one Redis node lacks to be a system of record; empty when it is durable. */
async function durabilityProblemsOf(node: Redis, name: string): Promise<string[]> {
  const info = infoFields(String(await node.info()));
  const problems: string[] = [];
  if (info.get('aof_enabled') !== '1') problems.push(`${name}: appendonly is off (set appendonly yes; RDB snapshots alone lose the settlements since the last one)`);
  const policy = info.get('maxmemory_policy');
  if (policy !== undefined && policy !== 'noeviction') problems.push(`${name}: maxmemory-policy is ${policy} (set noeviction: eviction would silently drop settlements or accumulators)`);
  // appendfsync is only visible through CONFIG; where CONFIG is disabled, the check above has to do.
  const fsync = await node.config('GET', 'appendfsync').catch(() => null);
  if (Array.isArray(fsync) && fsync[1] === 'no') problems.push(`${name}: appendfsync is no (set everysec or always)`);
  return problems;
}

/** `ask` of every master of a Cluster, or of the one server, named "host:port"; throws if Redis cannot be asked within `timeoutMs`. */
async function ofEachMaster<T>(client: Redis | Cluster, timeoutMs: number, ask: (node: Redis, name: string) => Promise<T>): Promise<T[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`Redis did not answer INFO within ${timeoutMs} ms`)), timeoutMs); });
  const each = async (): Promise<T[]> => {
    if ('nodes' in client && typeof client.nodes === 'function') {
      // A Cluster learns its masters once connected.
      if (client.status !== 'ready') await new Promise<void>((resolve, reject) => { client.once('ready', resolve); client.once('error', reject); });
      return Promise.all(client.nodes('master').map((node) => ask(node, `${node.options.host}:${node.options.port}`)));
    }
    const node = client as Redis;
    return [await ask(node, `${node.options.host}:${node.options.port}`)];
  };
  try {
    return await Promise.race([each(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What every master lacks to be a system of record; empty when all are durable. */
export async function durabilityProblems(client: Redis | Cluster): Promise<string[]> {
  return (await ofEachMaster(client, CHECK_TIMEOUT_MS, (node, name) => durabilityProblemsOf(node, `Redis ${name}`))).flat();
}

/** How full each master is: `INFO memory`'s used_memory and maxmemory (0: no limit), in bytes. */
export async function memoryOfMasters(client: Redis | Cluster, timeoutMs = CHECK_TIMEOUT_MS): Promise<LedgerMemory[]> {
  return ofEachMaster(client, timeoutMs, async (node, name) => {
    const info = infoFields(String(await node.info('memory')));
    return { node: name, usedBytes: Number(info.get('used_memory') ?? NaN), limitBytes: Number(info.get('maxmemory') ?? NaN) };
  });
}
