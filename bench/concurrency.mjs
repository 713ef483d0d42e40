// Benchmark 3: 10,000 jobs waiting at once in one Node-RED process (heap bytes per waiting job), and proof that the
// per-account limiter kept the create rate under the provider's documented limit, counted at the sandbox.
import { maxInWindow, runWorker, startSandboxProcess } from './lib/common.mjs';

const JOBS = 10_000;
const HEAP_TARGET = 10 * 1024;
// Chamelaion documents 60 creates per minute; the sandbox enforces the same window, so any excess would be a 429.
const LIMIT = { limit: 60, windowMs: 60_000 };
const BURST = 150;
const OBSERVE_MS = 75_000;

export async function run() {
  const sandbox = await startSandboxProcess({ jobDurationMs: 60 * 60_000, rateLimits: { chamelaion: LIMIT }, maxRecordedRequests: 50_000 });
  try {
    const w = await runWorker('workers/concurrency.mjs', [JSON.stringify({ url: sandbox.url }), String(JOBS), String(BURST), String(OBSERVE_MS)], { execArgv: ['--expose-gc'] });
    const perJob = (w.heapUsedDuring - w.heapUsedBefore) / w.jobs;
    const maxWindow = maxInWindow(w.burst.arrivals, LIMIT.windowMs);
    const refused = w.burst.statuses.filter((s) => s === 429).length;
    return {
      name: 'concurrency',
      setup: `${JOBS} messages into one create node (wait for completion, fishaudio-open, 60 s poll interval) in one embedded Node-RED process; then ${BURST} creates at once on a Chamelaion account (documented ${LIMIT.limit}/min), watched for ${OBSERVE_MS / 1000} s`,
      heap: {
        jobs: w.jobs,
        heldBySandbox: w.heldBySandbox,
        rampSeconds: w.rampMs / 1000,
        heapBytesPerJob: perJob,
        rssBytesPerJob: (w.rssDuring - w.rssBefore) / w.jobs,
        nodeStatus: w.waiterStatus,
        errors: w.errors,
        target: `heap per waiting job < ${HEAP_TARGET / 1024} KB`,
        meetsTarget: perJob < HEAP_TARGET && w.heldBySandbox === w.jobs && w.errors === 0,
      },
      limiter: {
        limit: `${LIMIT.limit} creates / ${LIMIT.windowMs / 1000} s`,
        offered: BURST,
        sentInObservation: w.burst.arrivals.length,
        maxInAnyWindow: maxWindow,
        refusedWith429: refused,
        // Creates that reached the sandbox per 10 s after the burst was offered (shows any bunching).
        arrivalsPer10s: Array.from({ length: Math.ceil(OBSERVE_MS / 10_000) }, (_, i) => w.burst.arrivals.filter((t) => t >= i * 10_000 && t < (i + 1) * 10_000).length),
        target: `at most ${LIMIT.limit} creates in any ${LIMIT.windowMs / 1000} s window at the sandbox, none refused`,
        meetsTarget: maxWindow <= LIMIT.limit && refused === 0 && w.burst.arrivals.length > LIMIT.limit,
      },
    };
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
