/**
 * Moves a ledger of key layout 1 (`{b<n>}` tags, in whatever 16 slots CRC16 gives them) to layout 2 (the same
 * 16 buckets, each tag standing in its own sixteenth of the slot space, keys.ts), so that the data spreads over
 * every master of a Cluster. Each person keeps their bucket, so each key keeps its name but for the tag: the
 * move is key by key, DUMP → RESTORE (REPLACE) under the new tag → DEL, which keeps streams with their
 * consumer group and pending entries, and the outbox entry ids (`<bucket>/<stream id>`) the relay holds.
 *
 * Offline, not online: layout 1's and layout 2's tags of a bucket lie in different slots, so no Lua script
 * can move a bucket atomically beside a commit, and a running gateway reads the layout once and keeps it.
 * Hence: the gateways are stopped first (the migration refuses while it sees one connected), the marker
 * says `moving …` for the whole run (a gateway started meanwhile answers 503 and reads the layout again on
 * its next call), and the marker says `2 16` only once no key of layout 1 is left.
 *
 * Idempotent and resumable: a key is deleted only after its copy is written, a copy replaces whatever an
 * interrupted run left, a key already moved is not found again; run it again after a crash and it finishes.
 */
import { Cluster, type Redis } from 'ioredis';
import { CURRENT_KEY_LAYOUT, isMovingMarker, KeySpace, LAYOUT_1_BUCKETS, layout1Pattern, movingMarker } from './keys.js';
import { scanKeys } from './scan.js';

/** What the gateway's connection is named (storage.ts), so that the migration can see a gateway still connected. */
export const GATEWAY_CONNECTION_NAME = 'settlement-gateway';

/** Keys moved at once: bounded, so a page of a large SCAN does not flood the connection. */
const MOVES_AT_ONCE = 100;

export interface MigrationOptions {
  /** Move the keys; without it the migration only counts what it would move (a dry run). */
  apply: boolean;
  /** The operator says every gateway is stopped, where Redis does not let this user list its clients (CLIENT LIST). */
  gatewaysStopped?: boolean;
}

export interface MigrationReport {
  /** What was found: no data yet; layout 1 (or a migration left half-way); layout 2 already. */
  found: 'empty' | 'layout-1' | 'moving' | 'layout-2';
  applied: boolean;
  /** The keys of layout 1 found, by kind (`acc`, `stl`, `outbox`, `settled`, `reversed`, `person`, `roster`) and by bucket. */
  keys: { total: number; byKind: Record<string, number>; byBucket: number[] };
  /** Keys moved by this run; keys the scan found again after moving them (a SCAN may repeat a key). */
  moved: number;
  alreadyMoved: number;
  /** The layout marker after the run. */
  marker: string | null;
}

/** The migration will not go on, and says what the operator must do (nothing was written, or the ledger stays closed until a run finishes). */
export class MigrationRefused extends Error {
  constructor(message: string) { super(message); this.name = 'MigrationRefused'; }
}

/** Connections named as the gateway's, on every master; null when this user may not list clients. */
async function connectedGateways(client: Redis | Cluster): Promise<number | null> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  let count = 0;
  for (const node of nodes) {
    let listing: unknown;
    try {
      listing = await node.call('CLIENT', 'LIST', 'TYPE', 'normal');
    } catch {
      return null;
    }
    const lines = typeof listing === 'string' ? listing.split('\n') : [];
    count += lines.filter((line) => line.split(' ').includes(`name=${GATEWAY_CONNECTION_NAME}`)).length;
  }
  return count;
}

/** Moves one key under its new name; `gone` when an earlier pass (or run) moved it already. */
async function moveKey(client: Redis | Cluster, from: string, to: string): Promise<'moved' | 'gone'> {
  const [payload, ttlMs] = await Promise.all([client.dumpBuffer(from), client.pttl(from)]);
  if (payload === null) return 'gone';
  // The copy first, replacing what an interrupted run may have left; the original goes only once the copy stands.
  await client.restore(to, ttlMs > 0 ? ttlMs : 0, payload, 'REPLACE');
  await client.del(from);
  return 'moved';
}

/** A layout-1 key's bucket and the rest of its name, or null for a key that only looks like one (`{b1x}`). */
function layout1KeyOf(key: string, bucketOf: ReadonlyMap<string, number>): { bucket: number; rest: string } | null {
  const close = key.indexOf('}');
  const bucket = close < 0 ? undefined : bucketOf.get(key.slice(0, close + 1));
  return bucket === undefined ? null : { bucket, rest: key.slice(close + 1) };
}

async function hasAny(client: Redis | Cluster, pattern: string, matches: (key: string) => boolean): Promise<boolean> {
  for await (const page of scanKeys(client, pattern)) if (page.some(matches)) return true;
  return false;
}

/** Counts (dry run) or moves (apply) the ledger's keys of layout 1 under `prefix` to layout 2. */
export async function migrateToLayout2(client: Redis | Cluster, prefix: string, options: MigrationOptions): Promise<MigrationReport> {
  const legacy = new KeySpace(prefix, LAYOUT_1_BUCKETS, 1);
  const target = new KeySpace(prefix, LAYOUT_1_BUCKETS, CURRENT_KEY_LAYOUT);
  const bucketOf = new Map(Array.from({ length: LAYOUT_1_BUCKETS }, (_, b) => [legacy.bucketPrefix(b), b] as const));
  const marker = legacy.layoutMarker();
  const before = await client.get(marker);

  const byKind: Record<string, number> = {};
  const keys = { total: 0, byKind, byBucket: Array.from({ length: LAYOUT_1_BUCKETS }, () => 0) };
  const count = (found: { bucket: number; rest: string }): void => {
    const kind = found.rest.split(':')[1] ?? '';
    keys.total += 1;
    keys.byKind[kind] = (keys.byKind[kind] ?? 0) + 1;
    keys.byBucket[found.bucket] = (keys.byBucket[found.bucket] ?? 0) + 1;
  };
  const report = (found: MigrationReport['found'], moved: number, alreadyMoved: number, after: string | null): MigrationReport =>
    ({ found, applied: options.apply, keys, moved, alreadyMoved, marker: after });

  const isLayout1 = (key: string): boolean => layout1KeyOf(key, bucketOf) !== null;
  const besideLayout2 = (): MigrationRefused =>
    new MigrationRefused(`${marker} reads "${before ?? ''}" but keys of layout 1 lie beside it: a gateway of a release before layout 2 wrote them; stop it and look at them before anything else`);

  if (!options.apply) {
    for await (const page of scanKeys(client, layout1Pattern(prefix))) {
      for (const key of page) {
        const found = layout1KeyOf(key, bucketOf);
        if (found) count(found);
      }
    }
    const state = before === null ? (keys.total > 0 ? 'layout-1' : 'empty') : isMovingMarker(before) ? 'moving' : 'layout-2';
    if (state === 'layout-2' && keys.total > 0) throw besideLayout2();
    return report(state, 0, 0, before);
  }

  if (before !== null && !isMovingMarker(before)) {
    if (await hasAny(client, layout1Pattern(prefix), isLayout1)) throw besideLayout2();
    return report('layout-2', 0, 0, before);
  }
  // An empty ledger is left unmarked: the first gateway marks it with its own bucket count.
  if (before === null && !(await hasAny(client, layout1Pattern(prefix), isLayout1))) return report('empty', 0, 0, null);
  const gateways = await connectedGateways(client);
  if (gateways !== null && gateways > 0) throw new MigrationRefused(`${gateways} gateway connection(s) (name=${GATEWAY_CONNECTION_NAME}) are open: stop every gateway first — a running gateway keeps reading and writing layout 1`);
  if (gateways === null && !options.gatewaysStopped) throw new MigrationRefused('this Redis user may not list clients (CLIENT LIST), so a running gateway cannot be seen: stop every gateway, then run again with --gateways-stopped');

  // From here until the end the ledger is closed to gateways: a crash leaves it so, and running again finishes the move.
  await client.set(marker, movingMarker(LAYOUT_1_BUCKETS));
  let moved = 0;
  let alreadyMoved = 0;
  for await (const page of scanKeys(client, layout1Pattern(prefix))) {
    for (let at = 0; at < page.length; at += MOVES_AT_ONCE) {
      const outcomes = await Promise.all(page.slice(at, at + MOVES_AT_ONCE).map(async (key) => {
        const found = layout1KeyOf(key, bucketOf);
        if (!found) return 'foreign';
        count(found);
        return moveKey(client, key, `${target.bucketPrefix(found.bucket)}${found.rest}`);
      }));
      moved += outcomes.filter((o) => o === 'moved').length;
      alreadyMoved += outcomes.filter((o) => o === 'gone').length;
    }
  }
  for await (const page of scanKeys(client, layout1Pattern(prefix))) {
    const left = page.filter(isLayout1);
    if (left.length > 0) throw new MigrationRefused(`keys of layout 1 appeared while the migration ran (${left.slice(0, 3).join(', ')}…): a gateway is writing; stop it and run the migration again (the ledger stays closed until then)`);
  }
  const after = `${CURRENT_KEY_LAYOUT} ${LAYOUT_1_BUCKETS}`;
  await client.set(marker, after);
  return report(before === null ? (keys.total > 0 ? 'layout-1' : 'empty') : 'moving', moved, alreadyMoved, after);
}
