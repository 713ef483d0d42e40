import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { RED_VERSION, sleep, debugNode, startEmbeddedRed, until, type EmbeddedRed } from './support';

/**
 * Akool callbacks end to end in a real embedded Node-RED: the sandbox POSTs its signed, encrypted callbacks to the
 * job callback node on Node-RED's real HTTP port; wait nodes in "Akool callbacks" mode finish from them without a
 * single status request. Forged, replayed and late callbacks are refused and emit / resume nothing.
 */
type Msg = Record<string, any>;
const KEY = 'sandbox-key-0123456789ab'; // Akool's client secret is the API key: 24 characters, an AES-192 key
const CLIENT_ID = 'AKDt8rWEczpYPzCG';

let RED: any;
let red: EmbeddedRed;
let sandbox: Sandbox;
let hookUrl: string;
const received: { id: string; msg: Msg }[] = [];
const logs: { level: number; msg: string; type?: string }[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: KEY, akoolClientId: CLIENT_ID, jobDurationMs: 400, akoolCallbacks: { retryDelaysMs: [50, 100, 200] } });
  red = await startEmbeddedRed({ httpNodeRoot: '/api', level: 'off' });
  RED = red.RED;
  hookUrl = `http://127.0.0.1:${red.port}/api/hooks/akool`;
  RED.hooks.add('onReceive.lipsyncCallbacks', (evt: { msg: Msg; destination: { id: string; node: Msg } }) => {
    if (evt.destination.node?.type === 'debug') received.push({ id: evt.destination.id, msg: evt.msg });
  });
  const handler = new EventEmitter();
  handler.on('log', (m: { level: number; msg: unknown; type?: string }) => logs.push({ level: m.level, msg: String(m.msg), type: m.type }));
  RED.log.addHandler(handler);
});

afterAll(async () => {
  await red?.stop();
  await sandbox?.close();
});

beforeEach(async () => {
  // Waits survive a redeploy of the same node; deploying nothing first makes each test start clean.
  await deploy([]);
  sandbox.reset();
  received.length = 0;
  logs.length = 0;
});

const debug = debugNode;
const at = (id: string) => received.filter((r) => r.id === id).map((r) => r.msg);

/** inject -> create (Akool, webhookUrl = the callback node) -> wait (callbacks); callback node -> debug. */
function flow(opts: { waitMode?: string; timeoutSec?: number; webhookUrl?: string; clientId?: string; callbackNode?: boolean } = {}): Msg[] {
  return [
    { id: 'tab', type: 'tab', label: 'callbacks' },
    { id: 'acc', type: 'lipsync-account', provider: 'akool', baseUrl: sandbox.baseUrl('akool'), credentials: { apiKey: KEY, clientId: opts.clientId ?? CLIENT_ID } },
    ...(opts.callbackNode === false ? [] : [{ id: 'cb', type: 'lipsync-callback', z: 'tab', account: 'acc', url: '/hooks/akool', maxAge: 300, wires: [['dbgCb']] }]),
    {
      id: 'create', type: 'lipsync-create', z: 'tab', account: 'acc', videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl', audioUrlType: 'msg',
      webhookUrl: opts.webhookUrl ?? hookUrl, webhookUrlType: 'str', wait: false, outputs: 1, wires: [['wait']],
    },
    {
      id: 'wait', type: 'lipsync-wait', z: 'tab', account: 'acc', waitMode: opts.waitMode ?? 'callback', timeout: opts.timeoutSec ?? 30, timeoutUnits: 'seconds',
      pollInterval: 0.05, store: '', wires: [['dbgDone'], ['dbgFail']],
    },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['dbgCaught']] },
    debug('dbgCb'),
    debug('dbgDone'),
    debug('dbgFail'),
    debug('dbgCaught'),
  ];
}

const deploy = (nodes: Msg[]) => red.deploy(nodes);

function go(query = '') {
  RED.nodes.getNode('create').receive({ videoUrl: `${sandbox.url}/media/sample.mp4${query}`, audioUrl: `${sandbox.url}/media/sample.wav`, order: 'A-17' });
}

const akoolRequests = () => sandbox.requests.filter((r) => r.provider === 'akool');
const creates = () => akoolRequests().filter((r) => r.method === 'POST');
const polls = () => akoolRequests().filter((r) => r.method === 'GET');

describe(`Akool callbacks in real Node-RED ${RED_VERSION}`, () => {
  it('a callback-mode wait completes with one create request and no status poll', async () => {
    await deploy(flow());
    go();
    const [done] = await until(() => (at('dbgDone').length ? at('dbgDone') : undefined), 'the completed job');
    expect(done!.payload).toMatchObject({ provider: 'akool', status: 'completed', resultUrl: expect.stringContaining('/results/akool/') });
    expect(done!.order).toBe('A-17');
    expect(creates()).toHaveLength(1);
    expect(creates()[0]!.body).toMatchObject({ webhookUrl: hookUrl });
    expect(polls()).toHaveLength(0);
    // The callback node emitted each status once, as the sandbox delivered it (answered 200).
    await until(() => (at('dbgCb').length === 2 ? true : undefined), 'two callbacks out of the callback node');
    expect(at('dbgCb').map((m) => [m.jobId, m.payload.status, m.topic])).toEqual([
      [done!.jobId, 'processing', 'processing'],
      [done!.jobId, 'completed', 'completed'],
    ]);
    await until(() => (sandbox.callbacks.every((c) => c.delivered) ? true : undefined), 'both callbacks answered');
    expect(sandbox.callbacks.map((c) => c.attempts.map((a) => a.status))).toEqual([[200], [200]]);
    // The same news again, or "processing" arriving after the end (retries can come out of order): 200, not sent on.
    const again = await sandbox.sendAkoolCallback({ jobId: done!.jobId, status: 'completed' });
    const outOfOrder = await sandbox.sendAkoolCallback({ jobId: done!.jobId, status: 'processing' });
    expect([again.attempts[0]!.status, outOfOrder.attempts[0]!.status]).toEqual([200, 200]);
    await sleep(100);
    expect(at('dbgCb')).toHaveLength(2);
    expect(at('dbgDone')).toHaveLength(1);
    expect(at('dbgFail')).toEqual([]);
    expect(at('dbgCaught')).toEqual([]);
  });

  it('routes a failed job from its callback to output 2, still without polling', async () => {
    await deploy(flow());
    go('?sandbox_fail=1');
    const [failed] = await until(() => (at('dbgFail').length ? at('dbgFail') : undefined), 'the failed job');
    expect(failed!.error).toMatchObject({ code: 'JOB_FAILED', provider: 'akool' });
    expect(failed!.payload.error.message).toMatch(/sandbox_fail/);
    expect(polls()).toHaveLength(0);
  });

  it('refuses forged, replayed and late callbacks: one generic 401, a warning without secrets, nothing emitted or resumed', async () => {
    await deploy(flow());
    go('?sandbox_duration=3000'); // processing from 0.6 s to 3 s
    await until(() => (at('dbgCb').length ? true : undefined), 'the processing callback');
    const jobId = at('dbgCb')[0]!.jobId;
    const processing = sandbox.callbacks.findIndex((c) => c.kind === 'scheduled' && c.status === 2);

    const forged = await sandbox.sendAkoolCallback({ jobId, status: 'completed', forged: true });
    const late = await sandbox.sendAkoolCallback({ jobId, status: 'completed', timestamp: Date.now() - 60 * 60_000 });
    const replayed = await sandbox.sendAkoolCallback({ replay: processing });
    const junk = await fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"signature": "x"' });
    // One generic refusal for every failed check (no oracle); the reason is only in the local warning.
    expect([forged, late, replayed].map((c) => c.attempts[0]!.status)).toEqual([401, 401, 401]);
    expect(junk.status).toBe(401);
    expect(await junk.json()).toEqual({ error: 'callback refused' });

    await sleep(200);
    expect(at('dbgCb')).toHaveLength(1); // only the genuine "processing"
    expect(at('dbgDone')).toEqual([]);
    expect(at('dbgFail')).toEqual([]);
    const warnings = logs.filter((l) => l.type === 'lipsync-callback' && l.level === RED.log.WARN).map((l) => l.msg);
    expect(warnings).toHaveLength(4);
    expect(warnings.join('\n')).toMatch(/signature does not match/);
    expect(warnings.join('\n')).toMatch(/stale or replayed/);
    expect(warnings.join('\n')).toMatch(/already used \(replayed\)/);
    for (const w of warnings) {
      expect(w).not.toContain(KEY);
      expect(w).not.toContain(CLIENT_ID);
      expect(w).not.toContain(forged.body!.dataEncrypt);
    }

    // The genuine completion still ends the wait, exactly once, and nothing ever polled.
    const [done] = await until(() => (at('dbgDone').length ? at('dbgDone') : undefined), 'the completed job');
    expect(done!.jobId).toBe(jobId);
    await sleep(150);
    expect(at('dbgDone')).toHaveLength(1);
    expect(polls()).toHaveLength(0);
  });

  it('an account without the right client id refuses genuine callbacks too', async () => {
    await deploy(flow({ clientId: 'BKDt8rWEczpYPzCG', timeoutSec: 60 }));
    go();
    await until(() => sandbox.callbacks[0]?.attempts[0]?.status, 'an answered callback attempt');
    expect(sandbox.callbacks[0]!.attempts[0]!.status).toBe(401);
    expect(at('dbgCb')).toEqual([]);
  });

  it('with no callback, looks the job up once at the timeout (completed -> output 1, still running -> TIMEOUT)', async () => {
    // No webhookUrl reaches Node-RED: the callbacks go nowhere (refused connection), so only the timeout helps.
    await deploy(flow({ timeoutSec: 1.5, webhookUrl: 'http://127.0.0.1:9/nowhere' }));
    go('?sandbox_duration=300');
    const [done] = await until(() => (at('dbgDone').length ? at('dbgDone') : undefined), 'the completed job');
    expect(done!.payload.status).toBe('completed');
    expect(polls()).toHaveLength(1);

    sandbox.clearRequests();
    received.length = 0;
    go('?sandbox_duration=60000');
    const [timedOut] = await until(() => (at('dbgFail').length ? at('dbgFail') : undefined), 'the timed-out job');
    expect(timedOut!.error).toMatchObject({ code: 'TIMEOUT', lastStatus: expect.stringMatching(/queued|processing/) });
    expect(timedOut!.jobId).toBe(timedOut!.payload.id);
    expect(creates()).toHaveLength(1);
    expect(polls()).toHaveLength(1);
  });

  it('warns when a callback-mode wait has no job callback node on its account', async () => {
    await deploy(flow({ callbackNode: false, timeoutSec: 60 }));
    go();
    const warning = await until(
      () => logs.find((l) => l.type === 'lipsync-wait' && l.level === RED.log.WARN && /no job callback node listens/.test(l.msg)),
      'the warning',
    );
    expect(warning.msg).toMatch(/only end at the timeout/);
  });

  it('the polling mode is unchanged: it polls', async () => {
    await deploy(flow({ waitMode: 'poll' }));
    go();
    await until(() => (at('dbgDone').length ? true : undefined), 'the completed job');
    expect(polls().length).toBeGreaterThan(0);
  });
});
