import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLipSyncClient, type LipSyncClient, type LipSyncError, type ProviderId } from '../../src';
import { startSandbox, type Sandbox } from '../../src/sandbox';

/**
 * The HTTP layer against injected faults: reads are retried, a create is never sent twice when it may have
 * reached the provider, and a create whose response was lost is found again where the provider allows it.
 */
let sandbox: Sandbox;
const clients: LipSyncClient[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ jobDurationMs: 300 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sandbox.close();
});
beforeEach(() => {
  sandbox.clearRequests();
  sandbox.setFaults(undefined);
});

function client(provider: ProviderId, extra: object = {}) {
  const c = createLipSyncClient({
    provider,
    apiKey: 'sandbox-key',
    baseUrl: sandbox.baseUrl(provider),
    readTimeoutMs: 1_500,
    retry: { baseDelayMs: 5, maxDelayMs: 40 },
    ...extra,
  });
  clients.push(c);
  return c;
}
const media = () => ({ videoUrl: `${sandbox.url}/media/sample.mp4`, audioUrl: `${sandbox.url}/media/sample.wav` });
const posts = () => sandbox.requests.filter((r) => r.method === 'POST');

describe('reads are retried through transient faults', () => {
  for (const kind of ['500', '502', '503', '429', 'reset', 'malformed-json', 'html', 'truncated', 'stall'] as const) {
    it(`getJob survives a ${kind}`, async () => {
      const c = client('fishaudio-open');
      const job = await c.createJob(media());
      sandbox.clearRequests();
      sandbox.injectFault({ kind, method: 'GET', pathIncludes: '/query' });
      const got = await c.getJob(job.id);
      expect(got.id).toBe(job.id);
      expect(sandbox.requests.filter((r) => r.method === 'GET').length).toBe(2);
    });
  }

  it('honours Retry-After on a 429', async () => {
    const c = client('chamelaion');
    const job = await c.createJob(media());
    sandbox.injectFault({ kind: '429-retry-after', method: 'GET' });
    const started = Date.now();
    await c.getJob(job.id);
    // Retry-After: 1 -> the retry waited for it (a lower bound only; never an upper one).
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the retry budget with a clear, retryable NETWORK/PROVIDER error carrying the job id', async () => {
    const c = client('joggai', { retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const job = await c.createJob(media());
    sandbox.injectFault({ kind: '503', method: 'GET', count: 10 });
    const err = await c.getJob(job.id).catch((e) => e);
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.httpStatus).toBe(503);
    expect(err.jobId).toBe(job.id);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^JoggAI: .*HTTP 503.*job /);
    expect(sandbox.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
    sandbox.setFaults(undefined);
  });
});

describe('a create is never sent twice when it may have reached the provider', () => {
  for (const provider of ['akool', 'fishaudio-open', 'fishaudio-v1'] as const) {
    it(`${provider}: response lost after the job was created -> one job, one request, an error that says so`, async () => {
      const c = client(provider);
      const before = sandbox.jobCount(provider);
      sandbox.injectFault({ kind: 'reset', method: 'POST', provider, after: true });
      const err = await c.createJob(media()).catch((e) => e);
      expect(err.code).toBe('NETWORK_ERROR');
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(/may have reached .* so it was not sent again/);
      expect(posts()).toHaveLength(1);
      expect(sandbox.jobCount(provider)).toBe(before + 1);
    });

    it(`${provider}: a 5xx on create is not retried`, async () => {
      const c = client(provider);
      sandbox.injectFault({ kind: '502', method: 'POST', provider });
      const err = await c.createJob(media()).catch((e) => e);
      expect(err.code).toBe('PROVIDER_ERROR');
      expect(err.retryable).toBe(false);
      expect(posts()).toHaveLength(1);
    });
  }

  it("akool: HTTP 200 with its own 'try again later' code made no job: a retryable error, not 'may have reached'", async () => {
    const c = client('akool');
    const jobsBefore = sandbox.listJobs('akool').length;
    sandbox.injectFault({ kind: 'busy', method: 'POST' });
    const error = await c.createJob(media()).then(() => undefined, (e: unknown) => e as LipSyncError);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', httpStatus: 200, providerCode: 1205, retryable: true });
    expect(error?.message).not.toMatch(/may have/);
    expect(sandbox.listJobs('akool')).toHaveLength(jobsBefore);
    expect(posts()).toHaveLength(1);
  });

  it('a refused create (429) made no job, so it is retried and creates exactly one', async () => {
    const c = client('akool');
    const before = sandbox.jobCount('akool');
    sandbox.injectFault({ kind: '429', method: 'POST', provider: 'akool' });
    const job = await c.createJob(media());
    expect(job.id).toBeTruthy();
    expect(posts()).toHaveLength(2);
    expect(sandbox.jobCount('akool')).toBe(before + 1);
  });

  it('a create to a port where nothing listens was never sent, so it is retried', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const c = createLipSyncClient({ provider: 'akool', apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    clients.push(c);
    const err = await c.createJob(media()).catch((e) => e);
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.message).toMatch(/Could not connect/);
    expect(err.retryable).toBe(true);
  });
});

describe('a lost create response is recovered where the provider allows it', () => {
  it('chamelaion: found again by its reference_id, without a second create', async () => {
    const c = client('chamelaion');
    const before = sandbox.jobCount('chamelaion');
    sandbox.injectFault({ kind: 'reset', method: 'POST', provider: 'chamelaion', after: true });
    const job = await c.createJob(media());
    expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.referenceId).toMatch(/^lipsync-kit-/);
    expect(posts()).toHaveLength(1);
    expect(sandbox.jobCount('chamelaion')).toBe(before + 1);
    const lookup = sandbox.requests.find((r) => r.method === 'GET')!;
    expect(lookup.path).toBe(`/v1/lipsync/requests/${job.referenceId}`);
  });

  it('chamelaion: when the lookups find no job, the create is still not sent again (it may yet arrive), and the error names the reference id', async () => {
    const c = client('chamelaion');
    const before = sandbox.jobCount('chamelaion');
    sandbox.injectFault({ kind: 'reset', method: 'POST', provider: 'chamelaion' });
    const error = await c.createJob(media()).then(() => undefined, (e: unknown) => e as LipSyncError);
    expect(posts()).toHaveLength(1);
    const reference = (posts()[0]!.body as { reference_id: string }).reference_id;
    const lookups = sandbox.requests.filter((r) => r.method === 'GET');
    expect(lookups.length).toBeGreaterThan(1);
    for (const l of lookups) expect(l.path).toBe(`/v1/lipsync/requests/${reference}`);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', retryable: false });
    expect(error?.message).toMatch(/was not sent again/);
    expect(error?.message).toContain(reference);
    expect(sandbox.jobCount('chamelaion')).toBe(before);
  });

  it('chamelaion: a stalled create (read timeout) is recovered too', async () => {
    const c = client('chamelaion', { readTimeoutMs: 500 });
    const before = sandbox.jobCount('chamelaion');
    sandbox.injectFault({ kind: 'stall', method: 'POST', provider: 'chamelaion', after: true });
    const job = await c.createJob(media());
    expect(job.id).toBeTruthy();
    expect(sandbox.jobCount('chamelaion')).toBe(before + 1);
  });

  it('joggai: found again by the latest-task lookup for the same inputs', async () => {
    const c = client('joggai');
    const before = sandbox.jobCount('joggai');
    const input = { videoUrl: `${sandbox.url}/media/sample.mp4?campaign=lost`, audioUrl: media().audioUrl, playbackType: 'normal' as const };
    sandbox.injectFault({ kind: 'truncated', method: 'POST', provider: 'joggai', after: true });
    const job = await c.createJob(input);
    expect(posts()).toHaveLength(1);
    expect(sandbox.jobCount('joggai')).toBe(before + 1);
    const lookup = sandbox.requests.find((r) => r.method === 'GET')!;
    expect(lookup.path).toBe('/v2/lip_sync_video');
    expect(lookup.query).toMatchObject({ video_url: input.videoUrl, audio_url: input.audioUrl, playback_type: 'normal' });
    expect((await c.getJob(job.id)).id).toBe(job.id);
  });
});

describe('a cancel while the create is on the wire does not lose the job', () => {
  it('the create answers within the grace: the job id comes back, then the wait ends as cancelled with that id', async () => {
    const c = client('akool', { readTimeoutMs: 5_000 });
    sandbox.injectFault({ kind: 'slow', method: 'POST' });
    const controller = new AbortController();
    let created: string | undefined;
    const run = c.createAndWait(media(), { signal: controller.signal, onCreated: (j) => (created = j.id) });
    await until(() => posts().length === 1);
    controller.abort();
    const error = await run.then(() => undefined, (e: unknown) => e as LipSyncError);
    expect(error?.code).toBe('ABORTED');
    expect(created).toBeTruthy();
    expect(error?.jobId).toBe(created);
    expect(sandbox.listJobs('akool').map((j) => j.id)).toContain(created);
    expect(posts()).toHaveLength(1);
  });

  it('no answer within the grace: ABORTED, not sent again, and the error says the job may exist', async () => {
    const c = client('chamelaion', { readTimeoutMs: 5_000, createAbortGraceMs: 200 });
    const jobsBefore = sandbox.listJobs('chamelaion').length;
    sandbox.injectFault({ kind: 'stall', method: 'POST', after: true });
    const controller = new AbortController();
    const run = c.createJob(media(), { signal: controller.signal });
    await until(() => posts().length === 1);
    controller.abort();
    const error = await run.then(() => undefined, (e: unknown) => e as LipSyncError);
    expect(error?.code).toBe('ABORTED');
    expect(error?.retryable).toBe(false);
    expect(error?.message).toMatch(/may have created the job/);
    // The job exists at the provider; the client neither re-sent the create nor looked it up after the cancel.
    expect(sandbox.listJobs('chamelaion')).toHaveLength(jobsBefore + 1);
    expect(sandbox.requests).toHaveLength(1);
  });
});

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
