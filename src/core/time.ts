import { LipSyncError, ERROR_CODES } from './errors';
import type { Clock, Delay } from './types';

export const systemClock: Clock = { now: () => Date.now() };

export function abortError(signal?: AbortSignal, what = 'Operation'): LipSyncError {
  const reason = signal?.reason;
  const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
  return new LipSyncError(ERROR_CODES.ABORTED, `${what} was cancelled${text && text !== 'This operation was aborted' ? `: ${text}` : ''}`);
}

/** Real-time delay that honours an AbortSignal and never keeps the process alive on its own. */
export const realDelay: Delay = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(2 ** 31 - 1, Math.max(0, Number.isFinite(ms) ? ms : 2 ** 31 - 1)));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * A virtual clock for tests and benchmarks: `delay` resolves when `advance()` moves time past it, or at once
 * with `autoAdvance` (the clock jumps to the earliest pending timer whenever the event loop is otherwise idle).
 */
export class VirtualClock implements Clock {
  private current: number;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  readonly delay: Delay = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const entry = {
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== entry);
        reject(abortError(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(entry);
    });

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.earliest();
      if (!next || next.at > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.at;
      next.resolve();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /** Runs timers until none are left (or `maxSteps` fire), jumping time as needed. */
  async runAll(maxSteps = 1_000_000): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      await flushMicrotasks();
      const next = this.earliest();
      if (!next) return;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      next.resolve();
    }
  }

  private earliest() {
    let best: (typeof this.timers)[number] | undefined;
    for (const t of this.timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((r) => setImmediate(r));
}
