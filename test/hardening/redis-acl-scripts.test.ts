/**
 * A Redis user whose ACL refuses a command the ledger's scripts make. Redis checks the ACL command by command
 * inside a script and does not roll back: before the scripts asked first, an ACL without XADD left a settlement's
 * accumulators and record written and its outbox entry not — the desk got 500, its retry 200, and no payer ever
 * heard of it. Now start-up refuses such a user, naming each refused command and key; and an ACL narrowed while
 * the gateway runs makes a settlement or a reversal answer 503 with nothing written, which settles once it is mended.
 * A Redis whose configuration took EVAL away is refused too; one that cannot be reached at start-up is not (the gateway
 * starts unready, as before the question was asked). One redis-server; each case its own ACL user.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../gateway/config.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { asProblem, asSplit, call, HOSPITAL_A, startTestGateway, TOKENS } from '../support/gateway.js';
import { freePort } from '../support/ports.js';
import { requestBody } from '../support/requests.js';

const PASSWORD = 'acl-user-password-0123456789';

describe('the ledger scripts under a Redis ACL', () => {
  let redis: TestRedis;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  /** An ACL user with these rules beside its password; the gateway's REDIS_URL as that user. */
  const user = async (name: string, ...rules: string[]): Promise<Record<string, string>> => {
    await admin.acl('SETUSER', name, 'reset', 'on', `>${PASSWORD}`, ...rules);
    return { REDIS_URL: redis.url.replace('redis://', `redis://${name}:${PASSWORD}@`), REDIS_REQUIRE_DURABLE: 'false', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' };
  };
  const startUpProblems = async (env: Record<string, string>): Promise<string[]> => {
    const error = await startTestGateway(env).then(async (g) => { await g.stop(); return null; }, (e: unknown) => e);
    if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
    return [...error.problems];
  };

  it('refuses to start as a user that may not XADD, naming the command and the outbox key', async () => {
    const problems = await startUpProblems(await user('no-stream', '~gw:*', '&*', '+@all', '-xadd'));
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/^REDIS_USERNAME: the Redis user no-stream may not run XADD on gw:\{[^}]+\}:outbox, which the ledger's scripts do/);
    // Nothing was written by the refused start-up beyond the key layout every gateway marks first.
    expect((await admin.keys('gw:*')).filter((key) => key !== 'gw:layout')).toEqual([]);
  });

  it('refuses a user whose key pattern misses REDIS_KEY_PREFIX, saying so', async () => {
    const problems = await startUpProblems({ ...await user('other-prefix', '~gw:*', '&*', '+@all'), REDIS_KEY_PREFIX: 'hz' });
    expect(problems).toEqual([expect.stringMatching(/^REDIS_USERNAME: the Redis user other-prefix was refused reading the ledger's keys \(NOPERM.*~<prefix>:\*/)]);
  });

  it('refuses a user whose key patterns cover only part of the keys, naming every call of the scripts refused', async () => {
    // The key layout's marker and the settlement-id index, nothing of the persons' buckets or the documents.
    const problems = await startUpProblems({ ...await user('partial', '~hz:layout', '~hz:idx:*', '&*', '+@all'), REDIS_KEY_PREFIX: 'hz' });
    const refused = problems.map((p) => /may not run (\w+) on (\S+),/.exec(p)?.slice(1, 3).join(' '));
    for (const command of ['HGET', 'HSET', 'HINCRBY', 'XADD', 'ZADD', 'DEL', 'XACK', 'XDEL', 'SADD', 'ZREM', 'SMEMBERS', 'EXISTS']) {
      expect(refused.some((r) => r?.startsWith(`${command} hz:`))).toBe(true);
    }
    // The index is allowed: its GET and SET are not among the refused.
    expect(refused.filter((r) => r?.includes(':idx:'))).toEqual([]);
  });

  it('refuses a user that may not run scripts at all', async () => {
    const problems = await startUpProblems(await user('no-scripts', '~gw:*', '&*', '+@all', '-@scripting'));
    expect(problems).toEqual([expect.stringMatching(/^REDIS_USERNAME: the Redis user no-scripts may not run Lua scripts \(NOPERM.*grant \+@scripting/)]);
  });

  it('refuses a Redis whose configuration took EVAL away (rename-command), saying so', async () => {
    const renamed = await startRedis(['--rename-command', 'EVAL', 'EVAL-TAKEN-AWAY']);
    try {
      const problems = await startUpProblems({ REDIS_URL: renamed.url, REDIS_REQUIRE_DURABLE: 'false', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' });
      expect(problems).toEqual([expect.stringMatching(/^REDIS_URL: Redis refused the ledger's Lua scripts \(ERR unknown command .eval./i)]);
    } finally {
      await renamed.stop();
    }
  });

  it('a Redis unreachable at start-up is no refusal: the gateway starts unready, as it always has, and each script asks for itself', async () => {
    const gw = await startTestGateway({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_REQUIRE_DURABLE: 'false', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' });
    try {
      expect((await call(gw.url, '/readyz', { token: null })).status).toBe(503);
    } finally {
      await gw.stop();
    }
  });

  it('an ACL narrowed while the gateway runs: the settlement and the reversal answer 503 with nothing written, then go through once it is mended', async () => {
    const env = await user('narrowed', '~gw:*', '&*', '+@all');
    const gw = await startTestGateway(env);
    try {
      const settledBefore = await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'ZYACL0001', patient: { id: '990100199001010011' } }), token: TOKENS.deskA });
      expect(settledBefore.status, settledBefore.text).toBe(201);
      const keysBefore = (await admin.keys('gw:*')).sort();
      const outboxBefore = await outboxLength();

      await admin.acl('SETUSER', 'narrowed', '-xadd');
      const body = requestBody({ settlementId: 'ZYACL0002', patient: { id: '990100199001010011' } });
      const refused = await call(gw.url, '/v1/settlements', { body, token: TOKENS.deskA });
      expect(refused.status, refused.text).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(asProblem(refused.json)).toMatchObject({ code: 'UNAVAILABLE', detail: expect.stringContaining('ACL') as unknown });
      expect(asProblem(refused.json).detail).toContain('本次未记账');
      const reversal = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/ZYACL0001/reversal`, { body: { reason: '测试撤销', operator: 'clerk-1' }, token: TOKENS.deskA });
      expect(reversal.status, reversal.text).toBe(503);
      // Nothing of either: no key appeared or went, no accumulator moved, no outbox entry, the first still settled.
      expect((await admin.keys('gw:*')).sort()).toEqual(keysBefore);
      expect(await outboxLength()).toBe(outboxBefore);
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/ZYACL0002`, { token: TOKENS.deskA })).status).toBe(404);
      expect(asSplit((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/ZYACL0001`, { token: TOKENS.deskA })).json).status).toBe('settled');

      await admin.acl('SETUSER', 'narrowed', '+xadd');
      const retried = await call(gw.url, '/v1/settlements', { body, token: TOKENS.deskA });
      expect(retried.status, retried.text).toBe(201);
      expect(await outboxLength()).toBe(outboxBefore + 1);
      expect((await call(gw.url, `/v1/settlements/${HOSPITAL_A}/ZYACL0001/reversal`, { body: { reason: '测试撤销', operator: 'clerk-1' }, token: TOKENS.deskA })).status).toBe(200);
      expect(await outboxLength()).toBe(outboxBefore + 2);
    } finally {
      await gw.stop();
    }
  });

  /** Entries in all the ledger's outbox streams. */
  async function outboxLength(): Promise<number> {
    const streams = await admin.keys('gw:*:outbox');
    const lengths = await Promise.all(streams.map((key) => admin.xlen(key)));
    return lengths.reduce((sum, n) => sum + n, 0);
  }
});
