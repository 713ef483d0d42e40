// Benchmark 4 worker: a large result downloaded while RSS is watched. argv: <node-red|n8n> <sandbox JSON>
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report, require, rssGrowthDuring, sandboxFromArg, SANDBOX_KEY } from '../lib/common.mjs';

const [host, sandboxArg] = process.argv.slice(2);
const sandbox = await sandboxFromArg(sandboxArg);
const media = { videoUrl: `${sandbox.url}/media/sample.mp4`, audioUrl: `${sandbox.url}/media/sample.wav` };
const PROVIDER = 'fishaudio-open';
const dir = mkdtempSync(join(tmpdir(), 'lipsync-bench-media-'));
const core = require('./dist/src/index.js');

/**
 * TODO(node-red download): the Node-RED create/wait nodes get a "download the result to a file" option in
 * parallel work. Once it is there, deploy a flow [create (wait, download to file)] in embedded Node-RED here
 * (startNodeRed in ../lib/common.mjs) and measure that instead; until then this returns undefined and the
 * benchmark measures the core's downloadToFile, which is what that option calls.
 */
async function nodeRedDownloadFlow() {
  return undefined;
}

let result;
try {
  if (host === 'node-red') {
    const client = core.createLipSyncClient({ provider: PROVIDER, apiKey: SANDBOX_KEY, baseUrl: sandbox.baseUrl(PROVIDER) });
    const job = await client.createAndWait(media, { pollIntervalMs: 50 });
    await client.close();
    const viaFlow = await nodeRedDownloadFlow();
    const path = join(dir, `${job.id}.mp4`);
    const m = viaFlow ?? (await rssGrowthDuring(() => core.downloadToFile(job.resultUrl, path, { jobId: job.id })));
    result = { measured: viaFlow ? 'Node-RED flow' : 'core downloadToFile (the Node-RED nodes have no download option yet)', bytes: m.value.bytes, onDisk: statSync(path).size, ...m, value: undefined };
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
