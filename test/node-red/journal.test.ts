import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { RED_VERSION, SANDBOX_KEY, debugNode, startEmbeddedRed, until, type EmbeddedRed } from './support';

/**
 * The journal of waits in flight (lipsync-waits.json in the user directory) in a real embedded Node-RED with default
 * settings: what a redeploy keeps, what a removed node forgets, and which parts of a message are saved.
 */
type Msg = Record<string, any>;
let sandbox: Sandbox;
let red: EmbeddedRed;
let RED: any;
const received: { id: string; msg: Msg }[] = [];
const logs: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 1_500 });
  red = await startEmbeddedRed({ level: 'off' });
  RED = red.RED;
  RED.hooks.add('onReceive.lipsyncJournal', (evt: { msg: Msg; destination: { id: string; node: Msg } }) => {
    if (evt.destination.node?.type === 'debug') received.push({ id: evt.destination.id, msg: evt.msg });
  });
  const handler = new EventEmitter();
  handler.on('log', (m: { msg: unknown }) => logs.push(String(m.msg)));
  RED.log.addHandler(handler);
});
afterAll(async () => {
  await red?.stop();
  await sandbox?.close();
});
beforeEach(async () => {
  await deploy([]);
  received.length = 0;
  logs.length = 0;
});

const journalFile = () => join(red.userDir, 'lipsync-waits.json');
const journal = () => (existsSync(journalFile()) ? readFileSync(journalFile(), 'utf8') : '');
const debug = debugNode;
const at = (id: string) => received.filter((r) => r.id === id).map((r) => r.msg);

function flow(opts: { withWait?: boolean; name?: string } = {}): Msg[] {
  return [
    { id: 'tab', type: 'tab', label: 'journal' },
    { id: 'acc', type: 'lipsync-account', provider: 'joggai', baseUrl: sandbox.baseUrl('joggai'), credentials: { apiKey: SANDBOX_KEY } },
    ...(opts.withWait === false
      ? []
      : [{ id: 'wait', type: 'lipsync-wait', z: 'tab', name: opts.name ?? '', account: 'acc', timeout: 1, timeoutUnits: 'minutes', pollInterval: 0.05, store: '', wires: [['done'], ['fail']] }]),
    debug('done'),
    debug('fail'),
  ];
}

const deploy = (nodes: Msg[]) => red.deploy(nodes);

async function createJob(durationMs = 1_500): Promise<string> {
  const res = await fetch(`${sandbox.baseUrl('joggai')}/v2/create_lip_sync_video`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': SANDBOX_KEY },
    body: JSON.stringify({ video_url: `${sandbox.url}/media/sample.mp4?sandbox_duration=${durationMs}`, audio_url: `${sandbox.url}/media/sample.wav` }),
  });
  return ((await res.json()) as { data: { task_id: string } }).data.task_id;
}

describe(`the journal of waits in flight, Node-RED ${RED_VERSION} with default settings`, () => {
  it('a redeploy keeps the journalled wait; the new node resumes it and routes it once (here: cancelled), and the journal empties', { timeout: 90_000 }, async () => {
    await deploy(flow());
    // A job that cannot end during the test on its own: the test decides when the wait ends (msg.cancel).
    const jobId = await createJob(10 * 60_000);
    RED.nodes.getNode('wait').receive({ jobId, order: 'A-17' });
    await until(() => journal().includes(jobId), 'the wait in the journal');
    await deploy(flow({ name: 'renamed' }));
    expect(journal()).toContain(jobId);
    await until(() => logs.some((l) => /Resuming 1 wait/.test(l) && l.includes(jobId)), 'the new node to resume the wait');
    RED.nodes.getNode('wait').receive({ cancel: jobId });
    const [out] = await until(() => (at('fail').length ? at('fail') : undefined), 'the cancelled job');
    expect(out).toMatchObject({ jobId, order: 'A-17', error: { code: 'ABORTED' } });
    await until(() => !existsSync(journalFile()), 'the journal to be emptied');
    expect(at('fail')).toHaveLength(1);
    expect(at('done')).toHaveLength(0);
  });

  it('a node removed by a deploy forgets its waits: nothing is routed and nothing stays in the journal', { timeout: 90_000 }, async () => {
    await deploy(flow());
    const jobId = await createJob(10 * 60_000);
    RED.nodes.getNode('wait').receive({ jobId });
    await until(() => journal().includes(jobId), 'the wait in the journal');
    await deploy(flow({ withWait: false }));
    await until(() => !journal().includes(jobId), 'the removed node to forget its wait');
    await deploy(flow());
    // The node is back, with nothing to resume.
    expect(logs.some((l) => l.includes(`Resuming`) && l.includes(jobId))).toBe(false);
    expect(at('done')).toHaveLength(0);
  });

  it('journals the JSON parts of the message only: Buffers, circular values and req/res are left out, as the help says', async () => {
    await deploy(flow());
    const jobId = await createJob(60_000);
    const circular: Msg = { a: 1 };
    circular.self = circular;
    RED.nodes.getNode('wait').receive({ jobId, order: 'A-17', meta: { batch: 7 }, bytes: Buffer.from('binary'), loop: circular, req: { socket: 'x' } });
    const text = await until(() => (journal().includes(jobId) ? journal() : undefined), 'the wait in the journal');
    const saved = Object.values(JSON.parse(text).nodes as Record<string, Record<string, Msg>>).flatMap((w) => Object.values(w)).find((w) => w.jobId === jobId)!;
    expect(saved.provider).toBe('joggai');
    expect(saved.msg).toMatchObject({ order: 'A-17', meta: { batch: 7 } });
    expect(Object.keys(saved.msg)).not.toEqual(expect.arrayContaining(['bytes']));
    expect(saved.msg.loop).toBeUndefined();
    expect(saved.msg.req).toBeUndefined();
    RED.nodes.getNode('wait').receive({ cancel: jobId });
    await until(() => at('fail').length > 0, 'the cancelled wait');
    await until(() => !existsSync(journalFile()), 'the journal to be emptied');
  });
});
