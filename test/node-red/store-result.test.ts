import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLipSyncClient, type ProviderId } from '../../src';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { bucketState, motoUnavailable, startMoto, untilOpenUpload, type S3Server } from '../support/s3';
import { NODES, RED_PATH, ROOT, SANDBOX_KEY, redRequire, testFlow, until } from './support';

/**
 * Result = "save the video to S3-compatible storage" in real Node-RED: the sandbox's result (large enough for a
 * multipart upload) streamed into moto's S3 server with the account's storage settings.
 */
type Msg = Record<string, any>;
const helper = redRequire('node-red-node-test-helper');
helper.init(RED_PATH);

const missing = motoUnavailable();
if (missing && process.env.CI) throw new Error(`Result-storage tests cannot run in CI: ${missing}`);
/** Over the 8 MiB part size: two parts. */
const SIZE = 8 * 1024 * 1024 + 4321;

let sandbox: Sandbox;
let s3: S3Server;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 300, resultBytes: SIZE });
  if (!missing) s3 = await startMoto(['results']);
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  await s3?.close();
});
beforeEach(() => new Promise<void>((r) => helper.startServer(r)));
afterEach(async () => {
  await helper.unload();
  await new Promise<void>((r) => helper.stopServer(r));
});

const FAST = { pollInterval: 0.05, timeout: 30, timeoutUnits: 'seconds' };
const storage = () => ({ storage: true, s3Endpoint: s3.endpoint, s3Bucket: s3.bucket, s3Region: 'us-east-1', s3Prefix: 'red/', s3UrlHours: '2' });
const keys = () => ({ s3AccessKeyId: s3.accessKeyId, s3SecretAccessKey: s3.secretAccessKey });
const media = () => ({ videoUrl: `${sandbox.url}/media/sample.mp4`, audioUrl: `${sandbox.url}/media/sample.wav` });
const createNode = (extra: Msg = {}): Msg => ({ id: 'create', type: 'lipsync-create', account: 'acc', videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl', audioUrlType: 'msg', wires: [['out1'], ['out2']], ...FAST, ...extra });

async function load(provider: ProviderId, nodes: Msg[], account: Msg, credentials: Msg) {
  await helper.load(NODES, testFlow(provider, sandbox.baseUrl(provider), nodes, account), { acc: { apiKey: SANDBOX_KEY, ...credentials } });
  const out = { out1: [] as Msg[], out2: [] as Msg[], caught: [] as Msg[] };
  for (const k of ['out1', 'out2', 'caught'] as const) helper.getNode(k).on('input', (m: Msg) => out[k].push(m));
  return out;
}

async function served(url: string) {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, size: body.length, type: res.headers.get('content-type') };
}

describe.skipIf(Boolean(missing))('Node-RED: Result = save the video to S3-compatible storage', () => {
  it('create with "wait for completion" streams the video into the account bucket; msg.payload.stored says where, with a working link', async () => {
    const r = await load('akool', [createNode({ wait: true, outputs: 2, result: 'storage' })], storage(), keys());
    helper.getNode('create').receive(media());
    const msg = await until(() => r.out1[0], 'the completed job', 60_000);
    const day = new Date().toISOString().slice(0, 10);
    expect(msg.payload).toMatchObject({ provider: 'akool', status: 'completed' });
    expect(msg.payload.stored).toMatchObject({ bucket: 'media', key: `lipsync/${day}/${msg.jobId}.mp4`, size: SIZE, contentType: 'video/mp4' });
    expect(msg.payload.stored.url).toContain('X-Amz-Expires=7200');
    expect(await served(msg.payload.stored.url)).toEqual({ status: 200, size: SIZE, type: 'video/mp4' });
    const state = await bucketState(s3);
    expect(state.keys).toContain(msg.payload.stored.key);
    expect(state.openUploads).toEqual([]);
  });

  it('the wait node stores into another bucket under its key template ({prefix} is the account prefix)', async () => {
    const r = await load('fishaudio-open', [
      createNode({ wires: [['wait']] }),
      { id: 'wait', type: 'lipsync-wait', account: 'acc', result: 'storage', resultBucket: 'results', resultKey: '{prefix}{provider}/{jobId}.{ext}', wires: [['out1'], ['out2']], ...FAST },
    ], storage(), keys());
    helper.getNode('create').receive(media());
    const msg = await until(() => r.out1[0], 'the completed job', 60_000);
    expect(msg.payload.stored).toMatchObject({ bucket: 'results', key: `red/fishaudio-open/${msg.jobId}.mp4`, size: SIZE });
    expect((await served(msg.payload.stored.url)).size).toBe(SIZE);
  });

  it('an account without storage: a clear error naming the fix, with the completed job still on the message', async () => {
    const r = await load('akool', [createNode({ wait: true, outputs: 2, result: 'storage' })], {}, {});
    helper.getNode('create').receive(media());
    const msg = await until(() => r.caught[0], 'the error', 60_000);
    expect(msg.error.message).toMatch(/needs storage on the account/);
    expect(msg.error.message).toMatch(/Upload media to S3-compatible storage/);
    expect(msg.payload).toMatchObject({ status: 'completed', id: msg.jobId });
  });

  it('a bad key template is an INVALID_INPUT naming the placeholder, and nothing is stored', async () => {
    const before = (await bucketState(s3)).keys.length;
    const r = await load('akool', [createNode({ wait: true, outputs: 2, result: 'storage', resultKey: 'x/{job}.mp4' })], storage(), keys());
    helper.getNode('create').receive(media());
    const msg = await until(() => r.caught[0], 'the error', 60_000);
    expect(msg.error.message).toContain('{job}');
    expect(msg.payload.resultUrl).toMatch(/^http/);
    const state = await bucketState(s3);
    expect(state.keys.length).toBe(before);
    expect(state.openUploads).toEqual([]);
  });

  it('example 06 (Video straight into storage) works as shipped once its account has a provider and storage', async () => {
    const example: Msg[] = JSON.parse(readFileSync(join(ROOT, 'examples/06 - Video straight into storage.json'), 'utf8'));
    const inject = example.find((n) => n.type === 'inject')!;
    const account = example.find((n) => n.type === 'lipsync-account')!;
    const create = example.find((n) => n.type === 'lipsync-create')!;
    const stored = example.find((n) => n.type === 'debug' && n.name === 'video stored')!;
    expect(create).toMatchObject({ result: 'storage', wait: true, account: account.id });
    const flow = [
      { id: create.z, type: 'tab', label: 'example' },
      { ...account, baseUrl: sandbox.baseUrl(account.provider), s3Endpoint: s3.endpoint, s3Bucket: s3.bucket, s3Region: 'us-east-1' },
      ...example.filter((n) => n.type !== 'inject' && n.type !== 'comment' && n.type !== 'lipsync-account').map((n) => (n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper' } : { ...n, pollInterval: n.type === 'lipsync-create' ? 0.05 : undefined })),
    ];
    await helper.load(NODES, flow, { [account.id]: { apiKey: SANDBOX_KEY, ...keys() } });
    const got: Msg[] = [];
    helper.getNode(stored.id).on('input', (m: Msg) => got.push(m));
    const props = Object.fromEntries(inject.props.filter((p: Msg) => p.v).map((p: Msg) => [p.p, String(p.v).replace('http://127.0.0.1:4010', sandbox.url).replace(/sandbox_duration=\d+/, 'sandbox_duration=300')]));
    helper.getNode(create.id).receive(props);
    const msg = await until(() => got[0], 'the stored video', 60_000);
    expect(msg.payload.stored).toMatchObject({ bucket: 'media', key: expect.stringMatching(new RegExp(`^lipsync/\\d{4}-\\d{2}-\\d{2}/${msg.jobId}\\.mp4$`)), size: SIZE });
    expect((await served(msg.payload.stored.url)).size).toBe(SIZE);
  });

  it('msg.cancel while the video is being uploaded: the multipart upload is aborted and the job goes to output 2 as cancelled', async () => {
    const big = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 0, resultBytes: 400 * 1024 * 1024 });
    try {
      const before = (await bucketState(s3)).keys.length;
      await helper.load(
        NODES,
        testFlow('akool', big.baseUrl('akool'), [{ id: 'wait', type: 'lipsync-wait', account: 'acc', result: 'storage', wires: [['out1'], ['out2']], ...FAST }], storage()),
        { acc: { apiKey: SANDBOX_KEY, ...keys() } },
      );
      const out = { out1: [] as Msg[], out2: [] as Msg[] };
      for (const k of ['out1', 'out2'] as const) helper.getNode(k).on('input', (m: Msg) => out[k].push(m));
      const client = createLipSyncClient({ provider: 'akool', apiKey: SANDBOX_KEY, baseUrl: big.baseUrl('akool') });
      const job = await client.createJob({ videoUrl: `${big.url}/media/sample.mp4`, audioUrl: `${big.url}/media/sample.wav` });
      await client.close();
      helper.getNode('wait').receive({ jobId: job.id });
      await untilOpenUpload(s3);
      helper.getNode('wait').receive({ cancel: job.id });
      const msg = await until(() => out.out2[0], 'the cancelled wait', 60_000);
      expect(msg.jobId).toBe(job.id);
      expect(msg.error.code).toBe('ABORTED');
      expect(out.out1).toHaveLength(0);
      // The abort is sent before the message: by the time the flow sees it, nothing is left in the bucket.
      const after = await bucketState(s3);
      expect(after.openUploads).toEqual([]);
      expect(after.keys.length).toBe(before);
    } finally {
      await big.close();
    }
  }, 120_000);
});
