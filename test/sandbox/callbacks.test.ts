import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReplayGuard, verifyAkoolCallback } from '../../src';
import { SANDBOX_AKOOL_CLIENT_ID, type Sandbox } from '../../src/sandbox';
import { call, openSandbox, until } from './support';

/**
 * The sandbox sends Akool's webhook callbacks over real HTTP to a receiver in this test, which checks them with the
 * core's verifier: encrypted and signed as documented, status 2 then 3 or 4, retried until a 200, bounded.
 */
const KEY = 'sandbox-key-0123456789ab'; // 24 characters: Akool's client secret is the API key, an AES-192 key
const CLIENT_ID = 'AKDt8rWEczpYPzCG';
const secrets = { clientId: CLIENT_ID, clientSecret: KEY };

interface Received {
  path: string;
  body: any;
  answered: number;
}

/** A webhook receiver: answers each POST with the next status of `answers` (then 200). */
class Receiver {
  readonly got: Received[] = [];
  answers: number[] = [];
  private server!: Server;
  url = '';

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answered = this.answers.shift() ?? 200;
        this.got.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')), answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

let sandbox: Sandbox;
let video: string;
let audio: string;
const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  ({ sandbox, video, audio } = await openSandbox({ apiKey: KEY, akoolClientId: CLIENT_ID, jobDurationMs: 200, akoolCallbacks: { retryDelaysMs: [30, 60, 90] } }));
});
afterAll(async () => {
  await sandbox.close();
  await receiver.stop();
});
afterEach(() => {
  sandbox.reset();
  receiver.got.length = 0;
  receiver.answers = [];
});

async function createAkool(videoUrl: string, webhookUrl: string | undefined): Promise<string> {
  const created = await call(sandbox, 'akool', 'POST', '/api/open/v3/content/video/lipsync', { key: KEY, body: { video_url: videoUrl, audio_url: audio, webhookUrl } });
  expect(created.body.code).toBe(1000);
  return created.body.data._id;
}

describe('Akool callbacks from the sandbox', () => {
  it('POSTs "processing" then "completed", encrypted and signed as Akool documents', async () => {
    const id = await createAkool(video, `${receiver.url}/hook?order=7`);
    await until(() => sandbox.callbacks.filter((c) => c.delivered).length === 2 || undefined, 'two delivered callbacks');
    expect(receiver.got.map((g) => g.path)).toEqual(['/hook?order=7', '/hook?order=7']);
    for (const g of receiver.got) expect(Object.keys(g.body).sort()).toEqual(['dataEncrypt', 'nonce', 'signature', 'timestamp']);
    const jobs = receiver.got.map((g) => verifyAkoolCallback(g.body, secrets));
    expect(jobs.map((j) => [j.id, j.status])).toEqual([
      [id, 'processing'],
      [id, 'completed'],
    ]);
    expect(jobs[1]!.resultUrl).toBe(`${sandbox.url}/results/akool/${id}.mp4`);
    expect(jobs[1]!.raw).toMatchObject({ _id: id, status: 3, type: 'lipsync' });
    // Exactly one create and no polling: the callbacks told the whole story.
    expect(sandbox.requests.map((r) => r.method)).toEqual(['POST']);
    expect(sandbox.callbacks.map((c) => [c.kind, c.status, c.attempts.length])).toEqual([
      ['scheduled', 2, 1],
      ['scheduled', 3, 1],
    ]);
  });

  it('sends the failure (status 4 with its reason) for a failed job', async () => {
    const id = await createAkool(`${video}?sandbox_fail=1`, `${receiver.url}/hook`);
    await until(() => sandbox.callbacks.filter((c) => c.delivered).length === 2 || undefined, 'two delivered callbacks');
    const last = verifyAkoolCallback(receiver.got[1]!.body, secrets);
    expect(last).toMatchObject({ id, status: 'failed', error: { message: expect.stringMatching(/sandbox_fail/) } });
  });

  it('retries with backoff until it gets a 200, signing each attempt afresh', async () => {
    receiver.answers = [500, 404, 503];
    await createAkool(`${video}?sandbox_duration=3000`, `${receiver.url}/hook`); // processing from 0.6 s to 3 s
    await until(() => sandbox.callbacks[0]?.delivered || undefined, 'the processing callback, delivered');
    const [cb] = sandbox.callbacks;
    expect(cb!.attempts.map((a) => a.status)).toEqual([500, 404, 503, 200]);
    const gaps = cb!.attempts.slice(1).map((a, i) => a.at - cb!.attempts[i]!.at);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual([30, 60, 90][i]! - 2)); // the configured backoff, at least
    expect(new Set(receiver.got.map((g) => g.body.signature)).size).toBe(4);
    // Every attempt verifies on its own, and a replay guard accepts each once.
    const guard = new ReplayGuard();
    for (const g of receiver.got) {
      expect(verifyAkoolCallback(g.body, secrets).status).toBe('processing');
      expect(guard.accept(g.body.signature)).toBe(true);
    }
  });

  it('gives up after the configured attempts', async () => {
    receiver.answers = [500, 500, 500, 500, 500, 500];
    await createAkool(`${video}?sandbox_duration=3000`, `${receiver.url}/hook`);
    await until(() => receiver.got.length === 4 || undefined, 'four attempts');
    await new Promise((r) => setTimeout(r, 250));
    expect(receiver.got).toHaveLength(4);
    expect(sandbox.callbacks[0]).toMatchObject({ delivered: false, attempts: [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }] });
  });

  it('sends forged, late and replayed callbacks on demand, which the verifier refuses', async () => {
    const id = await createAkool(`${video}?sandbox_duration=3000`, `${receiver.url}/hook`);
    await until(() => sandbox.callbacks[0]?.delivered || undefined, 'the processing callback');
    const forged = await sandbox.sendAkoolCallback({ jobId: id, status: 'completed', forged: true });
    const late = await sandbox.sendAkoolCallback({ jobId: id, status: 'completed', timestamp: Date.now() - 60 * 60_000 });
    const replay = await sandbox.sendAkoolCallback({ replay: 0 });
    expect([forged.kind, late.kind, replay.kind]).toEqual(['forged', 'late', 'replay']);
    expect(receiver.got).toHaveLength(4);
    expect(() => verifyAkoolCallback(receiver.got[1]!.body, secrets)).toThrow(/signature does not match/);
    expect(() => verifyAkoolCallback(receiver.got[2]!.body, secrets)).toThrow(/stale or replayed/);
    // The replay is byte-for-byte the first callback: it verifies, and only a replay guard catches it.
    expect(receiver.got[3]!.body).toEqual(receiver.got[0]!.body);
    const guard = new ReplayGuard();
    expect(guard.accept(receiver.got[0]!.body.signature)).toBe(true);
    expect(guard.accept(receiver.got[3]!.body.signature)).toBe(false);
    await expect(sandbox.sendAkoolCallback({ jobId: 'nope' })).rejects.toThrow(/jobId/);
  });

  it('sends nothing for jobs without a webhookUrl, and says why when the key cannot encrypt', async () => {
    await createAkool(video, undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(sandbox.callbacks).toEqual([]);

    const { sandbox: plain, video: v2, audio: a2 } = await openSandbox({ jobDurationMs: 50 }); // 'sandbox-key': 11 characters
    try {
      await call(plain, 'akool', 'POST', '/api/open/v3/content/video/lipsync', { body: { video_url: v2, audio_url: a2, webhookUrl: `${receiver.url}/hook` } });
      await until(() => plain.callbacks.length === 2 || undefined, 'two callback records');
      expect(plain.callbacks[0]!.attempts[0]!.error).toMatch(/16, 24 or 32 characters/);
      expect(plain.callbacks[0]!.body).toBeUndefined();
      expect(SANDBOX_AKOOL_CLIENT_ID).toHaveLength(16);
    } finally {
      await plain.close();
    }
    expect(receiver.got).toEqual([]);
  });
});

describe('Akool callbacks through the control API (for processes that cannot call the JS API)', () => {
  it('lists the callbacks sent and sends one on demand', async () => {
    const id = await createAkool(`${video}?sandbox_duration=3000`, `${receiver.url}/hook`);
    await until(() => sandbox.callbacks[0]?.delivered || undefined, 'the processing callback');
    const ctl = (method: string, path: string, body?: unknown) =>
      fetch(`${sandbox.url}/__sandbox${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const listed = await ctl('GET', '/callbacks');
    expect(listed.body.callbacks.map((c: { jobId: string; status: number }) => [c.jobId, c.status])).toEqual([[id, 2]]);
    const sent = await ctl('POST', '/akool-callback', { jobId: id, status: 'completed', forged: true });
    expect(sent).toMatchObject({ status: 200, body: { kind: 'forged', jobId: id, attempts: [{ status: 200 }] } });
    expect(() => verifyAkoolCallback(receiver.got.at(-1)!.body, secrets)).toThrow(/signature does not match/);
    expect(await ctl('POST', '/akool-callback', { jobId: 'nope' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/jobId/) } });
  });
});
