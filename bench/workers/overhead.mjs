// Benchmark 2 worker: in ONE process, create+wait through the bare core client and through a host (real Node-RED
// flow, or n8n's real engine), in alternating rounds, so both see the same process, JIT state and sandbox.
// argv: <node-red|n8n> <sandbox JSON> <jobs per round> <rounds> <concurrency>
import { cpuMicros, report, require, sandboxFromArg, SANDBOX_KEY, startNodeRed } from '../lib/common.mjs';

const [host, sandboxArg, jobsArg, roundsArg, concArg] = process.argv.slice(2);
const JOBS = Number(jobsArg);
const ROUNDS = Number(roundsArg);
const CONCURRENCY = Number(concArg);
const PROVIDER = 'fishaudio-open';
const POLL_MS = 50;

const { createLipSyncClient } = require('./dist/src/index.js');
const sandbox = await sandboxFromArg(sandboxArg);
const media = { videoUrl: `${sandbox.url}/media/sample.mp4`, audioUrl: `${sandbox.url}/media/sample.wav` };

/** Runs `jobs` through `fn` with CONCURRENCY in flight; CPU and wall time of this process. */
async function measure(runAll) {
  const before = (await sandbox.requests(PROVIDER)).length;
  const cpu0 = cpuMicros();
  const t0 = process.hrtime.bigint();
  const { completed, failed } = await runAll();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpuUs = cpuMicros() - cpu0;
  const requests = (await sandbox.requests(PROVIDER)).length - before;
  return { jobs: JOBS, completed, failed, wallMs, cpuUs, requestsPerJob: requests / JOBS };
}

// The bare core client: what a user's own script would call.
const client = createLipSyncClient({ provider: PROVIDER, apiKey: SANDBOX_KEY, baseUrl: sandbox.baseUrl(PROVIDER) });
async function bare() {
  let next = 0;
  let completed = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < JOBS) {
        next++;
        try {
          const job = await client.createAndWait(media, { pollIntervalMs: POLL_MS, timeoutMs: 60_000 });
          if (job.status === 'completed') completed++;
          else failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { completed, failed };
}

let hostRun;
let stopHost = async () => undefined;
if (host === 'node-red') {
  // A real flow: create job (wait for completion, 50 ms polling) -> junction; errors -> catch -> junction.
  const red = await startNodeRed();
  await red.deploy([
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'acc', type: 'lipsync-account', provider: PROVIDER, baseUrl: sandbox.baseUrl(PROVIDER), credentials: { apiKey: SANDBOX_KEY } },
    {
      id: 'create', type: 'lipsync-create', z: 'tab', account: 'acc', videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl', audioUrlType: 'msg',
      wait: true, pollInterval: POLL_MS / 1000, timeout: 1, timeoutUnits: 'minutes', wires: [['done'], ['done']],
    },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['failed']] },
    { id: 'done', type: 'junction', z: 'tab', wires: [] },
    { id: 'failed', type: 'junction', z: 'tab', wires: [] },
  ]);
  const create = red.node('create');
  let onDone = () => undefined;
  red.node('done').on('input', (msg) => onDone(msg.payload?.status === 'completed'));
  red.node('failed').on('input', () => onDone(false));
  hostRun = () =>
    new Promise((resolve) => {
      let sent = 0;
      let completed = 0;
      let failed = 0;
      const inject = () => create.receive({ ...media });
      onDone = (ok) => {
        if (ok) completed++;
        else failed++;
        if (completed + failed === JOBS) resolve({ completed, failed });
        else if (sent < JOBS) (sent++, inject());
      };
      for (; sent < Math.min(CONCURRENCY, JOBS); sent++) inject();
    });
  stopHost = () => red.stop();
} else {
  const n8n = await (await import('../lib/common.mjs')).loadN8nEngine();
  await n8n.loadPackage();
  // One execution of JOBS items, "Parallel Jobs" = CONCURRENCY: how a batch runs in n8n.
  hostRun = async () => {
    const run = await n8n.runNode({
      parameters: n8n.params(PROVIDER, 'createAndWait', { ...media, options: { parallel: CONCURRENCY, pollIntervalSeconds: POLL_MS / 1000 } }),
      credentials: n8n.credentialsFor(sandbox, PROVIDER),
      input: Array.from({ length: JOBS }, (_, i) => ({ json: { i } })),
    });
    if (run.error) throw new Error(`n8n run failed: ${run.error.message} ${run.error.description ?? ''}`);
    const completed = run.items.filter((it) => it.json.status === 'completed').length;
    return { completed, failed: JOBS - completed };
  };
  stopHost = async () => n8n.removeUserFolder();
}

// Warm-up (JIT, connection pools), not counted.
await bare();
await hostRun();
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  rounds.push({ bare: await measure(bare), host: await measure(hostRun) });
}
await client.close();
await stopHost();
report({ host, provider: PROVIDER, jobs: JOBS, concurrency: CONCURRENCY, rounds });
process.exit(0);
