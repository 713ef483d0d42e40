import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inspectMedia } from '../../src';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { RED_VERSION, ROOT, SANDBOX_KEY, startEmbeddedRed, until, type EmbeddedRed } from './support';

/**
 * The speech and clone voice nodes in a real embedded Node-RED, against the sandbox: the example flow
 * (script -> voice -> lip-sync -> file, with and without a cloned voice), a speech Buffer into a create node,
 * the editor's voice list, and the errors a flow meets (empty text, unknown voice, no credits).
 */
type Msg = Record<string, any>;
const EXAMPLE = 'examples/05 - Script in, video file out.json';

let red: EmbeddedRed;
let RED: any;
let sandbox: Sandbox;
const received: { id: string; msg: Msg }[] = [];
const statuses: { id: string; status: Msg }[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 600 });
  red = await startEmbeddedRed({ httpAdminRoot: '/red' });
  RED = red.RED;
  RED.hooks.add('onReceive.lipsyncSpeech', (evt: { msg: Msg; destination: { id: string } }) => {
    received.push({ id: evt.destination.id, msg: evt.msg });
  });
  RED.events.on('node-status', (e: { id: string; status: Msg }) => statuses.push(e));
});
afterAll(async () => {
  await red?.stop();
  await sandbox?.close();
});
beforeEach(() => {
  received.length = 0;
  sandbox.clearRequests();
});

async function deploy(flow: Msg[]): Promise<void> {
  const started = new Promise((r) => RED.events.once('flows:started', r));
  await RED.runtime.flows.setFlows({ flows: { flows: flow }, deploymentType: 'full' });
  await started;
  for (const n of flow) if (n.type !== 'tab') expect(RED.nodes.getNode(n.id), `node ${n.type} ${n.id}`).toBeTruthy();
}

const at = (id: string) => received.filter((r) => r.id === id).map((r) => r.msg);

function example(): Msg[] {
  const text = readFileSync(join(ROOT, EXAMPLE), 'utf8').split('http://127.0.0.1:4010').join(sandbox.url);
  const nodes: Msg[] = JSON.parse(text);
  for (const n of nodes) {
    if (n.type === 'lipsync-account') n.credentials = { apiKey: SANDBOX_KEY };
    if (n.type === 'lipsync-create') n.pollInterval = 0.05;
  }
  return [{ id: nodes[0]!.z, type: 'tab', label: 'example' }, ...nodes];
}
const named = (flow: Msg[], type: string, name: string) => flow.find((n) => n.type === type && n.name === name)!;

/** A small flow: account, the node under test, a collector and a catch collector. */
function flowWith(provider: string, nodes: Msg[], apiKey = SANDBOX_KEY): Msg[] {
  return [
    { id: 'tab', type: 'tab', label: 't' },
    { id: 'acc', type: 'lipsync-account', provider, baseUrl: sandbox.baseUrl(provider as never), credentials: { apiKey } },
    ...nodes.map((n) => ({ z: 'tab', ...n })),
    { id: 'out', type: 'debug', z: 'tab', active: false, tosidebar: false, wires: [] },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'debug', z: 'tab', active: false, tosidebar: false, wires: [] },
  ];
}

describe(`speech nodes in real Node-RED ${RED_VERSION}`, () => {
  it('the example: script -> chosen voice -> lip-sync -> MP4 file, the speech sent as the documented TTS request', async () => {
    const flow = example();
    process.env.LIPSYNC_OUTPUT_DIR = `${join(red.userDir, 'videos')}/`;
    try {
      await deploy(flow);
      RED.nodes.getNode(named(flow, 'inject', 'speak the script').id).receive({});
      const saved = named(flow, 'debug', 'video saved');
      const [done] = await until(() => at(saved.id).length && at(saved.id), 'the saved video');
      expect(done.payload).toMatchObject({ status: 'completed', provider: 'fishaudio-open' });
      expect(inspectMedia(readFileSync(done.filename))).toMatchObject({ container: 'mp4', kind: 'video' });
      const tts = sandbox.requests.find((r) => r.path === '/api/open/tts')!;
      expect(tts.body).toMatchObject({ reference_id: 'sandbox-voice-anna', format: 'mp3', cache: true, text: expect.stringContaining('made from a script') });
      // The lip-sync create got the speech's URL, served by the sandbox as a real WAV.
      const create = sandbox.requests.find((r) => r.path === '/api/open/lip-sync/create')!;
      const audioUrl = (create.body as Msg).audio_url as string;
      expect(audioUrl).toMatch(/\/speech\/[0-9a-f]+\.wav$/);
      expect(inspectMedia(Buffer.from(await (await fetch(audioUrl)).arrayBuffer())).container).toBe('wav');
      expect(at(named(flow, 'debug', 'error').id)).toHaveLength(0);
    } finally {
      delete process.env.LIPSYNC_OUTPUT_DIR;
    }
  });

  it('the example: clone a voice from a recording, then the script is spoken in it', async () => {
    const flow = example();
    process.env.LIPSYNC_OUTPUT_DIR = `${join(red.userDir, 'videos')}/`;
    process.env.LIPSYNC_VOICE_SAMPLE = join(ROOT, 'src/sandbox/assets/sample.wav');
    try {
      await deploy(flow);
      RED.nodes.getNode(named(flow, 'inject', 'clone a voice, then speak').id).receive({});
      const saved = named(flow, 'debug', 'video saved');
      const [done] = await until(() => at(saved.id).length && at(saved.id), 'the saved video');
      const [cloned] = at(named(flow, 'debug', 'voice cloned').id);
      expect(cloned!.voiceId).toMatch(/^voice_/);
      expect(existsSync(done.filename)).toBe(true);
      const clone = sandbox.requests.find((r) => r.path === '/api/open/create-model')!;
      expect(clone.body).toMatchObject({ name: 'My voice', visibility: 'private', audioFiles: { filename: 'sample.wav', contentType: 'audio/wav' } });
      expect((sandbox.requests.find((r) => r.path === '/api/open/tts')!.body as Msg).reference_id).toBe(cloned!.voiceId);
    } finally {
      delete process.env.LIPSYNC_OUTPUT_DIR;
      delete process.env.LIPSYNC_VOICE_SAMPLE;
    }
  });

  it('speech as a Buffer into a create node (v1 account, async TTS job): the audio bytes reach the lip-sync', async () => {
    // JoggAI takes bytes through its own upload, so the Buffer goes straight on; the speech comes from a v1 account.
    const flow: Msg[] = [
      { id: 'tab-b', type: 'tab', label: 't' },
      { id: 'fish', type: 'lipsync-account', provider: 'fishaudio-v1', baseUrl: sandbox.baseUrl('fishaudio-v1'), credentials: { apiKey: SANDBOX_KEY } },
      { id: 'jogg', type: 'lipsync-account', provider: 'joggai', baseUrl: sandbox.baseUrl('joggai'), credentials: { apiKey: SANDBOX_KEY } },
      { id: 'sp-b', type: 'lipsync-speech', z: 'tab-b', account: 'fish', voice: 'sandbox-voice-ben', output: 'audio', format: 'mp3', mode: 'job', wires: [['cr-b']] },
      { id: 'cr-b', type: 'lipsync-create', z: 'tab-b', account: 'jogg', outputs: 2, wait: true, videoUrl: `${sandbox.url}/media/sample.mp4`, videoUrlType: 'str', audioUrl: 'payload', audioUrlType: 'msg', pollInterval: 0.05, timeout: 1, timeoutUnits: 'minutes', result: 'url', wires: [['out-b'], ['out-b']] },
      { id: 'out-b', type: 'debug', z: 'tab-b', active: false, tosidebar: false, wires: [] },
    ];
    await deploy(flow);
    RED.nodes.getNode('sp-b').receive({ payload: 'Spoken by a job, then lip-synced.' });
    const [done] = await until(() => at('out-b').length && at('out-b'), 'the finished job', 30_000);
    expect(done.payload).toMatchObject({ status: 'completed', provider: 'joggai' });
    expect(done.audio).toMatchObject({ contentType: 'audio/wav', jobId: expect.stringMatching(/^task_/) });
    const put = sandbox.requests.find((r) => r.method === 'PUT' && (r.body as Msg).contentType === 'audio/wav');
    expect(put, 'the speech uploaded as audio/wav').toBeTruthy();
    expect(sandbox.requests.some((r) => r.path === '/api/open/v1/speech/tts/jobs')).toBe(true);
  });

  it.each([
    ['empty text', { payload: '  ' }, SANDBOX_KEY, 'INVALID_INPUT', /text is empty/],
    ['a bad voice id', { payload: 'Hello', voiceId: 'nobody' }, SANDBOX_KEY, 'NOT_FOUND', /voice "nobody" is not a voice/],
    ['an exhausted quota', { payload: 'Hello' }, 'sandbox-no-credits', 'INSUFFICIENT_CREDITS', /credits/i],
    ['no text at all', { payload: Buffer.from('x') }, SANDBOX_KEY, 'INVALID_INPUT', /msg.payload must be the text/],
  ])('%s reaches a Catch node with msg.error.code', async (_what, msg, key, code, message) => {
    await deploy(flowWith('fishaudio-open', [{ id: 'sp', type: 'lipsync-speech', account: 'acc', voice: 'sandbox-voice-anna', output: 'audio', wires: [['out']] }], key));
    RED.nodes.getNode('sp').receive(msg);
    const [err] = await until(() => at('caught').length && at('caught'), 'the caught error');
    expect(err.error.code).toBe(code);
    expect(err.error.message).toMatch(message);
    expect(at('out')).toHaveLength(0);
  });

  it('a speech node on an account without a speech API says so', async () => {
    await deploy(flowWith('akool', [{ id: 'sp', type: 'lipsync-speech', account: 'acc', voice: 'x', wires: [['out']] }]));
    RED.nodes.getNode('sp').receive({ payload: 'Hello' });
    const [err] = await until(() => at('caught').length && at('caught'), 'the caught error');
    expect(err.error.code).toBe('NOT_SUPPORTED');
    expect(err.error.message).toMatch(/Akool has no speech API here: use a Fish Audio account/);
  });

  it("the editor's voice list loads the deployed account's voices through the admin API", async () => {
    await deploy(flowWith('fishaudio-v1', [{ id: 'sp', type: 'lipsync-speech', account: 'acc', voice: '', wires: [['out']] }]));
    const res = await fetch(`http://127.0.0.1:${red.port}/red/lipsync-speech/voices/acc`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { voices: { id: string; name: string }[] };
    expect(body.voices.map((v) => v.id)).toEqual(expect.arrayContaining(['sandbox-voice-anna', 'sandbox-voice-ben']));
    expect(sandbox.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/open/v1/voices' });
    const missing = await fetch(`http://127.0.0.1:${red.port}/red/lipsync-speech/voices/not-deployed`);
    expect(missing.status).toBe(404);
  });
});
