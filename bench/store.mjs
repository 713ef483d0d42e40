// Benchmark 5: a 500 MB result streamed from the provider into S3-compatible storage (Result = save to storage):
// peak RSS growth of the storing process. The sandbox generates the result as it sends it and s3rver writes it to
// disk, each in its own process; the stored object is read back to check its size.
import { runWorker, startS3Process, startSandboxProcess } from './lib/common.mjs';

const SIZE = 500 * 1024 * 1024;
const TARGET = 64 * 1024 * 1024;

async function storedSize(url) {
  const res = await fetch(url);
  let bytes = 0;
  for await (const chunk of res.body) bytes += chunk.length;
  return res.ok ? bytes : -res.status;
}

export async function run() {
  const sandbox = await startSandboxProcess({ jobDurationMs: 0, resultBytes: SIZE });
  const s3 = await startS3Process();
  try {
    const rows = [];
    for (const host of ['node-red', 'n8n']) {
      const w = await runWorker('workers/store.mjs', [host, JSON.stringify({ url: sandbox.url }), JSON.stringify(s3)], { execArgv: ['--expose-gc'] });
      const inBucket = await storedSize(w.stored.url);
      rows.push({
        host: host === 'node-red' ? 'Node-RED (Result = save to S3-compatible storage)' : 'n8n (Save Result to S3-Compatible Storage)',
        measured: w.measured,
        stored: { bucket: w.stored.bucket, key: w.stored.key, size: w.stored.size },
        inBucket,
        seconds: w.seconds,
        rssGrowthBytes: w.growth,
        rssBefore: w.rssBefore,
        peakFrom: w.kernelPeak ? 'kernel peak mark (VmHWM) and 5 ms samples' : '5 ms samples',
        meetsTarget: w.growth < TARGET && w.stored.size === SIZE && inBucket === SIZE,
      });
    }
    return { name: 'store', size: SIZE, target: `peak RSS growth < ${TARGET / 1024 / 1024} MB while storing ${SIZE / 1024 / 1024} MB`, rows };
  } finally {
    await sandbox.close();
    await s3.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
