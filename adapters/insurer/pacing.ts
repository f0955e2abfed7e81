/** How fast one insurer is called: a token bucket (how often is gateway/resilience/backoff.ts). */
import { sleep } from '../../gateway/resilience/backoff.js';

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
