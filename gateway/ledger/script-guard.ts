/**
 * Every command a writing Lua script runs, asked of Redis's ACL before the script's first write.
 *
 * Redis runs a script atomically but does not roll it back, and it checks the ACL command by command: a command
 * the gateway's Redis user may not run (an ACL without `+@stream`, or whose key pattern misses a key) fails where it
 * stands, after the writes before it. Measured on Redis 7.0 with `-xadd`: the settlement's accumulators, record
 * and settlement-id claim were written, its outbox entry and indexes were not; the desk got 500, its retry
 * 200 as a replay, and no payer was ever told of that settlement. So each script first asks
 * `redis.acl_check_cmd` of every call it may make (reads too: a refused read after the writes would fail a
 * script that did commit) and, refused, answers `ACLREFUSED …` having written nothing: the caller's 503
 * (`ledgerRefusal`). The same question is asked once at start-up (`RedisLedger.scriptCalls`, `gateway/storage.ts`), so a
 * misconfigured user stops the gateway before a desk meets it. Redis 6 has no such question; its scripts run
 * unasked, as before.
 */

/** A call a script makes: the command and its key, a Lua expression (`KEYS[3]`; a key the script builds, `ARGV[1] .. '?'`). */
export type ScriptCall = readonly [command: string, key: string];

/** The same call on a key named (`gw:{s10-0}:outbox`): what start-up asks about, and what it names when refused. */
export type KeyedCall = readonly [command: string, key: string];

/** The leading code of a guard's refusal (what `ledgerRefusal` recognises). */
export const ACL_REFUSED = 'ACLREFUSED';

/**
 * Arguments after the key that make each call well-formed for the question (7.0 does not check arity, a later
 * Redis may). A command missing here is a defect the first time its script runs.
 */
const ARGUMENTS_AFTER_KEY: Readonly<Record<string, readonly string[]>> = {
  GET: [], SET: ['v'], EXISTS: [], DEL: [],
  HGET: ['f'], HGETALL: [], HSET: ['f', 'v'], HINCRBY: ['f', '1'],
  ZADD: ['0', 'm'], ZREM: ['m'], SMEMBERS: [], SADD: ['m'],
  XADD: ['*', 'f', 'v'], XACK: ['g', '0-1'], XDEL: ['0-1'],
};

const luaString = (text: string): string => `'${text.replace(/[\\']/g, '\\$&')}'`;

function luaCall([command, key]: ScriptCall): string {
  const after = ARGUMENTS_AFTER_KEY[command];
  if (after === undefined) throw new Error(`script-guard: no question for ${command}; add its arguments`);
  return `{${[luaString(command), key, ...after.map(luaString)].join(', ')}}`;
}

/**
 * The Lua that opens a writing script: each call asked, the first refused answered as an error reply. A key
 * that is absent (`KEYS[7]` of a commit in a Cluster) is not asked about: the script does not use it either.
 */
export function guardCalls(calls: readonly ScriptCall[]): string {
  return `
if redis.acl_check_cmd then
  local asked = {${calls.map(luaCall).join(', ')}}
  for _, call in ipairs(asked) do
    if call[2] and not redis.acl_check_cmd(unpack(call)) then
      return redis.error_reply('${ACL_REFUSED} the Redis user may not run ' .. call[1] .. ' on ' .. call[2] .. '; nothing was written')
    end
  end
end
`;
}

/**
 * The start-up question: ARGV holds command/key pairs, then the arguments after the key of each command as
 * JSON; the answer is the refused pairs, flat, or the text `unasked` on a Redis that cannot be asked (Redis 6).
 */
const PROBE_LUA = `
if not redis.acl_check_cmd then return 'unasked' end
local after = cjson.decode(ARGV[#ARGV])
local refused = {}
for i = 1, #ARGV - 1, 2 do
  local command, key = ARGV[i], ARGV[i + 1]
  if not redis.acl_check_cmd(command, key, unpack(after[command])) then
    refused[#refused + 1] = command
    refused[#refused + 1] = key
  end
end
return refused
`;

/** A script's calls with their keys named: `KEYS[n]` the n-th of `keys`, `ARGV[n] .. 'x'` the n-th of `argv` and x. */
export function callsOn(calls: readonly ScriptCall[], keys: readonly string[], argv: readonly string[] = []): KeyedCall[] {
  return calls.flatMap(([command, expression]) => {
    const key = /^KEYS\[(\d+)\]$/.exec(expression);
    if (key) {
      const named = keys[Number(key[1]) - 1];
      return named === undefined ? [] : [[command, named] as const];
    }
    const built = /^ARGV\[(\d+)\] \.\. '([^']*)'$/.exec(expression);
    const base = built ? argv[Number(built[1]) - 1] : undefined;
    if (!built || base === undefined) throw new Error(`script-guard: cannot name the key ${expression} of ${command}`);
    return [[command, `${base}${built[2]}`] as const];
  });
}

/** The Redis a probe asks: ioredis's `eval`, whose reply is checked here. */
export interface ProbeClient { eval(script: string, numberOfKeys: number, ...args: string[]): Promise<unknown> }

/** Which of the calls the connection's Redis user may not make; `unasked` on a Redis that cannot say (Redis 6). */
export async function refusedCalls(client: ProbeClient, calls: readonly KeyedCall[]): Promise<KeyedCall[] | 'unasked'> {
  const reply = await client.eval(PROBE_LUA, 0, ...calls.flat(), JSON.stringify(ARGUMENTS_AFTER_KEY));
  if (reply === 'unasked') return reply;
  if (!Array.isArray(reply) || reply.length % 2 !== 0 || !reply.every((part) => typeof part === 'string')) throw new Error('script-guard: the probe answered an unexpected shape');
  const refused: KeyedCall[] = [];
  for (let i = 0; i < reply.length; i += 2) refused.push([String(reply[i]), String(reply[i + 1])]);
  return refused;
}
