/**
 * A pass over a city's year on both cores: child processes (one per shard, each with its own heap and its
 * own Redis connection) each replay the settlements of their persons — a shard is a part of the ledger's
 * persons (listing.ts `part`: on Redis, every count-th bucket of the ledger), so every person's settlements
 * are replayed by one process, in order — and the parent adds the parts. Each child reads only its own
 * buckets: the reading, the parsing and the engine are all shared out.
 *
 * Children, not worker threads: tsx's loader does not reach worker threads on Node 20, and a process's heap
 * is bounded on its own (--max-old-space-size), so one shard's persons cannot starve another's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import type { PersonPart } from '../ledger/listing.js';
import type { SettlementSource } from './records.js';

/** The source's listing and day projections, only the shard's part of the persons (read by the ledger, not filtered here). */
export function shardSource(source: SettlementSource, shard: PersonPart): SettlementSource {
  return { listSettlements: (query) => source.listSettlements({ ...query, part: shard }), part: shard, ...(source.projections ? { projections: source.projections } : {}) };
}

const period = z.object({ from: z.string(), to: z.string() });
/** What a shard is asked: a report pass, a what-if pass, a pricing pass at some figures, or to build its day projections ahead. The query travels as written (its figures as text). */
const shardTask = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('whatif'), candidateText: z.string(), period }),
  z.object({ kind: z.literal('pricing'), candidateText: z.string(), query: z.unknown(), period, steps: z.array(z.int()) }),
  z.object({ kind: z.literal('report'), programme: z.string(), period, basis: z.enum(['settled', 'discharged']), today: z.string().optional() }),
  z.object({ kind: z.literal('project'), period }),
]);
export type ShardTask = z.infer<typeof shardTask>;
export const shardRequest = z.object({ id: z.int(), task: shardTask, shard: z.object({ index: z.int().min(0), count: z.int().min(1) }) });
const shardAnswer = z.discriminatedUnion('ok', [
  z.object({ id: z.int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.int(), ok: z.literal(false), message: z.string(), errors: z.array(z.object({ path: z.string(), message: z.string() })).default([]) }),
]);

export class ShardFailed extends Error {
  constructor(message: string, readonly errors: ReadonlyArray<{ path: string; message: string }> = []) { super(message); }
}

const WORKER = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './shard-worker.ts' : './shard-worker.js', import.meta.url));

/** Child processes, one per shard, kept for a whole search (a pricing run asks them for several passes). */
export class ShardPool {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private constructor(private readonly children: ChildProcess[]) {
    for (const child of children) {
      child.on('message', (message: unknown) => this.answer(message));
      child.on('exit', (code, signal) => {
        // A child gone mid-pass (out of memory, killed) fails the pass; nothing is written anywhere, so nothing is left half-done.
        for (const [, w] of this.waiting) w.reject(new ShardFailed(`a shard process ended (${signal ?? `exit ${code ?? '?'}`}) during a pass`));
        this.waiting.clear();
      });
    }
  }

  /**
   * `count` children with this process's environment (REDIS_URL, PROGRAMMES_DIR …), each heap bounded to `heapMb`: the
   * bound package.json's scripts give a command run in one process (`--workers 1`), so both ways hold a pass to it.
   */
  static start(count: number, heapMb = 512): ShardPool {
    const loader = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];
    return new ShardPool(Array.from({ length: count }, () => fork(WORKER, [], { execArgv: [...loader, `--max-old-space-size=${heapMb}`], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
  }

  get size(): number { return this.children.length; }

  /** The task on every shard; the answers in shard order. */
  async run(task: ShardTask): Promise<unknown[]> {
    return Promise.all(this.children.map((child, index) => new Promise<unknown>((resolve, reject) => {
      const id = (this.next += 1);
      this.waiting.set(id, { resolve, reject });
      child.send({ id, task, shard: { index, count: this.children.length } });
    })));
  }

  private answer(message: unknown): void {
    const parsed = shardAnswer.safeParse(message);
    if (!parsed.success) return;
    const waiter = this.waiting.get(parsed.data.id);
    if (!waiter) return;
    this.waiting.delete(parsed.data.id);
    if (parsed.data.ok) waiter.resolve(parsed.data.result);
    else waiter.reject(new ShardFailed(parsed.data.message, parsed.data.errors));
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
      child.once('exit', () => resolve());
      child.disconnect();
    })));
  }
}
