import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runNode, removeUserFolder } from '../n8n/support/engine';
import { NODES, RED_PATH, redRequire, testFlow, until } from '../node-red/support';
import { KEY, WIRE, json, startFake, type Fake } from './support';

/**
 * The trust boundary as users meet it, in both hosts (real Node-RED through its test helper, n8n's real engine on
 * the built package): a provider that echoes the key gets it into no Node-RED log line, catch message or n8n
 * error; a result URL pointing at an internal service is refused and that service never sees a request.
 */
type Msg = Record<string, any>;
const helper = redRequire('node-red-node-test-helper');
helper.init(RED_PATH);

let provider: Fake;
let internal: Fake;
beforeAll(async () => {
  provider = await startFake();
  internal = await startFake((_req, res) => res.end('internal secret'));
});
afterAll(async () => {
  await provider.close();
  await internal.close();
  removeUserFolder();
});
beforeEach(() => {
  internal.seen.length = 0;
});

const echoKey = () => provider.handle((_req, res) => json(res, ...WIRE.joggai.error(KEY)));
const internalResult = () => provider.handle((_req, res) => json(res, 200, WIRE.joggai.job('job-7', 'completed', { resultUrl: `http://localhost:${internal.port}/admin/video.mp4` })));

describe('Node-RED', () => {
  beforeEach(() => new Promise<void>((r) => helper.startServer(r)));
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
  });

  async function load(nodes: Msg[], account: Msg = {}) {
    await helper.load(NODES, testFlow('joggai', `${provider.url}`, nodes, account), { acc: { apiKey: KEY } });
    const out: Record<string, Msg[]> = { out1: [], out2: [], caught: [] };
    for (const id of Object.keys(out)) helper.getNode(id).on('input', (m: Msg) => out[id]!.push(m));
    return out;
  }
  const logText = () => JSON.stringify(helper.log().args);

  it('a provider echoing the key: the error message, the catch message and the log hold no key', async () => {
    echoKey();
    const out = await load([{ id: 'lookup', type: 'lipsync-status', account: 'acc', wires: [['out1']] }]);
    helper.getNode('lookup').receive({ jobId: 'job-1' });
    const [caught] = await until(() => (out.caught!.length ? out.caught : undefined), 'the caught error');
    expect(caught!.error.message).toMatch(/JoggAI/);
    expect(JSON.stringify(caught)).not.toContain(KEY);
    expect(logText()).not.toContain(KEY);
  });

  it('a result URL on an internal port: the download is refused with a message saying why, the service sees nothing', async () => {
    internalResult();
    const out = await load([{ id: 'wait', type: 'lipsync-wait', account: 'acc', result: 'buffer', pollInterval: 0.05, timeout: 20, timeoutUnits: 'seconds', wires: [['out1'], ['out2']] }]);
    helper.getNode('wait').receive({ jobId: 'job-7' });
    const failed = await until(() => (out.out2!.length ? out.out2 : out.caught!.length ? out.caught : undefined), 'the refused download');
    expect(JSON.stringify(failed[0]!.error)).toMatch(/non-public address/);
    expect(failed[0]!.error.jobId ?? failed[0]!.jobId).toBe('job-7');
    expect(out.out1).toHaveLength(0);
    expect(internal.seen).toHaveLength(0);
  });

  it('with "Allow downloads from private networks" ticked, the same download works', async () => {
    internalResult();
    const out = await load(
      [{ id: 'wait', type: 'lipsync-wait', account: 'acc', result: 'buffer', pollInterval: 0.05, timeout: 20, timeoutUnits: 'seconds', wires: [['out1'], ['out2']] }],
      { allowPrivateNetworks: true },
    );
    helper.getNode('wait').receive({ jobId: 'job-7' });
    const [done] = await until(() => (out.out1!.length ? out.out1 : out.out2!.length ? out.out2 : undefined), 'the download');
    expect(Buffer.from(done!.payload.video).toString()).toBe('internal secret');
    expect(internal.seen).toHaveLength(1);
  });
});

describe('n8n', () => {
  const credentials = () => ({ lipSyncKitJoggAiApi: { apiKey: KEY, baseUrl: provider.url } });
  const params = (operation: string, extra: Msg = {}) => ({ provider: 'joggai', resource: 'job', operation, jobId: 'job-7', ...extra });

  it("a provider echoing the key: the NodeApiError's message, description and JSON hold no key", async () => {
    echoKey();
    const { status, error } = await runNode({ parameters: params('get', { options: {} }), credentials: credentials() });
    expect(status).toBe('error');
    expect(error?.name).toBe('NodeApiError');
    expect(error?.message).toMatch(/JoggAI/);
    const everything = [error?.message, error?.description, JSON.stringify(error), String((error as Error)?.stack)].join('\n');
    expect(everything).not.toContain(KEY);
  });

  it('Download Result from an internal port is refused; with Allow Private Networks it is fetched', async () => {
    internalResult();
    const refused = await runNode({ parameters: params('get', { options: { download: true } }), credentials: credentials() });
    expect(refused.status).toBe('error');
    expect(refused.error?.message).toMatch(/non-public address/);
    expect(internal.seen).toHaveLength(0);
    const allowed = await runNode({ parameters: params('get', { options: { download: true, allowPrivateNetworks: true } }), credentials: credentials() });
    expect(allowed.status).toBe('success');
    expect(allowed.items[0]!.binary?.data).toBeDefined();
    expect(internal.seen).toHaveLength(1);
  });
});
