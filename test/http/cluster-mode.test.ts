/** CLUSTER_WORKERS: several worker processes on one port share state through Redis. */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../support/ports.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSplit } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';


describe('cluster mode', () => {
  let redis: TestRedis;
  let primary: ChildProcess;
  let url: string;
  beforeAll(async () => {
    redis = await startRedis();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    primary = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url, CLUSTER_WORKERS: '2', LOG_LEVEL: 'warn', RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false', NODE_ENV: 'development' },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try { if ((await fetch(`${url}/readyz`)).status === 200) return; } catch { /* workers still starting */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('cluster did not become ready');
  });
  afterAll(async () => {
    primary?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await redis?.stop();
  });

  it('settles through whichever worker answers, exactly once per settlement id', async () => {
    const body = requestBody({ settlementId: 'CLUSTER1', items: [{ code: 'a', name: 'a', amount: '20000.00', class: 'A' }] });
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/v1/settlements`, {
      method: 'POST', headers: { authorization: 'Bearer dev-token', 'content-type': 'application/json' }, body: JSON.stringify(body),
    })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const split = asSplit(await (await fetch(`${url}/v1/settlements/${body.hospital.id}/CLUSTER1`, { headers: { authorization: 'Bearer dev-token' } })).json());
    expect(split.lines[0]?.amount).toBe('12350.00'); // (20000 − 1000) × 0.65
  });
});
