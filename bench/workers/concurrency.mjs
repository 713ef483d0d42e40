// Benchmark 3 worker (run with --expose-gc): 10,000 jobs waiting at once in one embedded Node-RED process, then
// the per-account create limiter under a burst. argv: <sandbox JSON> <jobs> <limiter burst> <limiter observe ms>
import { report, sandboxFromArg, SANDBOX_KEY, sleep, startNodeRed } from '../lib/common.mjs';

const [sandboxArg, jobsArg, burstArg, observeArg] = process.argv.slice(2);
const JOBS = Number(jobsArg);
const BURST = Number(burstArg);
const OBSERVE_MS = Number(observeArg);
if (typeof global.gc !== 'function') throw new Error('run with --expose-gc');
const sandbox = await sandboxFromArg(sandboxArg);
const media = { videoUrl: `${sandbox.url}/media/sample.mp4`, audioUrl: `${sandbox.url}/media/sample.wav` };

const red = await startNodeRed();
const statuses = new Map();
red.RED.events.on('node-status', (e) => statuses.set(e.id, e.status?.text ?? ''));
const createNode = (id, account, extra) => ({
  id, type: 'lipsync-create', z: 'tab', account, videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl', audioUrlType: 'msg', wires: [['out'], ['out']], ...extra,
});
await red.deploy([
  { id: 'tab', type: 'tab', label: 'bench' },
  // Fish Audio (no documented create limit): the 10,000 waits. Polling every 60 s keeps the load on this 2-core
  // machine about the memory, not about answering thousands of polls a second.
  { id: 'acc1', type: 'lipsync-account', provider: 'fishaudio-open', baseUrl: sandbox.baseUrl('fishaudio-open'), credentials: { apiKey: SANDBOX_KEY } },
  createNode('waiter', 'acc1', { wait: true, pollInterval: 60, timeout: 2, timeoutUnits: 'hours' }),
  // Chamelaion: documented 60 creates/min, which the account's shared limiter enforces.
  { id: 'acc2', type: 'lipsync-account', provider: 'chamelaion', baseUrl: sandbox.baseUrl('chamelaion'), credentials: { apiKey: SANDBOX_KEY } },
  createNode('burst', 'acc2', { wait: false }),
  { id: 'out', type: 'junction', z: 'tab', wires: [] },
  { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['errors']] },
  { id: 'errors', type: 'junction', z: 'tab', wires: [] },
]);
let errors = 0;
red.node('errors').on('input', () => errors++);

const heap = () => {
  global.gc();
  global.gc();
  return process.memoryUsage();
};
await sleep(500);
const before = heap();
const t0 = Date.now();
const waiter = red.node('waiter');
for (let i = 0; i < JOBS; i++) waiter.receive({ ...media, order: `batch-${i}` });
// All created and waiting: the node's own status line says "<JOBS> jobs · ..." with no create left in flight.
const allWaiting = new RegExp(`^${JOBS} jobs · `);
while (!allWaiting.test(statuses.get('waiter') ?? '')) {
  if (Date.now() - t0 > 10 * 60_000) throw new Error(`not all waiting after 10 min: ${statuses.get('waiter')}`);
  await sleep(200);
}
const rampMs = Date.now() - t0;
const during = heap();
const held = (await sandbox.jobs('fishaudio-open')).length;

// The limiter: a burst of creates on the Chamelaion account while the 10,000 waits go on.
const b0 = Date.now();
const burst = red.node('burst');
for (let i = 0; i < BURST; i++) burst.receive({ ...media });
await sleep(OBSERVE_MS);
const creates = (await sandbox.requests('chamelaion')).filter((r) => r.method === 'POST' && r.at >= b0);
const statusLine = statuses.get('waiter');
await red.stop();
report({
  jobs: JOBS,
  rampMs,
  heldBySandbox: held,
  heapUsedBefore: before.heapUsed,
  heapUsedDuring: during.heapUsed,
  rssBefore: before.rss,
  rssDuring: during.rss,
  waiterStatus: statusLine,
  errors,
  burst: { sent: BURST, observeMs: OBSERVE_MS, arrivals: creates.map((r) => r.at - b0), statuses: creates.map((r) => r.status) },
});
process.exit(0);
