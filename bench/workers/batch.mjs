// Batch benchmark worker: one host runs a batch of jobs on each provider at once, against a sandbox that enforces
// the providers' documented create limits; reports each batch's makespan (first item handed over to last result).
// argv: <n8n|node-red|core> <sandbox JSON> <providers, comma-separated> <jobs> <job ms>
import { report, require, sandboxFromArg, SANDBOX_KEY, startNodeRed } from '../lib/common.mjs';

const [host, sandboxArg, providersArg, jobsArg, jobMsArg] = process.argv.slice(2);
const PROVIDERS = providersArg.split(',');
const JOBS = Number(jobsArg);
const JOB_MS = Number(jobMsArg);
const TIMEOUT_MIN = 30;
const sandbox = await sandboxFromArg(sandboxArg);
const mediaFor = (provider, i) => ({
  videoUrl: `${sandbox.url}/media/sample.mp4?sandbox_duration=${JOB_MS}&tag=${provider}-${i}`,
  audioUrl: `${sandbox.url}/media/sample.wav`,
});

/** Each host's way of running one batch: resolves with { completed, failed, ids } once every item has a result. */
let runBatch;
let stop = async () => undefined;

if (host === 'core') {
  // What a user's own script does: one client per account, every job created and waited for at once.
  const { createLipSyncClient } = require('./dist/src/index.js');
  const clients = [];
  runBatch = async (provider) => {
    const client = createLipSyncClient({ provider, apiKey: SANDBOX_KEY, baseUrl: sandbox.baseUrl(provider) });
    clients.push(client);
    const outcomes = await Promise.allSettled(Array.from({ length: JOBS }, (_, i) => client.createAndWait(mediaFor(provider, i), { timeoutMs: TIMEOUT_MIN * 60_000 })));
    const ids = outcomes.map((o) => (o.status === 'fulfilled' ? o.value.id : undefined));
    return { completed: outcomes.filter((o) => o.status === 'fulfilled' && o.value.status === 'completed').length, failed: outcomes.filter((o) => o.status === 'rejected').length, ids };
  };
  stop = async () => Promise.all(clients.map((c) => c.close()));
} else if (host === 'node-red') {
  // A real flow per provider: create job (wait for completion, adaptive polling) -> junction; catch -> junction.
  const red = await startNodeRed();
  const flows = [{ id: 'tab', type: 'tab', label: 'bench' }, { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['failed']] }, { id: 'failed', type: 'junction', z: 'tab', wires: [] }];
  for (const p of PROVIDERS) {
    flows.push(
      { id: `acc-${p}`, type: 'lipsync-account', provider: p, baseUrl: sandbox.baseUrl(p), credentials: { apiKey: SANDBOX_KEY } },
      {
        id: `create-${p}`, type: 'lipsync-create', z: 'tab', account: `acc-${p}`, videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl', audioUrlType: 'msg',
        wait: true, pollInterval: '', timeout: TIMEOUT_MIN, timeoutUnits: 'minutes', wires: [[`done-${p}`], [`done-${p}`]],
      },
      { id: `done-${p}`, type: 'junction', z: 'tab', wires: [] },
    );
  }
  await red.deploy(flows);
  const finish = new Map();
  for (const p of PROVIDERS) red.node(`done-${p}`).on('input', (msg) => finish.get(p)?.(msg.payload?.status === 'completed', msg.payload?.id ?? msg.jobId, msg.item));
  red.node('failed').on('input', (msg) => finish.get(msg.provider)?.(false, msg.jobId, msg.item));
  runBatch = (provider) =>
    new Promise((resolve) => {
      let completed = 0;
      let failed = 0;
      const ids = new Array(JOBS);
      finish.set(provider, (ok, id, item) => {
        if (ok) completed++;
        else failed++;
        ids[item] = id;
        if (completed + failed === JOBS) resolve({ completed, failed, ids });
      });
      const node = red.node(`create-${provider}`);
      for (let i = 0; i < JOBS; i++) node.receive({ ...mediaFor(provider, i), provider, item: i });
    });
  stop = () => red.stop();
} else {
  // n8n's real engine (in-process, the harness the tests use): ONE execution of JOBS items, Create and Wait with
  // the node's defaults (adaptive polling, "Parallel Jobs" unset).
  const { loadN8nEngine } = await import('../lib/common.mjs');
  const n8n = await loadN8nEngine();
  await n8n.loadPackage();
  runBatch = async (provider) => {
    const run = await n8n.runNode({
      parameters: { provider, resource: 'job', operation: 'createAndWait', videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}', timeoutMinutes: TIMEOUT_MIN },
      credentials: n8n.credentialsFor(sandbox, provider),
      input: Array.from({ length: JOBS }, (_, i) => ({ json: mediaFor(provider, i) })),
    });
    if (run.error) throw new Error(`n8n run failed: ${run.error.message} ${run.error.description ?? ''}`);
    const completed = run.items.filter((it) => it.json.status === 'completed').length;
    return { completed, failed: JOBS - completed, ids: run.items.map((it) => it.json.id) };
  };
  stop = async () => n8n.removeUserFolder();
}

const rows = await Promise.all(
  PROVIDERS.map(async (provider) => {
    const t0 = Date.now();
    const r = await runBatch(provider);
    const makespanMs = Date.now() - t0;
    const requests = (await sandbox.requests(provider)).filter((q) => q.at >= t0);
    const creates = requests.filter((q) => q.method === 'POST');
    // Each item's result must carry the job made from that item's own media (order kept).
    const jobs = await sandbox.jobs(provider);
    const byTag = new Map(jobs.map((j) => [new URL(j.videoUrl).searchParams.get('tag'), j.id]));
    const inOrder = r.ids.every((id, i) => id === byTag.get(`${provider}-${i}`));
    return {
      provider,
      makespanMs,
      completed: r.completed,
      failed: r.failed,
      inOrder,
      creates: creates.length,
      refused429: requests.filter((q) => q.status === 429).length,
      lastCreateS: (Math.max(...creates.map((q) => q.at)) - t0) / 1000,
      statusRequests: requests.length - creates.length,
    };
  }),
);
await stop();
report({ host, jobs: JOBS, jobMs: JOB_MS, rows });
process.exit(0);
