/**
 * How long to wait before trying again: capped exponential backoff with jitter, the one formula every retry
 * of the gateway uses (deliveries, the relay, the Kafka consumer's restart, FHIR reads, stale commits).
 *
 * The step doubles from `initialMs` with each failure before this wait, up to `maxMs`; the wait is drawn at
 * random from the last `jitter` share of the step: 1 (full jitter, the default) draws from [0, step), so that
 * many callers failing together — gateways after an outage, claims behind one insurer — never retry in step.
 */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** The share of the step drawn at random, 0..1: 1 is full jitter, 0.2 waits 80–100 % of the step. */
  jitter?: number;
  /** Injectable for tests; uniform in [0, 1). */
  random?: () => number;
}

/** Doublings beyond this only reach the cap; keeps 2^n a small exact number. */
const MAX_DOUBLINGS = 30;

/** The wait in whole milliseconds when the step has doubled `doublings` times: min(maxMs, initialMs × 2^doublings), jittered. */
export function backoffMs(doublings: number, { initialMs, maxMs, jitter = 1, random = Math.random }: Backoff): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, doublings), MAX_DOUBLINGS));
  return Math.floor(step * (1 - jitter + jitter * random()));
}

/** Sleeps, unless `signal` aborts first (then resolves early: the caller checks why it woke). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

interface Retries {
  /** Further attempts after the first (0: none). */
  retries: number;
  backoff: Backoff;
  /** Whether trying again can help (a transient failure); anything else is thrown at once. */
  retryable: (error: unknown) => boolean;
  /** Told of each failure, retried or not, before the wait or the throw. */
  onFailure?: (error: unknown, attempt: number, willRetry: boolean) => void;
}

/** Calls `attempt` until it succeeds, its error is not retryable, or the retries are spent (the last error is thrown). */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, { retries, backoff, retryable, onFailure }: Retries): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const willRetry = n < retries && retryable(error);
      onFailure?.(error, n, willRetry);
      if (!willRetry) throw error;
      await sleep(backoffMs(n, backoff));
    }
  }
}
