import type { RateLimit } from './provider';
import type { Clock, Delay } from './types';

/**
 * Sliding-window limiter: at most `limit` acquisitions in any `windowMs`. Waiters are served in order.
 * One instance per account and request class, shared by every node on that account.
 */
export class RateLimiter {
  private readonly stamps: number[] = [];
  private tail: Promise<void> = Promise.resolve();
  /** How many acquisitions had to wait (for benchmarks and status text). */
  waited = 0;

  constructor(
    readonly config: RateLimit,
    private readonly clock: Clock,
    private readonly delay: Delay,
  ) {}

  /** Resolves when one more request may be sent now. */
  acquire(signal?: AbortSignal): Promise<void> {
    const run = this.tail.then(() => this.take(signal));
    // keep the chain alive even if this waiter is aborted
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.stamps.length && this.stamps[0]! <= now - this.config.windowMs) this.stamps.shift();
      if (this.stamps.length < this.config.limit) {
        this.stamps.push(now);
        return;
      }
      this.waited++;
      await this.delay(this.stamps[0]! + this.config.windowMs - now, signal);
    }
  }
}

export interface AccountLimiters {
  create?: RateLimiter;
  read?: RateLimiter;
}
