// Benchmark 2: overhead of the hosts. Jobs per second and CPU per job for create+wait through a real Node-RED flow
// and through n8n's real engine, each against the bare core client doing the same calls in the same process and
// run. The sandbox (instant jobs) runs in a process of its own, so its CPU is not counted.
import { runWorker, startSandboxProcess } from './lib/common.mjs';

const JOBS = 300;
const ROUNDS = 3;
const CONCURRENCY = 16;

function summarize(host, w) {
  const sum = (side, key) => w.rounds.reduce((s, r) => s + r[side][key], 0);
  const jobs = w.rounds.length * w.jobs;
  const side = (name) => ({
    jobsPerSecond: jobs / (sum(name, 'wallMs') / 1000),
    cpuMsPerJob: sum(name, 'cpuUs') / 1000 / jobs,
    requestsPerJob: sum(name, 'requestsPerJob') / w.rounds.length,
    failed: sum(name, 'failed'),
  });
  const bare = side('bare');
  const hosted = side('host');
  const ratio = hosted.cpuMsPerJob / bare.cpuMsPerJob;
  return {
    host,
    bare,
    host_: hosted,
    cpuRatio: ratio,
    throughputRatio: hosted.jobsPerSecond / bare.jobsPerSecond,
    perRoundCpuRatio: w.rounds.map((r) => r.host.cpuUs / r.bare.cpuUs),
  };
}

export async function run() {
  const sandbox = await startSandboxProcess({ jobDurationMs: 0 });
  try {
    const arg = JSON.stringify({ url: sandbox.url });
    const rows = [];
    for (const host of ['node-red', 'n8n']) {
      const w = await runWorker('workers/overhead.mjs', [host, arg, String(JOBS), String(ROUNDS), String(CONCURRENCY)]);
      rows.push(summarize(host === 'node-red' ? 'Node-RED flow (create, wait for completion)' : 'n8n engine (Create and Wait, Parallel Jobs)', w));
    }
    return {
      name: 'overhead',
      setup: `fishaudio-open, instant jobs, ${JOBS} jobs x ${ROUNDS} rounds per side after a warm-up round, ${CONCURRENCY} in flight, 50 ms poll interval; bare client and host alternate in one process; sandbox in its own process`,
      target: 'reported, not a target: host CPU per job vs the bare client\'s',
      rows: rows.map(({ host_, ...r }) => ({ ...r, hosted: host_ })),
    };
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
