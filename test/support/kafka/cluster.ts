/**
 * Apache Kafka brokers for tests and benchmarks: real JVMs (`java -cp <jars> kafka.Kafka`) in KRaft
 * mode, on free ports, in a temp directory, started and stopped by PID.
 * - one broker: a single node in combined broker+controller mode;
 * - three brokers: three broker-only nodes plus one controller-only node. The fault tests kill
 *   brokers, up to two of three; with the controllers inside the brokers that would also kill the
 *   metadata quorum, and nothing (leader election, ISR shrink → NOT_ENOUGH_REPLICAS) could happen.
 * A node can be killed (SIGTERM or SIGKILL) and started again on the same ports and log dirs.
 * `secured` runs the same topologies with SASL_SSL listeners, SCRAM users made at format time and the
 * StandardAuthorizer (properties.ts NodeSecurity); `access(user)` gives a client's ssl and sasl options.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { makePki, type TestPki } from '../pki.js';
import { freePort } from '../ports.js';
import { kafkaJars } from './jars.js';
import { log4jConfig, serverProperties, type NodeLayout, type NodeSecurity, type PropertyOverrides } from './properties.js';
import { registerJvm, unregisterJvm } from './reaper.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const CONTROLLER_ID = 100;
const START_TIMEOUT_MS = Number(process.env.KAFKA_START_TIMEOUT_MS ?? 120_000);
const STOP_GRACE_MS = 15_000;
/** Modest heap, serial GC: other engineers share the two cores. */
const JVM_OPTIONS = ['-Xms64m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true'];

export interface KafkaNode extends NodeLayout { dir: string; logFile: string; propertiesFile: string }

/** A client's kafkajs connection options: none on a plaintext cluster; TLS and a SCRAM user on a secured one. */
export interface ClientAccess { ssl?: ConnectionOptions; sasl?: SASLOptions }

/** The secured cluster's super user: inter-broker traffic and the tests' admin client. */
export const SUPER_USER = 'admin';

export interface TestKafka {
  version: string;
  /** Bootstrap addresses of every broker. */
  brokers: string[];
  /** Broker node ids (1…n). */
  brokerIds: number[];
  dir: string;
  /** Whether the listeners are SASL_SSL with the StandardAuthorizer. */
  secured: boolean;
  /** PEM file of the CA that signed the brokers' certificates (secured only). */
  caFile?: string;
  /**
   * A client's connection options: on a secured cluster TLS and the SCRAM user (the super user when none
   * is named; SCRAM-SHA-512 unless told), on a plaintext one nothing.
   */
  access(user?: string, mechanism?: 'scram-sha-256' | 'scram-sha-512'): ClientAccess;
  /** The PKI of a secured cluster, to issue client certificates (secured only). */
  pki?: TestPki;
  /** The broker at node id → host:port. */
  address(nodeId: number): string;
  running(nodeId: number): boolean;
  /** The node's JVM process id while it runs (benchmarks read its CPU time from /proc). */
  pid(nodeId: number): number | undefined;
  /** SIGTERM (controlled shutdown, SIGKILL after a grace period) or SIGKILL (a crash). */
  kill(nodeId: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts a killed node again on its ports and log dirs; resolves once the cluster has it back. */
  restart(nodeId: number): Promise<void>;
  /** The end of a node's log, for failure messages. */
  logTail(nodeId: number, lines?: number): string;
  /** After a failed test: stop() leaves the nodes' directories (logs, data) in place; says where. */
  keepLogs(): string;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  brokers: 1 | 3;
  /** Entries added to (or replacing) every node's server.properties, e.g. an authorizer. */
  serverProperties?: PropertyOverrides;
  /** SASL_SSL and the StandardAuthorizer, with these SCRAM users (name → password) besides the super user, made at format time under both SCRAM mechanisms. */
  secured?: { users: Readonly<Record<string, string>> };
}

export async function startKafka(options: StartKafkaOptions = { brokers: 1 }): Promise<TestKafka> {
  const { version, classpath } = await kafkaJars();
  const dir = await mkdtemp(join(tmpdir(), 'gw-kafka-'));
  const secured = options.secured ? await securityOf(dir, options.secured.users) : undefined;
  const count = options.brokers;
  const layouts: NodeLayout[] = [];
  if (count === 1) {
    const [port, controllerPort] = [await freePort(), await freePort()];
    layouts.push({ nodeId: 1, role: 'combined', port, controllerPort, dataDir: '', quorumVoters: `1@${HOST}:${controllerPort}`, brokerCount: 1 });
  } else {
    const controllerPort = await freePort();
    const quorumVoters = `${CONTROLLER_ID}@${HOST}:${controllerPort}`;
    layouts.push({ nodeId: CONTROLLER_ID, role: 'controller', controllerPort, dataDir: '', quorumVoters, brokerCount: count });
    for (let id = 1; id <= count; id++) layouts.push({ nodeId: id, role: 'broker', port: await freePort(), dataDir: '', quorumVoters, brokerCount: count });
  }
  // base64url may begin with '-' (one start in 64): passed as --cluster-id=…, never as an argument of its own,
  // or the storage tool's parser takes it for an option and the broker never starts.
  const clusterId = randomBytes(16).toString('base64url');
  const nodes: KafkaNode[] = [];
  for (const layout of layouts) {
    const nodeDir = join(dir, `node-${layout.nodeId}`);
    await mkdir(nodeDir, { recursive: true });
    const node: KafkaNode = { ...layout, dataDir: join(nodeDir, 'data'), dir: nodeDir, logFile: join(nodeDir, 'server.log'), propertiesFile: join(nodeDir, 'server.properties') };
    await writeFile(node.propertiesFile, serverProperties(node, options.serverProperties, secured?.node));
    await writeFile(join(nodeDir, 'log4j2.properties'), log4jConfig(node.logFile));
    nodes.push(node);
  }
  // Formatting is independent per node: run the JVMs side by side.
  await Promise.all(nodes.map((node) => format(classpath, node, clusterId, secured?.users ?? {})));
  const access = (user?: string, mechanism: 'scram-sha-256' | 'scram-sha-512' = 'scram-sha-512'): ClientAccess => {
    if (!secured) return {};
    const name = user ?? SUPER_USER;
    const password = secured.users[name];
    if (password === undefined) throw new Error(`no SCRAM user ${name} on this cluster`);
    return { ssl: { ca: [secured.caPem] }, sasl: { mechanism, username: name, password } };
  };

  const children = new Map<number, ChildProcess>();
  const brokerNodes = nodes.filter((n) => n.port !== undefined);
  const byId = (nodeId: number): KafkaNode => {
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new Error(`no Kafka node ${nodeId}`);
    return node;
  };
  const launch = (node: KafkaNode): void => {
    const out = openSync(join(node.dir, 'stdout.log'), 'a');
    const child = spawn('java', [...JVM_OPTIONS, `-Dlog4j2.configurationFile=${join(node.dir, 'log4j2.properties')}`, `-Dkafka.logs.dir=${node.dir}`, '-cp', classpath, 'kafka.Kafka', node.propertiesFile], { stdio: ['ignore', out, out] });
    closeSync(out);
    if (child.pid === undefined) throw new Error('java could not be started (is a JDK installed?)');
    registerJvm(child.pid, dir);
    const pid = child.pid;
    child.once('exit', () => unregisterJvm(pid));
    children.set(node.nodeId, child);
  };
  const isRunning = (nodeId: number): boolean => {
    const child = children.get(nodeId);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  };
  const logTail = (nodeId: number, lines = 40): string => {
    const node = byId(nodeId);
    const read = (f: string): string => { try { return readFileSync(f, 'utf8'); } catch { return ''; } };
    return `${node.dir} (${node.logFile}):\n${(read(join(node.dir, 'stdout.log')) + read(node.logFile)).split('\n').slice(-lines).join('\n')}`;
  };
  const kill = async (nodeId: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const child = children.get(nodeId);
    if (!child || !isRunning(nodeId)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  let keep = Boolean(process.env.KAFKA_KEEP_LOGS);
  const stop = async (): Promise<void> => {
    // SIGKILL: the data is thrown away, no controlled shutdown is worth waiting for.
    await Promise.all([...children.keys()].map((id) => kill(id, 'SIGKILL')));
    if (!keep) await rm(dir, { recursive: true, force: true });
    await secured?.pki.remove();
  };
  const waitForBrokers = async (expected: number[], failedNode: () => number | undefined): Promise<void> => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const failed = failedNode();
      if (failed !== undefined) throw new Error(`Kafka node ${failed} exited during start-up; log in ${logTail(failed)}`);
      if (await answersMetadata(brokerNodes.filter((n) => isRunning(n.nodeId)).map((n) => `${HOST}:${n.port!}`), expected, access())) return;
      if (Date.now() > deadline) throw new Error(`Kafka did not answer metadata with brokers ${expected.join(',')} within ${START_TIMEOUT_MS} ms; logs in ${dir}\n${logTail(expected[0]!)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  try {
    for (const node of nodes) launch(node);
    await waitForBrokers(brokerNodes.map((n) => n.nodeId), () => nodes.find((n) => !isRunning(n.nodeId))?.nodeId);
    await waitForGroupCoordinator(brokerNodes.map((n) => `${HOST}:${n.port!}`), access());
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  return {
    version,
    brokers: brokerNodes.map((n) => `${HOST}:${n.port!}`),
    brokerIds: brokerNodes.map((n) => n.nodeId),
    dir,
    secured: secured !== undefined,
    ...(secured ? { caFile: secured.pki.ca, pki: secured.pki } : {}),
    access,
    address: (nodeId) => `${HOST}:${byId(nodeId).port!}`,
    running: isRunning,
    pid: (nodeId) => (isRunning(nodeId) ? children.get(nodeId)?.pid : undefined),
    kill,
    async restart(nodeId) {
      if (isRunning(nodeId)) return;
      launch(byId(nodeId));
      const live = brokerNodes.filter((n) => n.nodeId === nodeId || isRunning(n.nodeId)).map((n) => n.nodeId);
      await waitForBrokers(live, () => (isRunning(nodeId) ? undefined : nodeId));
    },
    logTail,
    keepLogs() {
      keep = true;
      process.stderr.write(`Kafka logs of the failed test kept in ${dir} (node-<id>/server.log)\n`);
      return dir;
    },
    stop,
  };
}

interface ClusterSecurity { pki: TestPki; caPem: string; node: NodeSecurity; users: Record<string, string> }

/** A CA, one certificate for every node (CN=kafka-node, for 127.0.0.1), and the SCRAM users with the super user. */
async function securityOf(dir: string, users: Readonly<Record<string, string>>): Promise<ClusterSecurity> {
  const pki = await makePki();
  const cert = await pki.issue('kafka-node', 'server');
  const keystore = join(dir, 'kafka-node.pem');
  // Kafka's PEM keystore: the certificate chain and the PKCS#8 key (openssl 3 writes PKCS#8) in one file.
  await writeFile(keystore, readFileSync(cert.cert, 'utf8') + readFileSync(cert.key, 'utf8'));
  const superPassword = randomBytes(12).toString('hex');
  return {
    pki, caPem: readFileSync(pki.ca, 'utf8'),
    node: { keystore, truststore: pki.ca, superUser: SUPER_USER, superPassword, certificatePrincipal: 'User:CN=kafka-node' },
    users: { ...users, [SUPER_USER]: superPassword },
  };
}

/** SCRAM passwords go into --add-scram's own syntax: nothing that could end its brackets. */
const SCRAM_TEXT = /^[A-Za-z0-9._-]+$/;

async function format(classpath: string, node: KafkaNode, clusterId: string, users: Readonly<Record<string, string>>): Promise<void> {
  const scram = Object.entries(users).flatMap(([name, password]) => {
    if (!SCRAM_TEXT.test(name) || !SCRAM_TEXT.test(password)) throw new Error(`SCRAM user ${name}: names and passwords of letters, digits, '.', '_' and '-' only`);
    return ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${name},password=${password}]`]);
  });
  try {
    await run('java', ['-Xmx192m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', `-Dlog4j2.configurationFile=${join(node.dir, 'log4j2.properties')}`, '-cp', classpath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', node.propertiesFile, ...scram], { timeout: 120_000 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`formatting the KRaft storage of node ${node.nodeId} failed: ${stdout}\n${stderr}`, { cause: error });
  }
}

/**
 * Kafka creates __consumer_offsets on the first FindCoordinator, and until its partitions have leaders
 * every group gets COORDINATOR_NOT_AVAILABLE — long enough on a busy machine for kafkajs to give up and
 * crash a consumer for good. Asking about a group until it answers creates it before any test runs.
 */
async function waitForGroupCoordinator(bootstrap: string[], access: ClientAccess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const admin = new Kafka({ brokers: bootstrap, clientId: 'test-kafka-probe', ...access, logLevel: logLevel.NOTHING, connectionTimeout: 1_000, requestTimeout: 5_000, retry: { retries: 3, initialRetryTime: 200 } }).admin();
    try {
      await admin.connect();
      await admin.describeGroups(['test-kafka-warm-up']);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Kafka's group coordinator did not become available within ${START_TIMEOUT_MS} ms: ${String(error)}`, { cause: error });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** True once some broker answers metadata naming every expected broker (fenced ones are not named). */
async function answersMetadata(bootstrap: string[], expected: number[], access: ClientAccess): Promise<boolean> {
  if (bootstrap.length === 0) return false;
  const admin = new Kafka({ brokers: bootstrap, clientId: 'test-kafka-probe', ...access, logLevel: logLevel.NOTHING, connectionTimeout: 1_000, requestTimeout: 2_000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    const ids = new Set(brokers.map((b) => b.nodeId));
    return expected.every((id) => ids.has(id));
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
