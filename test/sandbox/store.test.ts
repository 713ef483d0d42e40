import { afterEach, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../src/sandbox/faults';
import { parseMultipart } from '../../src/sandbox/multipart';
import { JobStore, readHints, viewJob, type MediaCheck } from '../../src/sandbox/state';

/** The job clock and the small parsers, without a server. */
const fine = (): MediaCheck => ({ ok: true });

afterEach(() => {
  vi.useRealTimers();
});

describe('job clock', () => {
  it('queued for the first 20 %, then processing with rising progress, then completed', () => {
    const store = new JobStore(1_000, fine);
    const job = store.create('akool', { id: 'a', videoUrl: 'https://cdn.example/v.mp4', audioUrl: 'https://cdn.example/a.wav' }, 0);
    expect(viewJob(job, 0)).toMatchObject({ status: 'queued', progress: 0 });
    expect(viewJob(job, 199).status).toBe('queued');
    expect(viewJob(job, 200)).toMatchObject({ status: 'processing', progress: 0, startedAt: 200 });
    expect(viewJob(job, 600)).toMatchObject({ status: 'processing', progress: 50, updatedAt: 600 });
    expect(viewJob(job, 999).progress).toBe(99);
    expect(viewJob(job, 1_000)).toEqual({ status: 'completed', progress: 100, startedAt: 200, finishedAt: 1_000, updatedAt: 1_000 });
  });

  it('media that cannot be fetched fails the job when processing starts; sandbox_fail at the end', () => {
    const store = new JobStore(1_000, (url) => (url.includes('.invalid') ? { ok: false, reason: 'could not resolve host' } : { ok: true }));
    const media = store.create('joggai', { id: 'm', videoUrl: 'https://x.invalid/v.mp4', audioUrl: 'https://cdn.example/a.wav' }, 0);
    expect(viewJob(media, 100).status).toBe('queued');
    expect(viewJob(media, 200)).toMatchObject({ status: 'failed', finishedAt: 200 });
    expect(media.failure).toEqual({ cause: 'media', media: 'video', detail: 'could not resolve host' });

    const forced = store.create('joggai', { id: 'f', videoUrl: 'https://cdn.example/v.mp4?sandbox_fail=1&sandbox_duration=400', audioUrl: 'https://cdn.example/a.wav' }, 0);
    expect(viewJob(forced, 300).status).toBe('processing');
    expect(viewJob(forced, 400)).toMatchObject({ status: 'failed', finishedAt: 400 });
  });

  it('a media check still running keeps the job queued, and the job starts when it answers', async () => {
    let answer!: (r: { ok: true }) => void;
    const store = new JobStore(1_000, () => new Promise((r) => (answer = r)));
    const t0 = 1_000_000;
    vi.useFakeTimers({ toFake: ['Date'], now: t0 });
    const job = store.create('chamelaion', { id: 'c', videoUrl: 'http://127.0.0.1:9/v.mp4' }, t0);
    expect(viewJob(job, t0 + 5_000).status).toBe('queued');
    vi.setSystemTime(t0 + 500);
    answer({ ok: true });
    await new Promise((r) => setImmediate(r));
    expect(job.checking).toBe(false);
    // Started 300 ms late (at +500 instead of +200): the whole window moves with it.
    expect(viewJob(job, t0 + 500).status).toBe('processing');
    expect(viewJob(job, t0 + 1_299).status).toBe('processing');
    expect(viewJob(job, t0 + 1_300).status).toBe('completed');
  });

  it('reads hints from the query or the fragment', () => {
    expect(readHints('https://a/v.mp4?sandbox_duration=2500')).toEqual({ durationMs: 2_500, fail: false });
    expect(readHints('https://a/v.mp4#sandbox_fail=1')).toEqual({ durationMs: undefined, fail: true });
    expect(readHints('https://a/v.mp4?sandbox_duration=soon')).toEqual({ durationMs: undefined, fail: false });
    expect(readHints(undefined)).toEqual({ fail: false });
  });

  it('holds 10,000 jobs and answers counts, lookups and lists', () => {
    const store = new JobStore(3_000, fine);
    for (let i = 0; i < 10_000; i++) {
      store.create(i % 2 ? 'joggai' : 'fishaudio-open', { id: `job-${i}`, videoUrl: `https://cdn.example/${i}.mp4`, audioUrl: 'https://cdn.example/a.wav', aliases: [`k${i}`] }, i);
    }
    expect(store.count()).toBe(10_000);
    expect(store.count('joggai')).toBe(5_000);
    expect(store.get('fishaudio-open', 'job-9998')?.createdAt).toBe(9_998);
    expect(store.byAlias('joggai', 'k9999')?.id).toBe('job-9999');
    const list = store.list('joggai');
    expect(list[0]!.id).toBe('job-9999');
    expect(list.filter((j) => viewJob(j, 13_000).status === 'completed')).toHaveLength(5_000);
    store.clear();
    expect(store.count()).toBe(0);
  });
});

describe('parsers', () => {
  it('multipart: fields and files, with the filename and content type of each file', () => {
    const body = Buffer.from(
      [
        '--XyZ',
        'Content-Disposition: form-data; name="reference_id"',
        '',
        'r-1',
        '--XyZ',
        'Content-Disposition: form-data; name="video"; filename="v.mp4"',
        'Content-Type: video/mp4',
        '',
        'bin\r\nary',
        '--XyZ--',
        '',
      ].join('\r\n'),
    );
    const form = parseMultipart(body, 'multipart/form-data; boundary=XyZ')!;
    expect(form.fields).toEqual({ reference_id: 'r-1' });
    expect(form.files.video).toMatchObject({ filename: 'v.mp4', contentType: 'video/mp4' });
    expect(form.files.video!.data.toString()).toBe('bin\r\nary');
    expect(parseMultipart(body, 'multipart/form-data')).toBeUndefined();
    expect(parseMultipart(Buffer.from('nothing'), 'multipart/form-data; boundary=XyZ')).toBeUndefined();
  });

  it('the fault PRNG is deterministic per seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const seq = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seq);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(seq);
    expect(seq.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
