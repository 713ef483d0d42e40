import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLipSyncClient, createUndiciTransport, uploadToS3, type LipSyncError } from '../../src';
import { KEY, PROVIDERS, WIRE, clientFor, closeClients, json, startFake, visible, type Fake } from './support';

/**
 * Redaction at the boundary: a provider (or storage) that echoes the key in any string it sends back (message,
 * code, request id, a failed job's reason, a non-JSON page) never gets the key, or a part of it, into what the
 * user or a log sees: message, toJSON(), stack, the error's fields. `job.raw` stays the untouched body.
 */
let fake: Fake;
beforeAll(async () => {
  fake = await startFake();
});
afterEach(closeClients);
afterAll(() => fake.close());

const noKey = (text: string) => {
  expect(text).not.toContain(KEY);
  // No recognisable part of it either (a cut before redaction leaves a prefix).
  expect(text).not.toContain(KEY.slice(0, 12));
  expect(text).not.toContain(KEY.slice(-12));
};

describe('an error answer that echoes the key everywhere', () => {
  for (const provider of PROVIDERS) {
    it(`${provider}: the key is in no message, code, request id, JSON or stack`, async () => {
      const [status, body] = WIRE[provider].error(KEY);
      fake.handle((_req, res) => json(res, status, body));
      const err: LipSyncError = await clientFor(provider, fake).getJob('job-1').catch((e) => e);
      expect(err.name).toBe('LipSyncError');
      noKey(visible(err));
      expect(err.jobId).toBe('job-1');
      // Codes and ids keep a short safe character set.
      if (typeof err.providerCode === 'string') expect(err.providerCode).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
      if (err.requestId !== undefined) expect(err.requestId).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    });
  }
});

describe('a failed job whose reason echoes the key', () => {
  for (const provider of PROVIDERS) {
    it(`${provider}: JOB_FAILED names the reason without the key; job.raw stays untouched`, async () => {
      fake.handle((_req, res) => json(res, 200, WIRE[provider].job('job-9', 'failed', { reason: `could not fetch media with key ${KEY}`, code: KEY })));
      const c = clientFor(provider, fake);
      const job = await c.getJob('job-9');
      noKey(JSON.stringify(job.error));
      expect(job.error?.message).toMatch(/could not fetch media with key \[redacted\]/);
      expect(JSON.stringify(job.raw)).toContain(KEY);
      const err: LipSyncError = await c.waitForJob('job-9', { initialDelayMs: 0, timeoutMs: 5_000 }).catch((e) => e);
      expect(err.code).toBe('JOB_FAILED');
      noKey(visible(err));
    });
  }
});

describe('a non-JSON answer is redacted before it is cut', () => {
  it('a key that straddles the excerpt cut leaves no prefix of itself', async () => {
    fake.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${'x'.repeat(64)}${KEY} and more text after it`);
    });
    const err: LipSyncError = await clientFor('fishaudio-v1', fake, { retry: { maxRetries: 0 } }).getJob('job-2').catch((e) => e);
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.message).toMatch(/not valid JSON/);
    noKey(visible(err));
  });
});

describe('keys that cannot go in a header are refused when the client is made', () => {
  for (const bad of [`${KEY}\r\nX-Injected: 1`, `${KEY}\rX`, `sk-\u0000abc`, 'sk-ключ-123456']) {
    it(`${JSON.stringify(bad).slice(0, 30)}: INVALID_INPUT naming apiKey, not a network error`, () => {
      let err: LipSyncError | undefined;
      try {
        createLipSyncClient({ provider: 'joggai', apiKey: bad, baseUrl: fake.url });
      } catch (e) {
        err = e as LipSyncError;
      }
      expect(err?.code).toBe('INVALID_INPUT');
      expect(err?.field).toBe('apiKey');
      expect(err?.message).toMatch(/cannot be sent in an HTTP header/);
      expect(err?.message).not.toContain('abc');
    });
  }
});

describe('S3 storage errors', () => {
  const storage = (endpoint: string) => ({ endpoint, bucket: 'media', accessKeyId: 'AKIAHOSTILE1234', secretAccessKey: 'hostile/secret+Key0123456789abcdefXYZ' });

  it('an XML <Code> and <Message> echoing the secret are redacted', async () => {
    const cfg = storage(fake.url);
    fake.handle((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0"?><Error><Code>${cfg.secretAccessKey}</Code><Message>bad ${cfg.secretAccessKey} for ${cfg.accessKeyId}</Message></Error>`);
    });
    const err: LipSyncError = await uploadToS3(cfg, { data: Buffer.from('abc'), contentType: 'video/mp4', extension: 'mp4' }, { transport: transportOf() }).catch((e) => e);
    expect(err.name).toBe('LipSyncError');
    const seen = visible(err);
    expect(seen).not.toContain(cfg.secretAccessKey);
    expect(seen).not.toContain('secret+Key0123');
    expect(seen).not.toContain(cfg.accessKeyId);
  });

  it('a secret with a line break is INVALID_INPUT naming the field', async () => {
    const err: LipSyncError = await uploadToS3({ ...storage(fake.url), secretAccessKey: 'abc\r\ndef' }, { data: Buffer.from('a'), contentType: 'video/mp4', extension: 'mp4' }, { transport: transportOf() }).catch(
      (e) => e,
    );
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.field).toBe('secretAccessKey');
  });
});

/** The core's own transport, as the client uses it. */
const transportOf = () => createUndiciTransport();
