// Benchmark 4 worker: a large result downloaded while RSS is watched. argv: <node-red|n8n> <sandbox JSON>
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report, require, rssGrowthDuring, sandboxFromArg, SANDBOX_KEY, startNodeRed } from '../lib/common.mjs';

const [host, sandboxArg] = process.argv.slice(2);
const sandbox = await sandboxFromArg(sandboxArg);
const media = { videoUrl: `${sandbox.url}/media/sample.mp4`, audioUrl: `${sandbox.url}/media/sample.wav` };
const PROVIDER = 'fishaudio-open';
const dir = mkdtempSync(join(tmpdir(), 'lipsync-bench-media-'));

/**
 * A real flow in embedded Node-RED: create job with "wait for completion" and Result = "save the video to a file"
 * (the node streams the download to disk). Node-RED is started before the measurement, so only the job and
 * its download count.
 */
async function nodeRedDownloadFlow(path) {
  const red = await startNodeRed();
  try {
    await red.deploy([
      { id: 'tab', type: 'tab', label: 'bench' },
      { id: 'acc', type: 'lipsync-account', provider: PROVIDER, baseUrl: sandbox.baseUrl(PROVIDER), credentials: { apiKey: SANDBOX_KEY } },
      {
        id: 'create', type: 'lipsync-create', z: 'tab', account: 'acc', videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl', audioUrlType: 'msg',
        wait: true, pollInterval: 0.05, timeout: 10, timeoutUnits: 'minutes', result: 'file', resultFile: path, resultFileType: 'str', wires: [['done'], ['done']],
      },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['done']] },
      { id: 'done', type: 'junction', z: 'tab', wires: [] },
    ]);
    return await rssGrowthDuring(
      () =>
        new Promise((resolve, reject) => {
          red.node('done').on('input', (msg) => (msg.error ? reject(new Error(msg.error.message)) : resolve({ bytes: statSync(msg.filename).size })));
          red.node('create').receive({ ...media });
        }),
    );
  } finally {
    await red.stop();
  }
}

let result;
try {
  if (host === 'node-red') {
    const path = join(dir, 'via-node-red.mp4');
    const m = await nodeRedDownloadFlow(path);
    result = { measured: 'Node-RED flow: create job, wait for completion, Result = save the video to a file', bytes: m.value.bytes, onDisk: statSync(path).size, ...m, value: undefined };
  } else {
    // n8n with binary data kept on disk: the "filesystem" mode, set up the way n8n's own start-up does.
    process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
    process.env.N8N_BINARY_DATA_STORAGE_PATH = dir;
    const n8n = await (await import('../lib/common.mjs')).loadN8nEngine();
    await n8n.loadPackage();
    const { Container } = require('@n8n/di');
    const { BinaryDataService } = require('n8n-core');
    const binary = Container.get(BinaryDataService);
    await binary.init();
    const m = await rssGrowthDuring(() =>
      n8n.runNode({
        parameters: n8n.params(PROVIDER, 'createAndWait', { ...media, options: { download: true, binaryPropertyName: 'video' } }),
        credentials: n8n.credentialsFor(sandbox, PROVIDER),
      }),
    );
    const run = m.value;
    if (run.error) throw new Error(`n8n run failed: ${run.error.message}`);
    const data = run.items[0]?.binary?.video;
    result = {
      measured: `n8n engine, Lip Sync "Create and Wait" with Download Result, binary data mode ${binary.mode}`,
      bytes: data?.bytes,
      binaryId: data?.id,
      onDisk: data?.id ? statSync(binary.getPath(data.id)).size : undefined,
      ...m,
      value: undefined,
    };
    n8n.removeUserFolder();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report({ host, ...result });
process.exit(0);
