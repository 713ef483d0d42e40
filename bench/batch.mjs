// Benchmark 5: batches at the provider's speed. 100 jobs of a fixed sandbox duration through a real n8n execution
// (n8n's engine in-process, one execution of 100 items), a real Node-RED flow (embedded runtime) and the bare core
// client, on JoggAI (20 creates/min) and Chamelaion (60 creates/min), against a sandbox that refuses creates over
// those limits. Real time: virtual clocks do not cross processes, so jobs are short (60 s) and every host runs at
// once, each against its own sandbox process. Each row: the makespan and the bound nothing can beat,
// creates / rate + job duration + one poll gap (the schedule's gap at the job's age).
// Also: heap per waiting item for 1,000 items waiting in ONE n8n execution.
import { createRequire } from 'node:module';
import { runWorker, startSandboxProcess } from './lib/common.mjs';

const require = createRequire(import.meta.url);
const { getAdapter, nextPollDelay } = require('../dist/src/index.js');

const JOBS = Number(process.env.LIPSYNC_BENCH_BATCH_JOBS ?? 100);
const JOB_MS = Number(process.env.LIPSYNC_BENCH_BATCH_JOB_MS ?? 60_000);
const HOSTS = (process.env.LIPSYNC_BENCH_BATCH_HOSTS ?? 'n8n,node-red,core').split(',');
const PROVIDERS = ['joggai', 'chamelaion'];
const TARGET = 1.1;
const MEMORY_ITEMS = 1_000;
const MEMORY_TARGET = 10 * 1024;

export async function run() {
  const rateLimits = Object.fromEntries(PROVIDERS.map((p) => [p, getAdapter(p).rateLimits.create]));
  const hosts = await Promise.all(
    HOSTS.map(async (host) => {
      const sandbox = await startSandboxProcess({ jobDurationMs: JOB_MS, rateLimits, maxRecordedRequests: 100_000 });
      try {
        return await runWorker('workers/batch.mjs', [host, JSON.stringify({ url: sandbox.url }), PROVIDERS.join(','), String(JOBS), String(JOB_MS)], { timeoutMs: 45 * 60_000 });
      } finally {
        await sandbox.close();
      }
    }),
  );
  const rows = [];
  for (const w of hosts) {
    for (const r of w.rows) {
      const adapter = getAdapter(r.provider);
      const { limit, windowMs } = adapter.rateLimits.create;
      const pollGapS = nextPollDelay(adapter.pollHints, JOB_MS, []) / 1000;
      const boundS = (JOBS / limit) * (windowMs / 1000) + JOB_MS / 1000 + pollGapS;
      const makespanS = r.makespanMs / 1000;
      rows.push({
        host: w.host,
        provider: r.provider,
        jobs: JOBS,
        jobSeconds: JOB_MS / 1000,
        makespanS,
        boundS,
        ratio: makespanS / boundS,
        rate: `${limit} creates / ${windowMs / 1000} s`,
        pollGapS,
        lastCreateS: r.lastCreateS,
        statusRequestsPerJob: r.statusRequests / JOBS,
        completed: r.completed,
        inOrder: r.inOrder,
        refused429: r.refused429,
        meetsTarget: makespanS <= TARGET * boundS && r.completed === JOBS && r.inOrder && r.refused429 === 0,
      });
    }
  }
  // LIPSYNC_BENCH_BATCH_MEMORY=0 skips the memory figure (e.g. when measuring a build without concurrent batches).
  const memory = process.env.LIPSYNC_BENCH_BATCH_MEMORY === '0' ? undefined : await measureMemory();
  return {
    name: 'batch',
    setup: `${JOBS} jobs of ${JOB_MS / 1000} s per provider and host, all hosts at once (each with its own sandbox process enforcing the documented create limits); n8n = one execution through n8n's engine in-process, node defaults; Node-RED = embedded runtime, create node with wait; core = createAndWait per job; real time`,
    target: `makespan <= ${TARGET}x (creates / rate + job duration + one poll gap), all completed in order, no 429`,
    rows,
    memory,
  };
}

async function measureMemory() {
  const sandbox = await startSandboxProcess({ jobDurationMs: 60 * 60_000, maxRecordedRequests: 50_000 });
  try {
    const w = await runWorker('workers/batch-memory.mjs', [JSON.stringify({ url: sandbox.url }), String(MEMORY_ITEMS)], { execArgv: ['--expose-gc'] });
    const perItem = (w.heapDuring - w.heapBefore) / w.items;
    return {
      items: w.items,
      heldBySandbox: w.heldBySandbox,
      rampSeconds: w.rampMs / 1000,
      heapBytesPerItem: perItem,
      rssBytesPerItem: (w.rssDuring - w.rssBefore) / w.items,
      canceledNamingAll: w.canceledNamingAll,
      target: `heap per waiting item < ${MEMORY_TARGET / 1024} KB`,
      meetsTarget: perItem < MEMORY_TARGET && w.heldBySandbox === w.items && w.canceledNamingAll,
    };
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
