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

/** How a server is reached: plain on its port, or TLS only (the plain port off) with redis-cli's TLS and user options. */
interface Listen { args(port: number): string[]; cliArgs: string[] }
const PLAIN: Listen = { args: (port) => ['--port', String(port)], cliArgs: [] };

const live = new Set<ChildProcess>();
// A test process that dies without calling stop() must not leave servers behind.
process.once('exit', () => { for (const child of live) child.kill('SIGKILL'); });

async function startServer(extraArgs: (port: number, dir: string) => Promise<string[]>, listen: Listen = PLAIN): Promise<Server> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'gw-redis-'));
    const port = await freePort();
    const args = [
      ...listen.args(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir,
      '--daemonize', 'no', '--protected-mode', 'no', '--logfile', join(dir, 'redis.log'),
      ...(await extraArgs(port, dir)),
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    live.add(child);
    child.once('exit', () => live.delete(child));
    try {
      await waitFor(async () => (await cli(port, ...listen.cliArgs, 'PING')) === 'PONG', () => child.exitCode !== null);
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

/** A private `redis-server` on a free port; `args`: more of its configuration, as command-line options. */
export async function startRedis(args: readonly string[] = []): Promise<TestRedis> {
  const server = await startServer(async () => [...args]);
  return { url: `redis://${HOST}:${server.port}`, port: server.port, pid: server.child.pid ?? 0, stop: () => stopServer(server) };
}

export async function startRedisCluster(masters = 3): Promise<TestRedisCluster> {
  return startCluster(masters, PLAIN, []);
}

async function startCluster(masters: number, listen: Listen, extraArgs: string[]): Promise<TestRedisCluster> {
  // The bus port is chosen too (cluster-port): port + 10000 may be taken or beyond 65535.
  const servers = await Promise.all(Array.from({ length: masters }, () => startServer(async (_port, dir) => [
    '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'),
    '--cluster-node-timeout', '2000', '--cluster-port', String(await freePort()), ...extraArgs,
  ], listen)));
  const stop = async (): Promise<void> => { await Promise.all(servers.map(stopServer)); };
  try {
    await run('redis-cli', [
      ...listen.cliArgs, '--cluster', 'create', ...servers.map((s) => `${HOST}:${s.port}`), '--cluster-replicas', '0', '--cluster-yes',
    ], { timeout: 30_000 });
    await waitFor(async () => {
      const states = await Promise.all(servers.map((s) => cli(s.port, ...listen.cliArgs, 'CLUSTER', 'INFO')));
      return states.every((info) => info.includes('cluster_state:ok'));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: servers.map((s) => ({ host: HOST, port: s.port })), stop };
}

export interface TlsRedisOptions {
  /** The CA that signed the server certificate and every client certificate Redis accepts. */
  ca: string;
  server: { cert: string; key: string };
  /** A client certificate redis-cli presents to check the server is up (Redis asks for one). */
  client: { cert: string; key: string };
  /** ACL users: name → password, each with every key, channel and command. */
  users: Record<string, string>;
  /** `off` (default) refuses a connection without credentials; `nopass` leaves Redis open to anyone who reaches it. */
  defaultUser?: 'off' | 'nopass';
}

function tlsListen(o: TlsRedisOptions): { listen: Listen; acl: string[] } {
  const [firstUser, firstPassword] = Object.entries(o.users)[0] ?? [];
  if (!firstUser || !firstPassword) throw new Error('TLS Redis: give at least one user');
  const listen: Listen = {
    args: (port) => ['--port', '0', '--tls-port', String(port), '--tls-cert-file', o.server.cert, '--tls-key-file', o.server.key,
      '--tls-ca-cert-file', o.ca, '--tls-auth-clients', 'yes'],
    cliArgs: ['--tls', '--cacert', o.ca, '--cert', o.client.cert, '--key', o.client.key, '--user', firstUser, '--pass', firstPassword, '--no-auth-warning'],
  };
  const users = Object.entries(o.users).flatMap(([name, password]) => ['--user', name, 'on', `>${password}`, '~*', '&*', '+@all']);
  const defaultUser = ['--user', 'default', ...(o.defaultUser === 'nopass' ? ['on', 'nopass', '~*', '&*', '+@all'] : ['off'])];
  return { listen, acl: [...users, ...defaultUser] };
}

/** A private `redis-server` that speaks TLS only (tls-auth-clients yes) and knows the given ACL users. */
export async function startTlsRedis(o: TlsRedisOptions): Promise<TestRedis> {
  const { listen, acl } = tlsListen(o);
  const server = await startServer(async () => acl, listen);
  return { url: `rediss://${HOST}:${server.port}`, port: server.port, pid: server.child.pid ?? 0, stop: () => stopServer(server) };
}

/** A 3-master Cluster that speaks TLS only, its bus too (tls-cluster: the server certificate is also each node's client certificate). */
export async function startTlsRedisCluster(o: TlsRedisOptions, masters = 3): Promise<TestRedisCluster> {
  const { listen, acl } = tlsListen(o);
  return startCluster(masters, listen, ['--tls-cluster', 'yes', ...acl]);
}
