/**
 * No Kafka JVM may outlive the test run that started it. Every JVM gets a pid file naming the node
 * process that owns it and the test run; a process that exits normally kills its JVMs itself
 * (process 'exit'), and the run's global set-up reaps, at start and at end, every JVM whose owner is
 * gone (a crashed or SIGKILLed vitest worker) or that belongs to the run that is ending. A pid is only
 * killed while its command line still names the node's own directory, so a recycled pid is safe.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PID_DIR = join(tmpdir(), 'settlement-gateway-kafka-pids');
/** Set by the global set-up and inherited by the workers it forks. */
export const RUN_ID_ENV = 'SETTLEMENT_GATEWAY_KAFKA_RUN';

interface PidFile { jvmPid: number; ownerPid: number; runId: string; clusterDir: string }

const mine = new Map<number, string>(); // jvm pid → cluster dir, for the exit hook
process.once('exit', () => {
  for (const [pid, dir] of mine) killIfOurs(pid, dir);
  for (const dir of new Set(mine.values())) if (!process.env.KAFKA_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
});

export function registerJvm(jvmPid: number, clusterDir: string): void {
  mkdirSync(PID_DIR, { recursive: true });
  const file: PidFile = { jvmPid, ownerPid: process.pid, runId: process.env[RUN_ID_ENV] ?? '', clusterDir };
  writeFileSync(join(PID_DIR, `${jvmPid}.json`), JSON.stringify(file));
  mine.set(jvmPid, clusterDir);
}

export function unregisterJvm(jvmPid: number): void {
  mine.delete(jvmPid);
  try { unlinkSync(join(PID_DIR, `${jvmPid}.json`)); } catch { /* already gone */ }
}

/** Kills orphaned JVMs (owner gone) and, when runId is given, every JVM of that run. Returns how many. */
export function reapJvms(runId?: string): number {
  let reaped = 0;
  let names: string[];
  try { names = readdirSync(PID_DIR); } catch { return 0; }
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    let file: PidFile;
    try { file = JSON.parse(readFileSync(join(PID_DIR, name), 'utf8')) as PidFile; } catch { continue; }
    const orphan = !alive(file.ownerPid);
    if (!orphan && !(runId && file.runId === runId)) continue;
    if (killIfOurs(file.jvmPid, file.clusterDir)) reaped++;
    if (orphan) rmSync(file.clusterDir, { recursive: true, force: true });
    try { unlinkSync(join(PID_DIR, name)); } catch { /* raced with its owner */ }
  }
  return reaped;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killIfOurs(pid: number, clusterDir: string): boolean {
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(clusterDir)) return false;
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false; // not running any more
  }
}
