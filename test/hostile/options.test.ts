import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLipSyncClient, type LipSyncError } from '../../src';
import { KEY, MEDIA, WIRE, clientFor, closeClients, json, startFake, type Fake } from './support';

/**
 * Validated options and input: values that used to poll 300 times a second, time out at once, overflow a timer,
 * throw a raw TypeError or reach the provider as a broken URL are refused up front with INVALID_INPUT, naming the
 * field, before anything is sent.
 */
let fake: Fake;
beforeAll(async () => {
  fake = await startFake((_req, res, seen) => json(res, 200, WIRE.joggai.isCreate(seen) ? WIRE.joggai.job('job-1', 'queued') : WIRE.joggai.job('job-1', 'queued')));
});
afterEach(async () => {
  await closeClients();
  fake.seen.length = 0;
});
afterAll(() => fake.close());

async function refused(p: Promise<unknown>, field: string, message?: RegExp) {
  const err = (await p.then(
    () => undefined,
    (e) => e,
  )) as LipSyncError | undefined;
  expect(err?.name).toBe('LipSyncError');
  expect(err?.code).toBe('INVALID_INPUT');
  expect(err?.field).toBe(field);
  if (message) expect(err?.message).toMatch(message);
  expect(fake.seen).toHaveLength(0);
}

describe('wait options', () => {
  for (const [name, options, field] of [
    ['pollIntervalMs 0', { pollIntervalMs: 0 }, 'pollIntervalMs'],
    ['pollIntervalMs NaN', { pollIntervalMs: Number.NaN }, 'pollIntervalMs'],
    ['timeoutMs -1', { timeoutMs: -1 }, 'timeoutMs'],
    ['timeoutMs Infinity', { timeoutMs: Number.POSITIVE_INFINITY }, 'timeoutMs'],
    ['minIntervalMs 0', { minIntervalMs: 0 }, 'minIntervalMs'],
    ['initialDelayMs beyond the timer limit', { initialDelayMs: 3e12 }, 'initialDelayMs'],
  ] as const) {
    it(`${name}: waitForJob refuses it before polling`, async () => {
      await refused(clientFor('joggai', fake).waitForJob('job-1', options), field);
    });
  }

  it('createAndWait refuses bad wait options before the create is sent (no job made)', async () => {
    await refused(clientFor('joggai', fake).createAndWait(MEDIA, { pollIntervalMs: 0 }), 'pollIntervalMs', /at least 25 ms/);
  });

  it('a Retry-After of 3,000,000 s with the longest timeout does not overflow the timer into a request storm', async () => {
    fake.handle((_req, res) => {
      res.writeHead(429, { 'retry-after': '3000000', 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 429, msg: 'slow down' }));
    });
    const ctl = new AbortController();
    const waiting = clientFor('joggai', fake).waitForJob('job-1', { timeoutMs: 2 ** 31 - 1, initialDelayMs: 0, signal: ctl.signal }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 1_500));
    const gets = fake.seen.filter((s) => s.method === 'GET').length;
    ctl.abort();
    const err = (await waiting) as LipSyncError;
    expect(err.code).toBe('ABORTED');
    expect(err.jobId).toBe('job-1');
    expect(gets).toBe(1);
  });
});

describe('client options and input', () => {
  it('a base URL with a space is INVALID_INPUT naming baseUrl, not a raw TypeError', () => {
    let err: LipSyncError | undefined;
    try {
      createLipSyncClient({ provider: 'akool', apiKey: KEY, baseUrl: 'http://exa mple.com' });
    } catch (e) {
      err = e as LipSyncError;
    }
    expect(err?.name).toBe('LipSyncError');
    expect(err?.field).toBe('baseUrl');
  });

  for (const [name, url] of [
    ['http:///etc/passwd', 'http:///etc/passwd'],
    ['a NUL byte', 'https://media.example.com/a\u0000.mp4'],
    ['a 100 KB string', `https://media.example.com/${'a'.repeat(100 * 1024)}.mp4`],
    ['a user:password URL', 'https://user:pw@media.example.com/a.mp4'],
  ] as const) {
    it(`a media URL with ${name} is refused naming videoUrl, nothing sent`, async () => {
      await refused(clientFor('fishaudio-open', fake).createJob({ ...MEDIA, videoUrl: url }), 'videoUrl');
    });
  }

  it("an option of another provider names itself in err.field", async () => {
    await refused(clientFor('akool', fake).createJob({ ...MEDIA, playbackType: 'normal' }), 'playbackType', /"playbackType" is not an option for Akool/);
  });

  for (const id of ['.', '..', ' .. ', 'a\nb']) {
    it(`job id ${JSON.stringify(id)} is refused before GET /jobs/{id} becomes another path`, async () => {
      await refused(clientFor('fishaudio-v1', fake).getJob(id), 'jobId');
    });
  }

  it('bytes are not uploaded when the signal is already aborted', async () => {
    const assets = join(__dirname, '../../src/sandbox/assets');
    const ctl = new AbortController();
    ctl.abort();
    const err: LipSyncError = await clientFor('joggai', fake)
      .createJob({ video: { data: readFileSync(join(assets, 'sample.mp4')) }, audio: { data: readFileSync(join(assets, 'sample.wav')) } }, { signal: ctl.signal })
      .catch((e) => e);
    expect(err.code).toBe('ABORTED');
    expect(fake.seen).toHaveLength(0);
  });

  it('timeouts given as nonsense are refused when the client is made', () => {
    expect(() => createLipSyncClient({ provider: 'akool', apiKey: KEY, readTimeoutMs: -5 })).toThrow(/readTimeoutMs must be at least 1 ms/);
    expect(() => createLipSyncClient({ provider: 'akool', apiKey: KEY, requestTimeoutMs: Number.NaN })).toThrow(/requestTimeoutMs/);
  });
});
