import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SANDBOX_PROVIDERS, startSandbox, type ProviderId, type Sandbox } from '../../src/sandbox';
import { KEY, NO_CREDITS, SPECS, authHeaders, call, openSandbox, until } from './support';

/**
 * Each provider's wire format over real HTTP: envelopes, status values, auth, credits, not-found and failures.
 * Status progression runs on a frozen Date (only Date is faked; sockets and timers are real), so no test here
 * depends on how fast the machine is.
 */
let sandbox: Sandbox;
let video: string;
let audio: string;

beforeAll(async () => {
  ({ sandbox, video, audio } = await openSandbox({ jobDurationMs: 300 }));
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.clearRequests());
afterEach(() => {
  vi.useRealTimers();
});

describe.each(SANDBOX_PROVIDERS)('%s', (provider: ProviderId) => {
  const spec = SPECS[provider];

  it('moves a job through its documented statuses on the clock, then serves the result', async () => {
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: t0 });
    const id = spec.idOf(await spec.create(sandbox, `${video}?sandbox_duration=10000`, audio));
    const seen = [];
    for (const at of [0, 1_000, 2_500, 6_000, 9_999, 10_000, 60_000]) {
      vi.setSystemTime(t0 + at);
      seen.push(spec.statusOf(await spec.get(sandbox, id)));
    }
    const [queued, processing, completed] = spec.statuses;
    expect(seen).toEqual([queued, queued, processing, processing, processing, completed, completed]);
    const done = await spec.get(sandbox, id);
    expect(spec.resultOf(done)).toBe(`${sandbox.url}/results/${provider}/${id}.mp4`);
    expect(spec.failureOf(done)).toBeFalsy();
    expect(sandbox.getJob(provider, id)).toMatchObject({ status: 'completed', progress: 100, durationMs: 10_000 });
  });

  it('records the request as the client sent it, without the provider prefix', async () => {
    await spec.create(sandbox, video, audio);
    const [req] = sandbox.requests;
    expect(req).toMatchObject({ provider, method: 'POST' });
    expect(req!.path.startsWith('/v')).toBe(provider === 'chamelaion' || provider === 'joggai');
    expect(req!.url).toBe(`${new URL(sandbox.baseUrl(provider)).pathname}${req!.path}`);
    const [name, value] = Object.entries(authHeaders(provider, KEY))[0]!;
    expect(req!.headers[name]).toBe(value);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.rawBody!)).toEqual(req!.body);
    expect(JSON.stringify(req!.body)).toContain('/media/sample.wav');
    expect(req!.status).toBe(200);
  });

  it('fails a job whose media host does not resolve, with the provider reason', async () => {
    const id = spec.idOf(await spec.create(sandbox, 'https://media.invalid/clip.mp4', audio));
    const got = await until(async () => {
      const g = await spec.get(sandbox, id);
      return spec.statusOf(g) === spec.statuses[3] ? g : undefined;
    }, 'the failed job');
    expect(spec.failureOf(got)).toMatch(/video URL is not accessible/);
    expect(spec.resultOf(got)).toBeFalsy();
  });

  it('fails a job with sandbox_fail=1 (query or fragment)', async () => {
    for (const hint of ['?sandbox_fail=1&sandbox_duration=20', '#sandbox_fail=1&sandbox_duration=20']) {
      const id = spec.idOf(await spec.create(sandbox, `${video}${hint}`, audio));
      const got = await until(async () => {
        const g = await spec.get(sandbox, id);
        return spec.statusOf(g) === spec.statuses[3] ? g : undefined;
      }, 'the failed job');
      expect(spec.failureOf(got)).toBeTruthy();
    }
  });

  it('answers an unknown id with its not-found error', async () => {
    const got = await spec.get(sandbox, 'no-such-job');
    if (provider === 'akool') expect(got).toMatchObject({ status: 200, body: { code: 1008 } });
    else if (provider === 'joggai') expect(got).toMatchObject({ status: 200, body: { code: 10104, data: null } });
    else expect(got.status).toBe(404);
  });

  it('refuses a wrong key with its auth error, and creates nothing', async () => {
    const before = sandbox.jobCount(provider);
    const got = await spec.create(sandbox, video, audio, 'wrong-key');
    expect(sandbox.jobCount(provider)).toBe(before);
    const expected: Record<ProviderId, unknown> = {
      'fishaudio-open': { status: 401, body: { error: 'Invalid API token' } },
      'fishaudio-v1': { status: 401, body: { code: 'unauthorized', requestId: expect.stringMatching(/^req_/) } },
      akool: { status: 200, body: { code: 1101 } },
      chamelaion: { status: 401, body: { error: 'invalid token' } },
      joggai: { status: 200, body: { code: 10105, data: null } },
    };
    expect(got).toMatchObject(expected[provider] as object);
  });

  it('an account without credits cannot create, but can still read', async () => {
    const existing = spec.idOf(await spec.create(sandbox, video, audio));
    const before = sandbox.jobCount(provider);
    const got = await spec.create(sandbox, video, audio, NO_CREDITS);
    expect(sandbox.jobCount(provider)).toBe(before);
    const expected: Record<ProviderId, unknown> = {
      'fishaudio-open': { status: 429, body: { error: 'Insufficient credits' } },
      'fishaudio-v1': { status: 402, body: { code: 'insufficient_credits' } },
      akool: { status: 200, body: { code: 1104 } },
      chamelaion: { status: 412, body: { error: 'token limit reached' } },
      joggai: { status: 200, body: { code: 18020 } },
    };
    expect(got).toMatchObject(expected[provider] as object);
    expect((await spec.get(sandbox, existing, NO_CREDITS)).status).toBe(200);
  });
});

describe('missing credentials', () => {
  it.each([
    ['fishaudio-open', '/api/open/profile', { status: 401, body: { error: 'Unauthorized' } }],
    ['fishaudio-v1', '/api/open/v1/profile', { status: 401, body: { code: 'unauthorized' } }],
    ['akool', '/api/open/v3/content/video/infobymodelid?video_model_id=x', { status: 200, body: { code: 1102 } }],
    ['chamelaion', '/v1/users/me', { status: 401, body: { error: 'missing authorization header' } }],
    ['joggai', '/v2/user/whoami', { status: 200, body: { code: 10105 } }],
  ] as const)('%s answers its own error', async (provider, path, expected) => {
    expect(await call(sandbox, provider, 'GET', path, { key: null })).toMatchObject(expected);
  });
});

describe('fishaudio-open', () => {
  it('create answers the documented envelope, query works by GET and POST', async () => {
    const created = await SPECS['fishaudio-open'].create(sandbox, video, audio);
    expect(created.body).toMatchObject({ success: true, message: expect.any(String), data: { status: 'pending', credits_used: expect.any(Number), remaining_credits: expect.any(Number) } });
    const id = created.body.data.id;
    const byPost = await call(sandbox, 'fishaudio-open', 'POST', '/api/open/lip-sync/query', { body: { id } });
    expect(Object.keys(byPost.body.data).sort()).toEqual(['completed_at', 'created_at', 'credits_used', 'error_message', 'id', 'progress', 'result_url', 'status', 'updated_at']);
    expect(byPost.body.data.progress).toBeGreaterThanOrEqual(0);
    expect(await call(sandbox, 'fishaudio-open', 'GET', '/api/open/lip-sync/query')).toMatchObject({ status: 400, body: { error: expect.any(String) } });
  });

  it('lists with pagination, a status filter and statistics', async () => {
    const long = `${video}?sandbox_duration=600000`;
    for (let i = 0; i < 3; i++) await SPECS['fishaudio-open'].create(sandbox, long, audio);
    const page = await call(sandbox, 'fishaudio-open', 'GET', '/api/open/lip-sync/list?page=1&limit=2&status=pending');
    const { tasks, pagination, statistics } = page.body.data;
    expect(tasks).toHaveLength(2);
    expect(tasks.every((t: { status: string }) => t.status === 'pending')).toBe(true);
    expect(pagination).toMatchObject({ page: 1, limit: 2, has_more: true });
    expect(pagination.total).toBeGreaterThanOrEqual(3);
    expect(statistics.total).toBe(sandbox.jobCount('fishaudio-open'));
    expect(statistics.pending + statistics.processing + statistics.completed + statistics.failed).toBe(statistics.total);
    const post = await call(sandbox, 'fishaudio-open', 'POST', '/api/open/lip-sync/list', { body: { limit: 500 } });
    expect(post.body.data.pagination.limit).toBe(50);
    expect((await call(sandbox, 'fishaudio-open', 'GET', '/api/open/lip-sync/list?status=done')).status).toBe(400);
  });

  it('profile answers with credits; bad input is a 400 with { error, details }', async () => {
    expect((await call(sandbox, 'fishaudio-open', 'GET', '/api/open/profile')).body).toMatchObject({ user_id: expect.any(String), credits: expect.any(Number) });
    const bad = await call(sandbox, 'fishaudio-open', 'POST', '/api/open/lip-sync/create', { body: { video_url: 'ftp://x/y.mp4', audio_url: audio } });
    expect(bad).toMatchObject({ status: 400, body: { error: expect.any(String), details: expect.stringContaining('video_url') } });
  });
});

describe('fishaudio-v1', () => {
  it('create answers { success, message: "Job created", data: { id: job_…, status: queued } }', async () => {
    const created = await SPECS['fishaudio-v1'].create(sandbox, video, audio);
    expect(created.body).toEqual({ success: true, message: 'Job created', data: { id: expect.stringMatching(/^job_/), status: 'queued' } });
    const missing = await call(sandbox, 'fishaudio-v1', 'POST', '/api/open/v1/media/lip-sync/jobs', { body: { video_url: video, audio_url: audio } });
    expect(missing).toMatchObject({ status: 400, body: { code: 'invalid_request', message: expect.stringContaining('videoUrl') } });
  });

  it('lists as { items, total, page, pageSize, totalPages } with a status filter', async () => {
    await SPECS['fishaudio-v1'].create(sandbox, `${video}?sandbox_duration=600000`, audio);
    const list = await call(sandbox, 'fishaudio-v1', 'GET', '/api/open/v1/media/lip-sync/jobs?page=1&limit=20&status=queued');
    expect(list.body).toMatchObject({ success: true, data: { page: 1, pageSize: 20, total: expect.any(Number), totalPages: expect.any(Number) } });
    expect(list.body.data.items.length).toBeGreaterThan(0);
    expect(list.body.data.items.every((j: { status: string }) => j.status === 'queued')).toBe(true);
    expect(await call(sandbox, 'fishaudio-v1', 'GET', '/api/open/v1/media/lip-sync/jobs?status=nope')).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    expect((await call(sandbox, 'fishaudio-v1', 'GET', '/api/open/v1/profile')).body).toMatchObject({ credits: expect.any(Number), tier: 'pro' });
  });
});

describe('akool', () => {
  it('create mirrors the seed example fields', async () => {
    const created = await call(sandbox, 'akool', 'POST', '/api/open/v3/content/video/lipsync', { body: { video_url: video, audio_url: audio, webhookUrl: 'https://hooks.example/akool' } });
    expect(created.body).toMatchObject({
      code: 1000,
      msg: 'OK',
      data: {
        _id: expect.stringMatching(/^[0-9a-f]{24}$/),
        task_id: expect.stringMatching(/^[0-9a-f]{24}$/),
        video_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        video_status: 1,
        video: '',
        target_video: video,
        input_audio: audio,
        webhookUrl: 'https://hooks.example/akool',
        lipsync: true,
        create_time: expect.any(Number),
      },
    });
    expect(sandbox.getJob('akool', created.body.data._id)!.webhookUrl).toBe('https://hooks.example/akool');
    const info = await SPECS.akool.get(sandbox, created.body.data._id);
    expect(info.body.data).toMatchObject({ _id: created.body.data._id, video_lock_duration: expect.any(Number), deduction_lock_duration: expect.any(Number) });
    expect(await call(sandbox, 'akool', 'POST', '/api/open/v3/content/video/lipsync', { body: { video_url: video } })).toMatchObject({ status: 200, body: { code: 1003 } });
  });

  it('getToken mints a bearer token; Authorization wins over x-api-key', async () => {
    const minted = await call(sandbox, 'akool', 'POST', '/api/open/v3/getToken', { key: null, body: { clientId: 'client-1', clientSecret: KEY } });
    expect(minted.body).toEqual({ code: 1000, token: expect.any(String) });
    const bearer = { authorization: `Bearer ${minted.body.token}` };
    const path = '/api/open/v3/content/video/infobymodelid?video_model_id=000000000000000000000000';
    expect((await call(sandbox, 'akool', 'GET', path, { key: null, headers: bearer })).body.code).toBe(1008);
    // A bad token with a good x-api-key is refused: the key is discarded.
    expect((await call(sandbox, 'akool', 'GET', path, { headers: { authorization: 'Bearer nope' } })).body.code).toBe(1101);
    expect((await call(sandbox, 'akool', 'POST', '/api/open/v3/getToken', { key: null, body: { clientId: 'c', clientSecret: 'wrong' } })).body.code).toBe(1101);
  });

  it('getToken checks the clientId when akoolClientId is set', async () => {
    const s = await startSandbox({ akoolClientId: 'my-client' });
    try {
      const token = (id: string) => call(s, 'akool', 'POST', '/api/open/v3/getToken', { key: null, body: { clientId: id, clientSecret: KEY } });
      expect((await token('other')).body.code).toBe(1101);
      expect((await token('my-client')).body.code).toBe(1000);
    } finally {
      await s.close();
    }
  });
});

describe('chamelaion', () => {
  const generate = (body: unknown, headers?: Record<string, string>) => call(sandbox, 'chamelaion', 'POST', '/v1/lipsync/generate', { body, headers });

  it('validates the inputs with the documented messages', async () => {
    const v = { type: 'video', url: video };
    const a = { type: 'audio', url: audio };
    expect(await generate({ inputs: [v] })).toMatchObject({ status: 400, body: { error: 'expected exactly one audio input' } });
    expect(await generate({ inputs: [v, v, a] })).toMatchObject({ status: 400, body: { error: 'expected exactly one video input' } });
    expect(await generate({ inputs: [v, { type: 'image', url: audio }] })).toMatchObject({ status: 400, body: { error: 'input type must be "video" or "audio"' } });
    expect(await generate({ video_url: video })).toMatchObject({ status: 400, body: { error: 'invalid request body' } });
    expect(await generate('{not json')).toMatchObject({ status: 400, body: { error: 'invalid request body' } });
    expect(await generate({ inputs: [v, a] }, { 'content-type': 'text/plain' })).toMatchObject({ status: 400, body: { error: 'content-type must be application/json' } });
    // Any order is fine.
    expect(await generate({ inputs: [a, v] })).toMatchObject({ status: 200, body: { status: 'success', request_id: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
  });

  it('finds a request by reference_id and lists with limit/offset/reference_id', async () => {
    const inputs = [
      { type: 'video', url: video },
      { type: 'audio', url: audio },
    ];
    const first = (await generate({ inputs, reference_id: 'ep-42', disable_active_speaker_detection: true })).body.request_id;
    const second = (await generate({ inputs, reference_id: 'ep-42' })).body.request_id;
    const byRef = await call(sandbox, 'chamelaion', 'GET', '/v1/lipsync/requests/ep-42');
    expect(byRef.body).toMatchObject({ id: second, reference_id: 'ep-42', created_at: expect.any(String) });
    const list = await call(sandbox, 'chamelaion', 'GET', '/v1/lipsync/requests?reference_id=ep-42&limit=1&offset=1');
    expect(list.body).toEqual({ data: [expect.objectContaining({ id: first })], pagination: { limit: 1, offset: 1, total: 2 } });
    expect((await call(sandbox, 'chamelaion', 'GET', '/v1/lipsync/requests')).body.pagination).toMatchObject({ limit: 20, offset: 0 });
  });

  it('accepts x-api-key as well as Bearer, and tells auth problems apart', async () => {
    const me = (headers: Record<string, string>) => call(sandbox, 'chamelaion', 'GET', '/v1/users/me', { key: null, headers });
    expect(await me({ 'x-api-key': KEY })).toMatchObject({ status: 200, body: { name: expect.any(String) } });
    expect((await me({ authorization: `Token ${KEY}` })).body.error).toBe('invalid authorization format');
    expect((await me({ authorization: 'Bearer ' })).body.error).toBe('missing token');
  });
});

describe('joggai', () => {
  it('create and task answer { code: 0, msg: "Success", data } with the nested result data', async () => {
    const created = await SPECS.joggai.create(sandbox, `${video}?sandbox_duration=600000`, audio);
    expect(created.body).toEqual({ code: 0, msg: 'Success', data: { task_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' } });
    const task = (await SPECS.joggai.get(sandbox, created.body.data.task_id)).body.data;
    expect(task).toMatchObject({ created_at: expect.any(Number), completed_at: null, data: null, error: null });
    expect(task.created_at).toBeLessThan(1e11); // unix seconds
    const quick = SPECS.joggai.idOf(await SPECS.joggai.create(sandbox, `${video}?sandbox_duration=50`, audio));
    const done = await until(async () => {
      const t = (await SPECS.joggai.get(sandbox, quick)).body.data;
      return t.status === 'success' ? t : undefined;
    }, 'the finished task');
    expect(done.data).toMatchObject({ result_url: expect.stringMatching(/\.mp4$/), cover_url: expect.stringMatching(/\.jpg$/), duration_seconds: expect.any(Number) });
    expect(done.completed_at).toBeGreaterThanOrEqual(task.created_at);
  });

  it('looks up the latest task for a video/audio/playback triple', async () => {
    const pair = `${video}?pair=${Math.random()}`;
    await call(sandbox, 'joggai', 'POST', '/v2/create_lip_sync_video', { body: { video_url: pair, audio_url: audio, playback_type: 'normal_reverse' } });
    const latest = (await call(sandbox, 'joggai', 'POST', '/v2/create_lip_sync_video', { body: { video_url: pair, audio_url: audio, playback_type: 'normal_reverse' } })).body.data.task_id;
    const q = (playback: string) => `/v2/lip_sync_video?${new URLSearchParams({ video_url: pair, audio_url: audio, playback_type: playback })}`;
    expect((await call(sandbox, 'joggai', 'GET', q('normal_reverse'))).body.data.task_id).toBe(latest);
    expect((await call(sandbox, 'joggai', 'GET', q('normal'))).body).toMatchObject({ code: 10104 });
    expect((await call(sandbox, 'joggai', 'GET', '/v2/lip_sync_video')).body).toMatchObject({ code: 40000 });
  });

  it('refuses bad parameters with 40000', async () => {
    const bad = await call(sandbox, 'joggai', 'POST', '/v2/create_lip_sync_video', { body: { video_url: video, audio_url: audio, playback_type: 'sideways' } });
    expect(bad.body).toMatchObject({ code: 40000, msg: expect.stringContaining('playback_type'), data: null });
    expect((await call(sandbox, 'joggai', 'GET', '/v2/user/whoami')).body).toMatchObject({ code: 0, data: { email: expect.any(String) } });
  });
});

it('answers an unknown route under a provider prefix with a 404 that names it', async () => {
  const got = await call(sandbox, 'joggai', 'GET', '/v9/nothing');
  expect(got).toMatchObject({ status: 404, body: { message: expect.stringContaining('/v9/nothing') } });
});
