/**
 * Redis secured (issue 23): the gateway reaches Redis over TLS only, with its client certificate, as an
 * ACL user whose password comes from a secret reference; it settles over that connection. Start-up refuses
 * a wrong password, a Redis certificate it does not trust, and in production a Redis without a password.
 * One TLS redis-server (default user off, tls-auth-clients yes) serves the file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../gateway/config.js';
import { openToolStorage } from '../../gateway/storage.js';
import { redisAccess } from '../../gateway/ledger/connect.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway } from '../../gateway/main.js';
import { makePki, type CertFiles, type TestPki } from '../support/pki.js';
import { startTlsRedis, startTlsRedisCluster, type TestRedis } from '../support/redis.js';
import { call, HOSPITAL_A, startTestGateway, TOKENS } from '../support/gateway.js';
import { requestBody } from '../support/requests.js';

const PASSWORD = 'gw-redis-password-0123456789';

describe('Redis over TLS with an ACL user', () => {
  let pki: TestPki;
  let stranger: TestPki;
  let client: CertFiles;
  let redis: TestRedis;
  let admin: Redis;
  let env: Record<string, string>;

  beforeAll(async () => {
    [pki, stranger] = await Promise.all([makePki(), makePki()]);
    client = await pki.issue('gateway', 'client');
    redis = await startTlsRedis({ ca: pki.ca, server: pki.server, client, users: { gateway: PASSWORD } });
    const passwordFile = join(pki.dir, 'redis-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    env = {
      REDIS_URL: redis.url, REDIS_USERNAME: 'gateway', REDIS_PASSWORD_SECRET: JSON.stringify({ file: passwordFile }),
      REDIS_TLS_CA_FILE: pki.ca, REDIS_TLS_CERT_FILE: client.cert, REDIS_TLS_KEY_FILE: client.key,
      REDIS_REQUIRE_DURABLE: 'false', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false',
    };
    admin = new Redis(redis.url, { username: 'gateway', password: PASSWORD, tls: { ca: readFileSync(pki.ca), cert: readFileSync(client.cert), key: readFileSync(client.key) } });
  }, 60_000);
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
    await Promise.all([pki?.remove(), stranger?.remove()]);
  });

  const start = (overrides: Record<string, string>) => startGateway(
    loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', ...env, ...overrides }),
    createLogger('silent'),
  );
  const refusal = async (overrides: Record<string, string>): Promise<string> => {
    const error = await start(overrides).then(async (g) => { await g.stop(); return null; }, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join('\n');
  };

  it('settles over it: the record is in that Redis, written as the ACL user', async () => {
    const gw = await startTestGateway(env);
    try {
      const body = requestBody({ settlementId: 'ZYTLS0001' });
      const settled = await call(gw.url, '/v1/settlements', { body, token: TOKENS.deskA });
      expect(settled.status).toBe(201);
      const read = await call(gw.url, `/v1/settlements/${HOSPITAL_A}/ZYTLS0001`, { token: TOKENS.deskA });
      expect(read.status).toBe(200);
      expect(await admin.keys(`gw:idx:${HOSPITAL_A}:ZYTLS0001`)).toHaveLength(1);
      expect(await admin.acl('WHOAMI')).toBe('gateway');
    } finally {
      await gw.stop();
    }
  });

  it('refuses to start with a wrong password, saying Redis refused the user and never printing a password', async () => {
    const wrongFile = join(pki.dir, 'wrong-password');
    writeFileSync(wrongFile, 'not-the-password');
    const problems = await refusal({ REDIS_PASSWORD_SECRET: JSON.stringify({ file: wrongFile }) });
    expect(problems).toMatch(/REDIS_USERNAME \/ REDIS_PASSWORD_SECRET: Redis refused the user gateway over TLS: WRONGPASS/);
    expect(problems).not.toContain('not-the-password');
  });

  it('refuses to start when the password secret is missing, naming the reference', async () => {
    const problems = await refusal({ REDIS_PASSWORD_SECRET: JSON.stringify({ env: 'GW_TEST_NO_SUCH_SECRET' }) });
    expect(problems).toMatch(/REDIS_PASSWORD_SECRET: the environment variable GW_TEST_NO_SUCH_SECRET is not set/);
  });

  it('refuses a Redis whose certificate was signed by a CA it does not trust', async () => {
    const problems = await refusal({ REDIS_TLS_CA_FILE: stranger.ca });
    expect(problems).toMatch(/REDIS_TLS_CA_FILE \/ REDIS_TLS_CERT_FILE \/ REDIS_TLS_KEY_FILE: Redis refused/);
  });

  it('in production, refuses a configuration without a Redis password', async () => {
    const clientsFile = join(pki.dir, 'clients.json');
    writeFileSync(clientsFile, JSON.stringify([{ token: 'production-token-0123456789', name: 'ops', roles: ['admin'], hospitalIds: '*' }]));
    const problems = await refusal({ NODE_ENV: 'production', GATEWAY_CLIENTS_FILE: clientsFile, REDIS_PASSWORD_SECRET: '', REDIS_USERNAME: '' });
    expect(problems).toMatch(/REDIS_PASSWORD_SECRET: required/);
    // Without any Redis the refusal names what is missing first: Redis itself.
    expect(await refusal({ NODE_ENV: 'production', GATEWAY_CLIENTS_FILE: clientsFile, REDIS_URL: '' })).toBe('REDIS_URL or REDIS_CLUSTER_NODES: required in production');
  });

  it('with REDIS_REQUIRE_AUTH, refuses a Redis that also answers connections without a password', async () => {
    await admin.acl('SETUSER', 'default', 'on', 'nopass', '~*', '&*', '+@all');
    try {
      const problems = await refusal({ REDIS_REQUIRE_AUTH: 'true' });
      expect(problems).toMatch(/REDIS_REQUIRE_AUTH: Redis answers a connection without a password/);
    } finally {
      await admin.acl('SETUSER', 'default', 'off');
    }
    const gateway = await start({ REDIS_REQUIRE_AUTH: 'true' });
    await gateway.stop();
  });

  it('settles over a Redis Cluster that speaks TLS only (REDIS_TLS=true), every node reached as the ACL user', async () => {
    const cluster = await startTlsRedisCluster({ ca: pki.ca, server: pki.server, client, users: { gateway: PASSWORD } });
    const { REDIS_URL: _url, ...rest } = env;
    const gw = await startTestGateway({ ...rest, REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','), REDIS_TLS: 'true' }).catch(async (error: unknown) => { await cluster.stop(); throw error; });
    try {
      for (const id of ['ZYTLSC01', 'ZYTLSC02', 'ZYTLSC03']) {
        const settled = await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: id, patient: { id: `99010019800101${id.slice(-2)}34` } }), token: TOKENS.deskA });
        expect(settled.status, settled.text).toBe(201);
      }
      expect((await call(gw.url, '/readyz', { token: null })).status).toBe(200);
    } finally {
      await gw.stop();
      await cluster.stop();
    }
  }, 60_000);

  it('the command-line tools open the same Redis the same way', async () => {
    const ledger = openToolStorage(loadConfig({ NODE_ENV: 'test', ...env }))?.ledger;
    try {
      expect(ledger).toBeDefined();
      await expect(ledger!.ping()).resolves.toBeUndefined();
    } finally {
      await ledger?.close();
    }
  });
});

describe('Redis access settings', () => {
  const access = (env: Record<string, string>, secrets: Record<string, string> = {}) => redisAccess(loadConfig({ NODE_ENV: 'test', ...env }), secrets);
  const problemsOf = (run: () => unknown): readonly string[] => {
    try {
      run();
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('reads the password from its reference and the user from REDIS_USERNAME; TLS from the scheme', () => {
    expect(access({ REDIS_URL: 'rediss://redis.example:6380', REDIS_USERNAME: 'gw', REDIS_PASSWORD_SECRET: '{"env":"PW"}' }, { PW: 'secret' }))
      .toEqual({ tls: {}, username: 'gw', password: 'secret' });
    expect(access({ REDIS_URL: 'redis://redis.example:6379' })).toEqual({});
  });

  it('refuses contradictions and half settings, every problem at once, naming variables and never values', () => {
    const problems = problemsOf(() => access({
      REDIS_URL: 'redis://u:in-url-password@redis.example:6379', REDIS_USERNAME: 'gw', REDIS_PASSWORD_SECRET: '{"env":"PW"}',
      REDIS_TLS_CA_FILE: '/nonexistent/ca.crt', REDIS_TLS_CERT_FILE: '/nonexistent/c.crt',
    }, { PW: 'x' }));
    expect(problems).toEqual([
      expect.stringMatching(/^REDIS_TLS_CA_FILE \/ REDIS_TLS_CERT_FILE \/ REDIS_TLS_KEY_FILE: given, but TLS is off/),
      expect.stringMatching(/^REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE: give both or neither/),
      expect.stringMatching(/^REDIS_USERNAME: the REDIS_URL names a user too/),
      expect.stringMatching(/^REDIS_PASSWORD_SECRET: the REDIS_URL carries a password too/),
      expect.stringMatching(/^REDIS_TLS_CA_FILE: \/nonexistent\/ca.crt cannot be read \(ENOENT\)/),
      expect.stringMatching(/^REDIS_TLS_CERT_FILE: \/nonexistent\/c.crt cannot be read \(ENOENT\)/),
    ]);
    expect(problems.join('\n')).not.toContain('in-url-password');
    expect(problemsOf(() => access({ REDIS_URL: 'redis://redis.example:6379', REDIS_TLS: 'true' }))).toEqual([expect.stringMatching(/use rediss:\/\//)]);
  });

  it('refuses a secret reference that is not one, at configuration', () => {
    expect(problemsOf(() => loadConfig({ REDIS_PASSWORD_SECRET: 'plain-password' }))).toEqual([expect.stringMatching(/^REDIS_PASSWORD_SECRET: a secret reference as JSON/)]);
    expect(problemsOf(() => loadConfig({ REDIS_PASSWORD_SECRET: '{"value":"plain"}' }))[0]).toMatch(/^REDIS_PASSWORD_SECRET/);
  });
});
