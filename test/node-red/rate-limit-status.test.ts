import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { RED_VERSION, SANDBOX_KEY, debugNode, startEmbeddedRed, until, type EmbeddedRed } from './support';

/**
 * A create held by the account's rate limiter says so under the node, with a countdown to the next free slot:
 * JoggAI allows 20 creates a minute, so the 21st of a burst waits about a minute. Real embedded Node-RED.
 */
type Msg = Record<string, any>;

let RED: any;
let red: EmbeddedRed;
let sandbox: Sandbox;
const received: { id: string; msg: Msg }[] = [];
const statuses: string[] = [];
const HELD = /rate limited · next create in (\d+) s/;

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 60_000 });
  red = await startEmbeddedRed({ level: 'off' });
  RED = red.RED;
  RED.hooks.add('onReceive.lipsyncRateLimit', (evt: { msg: Msg; destination: { id: string; node: Msg } }) => {
    if (evt.destination.node?.type === 'debug') received.push({ id: evt.destination.id, msg: evt.msg });
  });
  RED.events.on('node-status', (e: { id: string; status: Msg }) => {
    if (e.id === 'create') statuses.push(String(e.status?.text ?? ''));
  });
});

afterAll(async () => {
  await red?.deploy([]);
  await red?.stop();
  await sandbox?.close();
});

describe(`rate-limited creates in real Node-RED ${RED_VERSION}`, () => {
  it('the 21st JoggAI create of a minute shows "rate limited · next create in N s", counting down; the first 20 never did', async () => {
    await red.deploy([
      { id: 'tab', type: 'tab', label: 'rate limit' },
      { id: 'acc', type: 'lipsync-account', provider: 'joggai', baseUrl: sandbox.baseUrl('joggai'), credentials: { apiKey: SANDBOX_KEY } },
      {
        id: 'create', type: 'lipsync-create', z: 'tab', account: 'acc', videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl', audioUrlType: 'msg',
        wait: false, outputs: 1, wires: [['dbg']],
      },
      debugNode('dbg'),
    ]);
    const create = RED.nodes.getNode('create');
    const send = () => create.receive({ videoUrl: `${sandbox.url}/media/sample.mp4`, audioUrl: `${sandbox.url}/media/sample.wav` });
    for (let i = 0; i < 20; i++) send();
    await until(() => received.length === 20 || undefined, 'the first 20 created jobs');
    // A minute's worth of creates went through without a word about the limit.
    expect(statuses.some((s) => HELD.test(s) || /rate limited/.test(s))).toBe(false);
    expect(statuses.at(-1)).toMatch(/^created /);

    send();
    const first = await until(() => statuses.map((s) => HELD.exec(s)).find(Boolean), 'a "rate limited" status');
    const seconds = Number(first[1]);
    expect(seconds).toBeGreaterThan(30);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(statuses.at(-1)).toMatch(/^creating job · rate limited · next create in \d+ s$/);
    // The countdown moves while the create waits, and the 21st create has not been sent.
    await until(() => statuses.map((s) => HELD.exec(s)).some((m) => m && Number(m[1]) < seconds) || undefined, 'the countdown going down');
    expect(received).toHaveLength(20);
    expect(sandbox.requests.filter((r) => r.provider === 'joggai' && r.method === 'POST')).toHaveLength(20);
  }, 60_000);
});
