/**
 * The ledger's Lua scripts. Redis runs a script atomically but does not roll it back: a command that
 * fails halfway leaves the writes before it. So each script checks everything that could fail (the
 * idempotency key, the version, that every counter is an integer and stays one) before its first write
 * (the settlement-id claim on a standalone Redis comes before them: harmless on its own and kept
 * whatever follows, exactly as a Cluster's SET NX before the script); after that, only OOM could interrupt it, and Redis refuses a writing script under OOM before its
 * first write and lets it finish once it has written.
 *
 * No script decodes or re-encodes JSON (see codec.ts); deltas arrive as flat field/increment pairs.
 * Each writing script first asks Redis's ACL about every call it makes (script-guard.ts): a command the user may
 * not run would otherwise fail after the writes before it.
 */
import { guardCalls, type ScriptCall } from './script-guard.js';

/**
 * Shared by commit and reverse: refuse before writing if a counter is not an integer or would leave the JS-safe
 * range; apply. The delta pairs are `n` field/increment pairs of the list `args` from index `first` (the
 * reverse's ARGV, the commit's unpacked head).
 */
const CHECK_COUNTERS = `
local function checkCounters(acc, args, first, n)
  for j = 0, n - 1 do
    local field = args[first + 2 * j]
    local current = redis.call('HGET', acc, field) or '0'
    if not string.match(current, '^%-?%d+$') then
      return 'ledger: accumulator ' .. field .. ' is not an integer'
    end
    local after = tonumber(current) + tonumber(args[first + 2 * j + 1])
    if after > 9007199254740991 or after < -9007199254740991 then
      return 'ledger: accumulator ' .. field .. ' would leave the safe integer range'
    end
  end
  return nil
end
-- Applies the delta pairs and bumps the version: the one write sequence commit and reverse share.
local function applyDeltas(acc, args, first, n)
  for j = 0, n - 1 do
    redis.call('HINCRBY', acc, args[first + 2 * j], args[first + 2 * j + 1])
  end
  redis.call('HINCRBY', acc, '_v', 1)
end
local function slice(first, n)
  local out = {}
  for j = first, first + n - 1 do out[#out + 1] = ARGV[j] end
  return out
end
`;

/** How many fields a commit's head holds before its delta pairs (codec.ts `commitArguments`, in that order). */
export const COMMIT_HEAD_FIELDS = 12;

/**
 * KEYS: record hash, accumulator hash, outbox stream, the bucket's settled-time index, the person's
 * settlement index, the bucket's day projection of the settlement day (one slot; deleted: projection.ts);
 * on a standalone Redis also the settlement-id index (in a Cluster it lives in another slot, and the
 * caller claims it with SET NX before running this).
 * ARGV: three arguments, not one per field (ioredis frames each argument on its own: ~55 of them cost more than
 * the ~6 KB they carry): the head — bodyHash, expectedVersion, the index score (settledAt, epoch ms), personId,
 * gatewayId, hospitalId, settlementId, settledAt, recordVersion, the deltas' JSON, the event's id and time,
 * then the delta field/increment pairs, joined by '\n' (no field can hold one: codec.ts) — then the split's
 * JSON and the request's JSON. The record and the outbox entry are stored field for field as before the
 * arguments were packed, so every stored record and entry reads the same whichever release wrote it.
 * Returns {'claimed', ownerPersonId} | {'replay'|'conflict', recordFields} | {'stale'} | {'committed', streamId}.
 */
/** The calls COMMIT_LUA makes (script-guard.ts); the settlement-id index, KEYS[7], only on a standalone Redis. */
export const COMMIT_CALLS: readonly ScriptCall[] = [
  ['GET', 'KEYS[7]'], ['SET', 'KEYS[7]'], ['HGET', 'KEYS[1]'], ['HGETALL', 'KEYS[1]'], ['HGET', 'KEYS[2]'], ['HINCRBY', 'KEYS[2]'],
  ['HSET', 'KEYS[1]'], ['XADD', 'KEYS[3]'], ['ZADD', 'KEYS[4]'], ['ZADD', 'KEYS[5]'], ['DEL', 'KEYS[6]'],
];

export const COMMIT_LUA = `${guardCalls(COMMIT_CALLS)}${CHECK_COUNTERS}
local head, at = {}, 1
while true do
  local stop = string.find(ARGV[1], '\\n', at, true)
  if not stop then head[#head + 1] = string.sub(ARGV[1], at) break end
  head[#head + 1] = string.sub(ARGV[1], at, stop - 1)
  at = stop + 1
end
local nDeltas = (#head - ${COMMIT_HEAD_FIELDS}) / 2
if nDeltas < 0 or nDeltas % 1 ~= 0 then return redis.error_reply('ledger: a commit head of ' .. #head .. ' fields') end
local bodyHash, expectedVersion, score, personId = head[1], head[2], head[3], head[4]
local gatewayId, hospitalId, settlementId, settledAt, recordVersion, deltasJson = head[5], head[6], head[7], head[8], head[9], head[10]
local eventId, eventTime = head[11], head[12]
if KEYS[7] then
  local owner = redis.call('GET', KEYS[7])
  if owner and owner ~= personId then return {'claimed', owner} end
  -- Claimed before the checks below, as a Cluster's SET NX is: a stale commit keeps its claim (README.md).
  if not owner then redis.call('SET', KEYS[7], personId) end
end
local storedHash = redis.call('HGET', KEYS[1], 'bodyHash')
if storedHash then
  local outcome = 'conflict'
  if storedHash == bodyHash then outcome = 'replay' end
  return {outcome, redis.call('HGETALL', KEYS[1])}
end
local version = tonumber(redis.call('HGET', KEYS[2], '_v') or '0')
if version ~= tonumber(expectedVersion) then return {'stale'} end
local first = ${COMMIT_HEAD_FIELDS} + 1
local refused = checkCounters(KEYS[2], head, first, nDeltas)
if refused then return redis.error_reply(refused) end
-- from here on: writes only
applyDeltas(KEYS[2], head, first, nDeltas)
redis.call('HSET', KEYS[1], 'gatewayId', gatewayId, 'hospitalId', hospitalId, 'settlementId', settlementId, 'personId', personId,
  'bodyHash', bodyHash, 'status', 'settled', 'splitJson', ARGV[2], 'requestJson', ARGV[3], 'deltas', deltasJson,
  'settledAt', settledAt, 'recordVersion', recordVersion)
local streamId = redis.call('XADD', KEYS[3], '*', 'id', eventId, 'type', 'settlement.settled', 'personId', personId,
  'hospitalId', hospitalId, 'settlementId', settlementId, 'time', eventTime)
local member = hospitalId .. ':' .. settlementId
redis.call('ZADD', KEYS[4], score, member)
redis.call('ZADD', KEYS[5], score, member)
redis.call('DEL', KEYS[6])
return {'committed', streamId}
`;

/**
 * KEYS: record hash, accumulator hash, outbox stream, the bucket's reversed-time index, the bucket's day
 * projection of the record's settlement day (one slot; deleted: projection.ts).
 * ARGV: reversedAt, the record's deltas JSON as the caller read it, nDeltaPairs, nEventPairs, then the
 * negated delta pairs and the event pairs, then the reversal note's JSON ('' for none), then the index score
 * (reversedAt, epoch ms) and member. The caller negates (a record's deltas never change once
 * stored); the script checks the stored deltas are the ones it negated.
 * Returns {'notFound'} | {'alreadyReversed', recordFields} | {'reversed', recordFields, streamId}.
 */
/** The calls REVERSE_LUA makes (script-guard.ts). */
export const REVERSE_CALLS: readonly ScriptCall[] = [
  ['HGET', 'KEYS[1]'], ['HGETALL', 'KEYS[1]'], ['HGET', 'KEYS[2]'], ['HINCRBY', 'KEYS[2]'], ['HSET', 'KEYS[1]'], ['XADD', 'KEYS[3]'],
  ['ZADD', 'KEYS[4]'], ['DEL', 'KEYS[5]'],
];

export const REVERSE_LUA = `${guardCalls(REVERSE_CALLS)}${CHECK_COUNTERS}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'notFound'} end
if status == 'reversed' then return {'alreadyReversed', redis.call('HGETALL', KEYS[1])} end
if status ~= 'settled' then return redis.error_reply('ledger: stored status ' .. status .. ' is unknown') end
if redis.call('HGET', KEYS[1], 'deltas') ~= ARGV[2] then
  return redis.error_reply('ledger: stored deltas differ from the ones negated')
end
local nDeltas, nEvent = tonumber(ARGV[3]), tonumber(ARGV[4])
local first = 5
local refused = checkCounters(KEYS[2], ARGV, first, nDeltas)
if refused then return redis.error_reply(refused) end
-- from here on: writes only
applyDeltas(KEYS[2], ARGV, first, nDeltas)
redis.call('HSET', KEYS[1], 'status', 'reversed', 'reversedAt', ARGV[1])
first = first + 2 * nDeltas
local note = ARGV[first + 2 * nEvent]
if note and note ~= '' then redis.call('HSET', KEYS[1], 'reversal', note) end
local streamId = redis.call('XADD', KEYS[3], '*', unpack(slice(first, 2 * nEvent)))
redis.call('ZADD', KEYS[4], ARGV[#ARGV - 1], ARGV[#ARGV])
redis.call('DEL', KEYS[5])
return {'reversed', redis.call('HGETALL', KEYS[1]), streamId}
`;

/**
 * What a settlement reads of one person, in one round trip and one consistent view: KEYS are the
 * accumulator hash, then the roster hashes (one slot). Returns one flat HGETALL reply per key. A pass
 * reads many persons' roster hashes of one bucket with it too (RedisLedger.rosterRows).
 */
export const READ_PERSON_LUA = `
local replies = {}
for i = 1, #KEYS do replies[i] = redis.call('HGETALL', KEYS[i]) end
return replies
`;

/**
 * KEYS: one outbox stream. ARGV: group, stream ids.
 * Deletes an entry only if this XACK acknowledged it, so an id that was never delivered (or is
 * unknown) cannot make an undelivered entry disappear. Returns how many were acknowledged.
 */
export const ACK_CALLS: readonly ScriptCall[] = [['XACK', 'KEYS[1]'], ['XDEL', 'KEYS[1]']];
export const ACK_LUA = `${guardCalls(ACK_CALLS)}
local acked = 0
for i = 2, #ARGV do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    acked = acked + 1
  end
end
return acked
`;

/**
 * KEYS: one person's roster hash (period → row JSON). ARGV: '1' to replace the person's rows, '0' to
 * merge, then period/row pairs. One script so a reader never sees the person between DEL and HSET.
 */
export const ROSTER_PUT_CALLS: readonly ScriptCall[] = [['DEL', 'KEYS[1]'], ['HSET', 'KEYS[1]']];
export const ROSTER_PUT_LUA = `${guardCalls(ROSTER_PUT_CALLS)}
if ARGV[1] == '1' then redis.call('DEL', KEYS[1]) end
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
return #ARGV - 1
`;
