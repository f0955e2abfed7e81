/**
 * The process (issue 8, items 15 and 18): configuration errors are one clear line each and exit 1;
 * `npm start` stops cleanly on SIGTERM — the request in flight is answered, the port is free and no
 * process of it remains. Real processes, spawned as an operator would start them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { requestBody } from '../support/requests.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr, stdout }); });
  });
}

describe('configuration errors', () => {
  it.each([
    [{ PORT: 'abc' }, /^configuration error: PORT: /],
    [{ PORT: '70000', REQUEST_TIMEOUT_MS: 'soon' }, /^configuration error: (PORT|REQUEST_TIMEOUT_MS): /],
    [{ GATEWAY_CLIENTS_FILE: '/nonexistent/clients.json', PORT: '0' }, /^configuration error: GATEWAY_CLIENTS_FILE: /],
    [{ NODE_ENV: 'production', PORT: '0' }, /^configuration error: GATEWAY_CLIENTS_FILE: required in production$/],
  ])('%j: one line per problem, no stack trace, exit code 1', async (env, pattern) => {
    const { code, stderr } = await run(['--import', 'tsx', 'gateway/main.ts'], env);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    for (const line of lines) expect(line).toMatch(pattern);
    expect(stderr).not.toMatch(/^\s+at /m);
    if ('REQUEST_TIMEOUT_MS' in env) expect(lines).toHaveLength(2);
  }, 40_000);
});

/** Every process descended from `pid` (ps, so also grandchildren that npm or sh started). */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of table) if (ppid === parent) { found.push(child); queue.push(child); }
  }
  return found;
}

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitUntil(condition: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start and SIGTERM', () => {
  it('answers the request in flight, then frees the port and leaves no process behind', async () => {
    const port = await freePort();
    const npm: ChildProcess = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'development', REDIS_URL: '', KAFKA_BROKERS: '' }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)), 30_000, 'the gateway to listen');
      const tree = descendants(npm.pid!);
      expect(tree.length).toBeGreaterThan(0);

      // A preview whose body is only half sent when SIGTERM arrives.
      const body = JSON.stringify(requestBody({ settlementId: 'SIGTERM1' }));
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (c: Buffer) => { answer += c.toString('utf8'); });
      const socketClosed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
      socket.write(`POST /v1/settlements/preview HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dev-token\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
      socket.write(body.slice(0, 100));
      await new Promise((resolve) => setTimeout(resolve, 200));
      npm.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      socket.end(body.slice(100));
      await socketClosed;
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      expect(answer).toContain('"status":"preview"');

      await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error('npm start did not exit after SIGTERM')), 20_000))]);
      await waitUntil(() => tree.every((pid) => !alive(pid)), 10_000, 'every process of npm start to exit');
      expect(await portIsFree(port)).toBe(true);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      for (const pid of descendants(npm.pid!)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
  }, 90_000);
});

describe('the compiled gateway (npm run build → node dist/gateway/main.js, as the image runs it)', () => {
  it('finds its programme packs from dist, and stops on SIGTERM with exit code 0, freeing the port', async () => {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore', timeout: 240_000 });
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/gateway/main.js'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)), 30_000, 'the compiled gateway to listen');
      const programmes = await fetch(`http://127.0.0.1:${port}/v1/programmes`, { headers: { authorization: 'Bearer dev-token' } }).then((r) => r.json()) as { programmes: Array<{ id: string }> };
      expect(programmes.programmes.map((p) => p.id)).toEqual(expect.arrayContaining(['demo-990000-2024-basic', 'weihai-2020-medical', 'sanming-2024-puhui']));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await portIsFree(port)).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 300_000);
});

describe('the image', () => {
  it('runs the compiled JavaScript with node as PID 1 (exec form: no npx, npm or sh to swallow SIGTERM)', () => {
    const dockerfile = readFileSync(`${ROOT}deploy/Dockerfile`, 'utf8');
    const cmd = dockerfile.split('\n').filter((l) => l.startsWith('CMD '));
    expect(cmd).toEqual(['CMD ["node", "dist/gateway/main.js"]']);
    expect(dockerfile).toMatch(/RUN npm run build/);
  });
});
