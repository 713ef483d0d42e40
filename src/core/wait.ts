import { z } from 'zod';
import { ERROR_CODES, LipSyncError, isAbortError } from './errors';
import type { PollHints } from './provider';
import { abortError } from './time';
import type { Clock, Delay, LipSyncJob } from './types';

export interface WaitOptions {
  /** Give up after this long (default 30 minutes). The error carries the job id and the last status. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called after every status request. */
  onProgress?: (job: LipSyncJob, info: ProgressInfo) => void;
  /** Poll at this fixed interval instead of the adaptive schedule. */
  pollIntervalMs?: number;
  /** Override the provider's poll hints. */
  initialDelayMs?: number;
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Throw JOB_FAILED when the job fails (default true); with false the failed job is returned. */
  throwOnFailure?: boolean;
  /** Transient errors in a row tolerated while waiting (default 8). */
  maxConsecutiveErrors?: number;
}

export interface ProgressInfo {
  elapsedMs: number;
  polls: number;
  /** Milliseconds until the next status request, when there will be one. */
  nextPollInMs?: number;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;

/** Shortest gap between two status requests anyone can ask for (a guard against 0 or NaN, not a schedule). */
export const MIN_POLL_INTERVAL_MS = 25;
/** Longest delay a Node timer takes (about 24.8 days): every wait is capped below it. */
const MAX_DELAY_MS = 2 ** 31 - 1;

const ms = (field: string, min: number) =>
  z
    .number({ error: `${field} must be a number of milliseconds` })
    .refine((v) => !Number.isNaN(v), `${field} must be a number of milliseconds, not NaN`)
    .refine((v) => Number.isFinite(v), `${field} must be finite (at most ${MAX_DELAY_MS} ms, about 24 days)`)
    .refine((v) => v >= min, `${field} must be at least ${min} ms`)
    .refine((v) => v <= MAX_DELAY_MS, `${field} can be at most ${MAX_DELAY_MS} ms (about 24 days)`)
    .optional();

const waitOptionsSchema = z.object({
  timeoutMs: ms('timeoutMs', 0),
  pollIntervalMs: ms('pollIntervalMs', MIN_POLL_INTERVAL_MS),
  initialDelayMs: ms('initialDelayMs', 0),
  minIntervalMs: ms('minIntervalMs', MIN_POLL_INTERVAL_MS),
  maxIntervalMs: ms('maxIntervalMs', MIN_POLL_INTERVAL_MS),
  maxConsecutiveErrors: z.number().int('maxConsecutiveErrors must be a whole number').min(0, 'maxConsecutiveErrors must be 0 or more').optional(),
  throwOnFailure: z.boolean({ error: 'throwOnFailure must be true or false' }).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'signal must be an AbortSignal').optional(),
  onProgress: z.custom<WaitOptions['onProgress']>((v) => typeof v === 'function', 'onProgress must be a function').optional(),
});

/**
 * Checks wait options before anything is sent (createAndWait checks them before the create): a clear
 * INVALID_INPUT naming the field for 0, NaN, negative, infinite or timer-overflowing values.
 */
export function validateWaitOptions(options: WaitOptions | undefined): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'The wait options must be an object', { field: 'options' });
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const r = waitOptionsSchema.safeParse(defined);
  if (r.success) {
    const { minIntervalMs, maxIntervalMs } = options;
    if (minIntervalMs !== undefined && maxIntervalMs !== undefined && maxIntervalMs < minIntervalMs) {
      throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'maxIntervalMs must not be below minIntervalMs', { field: 'maxIntervalMs' });
    }
    return;
  }
  const issue = r.error.issues[0]!;
  throw new LipSyncError(ERROR_CODES.INVALID_INPUT, issue.message, { field: issue.path.map(String).join('.') });
}

interface Sample {
  at: number;
  progress: number;
}

/** How long a job without progress figures is polled at its steady gap: the long end of lip-sync render times. */
export const STEADY_POLLING_MS = 15 * 60_000;

/**
 * The adaptive schedule, pure so it can be checked on a virtual clock.
 * - Without progress figures and with a steady gap in the hints (the lip-sync providers), that gap for the first
 *   15 minutes, then one growing in proportion to the time waited (a job still running then is a long or stuck
 *   one); without a steady gap (short jobs: speech) one growing with the time waited from the start. Always
 *   bounded by the provider's min/max interval. Render
 *   times spread from seconds to minutes, so while jobs usually finish every moment is about as likely an end as
 *   any other: the best schedule that knows only the elapsed time then keeps a near-constant gap (`npm run bench
 *   -- polling` measures this one within a few percent of that optimum, where gaps growing from the start cost
 *   40-100 % more requests at the same delay).
 * - With progress figures it extrapolates the finish time from the rate of progress and sleeps until just
 *   before it, then polls at the minimum interval.
 */
export function nextPollDelay(hints: PollHints, elapsedMs: number, samples: readonly Sample[]): number {
  const clamp = (ms: number) => Math.min(hints.maxIntervalMs, Math.max(hints.minIntervalMs, Math.round(ms)));
  const first = samples.find((s) => s.progress > 0);
  const last = samples[samples.length - 1];
  if (first && last && last.progress > first.progress && last.at > first.at && last.progress < 100) {
    const rate = (last.progress - first.progress) / (last.at - first.at);
    const remaining = (100 - last.progress) / rate;
    return clamp(remaining * 0.85);
  }
  const steady = hints.steadyIntervalMs;
  // Without a steady gap (short jobs such as speech), the gap grows with the time waited from the start.
  if (steady === undefined) return clamp(elapsedMs * 0.12);
  return clamp(elapsedMs <= STEADY_POLLING_MS ? steady : (steady * elapsedMs) / STEADY_POLLING_MS);
}

export interface WaitDeps {
  clock: Clock;
  delay: Delay;
  hints: PollHints;
  getJob: (id: string, signal?: AbortSignal) => Promise<LipSyncJob>;
}

export async function waitForJob(deps: WaitDeps, id: string, options: WaitOptions = {}): Promise<LipSyncJob> {
  validateWaitOptions(options);
  const { clock, delay, getJob } = deps;
  const hints: PollHints = {
    ...deps.hints,
    initialDelayMs: options.initialDelayMs ?? options.pollIntervalMs ?? deps.hints.initialDelayMs,
    minIntervalMs: options.pollIntervalMs ?? options.minIntervalMs ?? deps.hints.minIntervalMs,
    maxIntervalMs: options.pollIntervalMs ?? options.maxIntervalMs ?? deps.hints.maxIntervalMs,
  };
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const maxErrors = options.maxConsecutiveErrors ?? 8;
  const started = clock.now();
  const deadline = started + timeoutMs;
  const samples: Sample[] = [];
  let last: LipSyncJob | undefined;
  let polls = 0;
  let errorsInRow = 0;
  let wait = hints.initialDelayMs;

  for (;;) {
    const now = clock.now();
    const sleep = Math.min(wait, Math.max(0, deadline - now), MAX_DELAY_MS);
    try {
      await delay(sleep, options.signal);
    } catch (e) {
      if (isAbortError(e) || options.signal?.aborted) throw cancelled(id, last, options.signal);
      throw e;
    }
    let job: LipSyncJob;
    try {
      polls++;
      job = await getJob(id, options.signal);
      errorsInRow = 0;
    } catch (e) {
      if (options.signal?.aborted || isAbortError(e)) throw cancelled(id, last, options.signal);
      const err = LipSyncError.is(e) ? e.withJobId(id) : e;
      const transient = LipSyncError.is(err) && err.retryable;
      errorsInRow++;
      if (!transient || errorsInRow > maxErrors) throw err;
      if (clock.now() >= deadline) throw timedOut(id, last, timeoutMs, err);
      wait = Math.max(hints.minIntervalMs, (err as LipSyncError).retryAfterMs ?? 0) * Math.min(8, 2 ** (errorsInRow - 1));
      wait = Math.min(wait, Math.max(hints.maxIntervalMs, (err as LipSyncError).retryAfterMs ?? 0), MAX_DELAY_MS);
      continue;
    }
    last = job;
    const at = clock.now();
    if (typeof job.progress === 'number') samples.push({ at, progress: job.progress });
    if (samples.length > 8) samples.splice(1, samples.length - 8);
    const terminal = job.status === 'completed' || job.status === 'failed';
    wait = terminal ? 0 : nextPollDelay(hints, at - started, samples);
    options.onProgress?.(job, { elapsedMs: at - started, polls, nextPollInMs: terminal ? undefined : wait });
    if (job.status === 'completed') return job;
    if (job.status === 'failed') {
      if (options.throwOnFailure === false) return job;
      throw jobFailedError(job, id);
    }
    if (at >= deadline) throw timedOut(id, job, timeoutMs);
  }
}

function cancelled(id: string, last: LipSyncJob | undefined, signal?: AbortSignal): LipSyncError {
  const base = abortError(signal, 'Waiting for the job');
  return new LipSyncError(ERROR_CODES.ABORTED, `${base.reason}; the job itself keeps running at the provider`, {
    provider: last?.provider,
    jobId: id,
    lastStatus: last?.status,
    job: last,
  });
}

function timedOut(id: string, last: LipSyncJob | undefined, timeoutMs: number, cause?: unknown): LipSyncError {
  const seen = last ? `its last status was "${last.status}"` : 'no status was received';
  return new LipSyncError(
    ERROR_CODES.TIMEOUT,
    `Gave up waiting after ${formatDuration(timeoutMs)}; ${seen}. The job was not cancelled: check it later with its id`,
    { provider: last?.provider, jobId: id, lastStatus: last?.status, job: last, retryable: true, cause },
  );
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

/** The errors a wait ends with, for waits that are not driven by polling (provider callbacks). */
/** The JOB_FAILED error for a job that ended `failed`: the provider's reason, code and the job itself. */
export function jobFailedError(job: LipSyncJob, id: string = job.id): LipSyncError {
  return new LipSyncError(ERROR_CODES.JOB_FAILED, `The job failed: ${job.error?.message ?? 'no reason given'}`, {
    provider: job.provider,
    providerCode: job.error?.code,
    jobId: id,
    lastStatus: 'failed',
    job,
  });
}

export { cancelled as waitCancelledError, timedOut as waitTimedOutError };
