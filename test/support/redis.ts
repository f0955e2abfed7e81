/**
 * Test Redis servers: a private `redis-server` (or a 3-master cluster) on free ports, in a temp dir,
 * without persistence. Never a Redis someone else started: tests must not depend on, or write into,
 * whatever happens to listen on 6379.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;

export interface TestRedis { url: string; port: number; /** The server's process id (fault tests pause it with SIGSTOP). */ pid: number; stop(): Promise<void> }
export interface TestRedisCluster { nodes: { host: string; port: number }[]; stop(): Promise<void> }

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(port), ...args], { timeout: 5_000 });
  return stdout.trim();
}

interface Server { port: number; child: ChildProcess; dir: string }

const live = new Set<ChildProcess>();
// A test process that dies without calling stop() must not leave servers behind.
process.once('exit', () => { for (const child of live) child.kill('SIGKILL'); });

async function startServer(extraArgs: (port: number, dir: string) => Promise<string[]>): Promise<Server> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'gw-redis-'));
    const port = await freePort();
    const args = [
      '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir,
      '--daemonize', 'no', '--protected-mode', 'no', '--logfile', join(dir, 'redis.log'),
      ...(await extraArgs(port, dir)),
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    live.add(child);
    child.once('exit', () => live.delete(child));
    try {
      await waitFor(async () => (await cli(port, 'PING')) === 'PONG', () => child.exitCode !== null);
      return { port, child, dir };
    } catch (error) {
      lastError = new Error(`redis-server on ${port} did not start: ${String(error)}\n${await readFile(join(dir, 'redis.log'), 'utf8').catch(() => '')}`);
      await stopServer({ port, child, dir });
    }
  }
  throw lastError;
}

async function waitFor(ready: () => Promise<boolean>, failed: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (failed()) throw new Error('the process exited');
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopServer({ child, dir }: Server): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}

export async function startRedis(): Promise<TestRedis> {
  const server = await startServer(async () => []);
  return { url: `redis://${HOST}:${server.port}`, port: server.port, pid: server.child.pid ?? 0, stop: () => stopServer(server) };
}

export async function startRedisCluster(masters = 3): Promise<TestRedisCluster> {
  // The bus port is chosen too (cluster-port): port + 10000 may be taken or beyond 65535.
  const servers = await Promise.all(Array.from({ length: masters }, () => startServer(async (_port, dir) => [
    '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'),
    '--cluster-node-timeout', '2000', '--cluster-port', String(await freePort()),
  ])));
  const stop = async (): Promise<void> => { await Promise.all(servers.map(stopServer)); };
  try {
    await run('redis-cli', [
      '--cluster', 'create', ...servers.map((s) => `${HOST}:${s.port}`), '--cluster-replicas', '0', '--cluster-yes',
    ], { timeout: 30_000 });
    await waitFor(async () => {
      const states = await Promise.all(servers.map((s) => cli(s.port, 'CLUSTER', 'INFO')));
      return states.every((info) => info.includes('cluster_state:ok'));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: servers.map((s) => ({ host: HOST, port: s.port })), stop };
}
