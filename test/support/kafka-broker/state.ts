/**
 * Everything the broker knows, independent of sockets, so that stop() and
 * restart() only touch the listener while topics, groups and transactions
 * survive in memory.
 */
import { GroupCoordinator } from './groups.js';
import { TopicStore } from './log.js';
import { TransactionCoordinator } from './transactions.js';

export interface BrokerConfig {
  nodeId: number;
  host: string;
  port: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
}

/** Test-only fault injection; see `injectFault` in index.ts. */
export interface Faults {
  /** Number of upcoming responses per API key to swallow by closing the connection after the request was applied. */
  dropResponses: Map<number, number>;
}

export class BrokerState {
  readonly topics = new TopicStore();
  readonly groups = new GroupCoordinator();
  readonly txns: TransactionCoordinator;
  readonly faults: Faults = { dropResponses: new Map() };
  private readonly listeners = new Set<() => void>();

  constructor(readonly config: BrokerConfig) {
    this.txns = new TransactionCoordinator(this.topics, this.groups, () => this.logChanged());
  }

  /** Wake long-polling fetches: called after every append and transaction marker. */
  logChanged(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolve on the next log change, after `ms`, or when the signal aborts, whichever is first. */
  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.listeners.add(done);
      signal.addEventListener('abort', done);
    });
  }

  dispose(): void {
    this.groups.dispose();
    this.txns.dispose();
  }
}
