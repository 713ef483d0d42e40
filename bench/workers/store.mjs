// Benchmark 5 worker: a large result streamed into S3-compatible storage while RSS is watched.
// argv: <node-red|n8n> <sandbox JSON> <s3 JSON>
import { report, rssGrowthDuring, sandboxFromArg, SANDBOX_KEY, startNodeRed } from '../lib/common.mjs';

const [host, sandboxArg, s3Arg] = process.argv.slice(2);
const sandbox = await sandboxFromArg(sandboxArg);
const s3 = JSON.parse(s3Arg);
const media = { videoUrl: `${sandbox.url}/media/sample.mp4`, audioUrl: `${sandbox.url}/media/sample.wav` };
const PROVIDER = 'akool';

/** A real flow in embedded Node-RED: create job, wait for completion, Result = save the video to S3-compatible storage. */
async function nodeRedStoreFlow() {
  const red = await startNodeRed();
  try {
    await red.deploy([
      { id: 'tab', type: 'tab', label: 'bench' },
      {
        id: 'acc', type: 'lipsync-account', provider: PROVIDER, baseUrl: sandbox.baseUrl(PROVIDER),
        storage: true, s3Endpoint: s3.endpoint, s3Bucket: s3.bucket, s3Region: 'us-east-1', s3UrlHours: '1',
        credentials: { apiKey: SANDBOX_KEY, s3AccessKeyId: s3.accessKeyId, s3SecretAccessKey: s3.secretAccessKey },
      },
      {
        id: 'create', type: 'lipsync-create', z: 'tab', account: 'acc', videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl', audioUrlType: 'msg',
        wait: true, pollInterval: 0.05, timeout: 10, timeoutUnits: 'minutes', result: 'storage', resultKey: 'bench/node-red/{jobId}.{ext}', wires: [['done'], ['done']],
      },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['done']] },
      { id: 'done', type: 'junction', z: 'tab', wires: [] },
    ]);
    return await rssGrowthDuring(
      () =>
        new Promise((resolve, reject) => {
          red.node('done').on('input', (msg) => (msg.error ? reject(new Error(msg.error.message)) : resolve(msg.payload.stored)));
          red.node('create').receive({ ...media });
        }),
    );
  } finally {
    await red.stop();
  }
}

async function n8nStore() {
  const n8n = await (await import('../lib/common.mjs')).loadN8nEngine();
  await n8n.loadPackage();
  const m = await rssGrowthDuring(async () => {
    const run = await n8n.runNode({
      parameters: n8n.params(PROVIDER, 'createAndWait', { ...media, useStorage: true, options: { saveToStorage: true, resultKey: 'bench/n8n/{jobId}.{ext}' } }),
      credentials: {
        ...n8n.credentialsFor(sandbox, PROVIDER),
        lipSyncKitS3StorageApi: { endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, urlExpiresInHours: 1, virtualHostedStyle: false },
      },
    });
    if (run.error) throw new Error(`n8n run failed: ${run.error.message}`);
    return run.items[0].json.stored;
  });
  n8n.removeUserFolder();
  return m;
}

const started = Date.now();
const m = host === 'node-red' ? await nodeRedStoreFlow() : await n8nStore();
report({
  host,
  measured: host === 'node-red' ? 'Node-RED flow: create job, wait for completion, Result = save to S3-compatible storage' : 'n8n engine, Lip Sync "Create and Wait" with Save Result to S3-Compatible Storage',
  stored: m.value,
  seconds: (Date.now() - started) / 1000,
  ...m,
  value: undefined,
});
process.exit(0);
