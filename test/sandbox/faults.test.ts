import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSandbox, type FaultKind, type Sandbox } from '../../src/sandbox';
import { KEY, SPECS, call, openSandbox, until } from './support';

/** Injected faults, random faults and rate limits, seen from a plain HTTP client. */
let sandbox: Sandbox;
let video: string;
let audio: string;

beforeAll(async () => {
  ({ sandbox, video, audio } = await openSandbox({ jobDurationMs: 300 }));
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.clearRequests();
  sandbox.setFaults(undefined);
});
afterEach(() => {
  vi.useRealTimers();
});

const profile = () => fetch(`${sandbox.baseUrl('fishaudio-open')}/api/open/profile`, { headers: { authorization: `Bearer ${KEY}` } });

/** Status, headers and raw text of a GET, without JSON parsing; or the error fetch/reading threw. */
async function rawGet(url: string, signal?: AbortSignal): Promise<{ status: number; type: string | null; retryAfter: string | null; text: string } | { error: Error }> {
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${KEY}` }, signal });
    return { status: res.status, type: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), text: await res.text() };
  } catch (e) {
    return { error: e as Error };
  }
}

describe('each fault kind', () => {
  const url = () => `${sandbox.baseUrl('fishaudio-open')}/api/open/profile`;

  it.each(['500', '502', '503'] as const)('%s: that status with the provider error body', async (kind) => {
    sandbox.injectFault({ kind });
    const got = await rawGet(url());
    expect(got).toMatchObject({ status: Number(kind), type: expect.stringMatching(/application\/json/) });
    expect(JSON.parse((got as { text: string }).text)).toMatchObject({ error: expect.any(String) });
    // One request only: the next one is normal, and the fault was recorded.
    expect((await profile()).status).toBe(200);
    expect(sandbox.requests.map((r) => r.fault)).toEqual([kind, undefined]);
  });

  it('429 without Retry-After, 429-retry-after with Retry-After: 1', async () => {
    sandbox.injectFault({ kind: '429' });
    sandbox.injectFault({ kind: '429-retry-after' });
    expect(await rawGet(url())).toMatchObject({ status: 429, retryAfter: null });
    expect(await rawGet(url())).toMatchObject({ status: 429, retryAfter: '1' });
  });

  it('429-retry-after on JoggAI also carries retryAfter in the body', async () => {
    sandbox.injectFault({ kind: '429-retry-after', provider: 'joggai' });
    const got = await call(sandbox, 'joggai', 'GET', '/v2/user/whoami');
    expect(got.status).toBe(429);
    expect(got.body).toMatchObject({ code: 429, retryAfter: 1 });
  });

  it('reset: the connection closes without a response', async () => {
    sandbox.injectFault({ kind: 'reset' });
    expect(await rawGet(url())).toMatchObject({ error: expect.any(TypeError) });
  });

  it('malformed-json: 200 with a body that does not parse', async () => {
    sandbox.injectFault({ kind: 'malformed-json' });
    const got = (await rawGet(url())) as { status: number; text: string };
    expect(got.status).toBe(200);
    expect(() => JSON.parse(got.text)).toThrow();
  });

  it('html: a proxy error page', async () => {
    sandbox.injectFault({ kind: 'html' });
    const got = (await rawGet(url())) as { status: number; type: string; text: string };
    expect(got).toMatchObject({ status: 502, type: 'text/html' });
    expect(got.text).toMatch(/^<html>/);
  });

  it('truncated: the body ends before its Content-Length', async () => {
    sandbox.injectFault({ kind: 'truncated' });
    const got = await rawGet(url());
    expect(got).toMatchObject({ error: expect.any(Error) });
  });

  it('stall: no answer at all (the client gives up)', async () => {
    sandbox.injectFault({ kind: 'stall' });
    const got = await rawGet(url(), AbortSignal.timeout(300));
    expect((got as { error: Error }).error.name).toBe('TimeoutError');
    expect((await profile()).status).toBe(200);
  });
});

describe('fault targeting', () => {
  it('after: the create really happens, then the response is lost', async () => {
    for (const [provider, kind] of [
      ['joggai', 'reset'],
      ['akool', 'truncated'],
      ['chamelaion', '502'],
    ] as const) {
      const before = sandbox.jobCount(provider);
      sandbox.injectFault({ kind, provider, method: 'POST', after: true });
      await SPECS[provider].create(sandbox, video, audio).catch(() => undefined);
      expect(sandbox.jobCount(provider), provider).toBe(before + 1);
    }
    // Without after, the create never reaches the handler.
    const before = sandbox.jobCount('joggai');
    sandbox.injectFault({ kind: 'reset', provider: 'joggai', method: 'POST' });
    await SPECS.joggai.create(sandbox, video, audio).catch(() => undefined);
    expect(sandbox.jobCount('joggai')).toBe(before);
  });

  it('matches provider, method and pathIncludes, and applies count times', async () => {
    sandbox.injectFault({ kind: '503', provider: 'akool', method: 'GET', pathIncludes: 'infobymodelid', count: 2 });
    const info = () => call(sandbox, 'akool', 'GET', '/api/open/v3/content/video/infobymodelid?video_model_id=1');
    expect((await call(sandbox, 'joggai', 'GET', '/v2/user/whoami')).status).toBe(200);
    expect((await SPECS.akool.create(sandbox, video, audio)).status).toBe(200);
    expect((await info()).status).toBe(503);
    expect((await info()).status).toBe(503);
    expect((await info()).body.code).toBe(1008);
  });

  it('never touches media or results unless pathIncludes targets them', async () => {
    sandbox.setFaults({ rate: 1, kinds: ['500'] });
    sandbox.injectFault({ kind: '500' });
    expect((await fetch(video)).status).toBe(200);
    expect((await profile()).status).toBe(500);
    sandbox.injectFault({ kind: '503', pathIncludes: '/media/sample.wav' });
    expect((await fetch(audio)).status).toBe(503);
    expect((await fetch(audio)).status).toBe(200);
    // The control API is never faulted.
    expect((await fetch(`${sandbox.url}/__sandbox/jobs`)).status).toBe(200);
  });

  it('random faults follow the seed: the same requests get the same faults', async () => {
    const run = async () => {
      sandbox.setFaults({ rate: 0.5, kinds: ['500', '503', '429'], seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await profile()).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(3);
    expect(first.filter((s) => s !== 200).length).toBeGreaterThan(3);
    sandbox.setFaults(undefined);
    expect((await profile()).status).toBe(200);
  });

  it('setFaults replaces the whole fault state: queued faults are dropped', async () => {
    sandbox.injectFault({ kind: '503', count: 5 });
    expect((await profile()).status).toBe(503);
    sandbox.setFaults(undefined);
    expect((await profile()).status).toBe(200);
  });

  it('refuses unknown kinds and bad rates', () => {
    expect(() => sandbox.injectFault({ kind: 'explode' as FaultKind })).toThrow(/Unknown fault kind "explode"/);
    expect(() => sandbox.setFaults({ rate: 2, kinds: ['500'] })).toThrow(/rate/);
  });
});

describe('rate limits', () => {
  let limited: Sandbox;
  beforeAll(async () => {
    limited = await startSandbox({
      rateLimits: {
        'fishaudio-open': { limit: 2, windowMs: 60_000 },
        chamelaion: { limit: 1, windowMs: 60_000 },
        akool: { limit: 1, windowMs: 60_000 },
        joggai: { limit: 1, windowMs: 60_000, on: 'all' },
      },
    });
  });
  afterAll(() => limited.close());

  it('answer each provider\'s rate-limit error, with its kind of hint', async () => {
    const v = `${limited.url}/media/sample.mp4`;
    const a = `${limited.url}/media/sample.wav`;
    const fish = SPECS['fishaudio-open'];
    const id = fish.idOf(await fish.create(limited, v, a));
    await fish.create(limited, v, a);
    const over = await fish.create(limited, v, a);
    expect(over).toMatchObject({ status: 429, body: { error: 'Rate limit exceeded' } });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Only creates count by default.
    expect((await fish.get(limited, id)).status).toBe(200);

    await SPECS.chamelaion.create(limited, v, a);
    const cham = await SPECS.chamelaion.create(limited, v, a);
    expect(cham).toMatchObject({ status: 429, body: { error: 'rate limit exceeded' } });
    expect(cham.headers.get('retry-after')).toMatch(/^\d+$/);

    await SPECS.akool.create(limited, v, a);
    expect(await SPECS.akool.create(limited, v, a)).toMatchObject({ status: 200, body: { code: 1005 } });

    await SPECS.joggai.create(limited, v, a);
    const jogg = await call(limited, 'joggai', 'GET', '/v2/user/whoami');
    expect(jogg).toMatchObject({ status: 200, body: { code: 429, data: null, retryAfter: expect.any(Number) } });
  });

  it('the window slides on the clock', async () => {
    const s = await startSandbox({ rateLimits: { joggai: { limit: 1, windowMs: 60_000 } } });
    try {
      const t0 = Date.now();
      vi.useFakeTimers({ toFake: ['Date'], now: t0 });
      const create = () => SPECS.joggai.create(s, `${s.url}/media/sample.mp4`, `${s.url}/media/sample.wav`);
      expect((await create()).body.code).toBe(0);
      vi.setSystemTime(t0 + 30_000);
      expect((await create()).body).toMatchObject({ code: 429, retryAfter: 30 });
      vi.setSystemTime(t0 + 60_001);
      expect((await create()).body.code).toBe(0);
    } finally {
      vi.useRealTimers();
      await s.close();
    }
  });
});

describe('close()', () => {
  it('ends a stalled request and resolves', async () => {
    const s = await startSandbox();
    s.injectFault({ kind: 'stall' });
    const pending = new Promise<string>((resolve) => {
      const req = request(`${s.baseUrl('joggai')}/v2/user/whoami`, { headers: { 'x-api-key': KEY } }, () => resolve('answered'));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.end();
    });
    await until(() => (s.requests.length ? true : undefined), 'the stalled request');
    await s.close();
    expect(await pending).toBe('ECONNRESET');
  });
});
