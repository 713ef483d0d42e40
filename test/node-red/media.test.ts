import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inspectMedia, type ProviderId } from '../../src';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { s3Unavailable, startS3, type S3Server } from '../support/s3';
import { NODES, RED_PATH, ROOT, SANDBOX_KEY, redRequire, testFlow, until } from './support';

/**
 * Media in and out through real Node-RED (node-red-node-test-helper) against the loopback sandbox: Buffers in
 * (provider upload, or the account's S3-compatible storage on a real s3rver), and the finished video out as a
 * Buffer or a file.
 */
type Msg = Record<string, any>;
const helper = redRequire('node-red-node-test-helper');
helper.init(RED_PATH);

const WAV = readFileSync(join(ROOT, 'src/sandbox/assets/sample.wav'));
const MP4 = readFileSync(join(ROOT, 'src/sandbox/assets/sample.mp4'));
const s3Missing = s3Unavailable();
if (s3Missing && process.env.CI) throw new Error(`S3 tests cannot run in CI: ${s3Missing}`);

let sandbox: Sandbox;
let s3: S3Server | undefined;
let tmp: string;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 300 });
  if (!s3Missing) s3 = await startS3();
  tmp = mkdtempSync(join(tmpdir(), 'lipsync-red-media-'));
});
afterAll(async () => {
  await sandbox?.close();
  await s3?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => new Promise<void>((r) => helper.startServer(r)));
afterEach(async () => {
  await helper.unload();
  await new Promise<void>((r) => helper.stopServer(r));
});

const FAST = { pollInterval: 0.05, timeout: 20, timeoutUnits: 'seconds' };
const videoUrl = () => `${sandbox.url}/media/sample.mp4`;

const createNode = (extra: Msg = {}): Msg => ({
  id: 'create',
  type: 'lipsync-create',
  account: 'acc',
  videoUrl: 'videoUrl',
  videoUrlType: 'msg',
  audioUrl: 'payload',
  audioUrlType: 'msg',
  wires: [['out1'], ['out2']],
  ...FAST,
  ...extra,
});

async function load(provider: ProviderId, nodes: Msg[], account: Msg = {}, credentials: Msg = {}) {
  const flow = testFlow(provider, sandbox.baseUrl(provider), nodes, account);
  await helper.load(NODES, flow, { acc: { apiKey: SANDBOX_KEY, ...credentials } });
  const out = { out1: [] as Msg[], out2: [] as Msg[], caught: [] as Msg[] };
  for (const k of ['out1', 'out2', 'caught'] as const) helper.getNode(k).on('input', (m: Msg) => out[k].push(m));
  return out;
}

const creates = () => sandbox.requests.filter((r) => r.method === 'POST' && !r.path.includes('upload') && !r.path.includes('getToken'));
const lastCreate = () => creates().at(-1)!;

describe('media in: Buffers', () => {
  it('joggai: audio bytes from a file-in node (msg.payload) are uploaded as an asset and the job completes', async () => {
    const r = await load('joggai', [createNode({ wait: true, outputs: 2 })]);
    helper.getNode('create').receive({ payload: WAV, filename: '/data/voice.wav', videoUrl: videoUrl() });
    const msg = await until(() => r.out1[0], 'the completed job');
    expect(msg.payload).toMatchObject({ provider: 'joggai', status: 'completed' });
    const upload = sandbox.requests.filter((q) => q.path === '/v2/upload/asset').at(-1)!;
    expect(upload.body).toMatchObject({ filename: 'voice.wav' });
    const put = sandbox.requests.filter((q) => q.method === 'PUT').at(-1)!;
    expect(put.body).toMatchObject({ size: WAV.length, contentType: 'audio/wav' });
    expect(JSON.stringify(lastCreate().body)).toContain('/assets/joggai/');
    expect(r.caught).toHaveLength(0);
  });

  it('chamelaion: video and audio both as Buffers go out in one multipart create', async () => {
    const r = await load('chamelaion', [createNode({ videoUrl: 'video', audioUrl: 'audio', wires: [['out1']] })]);
    helper.getNode('create').receive({ video: MP4, audio: { data: WAV, filename: 'speech.wav' } });
    const msg = await until(() => r.out1[0], 'the created job');
    expect(msg.payload.provider).toBe('chamelaion');
    const body = lastCreate().body as Msg;
    expect(body.video).toMatchObject({ size: MP4.length });
    expect(body.audio).toMatchObject({ size: WAV.length, filename: 'speech.wav' });
  });

  it('a Buffer for a provider that takes only URLs, with no storage configured, is a clear error and nothing is sent', async () => {
    const r = await load('akool', [createNode({ wires: [['out1']] })]);
    const before = creates().length;
    helper.getNode('create').receive({ payload: WAV, videoUrl: videoUrl() });
    const msg = await until(() => r.caught[0], 'the error');
    expect(msg.error.code).toBe('INVALID_INPUT');
    expect(msg.error.message).toMatch(/audio: Akool takes media only as URLs/);
    expect(msg.error.message).toMatch(/S3-compatible storage/);
    expect(creates().length).toBe(before);
    expect(r.out1).toHaveLength(0);
  });

  it('a value that is neither a URL nor bytes names the field and where it was read from', async () => {
    const r = await load('joggai', [createNode({ wires: [['out1']] })]);
    helper.getNode('create').receive({ payload: { text: 'hello' }, videoUrl: videoUrl() });
    const msg = await until(() => r.caught[0], 'the error');
    expect(msg.error.code).toBe('INVALID_INPUT');
    expect(msg.error.message).toContain('Audio must be an http(s) URL (text) or the file\'s bytes (a Buffer), but msg.payload is an object');
  });

  it('an empty Buffer is refused before anything is uploaded', async () => {
    const r = await load('joggai', [createNode({ wires: [['out1']] })]);
    const before = sandbox.requests.length;
    helper.getNode('create').receive({ payload: Buffer.alloc(0), videoUrl: videoUrl() });
    const msg = await until(() => r.caught[0], 'the error');
    expect(msg.error.message).toMatch(/audio: the file is empty/);
    expect(sandbox.requests.length).toBe(before);
  });
});

describe.skipIf(Boolean(s3Missing))('media in: S3-compatible storage on the account (real s3rver)', () => {
  const storage = () => ({ storage: true, s3Endpoint: s3!.endpoint, s3Bucket: s3!.bucket, s3Region: 'us-east-1', s3Prefix: 'red/', s3UrlHours: '2' });
  const keys = () => ({ s3AccessKeyId: s3!.accessKeyId, s3SecretAccessKey: s3!.secretAccessKey });

  it.each(['fishaudio-v1', 'akool'] as const)('%s: the audio bytes are uploaded and the provider gets a presigned URL that serves them', async (provider) => {
    const r = await load(provider, [createNode({ wait: true, outputs: 2 })], storage(), keys());
    helper.getNode('create').receive({ payload: WAV, videoUrl: videoUrl() });
    const msg = await until(() => r.out1[0], 'the completed job');
    expect(msg.payload).toMatchObject({ provider, status: 'completed' });
    const sent = JSON.stringify(lastCreate().body);
    const url = /"(http:\/\/127\.0\.0\.1:\d+\/media\/red\/[^"]+)"/.exec(sent)?.[1];
    expect(url, sent).toBeTruthy();
    expect(url).toContain(`${s3!.endpoint}/`);
    expect(url).toContain('X-Amz-Expires=7200');
    const res = await fetch(JSON.parse(`"${url}"`));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(WAV)).toBe(true);
  });

  it('wrong storage keys are reported as AUTH_FAILED, without the secret', async () => {
    const r = await load('fishaudio-open', [createNode({ wires: [['out1']] })], storage(), { s3AccessKeyId: s3!.accessKeyId, s3SecretAccessKey: 'wrong-secret-9d1f' });
    helper.getNode('create').receive({ payload: WAV, videoUrl: videoUrl() });
    const msg = await until(() => r.caught[0], 'the error');
    expect(msg.error.code).toBe('AUTH_FAILED');
    expect(msg.error.message).toMatch(/S3 storage: upload refused/);
    expect(JSON.stringify([msg, helper.log().args])).not.toContain('wrong-secret-9d1f');
  });
});

describe('media out', () => {
  it('create with "wait for completion": the video as a Buffer in msg.payload.video, the sandbox MP4 byte for byte', async () => {
    const r = await load('joggai', [createNode({ wait: true, outputs: 2, result: 'buffer' })]);
    helper.getNode('create').receive({ payload: WAV, videoUrl: videoUrl() });
    const msg = await until(() => r.out1[0], 'the completed job');
    expect(msg.payload.status).toBe('completed');
    expect(Buffer.isBuffer(msg.payload.video)).toBe(true);
    expect(msg.payload.video.equals(MP4)).toBe(true);
    expect(msg.payload.resultUrl).toMatch(/^http:/);
  });

  it('the wait node puts the Buffer where its "Video to" property says', async () => {
    const r = await load('fishaudio-open', [
      createNode({ videoUrl: 'videoUrl', audioUrl: 'audioUrl', wires: [['wait']] }),
      { id: 'wait', type: 'lipsync-wait', account: 'acc', result: 'buffer', resultProperty: 'video', wires: [['out1'], ['out2']], ...FAST },
    ]);
    helper.getNode('create').receive({ videoUrl: videoUrl(), audioUrl: `${sandbox.url}/media/sample.wav` });
    const msg = await until(() => r.out1[0], 'the completed job');
    expect(Buffer.isBuffer(msg.video) && msg.video.equals(MP4)).toBe(true);
    expect(msg.payload).toMatchObject({ status: 'completed', provider: 'fishaudio-open' });
  });

  it('the wait node streams the video to lipsync-<job id>.mp4 in a folder from msg, and says where in msg.filename', async () => {
    const dir = join(tmp, 'nested', 'videos') + '/';
    const r = await load('chamelaion', [
      createNode({ videoUrl: 'videoUrl', audioUrl: 'audioUrl', wires: [['wait']] }),
      { id: 'wait', type: 'lipsync-wait', account: 'acc', result: 'file', resultFile: 'saveTo', resultFileType: 'msg', wires: [['out1'], ['out2']], ...FAST },
    ]);
    helper.getNode('create').receive({ videoUrl: videoUrl(), audioUrl: `${sandbox.url}/media/sample.wav`, saveTo: dir });
    const msg = await until(() => r.out1[0], 'the completed job');
    expect(msg.filename).toBe(join(dir, `lipsync-${msg.jobId}.mp4`));
    const written = readFileSync(msg.filename);
    expect(written.equals(MP4)).toBe(true);
    expect(inspectMedia(written)).toMatchObject({ container: 'mp4', kind: 'video' });
    expect(existsSync(`${msg.filename}.partial`)).toBe(false);
  });

  it('create writes to a fixed file path; an empty path is an error naming the field, with the job id', async () => {
    const file = join(tmp, 'take.mp4');
    let r = await load('joggai', [createNode({ wait: true, outputs: 2, result: 'file', resultFile: file })]);
    helper.getNode('create').receive({ payload: WAV, videoUrl: videoUrl() });
    const msg = await until(() => r.out1[0], 'the completed job');
    expect(msg.filename).toBe(file);
    expect(readFileSync(file).equals(MP4)).toBe(true);

    await helper.unload();
    r = await load('joggai', [createNode({ wait: true, outputs: 2, result: 'file', resultFile: 'nowhere', resultFileType: 'msg' })]);
    helper.getNode('create').receive({ payload: WAV, videoUrl: videoUrl() });
    const failed = await until(() => r.caught[0], 'the error');
    expect(failed.error.code).toBe('INVALID_INPUT');
    expect(failed.error.message).toContain('Result file is empty: msg.nowhere has no file path');
    expect(failed.jobId).toBeTruthy();
    expect(failed.payload).toMatchObject({ id: failed.jobId, status: 'completed' });
  });
});
