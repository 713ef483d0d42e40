import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUndiciTransport, type LipSyncError } from '../../src';
import { KEY, PROVIDERS, WIRE, clientFor, closeClients, json, startFake, type Fake } from './support';

/**
 * Bounded, total-deadline reads: a provider (or a proxy in front of it) that answers with a huge body, or drips
 * its answer, cannot take the process's memory or hold a call past its deadline.
 */
let fake: Fake;
beforeAll(async () => {
  fake = await startFake();
});
afterEach(closeClients);
afterAll(() => fake.close());

describe('a huge answer is cut off at the cap', () => {
  for (const provider of PROVIDERS) {
    it(`${provider}: a 400 MB status answer (announced) is refused with PROVIDER_ERROR, and hardly read`, async () => {
      let written = 0;
      fake.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(400 * 1024 * 1024) });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (written < 400 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        };
        res.on('drain', pump);
        res.on('close', () => res.off('drain', pump));
        res.write('{"x":"');
        pump();
      });
      const err: LipSyncError = await clientFor(provider, fake, { retry: { maxRetries: 0 } }).getJob('job-1').catch((e) => e);
      expect(err.code).toBe('PROVIDER_ERROR');
      expect(err.message).toMatch(/over 4 MB/);
      expect(err.jobId).toBe('job-1');
      expect(written).toBeLessThan(64 * 1024 * 1024);
    });
  }

  it('an endless chunked answer (no length given) stops at a configured cap of 64 KB', async () => {
    let written = 0;
    fake.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(chunk);
        written += chunk.length;
      }, 1);
      res.on('close', () => clearInterval(timer));
    });
    const err: LipSyncError = await clientFor('joggai', fake, { retry: { maxRetries: 0 }, maxResponseBytes: 64 * 1024 })
      .getJob('job-2')
      .catch((e) => e);
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.message).toMatch(/over 64 KB/);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('a create whose answer is too large ends in the "may exist" error, not a retry', async () => {
    fake.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      res.write('{');
    });
    fake.seen.length = 0;
    const err: LipSyncError = await clientFor('fishaudio-open', fake).createJob({ videoUrl: 'https://m.example.com/v.mp4', audioUrl: 'https://m.example.com/a.wav' }).catch((e) => e);
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.maybeCreated).toBe(true);
    expect(err.retryable).toBe(false);
    expect(fake.seen.filter((s) => s.method === 'POST')).toHaveLength(1);
  });
});

describe('the whole request has a deadline, not only the pauses between chunks', () => {
  it('a body dripped one byte every 250 ms fails as TIMEOUT near the deadline, not when the drip ends', async () => {
    const body = JSON.stringify(WIRE.chamelaion.job('job-3', 'queued')).padEnd(200, ' ');
    fake.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= body.length) {
          clearInterval(timer);
          return res.end();
        }
        res.write(body[i++]);
      }, 250);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const err: LipSyncError = await clientFor('chamelaion', fake, { readTimeoutMs: 1_000, connectTimeoutMs: 1_000, retry: { maxRetries: 0 } })
      .getJob('job-3')
      .catch((e) => e);
    const took = Date.now() - started;
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/No complete answer from 127\.0\.0\.1:\d+ within 2 s/);
    expect(err.jobId).toBe('job-3');
    expect(err.retryable).toBe(true);
    // The drip alone would take 50 s; the deadline is 2 s (generous upper bound for a busy machine).
    expect(took).toBeLessThan(20_000);
  });

  it('requestTimeoutMs sets the deadline; a create that times out this way may exist and is not re-sent', async () => {
    fake.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 100);
      res.on('close', () => clearInterval(timer));
    });
    fake.seen.length = 0;
    const err: LipSyncError = await clientFor('akool', fake, { requestTimeoutMs: 800 })
      .createJob({ videoUrl: 'https://m.example.com/v.mp4', audioUrl: 'https://m.example.com/a.wav' })
      .catch((e) => e);
    expect(err.code).toBe('TIMEOUT');
    expect(err.maybeCreated).toBe(true);
    expect(err.message).toMatch(/may have reached Akool/);
    expect(fake.seen.filter((s) => s.method === 'POST')).toHaveLength(1);
    expect(err.message).not.toContain(KEY);
  });

  it('time spent queued for a busy connection does not count: only the time on the wire', async () => {
    let n = 0;
    fake.handle((_req, res) => {
      const first = n++ === 0;
      setTimeout(() => json(res, 200, WIRE.chamelaion.job(first ? 'job-a' : 'job-b', 'queued')), first ? 1_200 : 10);
    });
    const transport = createUndiciTransport({ connections: 1 });
    const c = clientFor('chamelaion', fake, { transport, requestTimeoutMs: 1_000, connectTimeoutMs: 500, retry: { maxRetries: 0 } });
    const [a, b] = await Promise.all([c.getJob('job-a').catch((e) => e), c.getJob('job-b').catch((e) => e)]);
    // The first one was on the wire for 1.2 s: past its deadline. The second waited ~1.2 s for the socket, then
    // answered at once: within its deadline.
    expect((a as LipSyncError).code).toBe('TIMEOUT');
    expect(b.id).toBe('job-b');
    await transport.close();
  });
});
