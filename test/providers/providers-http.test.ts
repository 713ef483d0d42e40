import { describe, expect, it } from 'vitest';
import { createLipSyncClient, LipSyncError, PROVIDER_IDS, type LipSyncClient, type ProviderId } from '../../src';
import { SANDBOX_KEY, sandboxFixture } from '../support/sandbox';

/**
 * Every provider end to end over real HTTP against the loopback sandbox: the requests our client sends are checked
 * against the seeds (method, path, headers, body), and the answers are read back into normalized jobs.
 */
const KEY = SANDBOX_KEY;
const env = sandboxFixture({ apiKey: SANDBOX_KEY, jobDurationMs: 600 });

const fast = { initialDelayMs: 50, minIntervalMs: 50, maxIntervalMs: 200, timeoutMs: 20_000 };

function client(provider: ProviderId, apiKey = KEY, extra: object = {}): LipSyncClient {
  const c = createLipSyncClient({ provider, apiKey, baseUrl: env.sandbox.baseUrl(provider), retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...extra });
  return env.track(c);
}

const media = () => ({ videoUrl: `${env.sandbox.url}/media/sample.mp4`, audioUrl: `${env.sandbox.url}/media/sample.wav` });

/** What each seed says the create request looks like. */
const expectedCreate: Record<ProviderId, { path: string; auth: [string, string]; body: (v: string, a: string) => unknown }> = {
  'fishaudio-open': { path: '/api/open/lip-sync/create', auth: ['authorization', `Bearer ${KEY}`], body: (v, a) => ({ video_url: v, audio_url: a }) },
  'fishaudio-v1': { path: '/api/open/v1/media/lip-sync/jobs', auth: ['authorization', `Bearer ${KEY}`], body: (v, a) => ({ videoUrl: v, audioUrl: a }) },
  akool: { path: '/api/open/v3/content/video/lipsync', auth: ['x-api-key', KEY], body: (v, a) => ({ video_url: v, audio_url: a }) },
  chamelaion: {
    path: '/v1/lipsync/generate',
    auth: ['authorization', `Bearer ${KEY}`],
    body: (v, a) => ({ inputs: [{ type: 'video', url: v }, { type: 'audio', url: a }], reference_id: expect.stringMatching(/^lipsync-kit-/) }),
  },
  joggai: { path: '/v2/create_lip_sync_video', auth: ['x-api-key', KEY], body: (v, a) => ({ video_url: v, audio_url: a }) },
};

const expectedGetPath: Record<ProviderId, (id: string) => { path: string; query?: Record<string, string> }> = {
  'fishaudio-open': (id) => ({ path: '/api/open/lip-sync/query', query: { id } }),
  'fishaudio-v1': (id) => ({ path: `/api/open/v1/media/lip-sync/jobs/${id}` }),
  akool: (id) => ({ path: '/api/open/v3/content/video/infobymodelid', query: { video_model_id: id } }),
  chamelaion: (id) => ({ path: `/v1/lipsync/requests/${id}` }),
  joggai: (id) => ({ path: `/v2/lip_sync_video/${id}` }),
};

describe.each(PROVIDER_IDS)('%s over HTTP', (provider) => {
  it('creates a job with the documented request and waits for it to complete', async () => {
    const c = client(provider);
    const { videoUrl, audioUrl } = media();
    const created = await c.createJob({ videoUrl, audioUrl });
    expect(created.provider).toBe(provider);
    expect(created.id).toBeTruthy();
    expect(['queued', 'processing']).toContain(created.status);

    const create = env.sandbox.requests.find((r) => r.method === 'POST');
    const spec = expectedCreate[provider];
    expect(create).toBeDefined();
    expect(create!.provider).toBe(provider);
    expect(create!.path).toBe(spec.path);
    expect(create!.headers[spec.auth[0]]).toBe(spec.auth[1]);
    expect(create!.headers['content-type']).toMatch(/^application\/json/);
    expect(create!.body).toEqual(spec.body(videoUrl, audioUrl));
    // Only one auth header: Akool uses Authorization first when both are sent.
    if (spec.auth[0] === 'x-api-key') expect(create!.headers.authorization).toBeUndefined();

    const statuses: string[] = [];
    const done = await c.waitForJob(created.id, { ...fast, onProgress: (j) => statuses.push(j.status) });
    expect(done.status).toBe('completed');
    expect(done.resultUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/results\//);
    expect(statuses.at(-1)).toBe('completed');

    const gets = env.sandbox.requests.filter((r) => r.method === 'GET');
    const want = expectedGetPath[provider](created.id);
    expect(gets.length).toBeGreaterThan(0);
    for (const g of gets) {
      expect(g.path).toBe(want.path);
      if (want.query) expect(g.query).toMatchObject(want.query);
      expect(g.headers[spec.auth[0]]).toBe(spec.auth[1]);
    }

    // The result URL really serves an MP4.
    const video = await fetch(done.resultUrl!);
    expect(video.headers.get('content-type')).toMatch(/video\/mp4/);
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('gets a job and reports its status', async () => {
    const c = client(provider);
    const created = await c.createJob(media());
    const got = await c.getJob(created.id);
    expect(got.id).toBe(created.id);
    expect(['queued', 'processing', 'completed']).toContain(got.status);
  });

  it('a job whose media cannot be fetched ends failed with the provider reason', async () => {
    const c = client(provider);
    const job = await c.createJob({ videoUrl: 'https://media.invalid/missing.mp4', audioUrl: `${env.sandbox.url}/media/sample.wav` });
    const err = await c.waitForJob(job.id, fast).catch((e) => e);
    expect(LipSyncError.is(err)).toBe(true);
    expect(err.code).toBe('JOB_FAILED');
    expect(err.jobId).toBe(job.id);
    expect(err.job.status).toBe('failed');
    expect(err.job.error.message.length).toBeGreaterThan(0);
    const returned = await c.waitForJob(job.id, { ...fast, throwOnFailure: false });
    expect(returned.status).toBe('failed');
  });

  it('a wrong API key gives AUTH_FAILED and never shows the key', async () => {
    const badKey = 'wrong-key-123456789';
    const c = client(provider, badKey);
    const err = await c.createJob(media()).catch((e) => e);
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.provider).toBe(provider);
    expect(err.retryable).toBe(false);
    expect(JSON.stringify(err.toJSON())).not.toContain(badKey);
    expect(err.message).not.toContain(badKey);
    expect(err.stack ?? '').not.toContain(badKey);
    await expect(c.checkAuth()).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await expect(client(provider).checkAuth()).resolves.toBeUndefined();
  });

  it('an unknown job id gives NOT_FOUND carrying the id', async () => {
    const err = await client(provider).getJob('does-not-exist-42').catch((e) => e);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.jobId).toBe('does-not-exist-42');
    expect(err.message).toContain('does-not-exist-42');
  });

  it('an account without credits gives INSUFFICIENT_CREDITS and creates nothing', async () => {
    const before = env.sandbox.jobCount(provider);
    const err = await client(provider, 'sandbox-no-credits').createJob(media()).catch((e) => e);
    expect(err.code).toBe('INSUFFICIENT_CREDITS');
    expect(err.retryable).toBe(false);
    expect(env.sandbox.jobCount(provider)).toBe(before);
    expect(env.sandbox.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('bad input is refused before any request, naming the field', async () => {
    const c = client(provider);
    await expect(c.createJob({ videoUrl: 'ftp://x/y.mp4', audioUrl: 'https://a/b.wav' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'videoUrl' });
    await expect(c.createJob({ videoUrl: 'https://x/y.mp4' } as never)).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'audioUrl' });
    const err = await c.createJob({ ...media(), colour: 'blue' }).catch((e) => e);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain('"colour" is not an option');
    expect(env.sandbox.requests).toHaveLength(0);
  });
});

describe('listing', () => {
  it('fishaudio-open lists with page/limit/status in its own vocabulary', async () => {
    const c = client('fishaudio-open');
    const a = await c.createJob(media());
    const list = await c.listJobs({ page: 1, limit: 50, status: 'queued' });
    const req = env.sandbox.requests.find((r) => r.method === 'GET' && r.path === '/api/open/lip-sync/list');
    expect(req!.query).toMatchObject({ page: '1', limit: '50', status: 'pending' });
    expect(list.jobs.every((j) => j.status === 'queued')).toBe(true);
    expect(list.jobs.map((j) => j.id)).toContain(a.id);
  });

  it('fishaudio-v1 lists jobs', async () => {
    const c = client('fishaudio-v1');
    const a = await c.createJob(media());
    const list = await c.listJobs({ page: 1, limit: 20 });
    expect(env.sandbox.requests.find((r) => r.method === 'GET')!.path).toBe('/api/open/v1/media/lip-sync/jobs');
    expect(list.jobs.map((j) => j.id)).toContain(a.id);
  });

  it('chamelaion lists by reference id', async () => {
    const c = client('chamelaion');
    const a = await c.createJob({ ...media(), referenceId: 'campaign-7', disableActiveSpeakerDetection: true });
    expect(env.sandbox.requests[0]!.body).toMatchObject({ reference_id: 'campaign-7', disable_active_speaker_detection: true });
    const list = await c.listJobs({ referenceId: 'campaign-7', limit: 10 });
    expect(env.sandbox.requests.at(-1)!.query).toMatchObject({ reference_id: 'campaign-7', limit: '10' });
    expect(list.jobs.map((j) => j.id)).toEqual([a.id]);
    expect(list.jobs[0]!.referenceId).toBe('campaign-7');
    // The reference id works in place of the request id.
    expect((await c.getJob('campaign-7')).id).toBe(a.id);
  });

  it('joggai looks up the latest job for a video/audio pair, and answers empty when there is none', async () => {
    const c = client('joggai');
    const { videoUrl, audioUrl } = media();
    const a = await c.createJob({ videoUrl, audioUrl, playbackType: 'normal_reverse' });
    expect(env.sandbox.requests[0]!.body).toMatchObject({ playback_type: 'normal_reverse' });
    const list = await c.listJobs({ videoUrl, audioUrl, playbackType: 'normal_reverse' });
    expect(list.jobs.map((j) => j.id)).toEqual([a.id]);
    const none = await c.listJobs({ videoUrl: 'https://nothing.example/v.mp4', audioUrl });
    expect(none.jobs).toEqual([]);
    await expect(c.listJobs({})).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'videoUrl' });
  });

  it('akool has no list endpoint: a clear NOT_SUPPORTED error', async () => {
    const err = await client('akool').listJobs().catch((e) => e);
    expect(err.code).toBe('NOT_SUPPORTED');
    expect(err.message).toMatch(/not supported by Akool/);
    expect(env.sandbox.requests).toHaveLength(0);
  });
});

describe('provider options', () => {
  it('akool sends webhookUrl as documented (camelCase)', async () => {
    await client('akool').createJob({ ...media(), webhookUrl: 'https://hooks.example/akool' });
    expect(env.sandbox.requests[0]!.body).toMatchObject({ webhookUrl: 'https://hooks.example/akool' });
  });

  it('options of another provider are refused with a clear message', async () => {
    const err = await client('akool').createJob({ ...media(), playbackType: 'normal' }).catch((e) => e);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain('"playbackType" is not an option for Akool');
    const bad = await client('joggai').createJob({ ...media(), playbackType: 'sideways' as never }).catch((e) => e);
    expect(bad.message).toContain('playbackType must be one of: normal, normal_reverse, normal_reverse_by_audio');
  });

  it('client options are validated with a message naming the field', () => {
    expect(() => createLipSyncClient({ provider: 'nope' as never, apiKey: 'k' })).toThrow(/provider must be one of: fishaudio-open/);
    expect(() => createLipSyncClient({ provider: 'akool', apiKey: '  ' })).toThrow(/apiKey is empty/);
    expect(() => createLipSyncClient({ provider: 'akool', apiKey: 'k', baseUrl: 'openapi.akool.com' })).toThrow(/baseUrl must be an http\(s\) URL/);
  });
});

describe('createAndWait', () => {
  it('reports the job id as soon as it exists, then returns the finished job', async () => {
    const c = client('joggai');
    let createdId = '';
    const job = await c.createAndWait(media(), { ...fast, onCreated: (j) => (createdId = j.id) });
    expect(job.status).toBe('completed');
    expect(job.id).toBe(createdId);
    expect(env.sandbox.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a timeout error carries the created job id', async () => {
    const c = client('akool');
    let createdId = '';
    const err = await c
      .createAndWait({ videoUrl: `${env.sandbox.url}/media/sample.mp4?sandbox_duration=60000`, audioUrl: media().audioUrl }, { ...fast, timeoutMs: 400, onCreated: (j) => (createdId = j.id) })
      .catch((e) => e);
    expect(err.code).toBe('TIMEOUT');
    expect(err.jobId).toBe(createdId);
    expect(err.message).toContain(createdId);
  });
});
