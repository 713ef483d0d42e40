// Benchmark 1: polling efficiency on a virtual clock (no real time passes).
// For a stated mix of job durations: status requests per job and the delay between a job finishing and the flow
// seeing it, for our adaptive schedules, for the schedules the peers ship (shared/notes/peers.md), and for the
// optimum: the fewest requests any schedule that knows only the elapsed time needs at the same mean delay
// (the frontier; frontierRatio = requests / that optimum).
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

/** Requests and mean delay of a schedule given as poll times (s); a job still running after the last poll is given up. */
function measureTimes(times) {
  let requests = 0, delay = 0, seen = 0;
  for (const d of durations) {
    const i = times.findIndex((t) => t * 1000 >= d);
    if (i < 0) {
      requests += times.length;
      continue;
    }
    requests += i + 1;
    delay += times[i] * 1000 - d;
    seen++;
  }
  return { requests: requests / JOBS, delayS: delay / seen / 1000, gaveUpShare: (JOBS - seen) / JOBS };
}

/** Poll times for a first poll at `first` s and gaps gap(t) s, up to `until` s. */
function schedule(first, gap, until = MAX_S + 60) {
  const times = [first];
  while (times[times.length - 1] < until) times.push(times[times.length - 1] + gap(times[times.length - 1]));
  return times;
}

const fixed = (intervalMs) => measureTimes(schedule(intervalMs / 1000, () => intervalMs / 1000));

/** The peers' schedules, as peers.md records them. */
const PEERS = [
  { strategy: 'peer: JSON2Video (5 s, x1.5 per minute, to 30 s)', times: schedule(5, (t) => Math.min(30, 5 * 1.5 ** Math.floor(t / 60))) },
  { strategy: 'peer: fal (fixed 5 s)', times: schedule(5, () => 5) },
  { strategy: "peer: n8n's OpenAI video node (fixed 10 s)", times: schedule(10, () => 10) },
  { strategy: 'peer: Kie (fixed 3 s, gives up at 5 min)', times: schedule(3, () => 3, 300 - 3) },
  { strategy: 'peer: Replicate (fixed 0.5 s)', times: schedule(0.5, () => 0.5) },
];

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
 * The best any schedule that knows only the elapsed time can do on this mix at a given mean delay: a gap of
 * c * sqrt(S(t) / f(t)) at time t (S: share of jobs still running, f: density of finishing) minimises the requests
 * for a given mean delay (Cauchy-Schwarz). For this log-uniform mix that is c * sqrt(t * ln(MAX / t)), first poll
 * at MIN_S; c is chosen by bisection so the mean delay equals the target.
 */
function optimumAt(targetDelayS) {
  const times = (c) => {
    const out = [MIN_S];
    for (let t = MIN_S; t < MAX_S; ) {
      t += Math.max(0.05, c * Math.sqrt(t * Math.log(MAX_S / t)));
      out.push(Math.min(t, MAX_S));
    }
    return out;
  };
  let lo = 0.001, hi = 10;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (measureTimes(times(mid)).delayS > targetDelayS) hi = mid;
    else lo = mid;
  }
  return measureTimes(times(lo));
}

const TARGET = 1.1;

export async function run() {
  const base = fixed(5000);
  const rows = [{ strategy: 'fixed 5 s poll (baseline)', ...base }];
  rows.push({ strategy: 'adaptive, progress reported (fishaudio-open)', ours: true, progress: true, ...(await adaptive('fishaudio-open', true)) });
  for (const p of ['fishaudio-open', 'fishaudio-v1', 'akool', 'chamelaion', 'joggai']) {
    const h = getAdapter(p).pollHints;
    rows.push({ strategy: `adaptive, no progress (${p} hints)`, ours: true, provider: p, floorS: h.minIntervalMs / 1000, ...(await adaptive(p, false)) });
  }
  for (const peer of PEERS) rows.push({ strategy: peer.strategy, peer: true, ...measureTimes(peer.times) });
  rows.push({ strategy: 'best possible without progress (optimal for this mix, same delay as the baseline)', ...optimumAt(base.delayS) });
  const peers = rows.filter((r) => r.peer);
  for (const r of rows) {
    r.requestRatio = r.requests / base.requests;
    r.delayRatio = r.delayS / base.delayS;
    r.optimalRequestsAtDelay = optimumAt(r.delayS).requests;
    r.frontierRatio = r.requests / r.optimalRequestsAtDelay;
    if (!r.ours) continue;
    // A peer that needs fewer requests AND shows the result sooner would be plainly better than this schedule.
    r.dominatedBy = peers.filter((p) => p.requests < r.requests && p.delayS < r.delayS && p.gaveUpShare === 0).map((p) => p.strategy);
    r.meetsTarget = r.dominatedBy.length === 0 && (r.progress || r.frontierRatio <= TARGET);
  }
  return {
    name: 'polling',
    jobs: JOBS,
    mix: `log-uniform ${MIN_S} s to ${MAX_S / 60} min, seed 42`,
    target: `each of our no-progress schedules <= ${TARGET}x the optimal requests at its own mean delay; no peer row with both fewer requests and a lower delay than any of ours`,
    rows,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.table(r.rows.map((x) => ({ strategy: x.strategy, 'req/job': x.requests.toFixed(1), 'delay s': x.delayS.toFixed(2), 'optimal req': x.optimalRequestsAtDelay.toFixed(1), frontier: x.frontierRatio.toFixed(2), target: x.meetsTarget === undefined ? '' : x.meetsTarget ? 'met' : 'missed' })));
}
