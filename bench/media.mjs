// Benchmark 4: a 500 MB result downloaded to a file (the Node-RED path) and into n8n binary data kept on disk:
// peak RSS growth of the downloading process. The sandbox (its own process) generates the result as it sends it.
import { runWorker, startSandboxProcess } from './lib/common.mjs';

const SIZE = 500 * 1024 * 1024;
const TARGET = 64 * 1024 * 1024;

export async function run() {
  const sandbox = await startSandboxProcess({ jobDurationMs: 0, resultBytes: SIZE });
  try {
    const arg = JSON.stringify({ url: sandbox.url });
    const rows = [];
    for (const host of ['node-red', 'n8n']) {
      const w = await runWorker('workers/media.mjs', [host, arg], { execArgv: ['--expose-gc'] });
      rows.push({
        host: host === 'node-red' ? 'Node-RED (to a file)' : 'n8n (binary data, filesystem mode)',
        measured: w.measured,
        bytes: w.bytes,
        onDisk: w.onDisk,
        rssGrowthBytes: w.growth,
        rssBefore: w.rssBefore,
        peakFrom: w.kernelPeak ? 'kernel peak mark (VmHWM) and 5 ms samples' : '5 ms samples',
        meetsTarget: w.growth < TARGET && w.bytes === SIZE && w.onDisk === SIZE,
      });
    }
    return { name: 'media', size: SIZE, target: `peak RSS growth < ${TARGET / 1024 / 1024} MB while downloading ${SIZE / 1024 / 1024} MB`, rows };
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
