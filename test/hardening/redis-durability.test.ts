/**
 * Redis as the system of record (issue 8, item 21): with REDIS_REQUIRE_DURABLE (the default in
 * production) the gateway refuses to start on a Redis that does not persist (appendonly) or that may
 * evict (maxmemory-policy); without it, it starts and warns.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway } from '../../gateway/main.js';
import { startRedis, type TestRedis } from '../support/redis.js';

describe('Redis durability at start-up', () => {
  let redis: TestRedis;
  let client: Redis;
  beforeAll(async () => { redis = await startRedis(); client = new Redis(redis.url); });
  afterAll(async () => { client?.disconnect(); await redis?.stop(); });

  const start = (env: Record<string, string>, sink?: Writable) => startGateway(
    loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', REDIS_URL: redis.url, RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false', ...env }),
    createLogger(sink ? 'warn' : 'silent', sink),
  );

  it('refuses a Redis without the append-only file, naming the setting', async () => {
    await client.config('SET', 'appendonly', 'no');
    const error = await start({ REDIS_REQUIRE_DURABLE: 'true' }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toMatch(/appendonly/);
  });

  it('refuses a Redis that may evict keys', async () => {
    await client.config('SET', 'appendonly', 'yes');
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const error = await start({ REDIS_REQUIRE_DURABLE: 'true' }).then(() => null, (e: unknown) => e);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/maxmemory-policy is allkeys-lru/)]);
    } finally {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('starts on a durable Redis', async () => {
    await client.config('SET', 'appendonly', 'yes');
    const gateway = await start({ REDIS_REQUIRE_DURABLE: 'true' });
    await gateway.stop();
  });

  it('requires durability by default in production', async () => {
    await client.config('SET', 'appendonly', 'no');
    const dir = mkdtempSync(join(tmpdir(), 'gw-durable-'));
    const clientsFile = join(dir, 'clients.json');
    writeFileSync(clientsFile, JSON.stringify([{ token: 'production-token-0123456789', name: 'ops', roles: ['admin'], hospitalIds: '*' }]));
    // Production also requires a Redis password (redis-tls-acl.test.ts); this private test Redis has none.
    const error = await start({ NODE_ENV: 'production', GATEWAY_CLIENTS_FILE: clientsFile, REDIS_REQUIRE_AUTH: 'false' }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toMatch(/appendonly/);
  });

  it('where durability is required, warns of a master without maxmemory (the OS, not Redis, would then stop the ledger) and not of one with it', async () => {
    await client.config('SET', 'appendonly', 'yes');
    const warnings = async (): Promise<string> => {
      const lines: string[] = [];
      const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString('utf8')); done(); } });
      const gateway = await start({ REDIS_REQUIRE_DURABLE: 'true' }, sink);
      await gateway.stop();
      return lines.join('');
    };
    await client.config('SET', 'maxmemory', '0');
    const unlimited = await warnings();
    expect(unlimited).toMatch(/Redis has no maxmemory/);
    expect(unlimited).toContain(`127.0.0.1:${redis.port}`);
    await client.config('SET', 'maxmemory', String(512 * 1024 * 1024));
    try {
      expect(await warnings()).not.toMatch(/maxmemory/);
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
  });

  it('without the requirement, starts and warns loudly', async () => {
    await client.config('SET', 'appendonly', 'no');
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString('utf8')); done(); } });
    const gateway = await start({ REDIS_REQUIRE_DURABLE: 'false' }, sink);
    await gateway.stop();
    expect(lines.join('')).toMatch(/Redis is NOT durable/);
  });
});
