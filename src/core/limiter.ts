import type { RateLimit } from './provider';
import { abortError } from './time';
import type { Clock, Delay } from './types';

/** Ends a slot taken from a {@link RateLimiter}: call it once the request is over (answered or failed). */
export type ReleaseSlot = () => void;

/** What a {@link RateLimiter} is doing right now, for status lines ("rate limited · next create in 40 s"). */
export interface RateLimitState {
  limit: number;
  windowMs: number;
  /** Requests that asked for a slot and do not have one yet. */
  queued: number;
  /**
   * Milliseconds until the next slot frees: 0 when one is free now; undefined when every slot is held by a
   * request still running (a slot frees `windowMs` after one of them ends).
   */
  nextSlotInMs: number | undefined;
}

/**
 * Sliding-window limiter: at most `limit` requests in any `windowMs`, as the provider counts them. A request
 * counts from the moment it is let go until `windowMs` after it ended: it reaches the provider somewhere in
 * between, so however late a busy process or network delivers it, no provider window sees more than `limit`.
 * (Counting from the release alone let creates held up in a loaded process arrive bunched: 76 in one minute at a
 * 60/min limit in the concurrency benchmark.) Waiters are served in order. One instance per account and request
 * class, shared by every node on that account.
 */
export class RateLimiter {
  /** When each request of the last window ended, oldest first. */
  private readonly ended: number[] = [];
  private inFlight = 0;
  private tail: Promise<void> = Promise.resolve();
  private wake?: () => void;
  private pending = 0;
  /** How many acquisitions had to wait (for benchmarks and status text). */
  waited = 0;

  constructor(
    readonly config: RateLimit,
    private readonly clock: Clock,
    private readonly delay: Delay,
  ) {}

  /** Resolves when one more request may be sent now, with the function to call when that request is over. */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    this.pending++;
    const run = this.tail.then(() => this.take(signal));
    // keep the chain alive even if this waiter is aborted
    this.tail = run.then(
      () => void this.pending--,
      () => void this.pending--,
    );
    return run;
  }

  /** The limiter as it stands now: how many wait, and when the next slot frees. Changes nothing. */
  state(): RateLimitState {
    const { limit, windowMs } = this.config;
    const now = this.clock.now();
    const inWindow = this.ended.filter((at) => at > now - windowMs);
    let nextSlotInMs: number | undefined = 0;
    if (this.inFlight + inWindow.length >= limit) nextSlotInMs = inWindow.length ? inWindow[0]! + windowMs - now : undefined;
    return { limit, windowMs, queued: this.pending, nextSlotInMs };
  }

  private async take(signal?: AbortSignal): Promise<ReleaseSlot> {
    for (;;) {
      const now = this.clock.now();
      while (this.ended.length && this.ended[0]! <= now - this.config.windowMs) this.ended.shift();
      if (this.inFlight + this.ended.length < this.config.limit) {
        this.inFlight++;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          this.inFlight--;
          this.ended.push(this.clock.now());
          this.wake?.();
        };
      }
      this.waited++;
      // The oldest ended request leaves the window first; with none ended yet, wait for one to end.
      if (this.ended.length) await this.delay(this.ended[0]! + this.config.windowMs - now, signal);
      else await this.nextEnd(signal);
    }
  }

  private nextEnd(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.wake = undefined;
        reject(abortError(signal));
      };
      this.wake = () => {
        this.wake = undefined;
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export interface AccountLimiters {
  create?: RateLimiter;
  read?: RateLimiter;
}

/**
 * At most `size` holders at once (Infinity: no limit), served in the order they asked; an aborted waiter leaves
 * the queue. For "jobs at once" caps, as opposed to {@link RateLimiter}'s "requests per window".
 */
export class ConcurrencyLimit {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new RangeError('ConcurrencyLimit needs a size of at least 1');
    this.free = size;
  }

  /** How many are waiting for a slot. */
  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves with the function that gives the slot back (call it once; later calls do nothing). */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.free > 0 && this.waiters.length === 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.releaser());
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(grant);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(abortError(signal));
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    };
  }
}
