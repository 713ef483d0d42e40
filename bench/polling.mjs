// Benchmark 1: polling efficiency on a virtual clock (no real time passes).
// For a stated mix of job durations, compare our adaptive waiting with a fixed 5 s poll (what the seeds suggest):
// status requests per job, and the delay between a job finishing and the flow seeing it.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { VirtualClock, waitForJob, getAdapter } = require('../dist/src/index.js');

const JOBS = 2000;
const MIN_S = 20;
const MAX_S = 15 * 60;

// Seeded PRNG (mulberry32) so every run measures the same mix.
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
// Log-uniform between 20 s and 15 min: many short jobs, a long tail of long ones.
const durations = Array.from({ length: JOBS }, () => Math.round(MIN_S * (MAX_S / MIN_S) ** rand() * 1000));

function fixed(intervalMs) {
  let requests = 0, delay = 0;
  for (const d of durations) {
    const polls = Math.ceil(d / intervalMs);
    requests += polls;
    delay += polls * intervalMs - d;
  }
  return { requests: requests / JOBS, delayS: delay / JOBS / 1000 };
}

async function adaptive(provider, reportsProgress) {
  const hints = getAdapter(provider).pollHints;
  let requests = 0, delay = 0;
  for (const d of durations) {
    const clock = new VirtualClock();
    let seenAt = 0;
    const getJob = async (id) => {
      requests++;
      const t = clock.now();
      const done = t >= d;
      if (done) seenAt = t;
      return { id, provider, status: done ? 'completed' : 'processing', progress: reportsProgress ? Math.min(100, Math.floor((t / d) * 100)) : undefined, raw: {} };
    };
    const p = waitForJob({ clock, delay: clock.delay, hints, getJob }, 'job', { timeoutMs: 3600_000 });
    await clock.runAll();
    await p;
    delay += seenAt - d;
  }
  return { requests: requests / JOBS, delayS: delay / JOBS / 1000 };
}

/**
 * The best any schedule that knows only the elapsed time can do on this mix, at the fixed poll's mean delay: a gap
 * of c * sqrt(S(t) / f(t)) at time t (S: share of jobs still running, f: density of finishing) minimises the
 * requests for a given mean delay (Cauchy-Schwarz). For this log-uniform mix that is c * sqrt(t * ln(MAX / t)),
 * first poll at MIN_S; c is chosen by bisection so the mean delay equals the baseline's. It shows how far the
 * "half the requests at the same delay" target can be reached without progress from the provider.
 */
function bestWithoutProgress(targetDelayS) {
  const schedule = (c) => {
    const times = [MIN_S * 1000];
    for (let t = MIN_S; t < MAX_S; ) {
      t += Math.max(0.5, c * Math.sqrt(t * Math.log(MAX_S / t)));
      times.push(Math.min(t, MAX_S) * 1000);
    }
    return times;
  };
  const measure = (times) => {
    let requests = 0, delay = 0;
    for (const d of durations) {
      let i = 0;
      while (times[i] < d) i++;
      requests += i + 1;
      delay += times[i] - d;
    }
    return { requests: requests / JOBS, delayS: delay / JOBS / 1000 };
  };
  let lo = 0.01, hi = 10;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (measure(schedule(mid)).delayS > targetDelayS) hi = mid;
    else lo = mid;
  }
  return measure(schedule(lo));
}

export async function run() {
  const base = fixed(5000);
  const rows = [{ strategy: 'fixed 5 s poll (baseline)', ...base }];
  rows.push({ strategy: 'adaptive, progress reported (fishaudio-open)', ...(await adaptive('fishaudio-open', true)) });
  for (const p of ['fishaudio-open', 'fishaudio-v1', 'akool', 'chamelaion', 'joggai']) rows.push({ strategy: `adaptive, no progress (${p} hints)`, ...(await adaptive(p, false)) });
  rows.push({ strategy: 'best possible without progress (optimal for this mix, same delay)', ...bestWithoutProgress(base.delayS) });
  for (const r of rows) {
    r.requestRatio = r.requests / base.requests;
    r.delayRatio = r.delayS / base.delayS;
    r.meetsTarget = r.requestRatio <= 0.5 && r.delayS <= base.delayS;
  }
  return { name: 'polling', jobs: JOBS, mix: `log-uniform ${MIN_S} s to ${MAX_S / 60} min, seed 42`, target: 'requests <= 0.5x fixed at mean delay <= fixed', rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.table(r.rows.map((x) => ({ strategy: x.strategy, 'req/job': x.requests.toFixed(1), 'delay s': x.delayS.toFixed(2), 'req ratio': x.requestRatio.toFixed(2), 'delay ratio': x.delayRatio.toFixed(2), target: x.meetsTarget ? 'met' : 'missed' })));
}
