// Batch benchmark worker (run with --expose-gc): heap per waiting item with <items> items waiting in ONE n8n
// execution (Create and Wait, Fish Audio "open", hour-long jobs, 60 s poll interval), then a Stop.
// argv: <sandbox JSON> <items>
import { loadN8nEngine, report, sandboxFromArg, sleep } from '../lib/common.mjs';

const [sandboxArg, itemsArg] = process.argv.slice(2);
const ITEMS = Number(itemsArg);
const PROVIDER = 'fishaudio-open';
if (typeof global.gc !== 'function') throw new Error('run with --expose-gc');
const sandbox = await sandboxFromArg(sandboxArg);
const n8n = await loadN8nEngine();
await n8n.loadPackage();
const parameters = (extra) => ({ provider: PROVIDER, resource: 'job', operation: 'createAndWait', videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}', options: { pollIntervalSeconds: 60 }, ...extra });
const credentials = n8n.credentialsFor(sandbox, PROVIDER);
const input = Array.from({ length: ITEMS }, (_, i) => ({ json: { videoUrl: `${sandbox.url}/media/sample.mp4?sandbox_duration=0&tag=warm-${i}`, audioUrl: `${sandbox.url}/media/sample.wav` } }));
// Warm-up (module loading, JIT, connection pool): a short batch of instant jobs, not counted.
await n8n.runNode({ parameters: parameters({ options: { pollIntervalSeconds: 0.05 } }), credentials, input: input.slice(0, 50) });
for (const item of input) item.json.videoUrl = item.json.videoUrl.replace('sandbox_duration=0&tag=warm', 'sandbox_duration=3600000&tag=batch');

const heap = () => {
  global.gc();
  global.gc();
  return process.memoryUsage();
};
const held = async () => (await sandbox.jobs(PROVIDER)).filter((j) => j.videoUrl.includes('tag=batch-')).length;
await sleep(200);
// The input items exist before the node runs (the previous node made them): not counted as the node's memory.
const before = heap();
const t0 = Date.now();
const execution = await n8n.startNode({ parameters: parameters(), credentials, input });
while ((await held()) < ITEMS) {
  if (Date.now() - t0 > 10 * 60_000) throw new Error(`not all created after 10 min: ${await held()}`);
  await sleep(250);
}
const rampMs = Date.now() - t0;
await sleep(1000);
const during = heap();
const heldBySandbox = await held();
execution.cancel();
const settled = await execution.settled;
const ids = (await sandbox.jobs(PROVIDER)).filter((j) => j.videoUrl.includes('tag=batch-')).map((j) => j.id);
const canceledNamingAll = settled.status === 'canceled' && ids.every((id) => settled.error?.description?.includes(id));
n8n.removeUserFolder();
report({ items: ITEMS, rampMs, heldBySandbox, heapBefore: before.heapUsed, heapDuring: during.heapUsed, rssBefore: before.rss, rssDuring: during.rss, canceledNamingAll });
process.exit(0);
