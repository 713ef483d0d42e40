import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderId } from '../../src';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { NODES, RED_PATH, RED_VERSION, redRequire, until } from '../node-red/support';

/**
 * Fault injection through real Node-RED (node-red-node-test-helper): a few hundred messages through create nodes
 * ("wait for completion") on three accounts, while the sandbox answers a share of requests with 429s (with and
 * without Retry-After), 500/502/503, connection resets, malformed JSON, HTML error pages and truncated bodies,
 * and a few requests stall past the client's read timeout (30 s in Node-RED, which has no setting for it, so the
 * stalls are a counted handful rather than a random share). Every message must come out exactly once.
 */
type Msg = Record<string, any>;
const helper = redRequire('node-red-node-test-helper');
helper.init(RED_PATH);

const API_KEY = 'sk-live-REDFAULTS-0a1b2c3d4e5f6789';
// No documented create limit on these three, so the limiter does not stretch the test to minutes.
const PROVIDERS: ProviderId[] = ['fishaudio-open', 'fishaudio-v1', 'akool'];
const PER_PROVIDER = 100;
const JOBS = PROVIDERS.length * PER_PROVIDER;
const RANDOM_KINDS = ['429', '429-retry-after', '500', '502', '503', 'reset', 'malformed-json', 'html', 'truncated'] as const;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY, jobDurationMs: 150 });
  await new Promise<void>((r) => helper.startServer(r));
});
afterAll(async () => {
  await helper.unload();
  await new Promise<void>((r) => helper.stopServer(r));
  await sandbox?.close();
});

const tagOf = (url: string | undefined) => (url ? new URL(url).searchParams.get('n') : null);

describe(`fault injection through real Node-RED ${RED_VERSION}`, () => {
  it(`${JOBS} messages: each ends once (completed, failed, or a caught error with its job id), none created twice, no key anywhere`, async () => {
    const flow: Msg[] = [{ id: 'tab', type: 'tab', label: 'faults' }];
    const credentials: Record<string, Msg> = {};
    PROVIDERS.forEach((provider, i) => {
      flow.push({ id: `acc${i}`, type: 'lipsync-account', provider, baseUrl: sandbox.baseUrl(provider) });
      credentials[`acc${i}`] = { apiKey: API_KEY };
      flow.push({
        id: `create${i}`,
        type: 'lipsync-create',
        z: 'tab',
        account: `acc${i}`,
        videoUrl: 'videoUrl',
        videoUrlType: 'msg',
        audioUrl: 'audioUrl',
        audioUrlType: 'msg',
        wait: true,
        pollInterval: 0.05,
        timeout: 2,
        timeoutUnits: 'minutes',
        wires: [['out1'], ['out2']],
      });
    });
    flow.push(
      { id: 'out1', type: 'helper', z: 'tab' },
      { id: 'out2', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    );
    await helper.load(NODES, flow, credentials);

    const done: { route: 'completed' | 'failed' | 'caught'; msg: Msg }[] = [];
    helper.getNode('out1').on('input', (msg: Msg) => done.push({ route: 'completed', msg }));
    helper.getNode('out2').on('input', (msg: Msg) => done.push({ route: 'failed', msg }));
    helper.getNode('caught').on('input', (msg: Msg) => done.push({ route: 'caught', msg }));
    const statuses: unknown[] = [];
    PROVIDERS.forEach((_, i) => helper.getNode(`create${i}`).on('call:status', (call: { args: unknown[] }) => statuses.push(call.args[0])));

    sandbox.setFaults({ rate: 0.12, seed: 7, kinds: [...RANDOM_KINDS] });
    // Queued faults are taken first: one create and two polls hang until the 30 s read timeout.
    sandbox.injectFault({ kind: 'stall', method: 'POST', count: 1 });
    sandbox.injectFault({ kind: 'stall', method: 'GET', count: 2 });

    for (let n = 0; n < JOBS; n++) {
      const i = n % PROVIDERS.length;
      helper.getNode(`create${i}`).receive({ order: n, videoUrl: `${sandbox.url}/media/sample.mp4?n=${n}`, audioUrl: `${sandbox.url}/media/sample.wav` });
    }
    await until(() => done.length >= JOBS, `${JOBS} messages out (got ${done.length})`, 100_000);
    sandbox.setFaults(undefined);

    // Each message came out exactly once.
    const orders = done.map((d) => d.msg.order);
    expect(new Set(orders).size).toBe(JOBS);
    expect(done).toHaveLength(JOBS);

    // Sandbox side: at most one job per message, and every job that exists reached the flow with its id.
    const jobs = sandbox.listJobs();
    const perTag = new Map<string, number>();
    for (const j of jobs) perTag.set(tagOf(j.videoUrl)!, (perTag.get(tagOf(j.videoUrl)!) ?? 0) + 1);
    expect([...perTag.values()].filter((c) => c > 1), 'a message created two jobs').toEqual([]);
    const reported = new Map(done.filter((d) => d.msg.jobId).map((d) => [String(d.msg.jobId), d]));
    for (const j of jobs) {
      const d = reported.get(j.id);
      expect(d, `job ${j.id} (message ${tagOf(j.videoUrl)}) never reached the flow`).toBeDefined();
      expect(String(d!.msg.order)).toBe(tagOf(j.videoUrl));
    }

    for (const { route, msg } of done) {
      if (route === 'completed') {
        expect(msg.payload.status).toBe('completed');
        expect(msg.jobId).toBe(msg.payload.id);
        continue;
      }
      // A failure says what happened; once a job exists, the message carries its id.
      expect(msg.error?.message, JSON.stringify(msg.error)).toMatch(/\w{8,}/);
      if (jobs.some((j) => tagOf(j.videoUrl) === String(msg.order))) expect(msg.jobId, msg.error.message).toBeTruthy();
    }

    const completed = done.filter((d) => d.route === 'completed').length;
    console.log(`[fault suite, Node-RED] ${JOBS} messages: ${completed} completed, ${done.filter((d) => d.route === 'failed').length} failed/timed out, ${done.filter((d) => d.route === 'caught').length} caught errors; ${sandbox.requests.filter((r) => r.fault).length} faults injected`);
    expect(completed).toBeGreaterThan(JOBS * 0.8);
    expect(sandbox.requests.filter((r) => r.fault === 'stall')).toHaveLength(3);

    // The key appears nowhere the user can see: messages, statuses, the log.
    const visible = JSON.stringify([done.map((d) => d.msg), statuses, helper.log().args]);
    expect(visible).not.toContain(API_KEY);
  }, 120_000);
});
