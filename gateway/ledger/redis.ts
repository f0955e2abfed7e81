/**
 * The ledger on Redis (standalone or Cluster), ioredis 5.
 *
 * Key layout (prefix `gw`, `b` = bucket = first 4 bytes of sha1(personId) as uint32 mod outboxShards; `{t<b>}` its
 * hash tag, `{s<b>-<k>}` in layout 2 and `{b<b>}` in layout 1, see keys.ts):
 *
 *   gw:{t<b>}:acc:<personId>                         hash   counters (fen) + `_v`, the accumulator version
 *   gw:{t<b>}:stl:<hospitalId>:<settlementId>        hash   the settlement record (deltas as a JSON string)
 *   gw:{t<b>}:outbox                                 stream outbox shard; consumer group `relay`
 *   gw:{t<b>}:settled | :reversed                    zset   the bucket's settlements by settledAt | reversedAt (epoch ms) → "<hospitalId>:<settlementId>"
 *   gw:{t<b>}:person:<personId>                      zset   the person's settlements by settledAt, same members
 *   gw:{t<b>}:roster:<rosterId>:<personId>           hash   one person's rows of a roster: "<from>|<to>" → row JSON
 *   gw:idx:<hospitalId>:<settlementId>               string settlement id → personId (its own slot)
 *   gw:roster:<rosterId>:persons                     set    the roster's persons, for replace mode
 *   gw:pre:<hospitalId>:<settlementId>               string a preview was made (expires; 422 on reversing it)
 *   gw:layout                                        string "<layout> <buckets>" (layout 2 on; see readKeyLayout)
 *
 * Slot safety: a commit or reversal touches acc, stl and outbox of one person, which share the hash tag
 * `{t<b>}` and so one Cluster slot; the scripts declare all three as KEYS. In a Cluster the index and the
 * roster person set are only ever touched by single-key commands.
 *
 * The settlement-id index is what finds a settlement's bucket from (hospitalId, settlementId). In a
 * Cluster a commit claims it with SET NX *before* its script runs (it cannot be in the script: another
 * slot); on a standalone Redis the commit script claims it first thing, with the same effect and one
 * round trip less. The claim is permanent, so at most one person can ever store a record under the id: a second
 * person's commit sees the claim and answers `conflict` with the first person's record, or — when
 * that person's commit was stale, failed or is still in flight — throws SettlementIdClaimed (409).
 * A claim whose commit never stored a record is harmless to readers: GET and reversal follow it to a
 * record key that does not exist and answer null / notFound, exactly as if there were no claim; the
 * same person's retry reuses it. Removing a claim would not be safe: a slow commit of the first person
 * could still land after another person took the id over.
 *
 * Nothing here ever expires but the preview markers: settlement records and accumulators are the books.
 */
import { Cluster, type Redis } from 'ioredis';
import { invariant, Unavailable } from '../errors.js';
import type { RosterRow } from '../../schemas/roster.js';
import { readStoredRosterRow } from './stored.js';
import type { ReversalNote } from '../../schemas/settlement.js';
import type {
  AccumulatorSnapshot, CommitOutcome, LedgerMemory, LedgerPort, OutboxEntry, OutboxEventHead, PersonReading, ReverseOutcome, NewSettlement, WriteGuard,
} from './port.js';
import { memoryOfMasters } from './durability.js';
import { CURRENT_KEY_LAYOUT, isMovingMarker, KEY_LAYOUTS, KeySpace, LAYOUT_1_BUCKETS, layout1Pattern, outboxEntryId, parseOutboxEntryId } from './keys.js';
import { scanKeys } from './scan.js';
import { commitArguments, eventFields, fieldMap, newRecord, parseAccumulators, parseEvent, parseRecord, utf8 } from './codec.js';
import { StoredSettlement } from './stored.js';
import { CLAIM_CALLS, projectionDay, RedisProjections, STORE_CALLS } from './projection.js';
import { ACK_CALLS, ACK_LUA, COMMIT_CALLS, COMMIT_LUA, READ_PERSON_LUA, REVERSE_CALLS, REVERSE_LUA, ROSTER_PUT_CALLS, ROSTER_PUT_LUA } from './scripts.js';
import { callsOn, type KeyedCall } from './script-guard.js';
import { eventData } from './event-data.js';
import {
  VERSION_FIELD, checkAck, checkCommit, checkRead, checkReverse, checkRoster, isStorableSettlementId, rowsByPerson, sortedRows,
} from './validate.js';
import { sendingWrite, SettlementIdClaimed } from './errors.js';
import {
  bucketsOfPart, indexMember, instantMs, LISTING_PAGE, mergeBuckets, parseIndexMember, PERSON_SETTLEMENTS_MAX, queryRange,
  type IndexEntry, type PageReader, type SettlementQuery,
} from './listing.js';

export interface RedisLedgerOptions {
  /** Key prefix; several gateways (or tests) may share one Redis under different prefixes. */
  prefix?: string;
  /**
   * Buckets of persons, each one hash tag, one outbox stream and one time index, for a ledger with no data
   * yet; fixed for the life of the data (the layout marker records them, and data already written keeps its own).
   */
  outboxShards?: number;
  /** Entries pending at another consumer for this long are taken over by a reader (a relay that died under another name). 0 = never. */
  claimIdleMs?: number;
  /** How often a blocking readOutbox looks again (see readOutbox for why it polls). */
  pollIntervalMs?: number;
  /** ping() gives up after this long: /readyz must answer, not hang in ioredis's offline queue. */
  pingTimeoutMs?: number;
}

/** "host:port" seed nodes, as REDIS_CLUSTER_NODES lists them. */
export function clusterNodes(nodes: readonly string[]): Array<{ host: string; port: number }> {
  return nodes.map((node) => { const [host, port] = node.split(':'); return { host: host || '127.0.0.1', port: Number(port ?? 6379) }; });
}

const GROUP = 'relay';
/** Commands in flight at once for bulk work (roster loads): bounded, so a 50 000-row load cannot flood the socket. */
const BATCH = 1000;
/** Roster hashes one script reads (rosterRows): a bounded reply, and Redis free for others between calls. */
const ROSTER_KEYS_PER_CALL = 1000;

type ScriptArg = string | number | Buffer;
/** The commands defineCommand adds; ioredis cannot type them, hence the one narrowing cast in the constructor. */
interface LedgerScripts {
  gwLedgerCommit(numberOfKeys: number, ...keysThenArgs: ScriptArg[]): Promise<unknown>;
  gwLedgerReverse(stl: string, acc: string, outbox: string, reversedIndex: string, projection: string, ...args: ScriptArg[]): Promise<unknown>;
  gwLedgerAck(outbox: string, ...args: ScriptArg[]): Promise<unknown>;
  gwLedgerReadPerson(numberOfKeys: number, ...keys: string[]): Promise<unknown>;
  gwLedgerRosterPut(roster: string, ...args: ScriptArg[]): Promise<unknown>;
}

/** Any key of layout 1 under the prefix, on any master: `<prefix>:{b<n>}:…`. */
async function hasLayout1Keys(client: Redis | Cluster, prefix: string): Promise<boolean> {
  for await (const _page of scanKeys(client, layout1Pattern(prefix))) return true;
  return false;
}

/**
 * The key layout the data under `prefix` is written in: as its marker says; layout 1 (which had none) when
 * keys of it are found; else a new ledger, marked with today's layout and `buckets` (SET NX: the first
 * gateway to start decides, the others read its marker). While a migration moves layout 1's data the ledger
 * answers 503 (read again on the next call), so a gateway started meanwhile neither reads half-moved data nor writes beside it.
 */
async function readKeyLayout(client: Redis | Cluster, prefix: string, buckets: number): Promise<KeySpace> {
  const marker = new KeySpace(prefix, 1, 1).layoutMarker();
  let text = await client.get(marker);
  if (text === null) {
    if (await hasLayout1Keys(client, prefix)) return new KeySpace(prefix, LAYOUT_1_BUCKETS, 1);
    await client.set(marker, `${CURRENT_KEY_LAYOUT} ${buckets}`, 'NX');
    text = await client.get(marker);
  }
  if (text !== null && isMovingMarker(text)) throw new Unavailable('账本正在迁移键布局（npm run ledger:migrate），迁移完成前暂停记账与查询，请稍后重试', 30);
  const match = /^(\d+) (\d+)$/.exec(text ?? '');
  const layout = KEY_LAYOUTS.find((l) => String(l) === match?.[1]);
  invariant(match !== null && layout !== undefined, () => `the ledger's layout marker ${marker} reads ${JSON.stringify(text)}: not a layout this release knows`);
  return new KeySpace(prefix, Number(match[2]), layout);
}

export class RedisLedger implements LedgerPort {
  readonly kind = 'redis' as const;
  private keySpace: KeySpace | null = null;
  private layoutRead: Promise<KeySpace> | null = null;
  private readonly prefix: string;
  private readonly bucketsIfNew: number;
  private readonly scripts: LedgerScripts;
  private readonly claimIdleMs: number;
  private readonly pollIntervalMs: number;
  private readonly pingTimeoutMs: number;
  private groupsReady: Promise<void> | null = null;
  /** Where the next read of new entries starts, so one busy shard cannot starve the others. */
  private nextShard = 0;
  readonly projections: RedisProjections;

  constructor(private readonly client: Redis | Cluster, options: RedisLedgerOptions = {}) {
    this.prefix = options.prefix ?? 'gw';
    this.bucketsIfNew = options.outboxShards ?? 16;
    this.claimIdleMs = options.claimIdleMs ?? 60_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
    invariant(this.claimIdleMs >= 0 && this.pollIntervalMs >= 1 && this.pingTimeoutMs >= 1, 'timeouts must be positive');
    // 6 keys in a Cluster, 7 (with the settlement-id index) on a standalone Redis: given first in each call.
    client.defineCommand('gwLedgerCommit', { lua: COMMIT_LUA });
    client.defineCommand('gwLedgerReverse', { lua: REVERSE_LUA, numberOfKeys: 5 });
    client.defineCommand('gwLedgerAck', { lua: ACK_LUA, numberOfKeys: 1 });
    // The number of keys varies (the rosters in force): given first in each call.
    client.defineCommand('gwLedgerReadPerson', { lua: READ_PERSON_LUA });
    client.defineCommand('gwLedgerRosterPut', { lua: ROSTER_PUT_LUA, numberOfKeys: 1 });
    this.scripts = client as unknown as LedgerScripts;
    this.projections = new RedisProjections(client, () => this.layout());
  }

  async readAccumulators(personId: string): Promise<AccumulatorSnapshot> {
    if (this.keySpace === null) await this.layout();
    return parseAccumulators(await this.client.hgetall(this.keys.accumulators(personId)), VERSION_FIELD);
  }

  async readPerson(personId: string, rosterIds: readonly string[]): Promise<PersonReading> {
    if (this.keySpace === null) await this.layout();
    const keys = this.keys.person(personId);
    const reply = await this.scripts.gwLedgerReadPerson(1 + rosterIds.length, keys.accumulators, ...rosterIds.map((rosterId) => keys.roster(rosterId)));
    invariant(Array.isArray(reply) && reply.length === 1 + rosterIds.length, 'the read script answered an unexpected shape');
    const rosters: Record<string, RosterRow[]> = {};
    rosterIds.forEach((rosterId, i) => { rosters[rosterId] = rosterRowsOf(reply[i + 1]); });
    return { accumulators: parseAccumulators(reply[0], VERSION_FIELD), rosters };
  }

  async getSettlement(hospitalId: string, settlementId: string): Promise<StoredSettlement | null> {
    if (this.keySpace === null) await this.layout();
    if (!isStorableSettlementId(hospitalId, settlementId)) return null;
    const personId = await this.client.get(this.keys.index(hospitalId, settlementId));
    return personId === null ? null : this.loadRecord(personId, hospitalId, settlementId);
  }

  async commit(settlement: NewSettlement, expectedVersion: number, event: OutboxEventHead, guard?: WriteGuard): Promise<CommitOutcome> {
    if (this.keySpace === null) await this.layout();
    checkCommit(settlement, expectedVersion, event);
    const record = newRecord(settlement);
    const { personId, hospitalId, settlementId } = record;
    // In a Cluster the index lives in another slot: claimed first, on its own (harmless, see the header).
    // On a standalone Redis the script claims it, in the same atomic step as the commit.
    if (this.client.isCluster) {
      const owner = await this.claimSettlementId(hospitalId, settlementId, personId);
      if (owner !== personId) return this.claimedBy(owner, hospitalId, settlementId);
    }
    // The split's bytes are stored and, committed, answered: encoded once (StoredSettlement.firstAnswerBytes).
    const splitBytes = utf8(record.splitJson);
    const args = commitArguments(record, expectedVersion, event, splitBytes);
    sendingWrite(guard);
    const scriptKeys = this.commitKeys(personId, hospitalId, settlementId, record.settledAt);
    const reply = await this.scripts.gwLedgerCommit(scriptKeys.length, ...scriptKeys, ...args);
    invariant(Array.isArray(reply), 'commit script answered no list');
    const outcome: unknown = reply[0];
    switch (outcome) {
      case 'claimed': {
        const owner: unknown = reply[1];
        invariant(typeof owner === 'string' && owner !== personId, 'commit script answered a claim of no other person');
        return this.claimedBy(owner, hospitalId, settlementId);
      }
      case 'committed': return { outcome, record: new StoredSettlement(record, settlement.split, splitBytes) };
      case 'stale': return { outcome };
      case 'replay':
      case 'conflict': {
        const stored = parseRecord(reply[1]);
        invariant(stored !== null, 'commit script answered an empty record');
        return { outcome, record: new StoredSettlement(stored) };
      }
      default: throw new Error(`commit script answered ${String(outcome)}`);
    }
  }

  /** COMMIT_LUA's keys (scripts.ts): 6 in a Cluster, 7 with the settlement-id index on a standalone Redis. */
  private commitKeys(personId: string, hospitalId: string, settlementId: string, settledAt: string): string[] {
    const keys = this.keys.person(personId);
    const scriptKeys = [keys.settlement(hospitalId, settlementId), keys.accumulators, keys.outbox, keys.timeIndex('settledAt'), keys.personIndex, keys.projection(projectionDay(settledAt))];
    if (!this.client.isCluster) scriptKeys.push(this.keys.index(hospitalId, settlementId));
    return scriptKeys;
  }

  /** REVERSE_LUA's keys (scripts.ts). */
  private reverseKeys(personId: string, hospitalId: string, settlementId: string, settledAt: string): [string, string, string, string, string] {
    const keys = this.keys.person(personId);
    return [keys.settlement(hospitalId, settlementId), keys.accumulators, keys.outbox, keys.timeIndex('reversedAt'), keys.projection(projectionDay(settledAt))];
  }

  /**
   * Every call the ledger's writing scripts make, on a sample person's keys named as the scripts name them: what
   * start-up asks Redis's ACL about (script-guard.ts), so a user that may not make one stops the gateway there.
   */
  async scriptCalls(): Promise<KeyedCall[]> {
    if (this.keySpace === null) await this.layout();
    const sample = { person: 'acl-probe', hospital: 'acl-probe', settlement: 'acl-probe', at: '2024-01-01T00:00:00+08:00' };
    const keys = this.keys.person(sample.person);
    const projection = [keys.projection(projectionDay(sample.at))];
    return [
      ...callsOn(COMMIT_CALLS, this.commitKeys(sample.person, sample.hospital, sample.settlement, sample.at)),
      ...callsOn(REVERSE_CALLS, this.reverseKeys(sample.person, sample.hospital, sample.settlement, sample.at)),
      ...callsOn(ACK_CALLS, [keys.outbox]),
      ...callsOn(ROSTER_PUT_CALLS, [keys.roster(sample.person)]),
      ...callsOn(CLAIM_CALLS, projection),
      ...callsOn(STORE_CALLS, projection),
    ];
  }

  async reverse(hospitalId: string, settlementId: string, reversedAt: string, event: OutboxEventHead, guard?: WriteGuard, note?: ReversalNote): Promise<ReverseOutcome> {
    if (this.keySpace === null) await this.layout();
    checkReverse(hospitalId, settlementId, event);
    if (!isStorableSettlementId(hospitalId, settlementId)) return { outcome: 'notFound' };
    const current = await this.getSettlement(hospitalId, settlementId);
    if (current === null) return { outcome: 'notFound' };
    if (current.status === 'reversed') return { outcome: 'alreadyReversed', record: current };
    invariant(event.personId === current.personId, 'the reversal event is about another person than the record');
    const { personId } = current;
    // Negated here, not in Lua: decoding the JSON there would go through cjson and Lua doubles.
    const negated = Object.entries(current.deltas).flatMap(([field, delta]) => [field, String(-delta)]);
    const eventPairs = eventFields(event);
    sendingWrite(guard);
    const reply = await this.scripts.gwLedgerReverse(
      ...this.reverseKeys(personId, hospitalId, settlementId, current.settledAt),
      reversedAt, JSON.stringify(current.deltas), negated.length / 2, eventPairs.length / 2, ...negated, ...eventPairs,
      note && Object.keys(note).length > 0 ? JSON.stringify(note) : '',
      instantMs(reversedAt), indexMember(hospitalId, settlementId),
    );
    invariant(Array.isArray(reply), 'reverse script answered no list');
    const outcome: unknown = reply[0];
    if (outcome === 'notFound') return { outcome };
    if (outcome !== 'reversed' && outcome !== 'alreadyReversed') throw new Error(`reverse script answered ${String(outcome)}`);
    const record = parseRecord(reply[1]);
    invariant(record !== null, 'reverse script answered an empty record');
    return { outcome, record: new StoredSettlement(record) };
  }

  async rememberPreview(hospitalId: string, settlementId: string, ttlSeconds: number): Promise<void> {
    if (this.keySpace === null) await this.layout();
    invariant(Number.isInteger(ttlSeconds) && ttlSeconds >= 1, 'a preview is remembered for a whole number of seconds');
    if (!isStorableSettlementId(hospitalId, settlementId)) return;
    await this.client.set(this.keys.preview(hospitalId, settlementId), '1', 'EX', ttlSeconds);
  }

  async wasPreviewed(hospitalId: string, settlementId: string): Promise<boolean> {
    if (this.keySpace === null) await this.layout();
    if (!isStorableSettlementId(hospitalId, settlementId)) return false;
    return (await this.client.exists(this.keys.preview(hospitalId, settlementId))) === 1;
  }

  async *listSettlements(query: SettlementQuery): AsyncGenerator<StoredSettlement> {
    if (this.keySpace === null) await this.layout();
    const { fromMs, toMs } = queryRange(query);
    const by = query.by ?? 'settledAt';
    const readPage: PageReader = async (bucket, offset, count) => {
      const flat = await this.client.zrangebyscore(this.keys.timeIndex(bucket, by), fromMs, `(${toMs}`, 'WITHSCORES', 'LIMIT', offset, count);
      const page: Array<{ score: number; member: string }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) page.push({ member: flat[i] ?? '', score: Number(flat[i + 1]) });
      return page;
    };
    let batch: IndexEntry[] = [];
    const load = (entries: IndexEntry[]) => Promise.all(entries.map(({ bucket, member }) => {
      const { hospitalId, settlementId } = parseIndexMember(member);
      return this.client.hgetall(this.keys.settlementInBucket(bucket, hospitalId, settlementId)).then(storedRecord);
    }));
    for await (const entry of mergeBuckets(bucketsOfPart(this.shards(), query.part), readPage)) {
      if (query.hospitalId !== undefined && parseIndexMember(entry.member).hospitalId !== query.hospitalId) continue;
      batch.push(entry);
      if (batch.length < LISTING_PAGE) continue;
      for (const record of await load(batch)) if (record) yield record;
      batch = [];
    }
    for (const record of await load(batch)) if (record) yield record;
  }

  async settlementsOfPerson(personId: string): Promise<StoredSettlement[]> {
    if (this.keySpace === null) await this.layout();
    const members = await this.client.zrange(this.keys.personIndex(personId), 0, PERSON_SETTLEMENTS_MAX - 1);
    const records = await Promise.all(members.map((member) => {
      const { hospitalId, settlementId } = parseIndexMember(member);
      return this.loadRecord(personId, hospitalId, settlementId);
    }));
    return records.filter((r): r is StoredSettlement => r !== null);
  }

  async putRoster(rosterId: string, rows: readonly RosterRow[], replace: boolean): Promise<void> {
    if (this.keySpace === null) await this.layout();
    checkRoster(rosterId, rows);
    const byPerson = [...rowsByPerson(rows)];
    const setKey = this.keys.rosterPersons(rosterId);
    // Members first: a crash between the two steps then leaves a member without rows (harmless),
    // never rows without a member, which a later replace could not find and remove.
    for (let i = 0; i < byPerson.length; i += BATCH) {
      await this.client.sadd(setKey, ...byPerson.slice(i, i + BATCH).map(([personId]) => personId));
    }
    for (let i = 0; i < byPerson.length; i += BATCH) {
      await Promise.all(byPerson.slice(i, i + BATCH).map(([personId, periods]) => {
        const pairs = [...periods].flatMap(([period, row]) => [period, JSON.stringify(row)]);
        return this.scripts.gwLedgerRosterPut(this.keys.roster(rosterId, personId), replace ? '1' : '0', ...pairs);
      }));
    }
    if (replace) await this.removeRosterPersonsExcept(rosterId, new Set(byPerson.map(([personId]) => personId)));
  }

  async rosterSize(rosterId: string): Promise<number> {
    if (this.keySpace === null) await this.layout();
    return this.client.scard(this.keys.rosterPersons(rosterId));
  }

  async rosterRows(rosterIds: readonly string[], personIds: readonly string[]): Promise<Array<Record<string, RosterRow[]>>> {
    if (this.keySpace === null) await this.layout();
    const rows = personIds.map((): Record<string, RosterRow[]> => ({}));
    if (rosterIds.length === 0) return rows;
    // Not readPerson (a pass meeting a city's 2.5×10⁵ persons would read each one's accumulators for nothing), but
    // its script over many persons' roster hashes at once: one per bucket (a Cluster runs a script in one slot) and chunk.
    const byBucket = new Map<number, Array<{ index: number; keys: string[] }>>();
    personIds.forEach((personId, index) => {
      const bucket = this.keys.bucket(personId);
      const persons = byBucket.get(bucket) ?? [];
      persons.push({ index, keys: rosterIds.map((rosterId) => this.keys.rosterInBucket(bucket, rosterId, personId)) });
      byBucket.set(bucket, persons);
    });
    const perCall = Math.max(1, Math.floor(ROSTER_KEYS_PER_CALL / rosterIds.length));
    const calls = [...byBucket.values()].flatMap((persons) => Array.from({ length: Math.ceil(persons.length / perCall) }, (_, c) => persons.slice(c * perCall, (c + 1) * perCall)));
    await Promise.all(calls.map(async (persons) => {
      const keys = persons.flatMap((p) => p.keys);
      const reply = await this.scripts.gwLedgerReadPerson(keys.length, ...keys);
      invariant(Array.isArray(reply) && reply.length === keys.length, 'the read script answered an unexpected shape');
      persons.forEach((p, j) => {
        const into = rows[p.index];
        invariant(into !== undefined, 'a person read is one asked for');
        rosterIds.forEach((rosterId, k) => { into[rosterId] = rosterRowsOf(reply[j * rosterIds.length + k]); });
      });
    }));
    return rows;
  }

  /**
   * This consumer's pending entries first (a restarted relay re-publishes what it had not acked), then
   * entries idle at other consumers for claimIdleMs, then new ones; oldest first within a shard.
   * Blocking polls instead of XREADGROUP BLOCK: a BLOCK would stall every other command on the shared
   * connection, and in a Cluster one BLOCK cannot wait on shards that live in different slots.
   */
  async readOutbox(consumer: string, count: number, blockMs: number): Promise<OutboxEntry[]> {
    if (this.keySpace === null) await this.layout();
    checkRead(consumer, count, blockMs);
    return this.withGroups(async () => {
      const found: Found = new Map();
      await this.readOwnPending(found, consumer, count);
      if (found.size < count && this.claimIdleMs > 0) await this.claimIdle(found, consumer, count);
      const deadline = Date.now() + blockMs;
      for (;;) {
        await this.readNew(found, consumer, count);
        const left = deadline - Date.now();
        if (found.size > 0 || left <= 0) break;
        await sleep(Math.min(this.pollIntervalMs, left));
      }
      return this.withData([...found.values()]);
    });
  }

  async ackOutbox(entryIds: readonly string[]): Promise<void> {
    if (this.keySpace === null) await this.layout();
    checkAck(entryIds);
    const byShard = new Map<number, string[]>();
    for (const entryId of entryIds) {
      const { bucket, streamId } = parseOutboxEntryId(entryId, this.keys.shards);
      const ids = byShard.get(bucket) ?? [];
      ids.push(streamId);
      byShard.set(bucket, ids);
    }
    // XACK then XDEL, per shard in one script: the stream holds exactly the unacknowledged entries,
    // which is what bounds it (no MAXLEN: trimming could drop entries the relay never published).
    await this.withGroups(() => Promise.all([...byShard].map(([bucket, ids]) => this.scripts.gwLedgerAck(this.keys.outbox(bucket), GROUP, ...ids))));
  }

  /** Acknowledged entries are deleted (ackOutbox), so the stream lengths are pending + undelivered. */
  async outboxLag(): Promise<number> {
    if (this.keySpace === null) await this.layout();
    const lengths = await Promise.all(this.shards().map((bucket) => this.client.xlen(this.keys.outbox(bucket))));
    return lengths.reduce((sum, length) => sum + length, 0);
  }

  memory(): Promise<LedgerMemory[]> { return memoryOfMasters(this.client, this.pingTimeoutMs); }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer PING within ${this.pingTimeoutMs} ms`)), this.pingTimeoutMs);
    });
    try {
      // The key layout too (read once, then cached): while `npm run ledger:migrate` moves the data, every call
      // answers 503, so a gateway started meanwhile must not say it is ready.
      await Promise.race([this.client.ping().then(() => this.layout()), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** QUIT when connected; otherwise drop the connection: a QUIT queued for an unreachable Redis would hang shutdown. */
  async close(): Promise<void> {
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.client.quit(), new Promise<void>((resolve) => { timer = setTimeout(resolve, this.pingTimeoutMs); })]);
    } catch {
      // The connection went away meanwhile: nothing left to say goodbye to.
    } finally {
      clearTimeout(timer);
      // Read afresh (the narrowing above is stale after the await): still open means QUIT did not finish.
      const status: string = this.client.status;
      if (status !== 'end') this.client.disconnect();
    }
  }

  /** The key space, once the layout is known (every public method reads it first, see layout()). */
  private get keys(): KeySpace {
    invariant(this.keySpace !== null, 'the key layout is read before any key is built');
    return this.keySpace;
  }

  /**
   * Reads the data's key layout once, on first use (not in the constructor: a gateway starts while Redis is
   * away, and says so on /readyz); a failed read is tried again by the next call.
   */
  private async layout(): Promise<KeySpace> {
    if (this.keySpace !== null) return this.keySpace;
    this.layoutRead ??= readKeyLayout(this.client, this.prefix, this.bucketsIfNew);
    try {
      this.keySpace = await this.layoutRead;
      return this.keySpace;
    } catch (error) {
      this.layoutRead = null;
      throw error;
    }
  }

  private shards(): number[] { return Array.from({ length: this.keys.shards }, (_, bucket) => bucket); }

  private async loadRecord(personId: string, hospitalId: string, settlementId: string): Promise<StoredSettlement | null> {
    return storedRecord(await this.client.hgetall(this.keys.settlement(personId, hospitalId, settlementId)));
  }

  /** The settlement id is another person's: their record is the conflict; none yet → SettlementIdClaimed (409). */
  private async claimedBy(owner: string, hospitalId: string, settlementId: string): Promise<CommitOutcome> {
    const existing = await this.loadRecord(owner, hospitalId, settlementId);
    if (existing === null) throw new SettlementIdClaimed(hospitalId, settlementId);
    return { outcome: 'conflict', record: existing };
  }

  /** The person the settlement id belongs to: this one if the claim is new or already theirs. */
  private async claimSettlementId(hospitalId: string, settlementId: string, personId: string): Promise<string> {
    const key = this.keys.index(hospitalId, settlementId);
    if ((await this.client.set(key, personId, 'NX')) === 'OK') return personId;
    const owner = await this.client.get(key);
    invariant(owner !== null, 'a settlement-id claim disappeared'); // claims are never deleted
    return owner;
  }

  private async removeRosterPersonsExcept(rosterId: string, keep: ReadonlySet<string>): Promise<void> {
    const setKey = this.keys.rosterPersons(rosterId);
    const stale: string[] = [];
    // Collect first, then delete: SSCAN guarantees to return every member present for the whole scan.
    let cursor = '0';
    do {
      const [next, members] = await this.client.sscan(setKey, cursor, 'COUNT', BATCH);
      cursor = next;
      for (const personId of members) if (!keep.has(personId)) stale.push(personId);
    } while (cursor !== '0');
    for (let i = 0; i < stale.length; i += BATCH) {
      const batch = stale.slice(i, i + BATCH);
      await Promise.all(batch.map((personId) => this.client.del(this.keys.roster(rosterId, personId))));
      await this.client.srem(setKey, ...batch);
    }
  }

  /** Streams and groups are created lazily; if someone deleted them (a flush), create them again once. */
  private async withGroups<T>(work: () => Promise<T>): Promise<T> {
    await this.ensureGroups();
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOGROUP')) throw error;
      this.groupsReady = null;
      await this.ensureGroups();
      return work();
    }
  }

  private ensureGroups(): Promise<void> {
    this.groupsReady ??= Promise.all(this.shards().map(async (bucket) => {
      try {
        // From 0, not $: events committed before the group existed must be delivered too.
        await this.client.xgroup('CREATE', this.keys.outbox(bucket), GROUP, '0', 'MKSTREAM');
      } catch (error) {
        if (!(error instanceof Error) || !error.message.includes('BUSYGROUP')) throw error;
      }
    })).then(() => undefined, (error: unknown) => {
      this.groupsReady = null; // let the next call try again
      throw error;
    });
    return this.groupsReady;
  }

  /**
   * The entries with their data: an entry refers to the record committed with it, read now (entries
   * written before issue 15 carry their own copy). A record that is gone — deleted behind the ledger's
   * back; records never expire — gives empty data, which the relay dead-letters with its reason.
   */
  private async withData(entries: FoundEntry[]): Promise<OutboxEntry[]> {
    return Promise.all(entries.map(async ({ entryId, bucket, event }): Promise<OutboxEntry> => {
      if (event.data !== undefined) return { entryId, event: { ...event, data: event.data } };
      const record = parseRecord(await this.client.hgetall(this.keys.settlementInBucket(bucket, event.hospitalId, event.settlementId)));
      return { entryId, event: { ...event, data: record === null ? '' : eventData(event.type, record) } };
    }));
  }

  private async readOwnPending(found: Found, consumer: string, count: number): Promise<void> {
    // Re-reading the own pending list changes nothing but delivery counters, so all shards at once.
    const replies = await Promise.all(this.shards().map((bucket) =>
      this.client.call('XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', count, 'STREAMS', this.keys.outbox(bucket), '0')));
    for (const [bucket, reply] of replies.entries()) {
      await this.collect(found, bucket, streamEntries(reply), count);
      if (found.size >= count) return;
    }
  }

  private async claimIdle(found: Found, consumer: string, count: number): Promise<void> {
    for (const bucket of this.shards()) {
      if (found.size >= count) return;
      const reply = await this.client.call('XAUTOCLAIM', this.keys.outbox(bucket), GROUP, consumer, this.claimIdleMs, '0-0', 'COUNT', count - found.size);
      invariant(Array.isArray(reply), 'XAUTOCLAIM answered no list');
      await this.collect(found, bucket, entryList(reply[1]), count);
    }
  }

  /** New entries shard by shard, each asked only for what is still missing, so nothing is delivered beyond `count`. */
  private async readNew(found: Found, consumer: string, count: number): Promise<void> {
    const start = this.nextShard;
    this.nextShard = (this.nextShard + 1) % this.keys.shards;
    for (let i = 0; i < this.keys.shards && found.size < count; i++) {
      const bucket = (start + i) % this.keys.shards;
      const reply = await this.client.call('XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', count - found.size, 'STREAMS', this.keys.outbox(bucket), '>');
      await this.collect(found, bucket, streamEntries(reply), count);
    }
  }

  private async collect(found: Found, bucket: number, entries: RawEntry[], count: number): Promise<void> {
    const vanished: string[] = [];
    for (const [streamId, fields] of entries) {
      // A pending entry whose body is gone was deleted behind the ledger's back: nothing to publish, so let it go.
      if (fields === null) { vanished.push(streamId); continue; }
      const entryId = outboxEntryId(bucket, streamId);
      if (found.size < count && !found.has(entryId)) found.set(entryId, { entryId, bucket, event: parseEvent(fields) });
    }
    if (vanished.length > 0) await this.client.xack(this.keys.outbox(bucket), GROUP, ...vanished);
  }
}

type RawEntry = [streamId: string, fields: unknown[] | null];
/** Outbox entries read so far, by entry id: their heads (and data, on entries old enough to carry it). */
interface FoundEntry { entryId: string; bucket: number; event: ReturnType<typeof parseEvent> }
type Found = Map<string, FoundEntry>;

/** One person's rows of one roster, from its hash (period → row JSON), in period order. */
/** A record hash as the typed record, or null when the key does not exist. */
function storedRecord(reply: unknown): StoredSettlement | null {
  const raw = parseRecord(reply);
  return raw === null ? null : new StoredSettlement(raw);
}

function rosterRowsOf(reply: unknown): RosterRow[] {
  return sortedRows([...fieldMap(reply)].map(([period, json]): [string, RosterRow] => [period, readStoredRosterRow(json)]));
}

/** XREADGROUP with one stream: null, or [[key, entries]]. */
function streamEntries(reply: unknown): RawEntry[] {
  if (reply === null) return [];
  invariant(Array.isArray(reply) && reply.length === 1 && Array.isArray(reply[0]), 'XREADGROUP answered an unexpected shape');
  const stream: unknown[] = reply[0];
  return entryList(stream[1]);
}

function entryList(list: unknown): RawEntry[] {
  invariant(Array.isArray(list), 'expected a list of stream entries');
  return list.map((entry: unknown): RawEntry => {
    invariant(Array.isArray(entry) && typeof entry[0] === 'string', 'expected a stream entry');
    const fields: unknown = entry[1];
    invariant(fields === null || Array.isArray(fields), 'expected stream entry fields');
    return [entry[0], fields];
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
