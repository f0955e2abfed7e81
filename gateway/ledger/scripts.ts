/**
 * The ledger's Lua scripts. Redis runs a script atomically but does not roll it back: a command that
 * fails halfway leaves the writes before it. So each script checks everything that could fail (the
 * idempotency key, the version, that every counter is an integer and stays one) before its first write
 * (the settlement-id claim on a standalone Redis comes before them: harmless on its own and kept
 * whatever follows, exactly as a Cluster's SET NX before the script); after that, only OOM could interrupt it, and Redis refuses a writing script under OOM before its
 * first write and lets it finish once it has written.
 *
 * No script decodes or re-encodes JSON (see codec.ts); deltas arrive as flat field/increment pairs.
 */

/** Shared by commit and reverse: refuse before writing if a counter is not an integer or would leave the JS-safe range. */
const CHECK_COUNTERS = `
local function checkCounters(acc, first, n)
  for j = 0, n - 1 do
    local field = ARGV[first + 2 * j]
    local current = redis.call('HGET', acc, field) or '0'
    if not string.match(current, '^%-?%d+$') then
      return 'ledger: accumulator ' .. field .. ' is not an integer'
    end
    local after = tonumber(current) + tonumber(ARGV[first + 2 * j + 1])
    if after > 9007199254740991 or after < -9007199254740991 then
      return 'ledger: accumulator ' .. field .. ' would leave the safe integer range'
    end
  end
  return nil
end
-- Applies the delta pairs and bumps the version: the one write sequence commit and reverse share.
local function applyDeltas(acc, first, n)
  for j = 0, n - 1 do
    redis.call('HINCRBY', acc, ARGV[first + 2 * j], ARGV[first + 2 * j + 1])
  end
  redis.call('HINCRBY', acc, '_v', 1)
end
local function slice(first, n)
  local out = {}
  for j = first, first + n - 1 do out[#out + 1] = ARGV[j] end
  return out
end
`;

/**
 * KEYS: record hash, accumulator hash, outbox stream, the bucket's settled-time index, the person's
 * settlement index, the bucket's day projection of the settlement day (one slot; deleted: projection.ts);
 * on a standalone Redis also the settlement-id index (in a Cluster it lives in another slot, and the
 * caller claims it with SET NX before running this).
 * ARGV: bodyHash, expectedVersion, nDeltaPairs, nRecordPairs, nEventPairs, the index score (settledAt,
 * epoch ms), the index member ("<hospitalId>:<settlementId>"), personId, then the pairs in that order.
 * Returns {'claimed', ownerPersonId} | {'replay'|'conflict', recordFields} | {'stale'} | {'committed', streamId}.
 */
export const COMMIT_LUA = `${CHECK_COUNTERS}
if KEYS[7] then
  local owner = redis.call('GET', KEYS[7])
  if owner and owner ~= ARGV[8] then return {'claimed', owner} end
  -- Claimed before the checks below, as a Cluster's SET NX is: a stale commit keeps its claim (README.md).
  if not owner then redis.call('SET', KEYS[7], ARGV[8]) end
end
local storedHash = redis.call('HGET', KEYS[1], 'bodyHash')
if storedHash then
  local outcome = 'conflict'
  if storedHash == ARGV[1] then outcome = 'replay' end
  return {outcome, redis.call('HGETALL', KEYS[1])}
end
local version = tonumber(redis.call('HGET', KEYS[2], '_v') or '0')
if version ~= tonumber(ARGV[2]) then return {'stale'} end
local nDeltas, nRecord, nEvent = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local first = 9
local refused = checkCounters(KEYS[2], first, nDeltas)
if refused then return redis.error_reply(refused) end
-- from here on: writes only
applyDeltas(KEYS[2], first, nDeltas)
first = first + 2 * nDeltas
redis.call('HSET', KEYS[1], unpack(slice(first, 2 * nRecord)))
first = first + 2 * nRecord
local streamId = redis.call('XADD', KEYS[3], '*', unpack(slice(first, 2 * nEvent)))
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[7])
redis.call('ZADD', KEYS[5], ARGV[6], ARGV[7])
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
export const REVERSE_LUA = `${CHECK_COUNTERS}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'notFound'} end
if status == 'reversed' then return {'alreadyReversed', redis.call('HGETALL', KEYS[1])} end
if status ~= 'settled' then return redis.error_reply('ledger: stored status ' .. status .. ' is unknown') end
if redis.call('HGET', KEYS[1], 'deltas') ~= ARGV[2] then
  return redis.error_reply('ledger: stored deltas differ from the ones negated')
end
local nDeltas, nEvent = tonumber(ARGV[3]), tonumber(ARGV[4])
local first = 5
local refused = checkCounters(KEYS[2], first, nDeltas)
if refused then return redis.error_reply(refused) end
-- from here on: writes only
applyDeltas(KEYS[2], first, nDeltas)
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
 * accumulator hash, then the roster hashes (one slot). Returns one flat HGETALL reply per key.
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
export const ACK_LUA = `
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
export const ROSTER_PUT_LUA = `
if ARGV[1] == '1' then redis.call('DEL', KEYS[1]) end
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
return #ARGV - 1
`;
