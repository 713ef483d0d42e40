import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectMedia } from '../../src';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { RED_VERSION, ROOT, startEmbeddedRed, until, type EmbeddedRed } from './support';

/**
 * Smoke test: a real embedded Node-RED (RED.init + RED.start) loads the BUILT package from the repository root
 * (nodesDir), lists the example flows the way Import > Examples does, deploys each one pointed at the sandbox,
 * triggers it and sees a completed job come out.
 */
type Msg = Record<string, any>;
const MODULE: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).name;
const EXAMPLE_HOST = 'http://127.0.0.1:4010';
// Example 07 gives Akool the job callback node's address on a Node-RED at its default port.
const EXAMPLE_RED = 'http://127.0.0.1:1880';
// Akool encrypts its callbacks with the API key (an AES key: 16/24/32 characters) and signs with the client id.
const SANDBOX_KEY = 'sandbox-key-0123456789ab';
const AKOOL_CLIENT_ID = 'AKDt8rWEczpYPzCG';

let RED: any;
let red: EmbeddedRed;
let sandbox: Sandbox;
let userDir: string;
const received: { node: Msg; msg: Msg }[] = [];
const statuses: { id: string; status: Msg }[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 600, akoolClientId: AKOOL_CLIENT_ID });
  red = await startEmbeddedRed({ httpNodeRoot: '/' });
  RED = red.RED;
  userDir = red.userDir;
  RED.hooks.add('onReceive.lipsyncSmoke', (evt: { msg: Msg; destination: { node: Msg } }) => {
    if (evt.destination.node?.type === 'debug') received.push({ node: evt.destination.node, msg: evt.msg });
  });
  RED.events.on('node-status', (e: { id: string; status: Msg }) => statuses.push(e));
});

afterAll(async () => {
  await red?.stop();
  await sandbox?.close();
});

/** Every example Node-RED offers under our module in Import > Examples, as {path, flow}. */
async function listExamples(path = MODULE): Promise<{ path: string; flow: Msg[] }[]> {
  const entries: (string | Msg)[] = await RED.runtime.library.getEntry({ library: 'examples', type: 'flows', path });
  const out: { path: string; flow: Msg[] }[] = [];
  for (const e of entries) {
    // Folders come back as names, flows as {fn}.
    if (typeof e === 'string') out.push(...(await listExamples(`${path}/${e}`)));
    else if (e.fn) {
      const text: string = await RED.runtime.library.getEntry({ library: 'examples', type: 'flows', path: `${path}/${e.fn}` });
      out.push({ path: `${path}/${e.fn}`, flow: JSON.parse(text) });
    }
  }
  return out;
}

/** The example as a user would run it against the sandbox: account base URL + key, sample media; short jobs, quick polling. */
function pointAtSandbox(flow: Msg[]): Msg[] {
  // The examples ask the sandbox for 20-30 s jobs (to watch the status move); the test does not wait that long.
  const text = JSON.stringify(flow)
    .split(EXAMPLE_HOST)
    .join(sandbox.url)
    .split(EXAMPLE_RED)
    .join(`http://127.0.0.1:${red.port}`)
    .replace(/sandbox_duration=\d+/g, 'sandbox_duration=600');
  const nodes: Msg[] = JSON.parse(text);
  const tabs = new Set(nodes.map((n) => n.z).filter(Boolean));
  for (const n of nodes) {
    if (n.type === 'lipsync-account') {
      n.baseUrl = sandbox.baseUrl(n.provider);
      n.credentials = n.provider === 'akool' ? { apiKey: SANDBOX_KEY, clientId: AKOOL_CLIENT_ID } : { apiKey: SANDBOX_KEY };
    }
    if (n.type === 'lipsync-create' || n.type === 'lipsync-wait') n.pollInterval = 0.05;
  }
  const missingTabs = [...tabs].filter((id) => !nodes.some((n) => n.id === id && n.type === 'tab'));
  return [...missingTabs.map((id) => ({ id, type: 'tab', label: 'example' })), ...nodes];
}

async function deploy(flow: Msg[]): Promise<void> {
  const started = new Promise((r) => RED.events.once('flows:started', r));
  await RED.runtime.flows.setFlows({ flows: { flows: flow }, deploymentType: 'full' });
  await started;
  // Nothing may be missing: every node of the example must exist as a running node.
  for (const n of flow) if (n.type !== 'tab') expect(RED.nodes.getNode(n.id), `node ${n.type} ${n.id}`).toBeTruthy();
}

const byName = (flow: Msg[], type: string, name: string) => {
  const n = flow.find((x) => x.type === type && x.name === name);
  if (!n) throw new Error(`no ${type} named "${name}" in the example`);
  return n;
};
const trigger = (node: Msg) => RED.nodes.getNode(node.id).receive({});
const at = (debugNode: Msg) => received.filter((r) => r.node.id === debugNode.id).map((r) => r.msg);

describe(`example flows in real Node-RED ${RED_VERSION}`, () => {
  let examples: { path: string; flow: Msg[] }[];
  beforeAll(async () => {
    examples = await listExamples();
  });
  const example = (prefix: string) => {
    const found = examples.find((e) => Array.isArray(e.flow) && e.path.split('/').at(-1)!.startsWith(prefix));
    if (!found) throw new Error(`example "${prefix}" is not listed; found: ${examples.map((e) => e.path).join(', ')}`);
    return pointAtSandbox(found.flow);
  };

  it('runs the Node-RED this lane asked for, with every lip-sync node type registered from the built package', () => {
    expect(RED.version()).toContain(RED_VERSION);
    for (const type of ['lipsync-account', 'lipsync-create', 'lipsync-status', 'lipsync-wait']) {
      expect(RED.nodes.getType(type), type).toBeTypeOf('function');
    }
  });

  it('lists only Node-RED flows that use our node types, each with a lip-sync node', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    // Node-RED offers every .json under <package>/examples in Import > Examples; anything that is not a
    // Node-RED flow of ours (an n8n workflow, say) would show up there and fail to import.
    const why = (path: string) => `${path} is listed in Node-RED's Import > Examples but is not a Node-RED flow using our nodes`;
    for (const { path, flow } of examples) {
      expect(Array.isArray(flow), why(path)).toBe(true);
      expect(flow.every((n) => typeof n.id === 'string' && typeof n.type === 'string'), why(path)).toBe(true);
      expect(flow.some((n) => n.type.startsWith('lipsync-') && n.type !== 'lipsync-account'), why(path)).toBe(true);
    }
    // Imported one after another (as Import > Examples invites), no example may bring a node id another one has.
    const owner = new Map<string, string>();
    for (const { path, flow } of examples) {
      for (const n of flow) {
        expect(owner.get(n.id), `node ${n.id} of ${path} is also in ${owner.get(n.id)}`).toBeUndefined();
        owner.set(n.id, path);
      }
    }
    const used = new Set(examples.flatMap((e) => e.flow.map((n) => n.type)));
    for (const type of ['lipsync-account', 'lipsync-create', 'lipsync-status', 'lipsync-wait']) expect(used).toContain(type);
  });

  it('create + wait: the video comes out, its status moved through the job states, and the file is saved', async () => {
    const flow = example('01');
    await deploy(flow);
    const create = flow.find((n) => n.type === 'lipsync-create')!;
    trigger(byName(flow, 'inject', 'make the speaker talk'));
    const [done] = await until(() => at(byName(flow, 'debug', 'video ready')).at(0) && at(byName(flow, 'debug', 'video ready')), 'the finished job');
    expect(done.payload).toMatchObject({ status: 'completed', provider: 'joggai' });
    expect(done.payload.resultUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const texts = statuses.filter((s) => s.id === create.id).map((s) => s.status.text ?? '');
    expect(texts.some((t) => /^(queued|processing)( \d+%)? · \d+s/.test(t))).toBe(true);
    expect(texts.at(-1)).toMatch(/^completed · \d+s$/);

    const [saved] = await until(() => at(byName(flow, 'debug', 'saved')).length && at(byName(flow, 'debug', 'saved')), 'the saved video');
    const file = join(userDir, saved.filename);
    expect(saved.filename).toBe(`lipsync-${done.jobId}.mp4`);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file).subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(at(byName(flow, 'debug', 'error'))).toHaveLength(0);
  });

  it('fire and forget, then a later status check finds the job completed', async () => {
    const flow = example('02');
    await deploy(flow);
    trigger(byName(flow, 'inject', 'start job'));
    const [created] = await until(() => at(byName(flow, 'debug', 'created')).length && at(byName(flow, 'debug', 'created')), 'the created job');
    expect(created.jobId).toBeTruthy();
    const ready = byName(flow, 'debug', 'video ready');
    const [done] = await until(async () => {
      if (!at(ready).length) {
        trigger(byName(flow, 'inject', 'check status'));
        await new Promise((r) => setTimeout(r, 150));
      }
      return at(ready).length && at(ready);
    }, 'a status check that finds the job completed');
    expect(done.jobId).toBe(created.jobId);
    expect(done.payload).toMatchObject({ id: created.jobId, status: 'completed' });
    expect(at(byName(flow, 'debug', 'error'))).toHaveLength(0);
  });

  it('a batch: every job comes back, joined into one list, and the wait node counted them', async () => {
    const flow = example('03');
    await deploy(flow);
    const wait = flow.find((n) => n.type === 'lipsync-wait')!;
    trigger(byName(flow, 'inject', 'three takes'));
    const all = byName(flow, 'debug', 'all videos ready');
    const [joined] = await until(() => at(all).length && at(all), 'the joined batch');
    expect(joined.payload).toHaveLength(3);
    expect(joined.payload.every((j: Msg) => j.status === 'completed' && j.resultUrl)).toBe(true);
    expect(new Set(joined.payload.map((j: Msg) => j.id)).size).toBe(3);
    const texts = statuses.filter((s) => s.id === wait.id).map((s) => s.status.text ?? '');
    expect(texts.some((t) => /^[23] jobs · /.test(t))).toBe(true);
    expect(at(byName(flow, 'debug', 'error'))).toHaveLength(0);
  });

  it('audio file in, video file out: the bytes are uploaded, and the finished video is streamed to the folder', async () => {
    const flow = example('04');
    const outDir = join(userDir, 'videos');
    process.env.LIPSYNC_VIDEO_FILE = join(ROOT, 'src/sandbox/assets/sample.mp4');
    process.env.LIPSYNC_AUDIO_FILE = join(ROOT, 'src/sandbox/assets/sample.wav');
    process.env.LIPSYNC_OUTPUT_DIR = `${outDir}/`;
    try {
      await deploy(flow);
      const uploadsBefore = sandbox.requests.filter((r) => r.method === 'PUT').length;
      trigger(byName(flow, 'inject', 'lip-sync the sample'));
      const savedTo = byName(flow, 'debug', 'video saved');
      const [done] = await until(() => at(savedTo).length && at(savedTo), 'the saved video');
      expect(done.payload).toMatchObject({ status: 'completed', provider: 'joggai' });
      expect(done.filename).toBe(join(outDir, `lipsync-${done.jobId}.mp4`));
      expect(inspectMedia(readFileSync(done.filename))).toMatchObject({ container: 'mp4', kind: 'video' });
      // Both files went through JoggAI's asset upload (two signed PUTs), not as URLs.
      expect(sandbox.requests.filter((r) => r.method === 'PUT').length - uploadsBefore).toBe(2);
      expect(at(byName(flow, 'debug', 'error'))).toHaveLength(0);
    } finally {
      delete process.env.LIPSYNC_VIDEO_FILE;
      delete process.env.LIPSYNC_AUDIO_FILE;
      delete process.env.LIPSYNC_OUTPUT_DIR;
    }
  });

  it('Akool callbacks: the sandbox calls the job callback node back, and the wait ends from the callback without polling', async () => {
    const flow = example('07');
    await deploy(flow);
    sandbox.clearRequests();
    const create = flow.find((n) => n.type === 'lipsync-create')!;
    const wait = flow.find((n) => n.type === 'lipsync-wait')!;
    expect(wait.waitMode).toBe('callback');
    trigger(byName(flow, 'inject', 'make the speaker talk'));
    const ready = byName(flow, 'debug', 'video ready');
    const [done] = await until(() => at(ready).length && at(ready), 'the finished job');
    expect(done.payload).toMatchObject({ status: 'completed', provider: 'akool' });
    expect(done.payload.resultUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const akool = sandbox.requests.filter((r) => r.provider === 'akool');
    // One create, carrying the callback node's address on this Node-RED; not one status request.
    expect(akool.filter((r) => r.method === 'POST').map((r) => (r.body as Msg).webhookUrl)).toEqual([`http://127.0.0.1:${red.port}/lipsync/akool`]);
    expect(akool.filter((r) => r.method === 'GET')).toHaveLength(0);
    const callbacks = byName(flow, 'debug', 'callback');
    await until(() => at(callbacks).length === 2 || undefined, 'both callbacks out of the job callback node');
    expect(at(callbacks).map((m) => [m.jobId, m.topic])).toEqual([
      [done.jobId, 'processing'],
      [done.jobId, 'completed'],
    ]);
    expect(statuses.filter((s) => s.id === create.id).at(-1)?.status.text).toMatch(/created/);
    expect(statuses.filter((s) => s.id === wait.id).at(-1)?.status.text).toMatch(/^completed · \d+s$/);
    expect(at(byName(flow, 'debug', 'failed or timed out'))).toHaveLength(0);
    expect(at(byName(flow, 'debug', 'error'))).toHaveLength(0);
  });
});
