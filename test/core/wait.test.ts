import { describe, expect, it } from 'vitest';
import { LipSyncError, RateLimiter, VirtualClock, nextPollDelay, waitForJob, type LipSyncJob } from '../../src/core';

/**
 * The waiting schedule on a virtual clock. The "provider" here is a simulated job timeline (what a provider would
 * answer at each moment); all of our code under test is real.
 */
const hints = { initialDelayMs: 3_000, minIntervalMs: 2_000, maxIntervalMs: 30_000 };

function simulatedJob(clock: VirtualClock, durationMs: number, opts: { reportsProgress?: boolean; fails?: boolean } = {}) {
  const start = clock.now();
  let polls = 0;
  const pollTimes: number[] = [];
  const getJob = async (id: string): Promise<LipSyncJob> => {
    polls++;
    pollTimes.push(clock.now() - start);
    const t = clock.now() - start;
    const done = t >= durationMs;
    const status = done ? (opts.fails ? 'failed' : 'completed') : t < durationMs * 0.1 ? 'queued' : 'processing';
    return {
      id,
      provider: 'fishaudio-open',
      status,
      progress: opts.reportsProgress ? Math.min(100, Math.floor((t / durationMs) * 100)) : undefined,
      error: status === 'failed' ? { code: 'failed', message: 'face not found' } : undefined,
      raw: {},
    };
  };
  return { getJob, polls: () => polls, pollTimes };
}

describe('waitForJob schedule (virtual clock)', () => {
  it('waits before the first poll, then spaces polls out as the job runs, never beyond the max interval', async () => {
    const clock = new VirtualClock();
    const sim = simulatedJob(clock, 10 * 60_000);
    const done = waitForJob({ clock, delay: clock.delay, hints, getJob: sim.getJob }, 'job-1');
    await clock.runAll();
    const job = await done;
    expect(job.status).toBe('completed');
    expect(sim.pollTimes[0]).toBe(3_000);
    const gaps = sim.pollTimes.slice(1).map((t, i) => t - sim.pollTimes[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30_000);
    // A fixed 5 s poll would make 120 requests for a 10-minute job.
    expect(sim.polls()).toBeLessThan(60);
    // ...and the finished job is seen within one max interval.
    expect(sim.pollTimes.at(-1)! - 10 * 60_000).toBeLessThanOrEqual(30_000);
  });

  it('uses reported progress to sleep until shortly before the job should finish', async () => {
    const clock = new VirtualClock();
    const withProgress = simulatedJob(clock, 5 * 60_000, { reportsProgress: true });
    const p1 = waitForJob({ clock, delay: clock.delay, hints, getJob: withProgress.getJob }, 'a');
    await clock.runAll();
    await p1;
    const clock2 = new VirtualClock();
    const without = simulatedJob(clock2, 5 * 60_000);
    const p2 = waitForJob({ clock: clock2, delay: clock2.delay, hints, getJob: without.getJob }, 'b');
    await clock2.runAll();
    await p2;
    expect(withProgress.polls()).toBeLessThan(without.polls());
    expect(withProgress.pollTimes.at(-1)! - 5 * 60_000).toBeLessThanOrEqual(hints.minIntervalMs * 2);
  });

  it('honours a fixed poll interval when one is set', async () => {
    const clock = new VirtualClock();
    const sim = simulatedJob(clock, 60_000);
    const p = waitForJob({ clock, delay: clock.delay, hints, getJob: sim.getJob }, 'x', { pollIntervalMs: 5_000 });
    await clock.runAll();
    await p;
    expect(sim.pollTimes.slice(0, 4)).toEqual([5_000, 10_000, 15_000, 20_000]);
  });

  it('times out with the job id and last status, after one last check at the deadline', async () => {
    const clock = new VirtualClock();
    const sim = simulatedJob(clock, 60 * 60_000);
    const p = waitForJob({ clock, delay: clock.delay, hints, getJob: sim.getJob }, 'job-slow', { timeoutMs: 120_000 });
    const settled = p.catch((e) => e);
    await clock.runAll();
    const err = await settled;
    expect(LipSyncError.is(err)).toBe(true);
    expect(err.code).toBe('TIMEOUT');
    expect(err.jobId).toBe('job-slow');
    expect(err.lastStatus).toBe('queued');
    expect(err.message).toContain('job job-slow');
    expect(sim.pollTimes.at(-1)).toBe(120_000);
  });

  it('throws JOB_FAILED carrying the failed job, or returns it with throwOnFailure: false', async () => {
    const clock = new VirtualClock();
    const sim = simulatedJob(clock, 20_000, { fails: true });
    const settled = waitForJob({ clock, delay: clock.delay, hints, getJob: sim.getJob }, 'f1').catch((e) => e);
    await clock.runAll();
    const err = await settled;
    expect(err.code).toBe('JOB_FAILED');
    expect(err.jobId).toBe('f1');
    expect(err.job.error.message).toBe('face not found');
    expect(err.message).toContain('face not found');

    const clock2 = new VirtualClock();
    const sim2 = simulatedJob(clock2, 20_000, { fails: true });
    const p = waitForJob({ clock: clock2, delay: clock2.delay, hints, getJob: sim2.getJob }, 'f2', { throwOnFailure: false });
    await clock2.runAll();
    expect((await p).status).toBe('failed');
  });

  it('stops at once when aborted, keeping the job id', async () => {
    const clock = new VirtualClock();
    const sim = simulatedJob(clock, 60 * 60_000);
    const ac = new AbortController();
    const settled = waitForJob({ clock, delay: clock.delay, hints, getJob: sim.getJob }, 'job-a', { signal: ac.signal }).catch((e) => e);
    await clock.advance(10_000);
    ac.abort();
    const err = await settled;
    expect(err.code).toBe('ABORTED');
    expect(err.jobId).toBe('job-a');
    expect(clock.pending).toBe(0);
  });

  it('rides out transient errors but stops on a permanent one, with the job id', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const flaky = async (id: string): Promise<LipSyncJob> => {
      calls++;
      if (calls <= 3) throw new LipSyncError('PROVIDER_ERROR', 'bad gateway', { provider: 'akool', httpStatus: 502, retryable: true });
      return { id, provider: 'akool', status: 'completed', raw: {} };
    };
    const p = waitForJob({ clock, delay: clock.delay, hints, getJob: flaky }, 'j');
    await clock.runAll();
    expect((await p).status).toBe('completed');

    const clock2 = new VirtualClock();
    const auth = async (): Promise<LipSyncJob> => {
      throw new LipSyncError('AUTH_FAILED', 'Invalid authorization', { provider: 'akool', providerCode: 1101 });
    };
    const settled = waitForJob({ clock: clock2, delay: clock2.delay, hints, getJob: auth }, 'j2').catch((e) => e);
    await clock2.runAll();
    const err = await settled;
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.jobId).toBe('j2');
  });

  it('reports progress after every poll', async () => {
    const clock = new VirtualClock();
    const sim = simulatedJob(clock, 30_000, { reportsProgress: true });
    const seen: string[] = [];
    const p = waitForJob({ clock, delay: clock.delay, hints, getJob: sim.getJob }, 'p', {
      onProgress: (job, info) => seen.push(`${job.status}:${info.polls}`),
    });
    await clock.runAll();
    await p;
    expect(seen.length).toBe(sim.polls());
    expect(seen.at(-1)).toMatch(/^completed:/);
  });
});

describe('nextPollDelay', () => {
  it('is bounded by the provider hints', () => {
    expect(nextPollDelay(hints, 0, [])).toBe(2_000);
    expect(nextPollDelay(hints, 24 * 3600_000, [])).toBe(30_000);
  });

  it('with a steady gap, keeps it for the first 15 minutes, then lets it grow with the time waited', () => {
    const h = { ...hints, steadyIntervalMs: 10_000 };
    expect([0, 20_000, 5 * 60_000, 15 * 60_000].map((t) => nextPollDelay(h, t, []))).toEqual([10_000, 10_000, 10_000, 10_000]);
    expect(nextPollDelay(h, 30 * 60_000, [])).toBe(20_000);
    expect(nextPollDelay(h, 60 * 60_000, [])).toBe(30_000);
    expect(nextPollDelay({ ...h, steadyIntervalMs: 500 }, 0, [])).toBe(2_000);
  });

  it('without a steady gap (short jobs such as speech), grows with the time waited from the start', () => {
    expect([0, 30_000, 120_000].map((t) => nextPollDelay(hints, t, []))).toEqual([2_000, 3_600, 14_400]);
  });
});

describe('RateLimiter (virtual clock)', () => {
  it('lets at most the configured number of requests through per window', async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter({ limit: 20, windowMs: 60_000 }, clock, clock.delay);
    const times: number[] = [];
    // Requests that are over at once: each counts from its release.
    const all = Promise.all(Array.from({ length: 45 }, () => limiter.acquire().then((release) => (release(), times.push(clock.now())))));
    await clock.runAll();
    await all;
    expect(times.filter((t) => t < 60_000)).toHaveLength(20);
    expect(times.filter((t) => t >= 60_000 && t < 120_000)).toHaveLength(20);
    expect(times.filter((t) => t >= 120_000)).toHaveLength(5);
    // no window of 60 s ever holds more than 20
    for (let i = 20; i < times.length; i++) expect(times[i]! - times[i - 20]!).toBeGreaterThanOrEqual(60_000);
  });

  it('releases an aborted waiter without blocking the next', async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000 }, clock, clock.delay);
    (await limiter.acquire())();
    const ac = new AbortController();
    const aborted = limiter.acquire(ac.signal).catch((e) => e);
    const next = limiter.acquire();
    await clock.advance(10);
    ac.abort();
    expect((await aborted).code).toBe('ABORTED');
    await clock.runAll();
    await next;
    expect(clock.now()).toBeGreaterThanOrEqual(1_000);
  });

  it('counts a request until a window after it ended, so a slow request delays the next one', async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000 }, clock, clock.delay);
    const first = await limiter.acquire();
    const second = await limiter.acquire();
    let thirdAt: number | undefined;
    const third = limiter.acquire().then((release) => ((thirdAt = clock.now()), release));
    // Both requests are still on the wire after a whole window: the provider may not have seen them yet.
    await clock.advance(70_000);
    expect(thirdAt).toBeUndefined();
    second();
    await clock.advance(10);
    expect(thirdAt).toBeUndefined();
    first();
    // 60 s after the earlier of the two ended, a slot is free again.
    await clock.advance(60_000);
    expect(thirdAt).toBe(130_000);
    (await third)();
  });

  it('tells how many wait and when the next slot frees (what a status line shows), without taking one', async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000 }, clock, clock.delay);
    expect(limiter.state()).toEqual({ limit: 2, windowMs: 60_000, queued: 0, nextSlotInMs: 0 });
    const first = await limiter.acquire();
    const second = await limiter.acquire();
    const third = limiter.acquire();
    await clock.advance(10);
    // Both slots held by requests still running: the next frees a window after one of them ends.
    expect(limiter.state()).toMatchObject({ queued: 1, nextSlotInMs: undefined });
    first();
    await clock.advance(20_000);
    expect(limiter.state()).toMatchObject({ queued: 1, nextSlotInMs: 40_000 });
    second();
    await clock.advance(40_000);
    (await third)();
    expect(limiter.state()).toMatchObject({ queued: 0, nextSlotInMs: 20_000 });
    await clock.advance(20_000);
    expect(limiter.state()).toMatchObject({ queued: 0, nextSlotInMs: 0 });
  });

  it('an aborted waiter blocked on requests still on the wire is released at once', async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000 }, clock, clock.delay);
    const held = await limiter.acquire();
    const ac = new AbortController();
    const aborted = limiter.acquire(ac.signal).catch((e) => e);
    ac.abort();
    expect((await aborted).code).toBe('ABORTED');
    held();
  });
});
