/**
 * Every call of every writing script is asked of the ACL before the script's first write (script-guard.ts): the
 * scripts' own text is read here for its `redis.call`s, so a call added to a script without its question fails.
 */
import { describe, expect, it } from 'vitest';
import { DELETE_CALLS, DELETE_LUA, WRITE_CALLS, WRITE_LUA } from '../../gateway/ledger/documents/redis.js';
import { CLAIM_CALLS, CLAIM_LUA, STORE_CALLS, STORE_LUA } from '../../gateway/ledger/projection.js';
import { callsOn, guardCalls, type ScriptCall } from '../../gateway/ledger/script-guard.js';
import { ACK_CALLS, ACK_LUA, COMMIT_CALLS, COMMIT_LUA, REVERSE_CALLS, REVERSE_LUA, ROSTER_PUT_CALLS, ROSTER_PUT_LUA } from '../../gateway/ledger/scripts.js';

/** The calls a script's text makes: its helpers' `acc` is the accumulator hash (KEYS[2]); keys built from ARGV[1] are one family. */
function callsIn(lua: string): string[] {
  const calls = [...lua.matchAll(/redis\.call\('(\w+)', ([^,)]+)/g)].map(([, command, key]) => {
    const named = key === 'acc' ? 'KEYS[2]' : /^ARGV\[1\] \.\. /.test(key ?? '') ? "ARGV[1] .. '?'" : key;
    return `${command} ${named}`;
  });
  // DEL of two keys (the documents' delete) deletes the second too.
  for (const [, first, second] of lua.matchAll(/redis\.call\('DEL', (KEYS\[\d\]), (KEYS\[\d\])\)/g)) calls.push(`DEL ${first}`, `DEL ${second}`);
  return [...new Set(calls)].sort();
}
const declared = (calls: readonly ScriptCall[]) => [...new Set(calls.map(([command, key]) => `${command} ${key}`))].sort();

describe('the ledger scripts ask before they write', () => {
  it.each([
    ['commit', COMMIT_LUA, COMMIT_CALLS], ['reverse', REVERSE_LUA, REVERSE_CALLS], ['ack', ACK_LUA, ACK_CALLS],
    ['roster put', ROSTER_PUT_LUA, ROSTER_PUT_CALLS], ['projection claim', CLAIM_LUA, CLAIM_CALLS], ['projection store', STORE_LUA, STORE_CALLS],
    ['document write', WRITE_LUA, WRITE_CALLS], ['document delete', DELETE_LUA, DELETE_CALLS],
  ] as const)('%s: its questions are exactly its calls, asked before its first call', (_name, lua, calls) => {
    expect(declared(calls)).toEqual(callsIn(lua));
    const guard = guardCalls(calls);
    expect(lua).toContain(guard);
    expect(lua.indexOf(guard)).toBeLessThan(lua.indexOf('redis.call('));
  });

  it('names each key as the script does: KEYS by position, a key built from ARGV by its base; an absent key is not asked about', () => {
    expect(callsOn([['GET', 'KEYS[2]'], ['SET', 'KEYS[7]'], ['ZADD', "ARGV[1] .. '?'"]], ['a', 'b'], ['gw:doc:{c}:i:'])).toEqual([['GET', 'b'], ['ZADD', 'gw:doc:{c}:i:?']]);
    expect(() => callsOn([['ZADD', "ARGV[2] .. '?'"]], [], ['x'])).toThrow(/cannot name the key/);
  });

  it('refuses to build a question for a command it has no arguments for', () => {
    expect(() => guardCalls([['LPUSH', 'KEYS[1]']])).toThrow(/no question for LPUSH/);
  });
});
