import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROVIDER_IDS, type ProviderId } from '../../src';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { NODES, RED_PATH, SANDBOX_KEY, redRequire, sleep, testFlow, until } from './support';

/**
 * Every node and every path inside real Node-RED (node-red-node-test-helper), talking to the loopback sandbox
 * over real HTTP. Node-RED 4 by default, Node-RED 5 in the node-red5 lane.
 */
type Msg = Record<string, any>;
const helper = redRequire('node-red-node-test-helper');
helper.init(RED_PATH);

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 300 });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => new Promise<void>((r) => helper.startServer(r)));
afterEach(async () => {
  await helper.unload();
  await new Promise<void>((r) => helper.stopServer(r));
});

const FAST = { pollInterval: 0.05, timeout: 20, timeoutUnits: 'seconds' };
const media = (query = '') => ({ videoUrl: `${sandbox.url}/media/sample.mp4${query}`, audioUrl: `${sandbox.url}/media/sample.wav` });

function createNode(extra: Msg = {}): Msg {
  return {
    id: 'create',
    type: 'lipsync-create',
    account: 'acc',
    videoUrl: 'videoUrl',
    videoUrlType: 'msg',
    audioUrl: 'audioUrl',
    audioUrlType: 'msg',
    wires: [['out1'], ['out2']],
    ...FAST,
    ...extra,
  };
}
const waitNode = (extra: Msg = {}): Msg => ({ id: 'wait', type: 'lipsync-wait', account: 'acc', wires: [['out1'], ['out2']], ...FAST, ...extra });
const statusNode = (extra: Msg = {}): Msg => ({ id: 'lookup', type: 'lipsync-status', account: 'acc', wires: [['out1']], ...extra });

const flow = (provider: ProviderId, nodes: Msg[], account: Msg = {}) => testFlow(provider, sandbox.baseUrl(provider), nodes, account);

interface Loaded {
  out1: Msg[];
  out2: Msg[];
  caught: Msg[];
  statuses: (id: string) => Msg[];
}

async function load(provider: ProviderId, nodes: Msg[], opts: { apiKey?: string; account?: Msg } = {}): Promise<Loaded> {
  await helper.load(NODES, flow(provider, nodes, opts.account), { acc: { apiKey: opts.apiKey ?? SANDBOX_KEY } });
  return observe(nodes.map((n) => n.id));
}

function observe(ids: string[]): Loaded {
  const out1: Msg[] = [];
  const out2: Msg[] = [];
  const caught: Msg[] = [];
  helper.getNode('out1').on('input', (m: Msg) => out1.push(m));
  helper.getNode('out2').on('input', (m: Msg) => out2.push(m));
  helper.getNode('caught').on('input', (m: Msg) => caught.push(m));
  const seen = new Map<string, Msg[]>();
  for (const id of ids) {
    const list: Msg[] = [];
    seen.set(id, list);
    helper.getNode(id).on('call:status', (call: { args: Msg[] }) => list.push(call.args[0]!));
  }
  return { out1, out2, caught, statuses: (id) => seen.get(id) ?? [] };
}

/** Redeploys (full) and waits for the new flows to have started. */
async function redeploy(provider: ProviderId, nodes: Msg[]): Promise<Loaded> {
  const started = new Promise<void>((r) => helper._events.once('flows:started', () => r()));
  await helper._redNodes.setFlows(flow(provider, nodes), { acc: { apiKey: SANDBOX_KEY } }, 'full');
  await started;
  return observe(nodes.map((n) => n.id));
}

/** The first message a collector gets. */
const first = (list: Msg[], what: string) => until(() => list[0], what);
const gets = (jobId: string) => sandbox.requests.filter((r) => r.method === 'GET' && r.url.includes(jobId)).length;
const creates = () => sandbox.requests.filter((r) => r.method === 'POST').length;

describe('create job', () => {
  it.each(PROVIDER_IDS)('%s: emits the created job at once, with msg.jobId and the original message properties', async (provider) => {
    const r = await load(provider, [createNode({ wires: [['out1']] })]);
    helper.getNode('create').receive({ ...media(), topic: 'take 1', custom: { order: 42 } });
    const msg = await first(r.out1, 'the created job');
    expect(msg.payload.provider).toBe(provider);
    expect(['queued', 'processing']).toContain(msg.payload.status);
    expect(msg.jobId).toBe(msg.payload.id);
    expect(msg.topic).toBe('take 1');
    expect(msg.custom).toEqual({ order: 42 });
    expect(r.statuses('create').at(-1)).toMatchObject({ fill: 'green', shape: 'dot' });
  });

  it.each(PROVIDER_IDS)('%s: with "wait for completion" emits the finished job with its result URL', async (provider) => {
    const r = await load(provider, [createNode({ wait: true, outputs: 2 })]);
    helper.getNode('create').receive({ ...media(), carried: 'along' });
    const msg = await first(r.out1, 'the completed job');
    expect(msg.payload).toMatchObject({ provider, status: 'completed' });
    expect(msg.payload.resultUrl).toMatch(/^https?:\/\//);
    expect(msg.jobId).toBe(msg.payload.id);
    expect(msg.carried).toBe('along');
    expect(r.out2).toHaveLength(0);
    expect(r.statuses('create').at(-1)).toMatchObject({ fill: 'green', shape: 'dot' });
  });

  it('with "wait for completion" sends a failed job to output 2 with the job id and JOB_FAILED', async () => {
    const r = await load('akool', [createNode({ wait: true, outputs: 2 })]);
    helper.getNode('create').receive(media('?sandbox_fail=1'));
    const msg = await first(r.out2, 'the failed job');
    expect(msg.payload).toMatchObject({ provider: 'akool', status: 'failed' });
    expect(msg.jobId).toBe(msg.payload.id);
    expect(msg.error).toMatchObject({ code: 'JOB_FAILED', jobId: msg.jobId });
    expect(r.out1).toHaveLength(0);
  });

  it('reads the media URLs from flow context and environment variables', async () => {
    process.env.LIPSYNC_TEST_AUDIO_URL = media().audioUrl;
    const r = await load('fishaudio-v1', [
      createNode({ videoUrl: 'clip', videoUrlType: 'flow', audioUrl: 'LIPSYNC_TEST_AUDIO_URL', audioUrlType: 'env', wires: [['out1']] }),
    ]);
    const node = helper.getNode('create');
    node.context().flow.set('clip', media().videoUrl);
    node.receive({});
    const msg = await first(r.out1, 'the created job');
    expect(msg.payload.provider).toBe('fishaudio-v1');
    const sent = sandbox.requests.filter((q) => q.method === 'POST').at(-1)!;
    expect(JSON.stringify(sent.body)).toContain('/media/sample.wav');
  });

  it.each([
    ['akool', { webhookUrl: 'hook', webhookUrlType: 'msg' }, { hook: 'https://example.com/akool-callback' }, { webhookUrl: 'https://example.com/akool-callback' }],
    ['chamelaion', { referenceId: 'order-7', referenceIdType: 'str', disableActiveSpeakerDetection: true }, {}, { reference_id: 'order-7', disable_active_speaker_detection: true }],
    ['joggai', { playbackType: 'normal_reverse' }, {}, { playback_type: 'normal_reverse' }],
  ] as const)('%s: sends the provider options of the account\'s provider', async (provider, options, extraMsg, expected) => {
    const r = await load(provider, [createNode({ ...options, wires: [['out1']] })]);
    helper.getNode('create').receive({ ...media(), ...extraMsg });
    await until(() => r.out1.length, 'the created job');
    const sent = sandbox.requests.filter((q) => q.method === 'POST').at(-1)!;
    expect(sent.body).toMatchObject(expected);
  });

  it('does not send options that belong to another provider', async () => {
    const r = await load('akool', [createNode({ playbackType: 'normal_reverse', referenceId: 'x', referenceIdType: 'str', wires: [['out1']] })]);
    helper.getNode('create').receive(media());
    await until(() => r.out1.length, 'the created job');
    const sent = sandbox.requests.filter((q) => q.method === 'POST').at(-1)!;
    expect(Object.keys(sent.body as object).sort()).toEqual(['audio_url', 'video_url']);
  });

  it('reports a missing video URL to Catch nodes, naming the field and where it was read from, and sends nothing', async () => {
    const r = await load('joggai', [createNode({ wires: [['out1']] })]);
    const before = creates();
    helper.getNode('create').receive({ audioUrl: media().audioUrl });
    const msg = await first(r.caught, 'the error');
    expect(msg.error.code).toBe('INVALID_INPUT');
    expect(msg.error.message).toContain('Video is empty');
    expect(msg.error.message).toContain('msg.videoUrl');
    expect(creates()).toBe(before);
    expect(r.out1).toHaveLength(0);
  });

  it('reports a media URL that is not http(s), naming the field', async () => {
    const r = await load('joggai', [createNode({ wires: [['out1']] })]);
    helper.getNode('create').receive({ videoUrl: 'ftp://files/clip.mp4', audioUrl: media().audioUrl });
    const msg = await first(r.caught, 'the error');
    expect(msg.error.code).toBe('INVALID_INPUT');
    expect(msg.error.message).toContain('videoUrl');
  });

  it('reports a wrong API key as AUTH_FAILED without ever showing the key', async () => {
    const key = 'sk-wrong-7f3a9c1e55d24b08';
    const r = await load('joggai', [createNode({ wires: [['out1']] })], { apiKey: key });
    helper.getNode('create').receive(media());
    const msg = await first(r.caught, 'the error');
    expect(msg.error.code).toBe('AUTH_FAILED');
    expect(msg.error.message).toMatch(/JoggAI/);
    const everything = JSON.stringify([msg, r.statuses('create'), helper.log().args]);
    expect(everything).not.toContain(key);
    // The status under the node names the reason (the test helper shows message keys untranslated).
    await until(() => r.statuses('create').some((st) => String(st.text).includes('reason.AUTH_FAILED')), 'the auth failed status');
    expect(r.statuses('create').at(-1)).toMatchObject({ fill: 'red' });
  });

  it('names "no credits" in its status when the account is out of credits', async () => {
    const r = await load('fishaudio-open', [createNode({ wires: [['out1']] })], { apiKey: 'sandbox-no-credits' });
    helper.getNode('create').receive(media());
    const msg = await first(r.caught, 'the error');
    expect(msg.error.code).toBe('INSUFFICIENT_CREDITS');
    await until(() => r.statuses('create').some((st) => String(st.text).includes('reason.INSUFFICIENT_CREDITS')), 'the no credits status');
  });

  it('a redeploy does not hang on a create that gets no answer, and warns that the job may exist', async () => {
    const r = await load('fishaudio-open', [createNode({ wires: [['out1']] })]);
    sandbox.injectFault({ kind: 'stall', provider: 'fishaudio-open', method: 'POST' });
    const before = creates();
    helper.getNode('create').receive(media());
    await until(() => creates() > before, 'the create to reach the sandbox');
    await helper.clearFlows();
    const warnings = helper.log().args.map((a: Msg[]) => a[0]).filter((e: Msg) => e.id === 'create' && e.level === helper.log().WARN);
    expect(warnings.map((e: Msg) => e.msg)).toContain('lipsync.errors.createDropped');
    // Node-RED gives a close handler 15 s and logs "Close timed out" past that.
    expect(JSON.stringify(helper.log().args)).not.toMatch(/timed out/i);
    expect(r.out1.length + r.caught.length).toBe(0);
  });

  it('tells the user to pick an account when none is set', async () => {
    const r = await load('joggai', [createNode({ account: '', wires: [['out1']] })]);
    helper.getNode('create').receive(media());
    const msg = await first(r.caught, 'the error');
    expect(msg.error.message).toMatch(/account/i);
  });
});

describe('job status', () => {
  it('looks up msg.jobId once and returns the normalized job', async () => {
    const r = await load('chamelaion', [createNode({ wires: [['lookup']] }), statusNode()]);
    helper.getNode('create').receive({ ...media(), note: 'kept' });
    const msg = await first(r.out1, 'the status');
    expect(msg.payload.id).toBe(msg.jobId);
    expect(['queued', 'processing', 'completed']).toContain(msg.payload.status);
    expect(msg.note).toBe('kept');
    expect(gets(msg.jobId)).toBe(1);
  });

  it('falls back to msg.payload.id and shows the status of the job', async () => {
    const r = await load('fishaudio-open', [createNode({ wait: true, outputs: 2, wires: [['ready'], []] }), statusNode(), { id: 'ready', type: 'helper' }]);
    const ready: Msg[] = [];
    helper.getNode('ready').on('input', (m: Msg) => ready.push(m));
    helper.getNode('create').receive(media());
    const finished = await first(ready, 'the finished job');
    helper.getNode('lookup').receive({ payload: { id: finished.jobId } });
    const msg = await first(r.out1, 'the status');
    expect(msg.payload).toMatchObject({ id: finished.jobId, status: 'completed' });
    expect(msg.jobId).toBe(finished.jobId);
    expect(r.statuses('lookup').at(-1)).toMatchObject({ fill: 'green' });
  });

  it('takes a plain text msg.payload as the job id (an inject node with the id)', async () => {
    const r = await load('chamelaion', [createNode({ wires: [['out2']] }), statusNode()]);
    helper.getNode('create').receive(media());
    const createdMsg = await first(r.out2, 'the created job');
    helper.getNode('lookup').receive({ payload: ` ${createdMsg.jobId} ` });
    const msg = await first(r.out1, 'the status');
    expect(msg.payload.id).toBe(createdMsg.jobId);
    expect(msg.jobId).toBe(createdMsg.jobId);
  });
});

describe.each([
  ['job status', 'lookup', statusNode],
  ['wait for job', 'wait', waitNode],
] as const)('%s errors', (_name, id, make) => {
  it('reports an unknown job to Catch nodes with msg.jobId and NOT_FOUND', async () => {
    const r = await load('akool', [make()]);
    helper.getNode(id).receive({ jobId: '000000000000000000000000', payload: 'x' });
    const msg = await first(r.caught, 'the error');
    expect(msg.jobId).toBe('000000000000000000000000');
    expect(msg.error.code).toBe('NOT_FOUND');
    expect(msg.error.source.id).toBe(id);
    expect(r.out1.length + r.out2.length).toBe(0);
  });

  it('reports a message without a job id to Catch nodes, naming msg.jobId', async () => {
    const r = await load('joggai', [make()]);
    helper.getNode(id).receive({ payload: 'nothing here' });
    const msg = await first(r.caught, 'the error');
    expect(msg.error.code).toBe('INVALID_INPUT');
    expect(msg.error.message).toContain('msg.jobId');
  });
});

describe('wait for job', () => {
  /** A create node feeding the wait node; out1/out2 collect the wait node's outputs. */
  const pipeline = (wait: Msg = {}) => [createNode({ wires: [['wait', 'created']] }), waitNode(wait), { id: 'created', type: 'helper' }];

  async function loadPipeline(provider: ProviderId, wait: Msg = {}) {
    const r = await load(provider, pipeline(wait));
    const created: Msg[] = [];
    helper.getNode('created').on('input', (m: Msg) => created.push(m));
    const start = async (query = '', extra: Msg = {}) => {
      const before = created.length;
      helper.getNode('create').receive({ ...media(query), ...extra });
      const list = await until(() => (created.length > before ? created : undefined), 'the created job');
      return list.at(-1)!.jobId as string;
    };
    return { ...r, start };
  }

  it('sends a completed job to output 1 with the result URL and the original message properties', async () => {
    const r = await loadPipeline('joggai');
    const id = await r.start('', { topic: 'clip', meta: { customer: 'c-9' } });
    const msg = await first(r.out1, 'the completed job');
    expect(msg.jobId).toBe(id);
    expect(msg.payload).toMatchObject({ id, provider: 'joggai', status: 'completed' });
    expect(msg.payload.resultUrl).toMatch(/^https?:\/\//);
    expect(msg.topic).toBe('clip');
    expect(msg.meta).toEqual({ customer: 'c-9' });
    expect(r.statuses('wait').at(-1)).toMatchObject({ fill: 'green', shape: 'dot' });
  });

  it('sends a failed job to output 2 with msg.error.code JOB_FAILED and the job id', async () => {
    const r = await loadPipeline('chamelaion');
    const id = await r.start('?sandbox_fail=1');
    const msg = await first(r.out2, 'the failed job');
    expect(msg.jobId).toBe(id);
    expect(msg.payload).toMatchObject({ id, status: 'failed' });
    expect(msg.error).toMatchObject({ code: 'JOB_FAILED', jobId: id, provider: 'chamelaion' });
    expect(r.statuses('wait').at(-1)).toMatchObject({ fill: 'red' });
  });

  it('sends a timed-out job to output 2 with its id, the last status seen and TIMEOUT', async () => {
    const r = await loadPipeline('fishaudio-open', { timeout: 0.4, timeoutUnits: 'seconds' });
    const id = await r.start('?sandbox_duration=60000');
    const msg = await first(r.out2, 'the timeout');
    expect(msg.jobId).toBe(id);
    expect(msg.payload.id).toBe(id);
    expect(msg.error).toMatchObject({ code: 'TIMEOUT', jobId: id });
    expect(['queued', 'processing']).toContain(msg.error.lastStatus);
    expect(r.statuses('wait').at(-1)).toMatchObject({ fill: 'yellow' });
  });

  it('msg.cancel stops the wait for that job only; the other wait carries on', async () => {
    const r = await loadPipeline('akool');
    const slow = await r.start('?sandbox_duration=60000');
    const quick = await r.start('?sandbox_duration=900');
    await until(() => gets(slow) > 0, 'a first poll');
    helper.getNode('wait').receive({ cancel: true, jobId: slow });
    const cancelled = await first(r.out2, 'the cancelled wait');
    expect(cancelled.jobId).toBe(slow);
    expect(cancelled.error.code).toBe('ABORTED');
    const done = await first(r.out1, 'the other job');
    expect(done.jobId).toBe(quick);
    const polls = gets(slow);
    // Polling every 50 ms would add several requests; at most one that was already on the wire may still land.
    await sleep(300);
    expect(gets(slow)).toBeLessThanOrEqual(polls + 1);
  });

  it('msg.cancel without a job id stops every wait', async () => {
    const r = await loadPipeline('akool');
    const ids = [await r.start('?sandbox_duration=60000'), await r.start('?sandbox_duration=60000')];
    helper.getNode('wait').receive({ cancel: true });
    const out = await until(() => (r.out2.length === 2 ? r.out2 : undefined), 'both cancelled waits');
    expect(out.map((m) => m.jobId).sort()).toEqual([...ids].sort());
    expect(out.every((m) => m.error.code === 'ABORTED')).toBe(true);
  });

  it('counts several waits in flight in its status', async () => {
    const r = await loadPipeline('fishaudio-v1');
    for (let i = 0; i < 3; i++) await r.start('?sandbox_duration=1500');
    const multi = await until(() => r.statuses('wait').find((s) => /lipsync\.status\.jobs/.test(s.text ?? '')), 'a status counting the jobs');
    expect(multi.text).toMatch(/\d+s$/);
    await until(() => r.out1.length === 3, 'all three jobs');
  });

  it('routes a job that already ended (from a job status node) without polling again', async () => {
    const r = await load('joggai', [statusNode({ wires: [['wait']] }), waitNode(), createNode({ wait: true, outputs: 2, wires: [['ready'], []] }), { id: 'ready', type: 'helper' }]);
    const ready: Msg[] = [];
    helper.getNode('ready').on('input', (m: Msg) => ready.push(m));
    helper.getNode('create').receive(media());
    const finished = await first(ready, 'the finished job');
    const polls = gets(finished.jobId);
    helper.getNode('lookup').receive({ jobId: finished.jobId });
    const msg = await first(r.out1, 'the routed job');
    expect(msg.payload).toMatchObject({ id: finished.jobId, status: 'completed' });
    expect(gets(finished.jobId)).toBe(polls + 1);
  });

  it('stops polling and clears its status when the flow stops', async () => {
    const r = await loadPipeline('joggai');
    const id = await r.start('?sandbox_duration=60000');
    await until(() => gets(id) > 0, 'a first poll');
    await helper.clearFlows();
    expect(r.statuses('wait').at(-1)).toEqual({});
    expect(JSON.stringify(helper.log().args)).not.toMatch(/timed out/i);
    const polls = gets(id);
    await sleep(300);
    expect(gets(id)).toBeLessThanOrEqual(polls + 1);
    expect(r.out1.length + r.out2.length + r.caught.length).toBe(0);
  });

  it('a redeploy aborts the waits of the old node and the new node resumes them, routing each job once', async () => {
    const r = await loadPipeline('akool');
    const id = await r.start('?sandbox_duration=1200', { order: 'A-17' });
    await until(() => gets(id) > 0, 'a first poll');
    const next = await redeploy('akool', pipeline({ name: 'renamed' }));
    const msg = await first(next.out1, 'the resumed job');
    expect(msg.jobId).toBe(id);
    expect(msg.order).toBe('A-17');
    expect(msg.payload.status).toBe('completed');
    expect(next.statuses('wait').some((s) => /lipsync\.status\.resumed/.test(s.text ?? ''))).toBe(true);
    await sleep(300);
    expect(next.out1).toHaveLength(1);
    expect(r.out1.length + r.out2.length).toBe(0);
  });

  it('a create with "wait for completion" also resumes after a redeploy', async () => {
    const nodes = (name: string) => [createNode({ wait: true, outputs: 2, name })];
    await load('joggai', nodes('a'));
    const before = sandbox.requests.length;
    helper.getNode('create').receive({ ...media('?sandbox_duration=1200'), ref: 'r1' });
    const id = await until(() => sandbox.requests.slice(before).some((q) => q.method === 'GET') && newestJobId(), 'a first poll');
    const next = await redeploy('joggai', nodes('b'));
    const msg = await first(next.out1, 'the resumed job');
    expect(msg.jobId).toBe(id);
    expect(msg.ref).toBe('r1');
  });

});

/** The newest job the sandbox holds. */
function newestJobId(): string | undefined {
  return sandbox.listJobs().sort((a, b) => b.createdAt - a.createdAt)[0]?.id;
}
