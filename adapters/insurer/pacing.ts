/** How fast and how often one insurer is called: a token bucket, and capped exponential backoff with full jitter. */

/** Sleeps, unless `signal` aborts first (then resolves early: the caller checks why it woke). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Full jitter (a uniform wait in [0, min(cap, initial × 2^attempt)]): retries of many claims never march in step. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** A token bucket: `burst` calls at once, then `perSecond` on average. One per insurer, in process. */
export class TokenBucket {
  private tokens: number;
  private refilledAtMs: number;

  constructor(private readonly perSecond: number, private readonly burst: number, private readonly now: () => number = Date.now) {
    this.tokens = burst;
    this.refilledAtMs = now();
  }

  /** Waits for a token (or until `signal` aborts). */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) return;
      this.refill();
      if (this.tokens >= 1) { this.tokens -= 1; return; }
      await sleep(Math.ceil(((1 - this.tokens) / this.perSecond) * 1000), signal);
    }
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAtMs) / 1000) * this.perSecond);
    this.refilledAtMs = now;
  }
}
