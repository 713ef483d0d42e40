import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LipSyncJob } from '../../src/core';
import { createLipSyncClient } from '../../src';

/** The result servers here are on loopback: allowed explicitly (downloads refuse private addresses by default). */
const LOCAL = { allowPrivateNetworks: true };
import { MIN_PART_BYTES, type S3StorageConfig } from '../../src/core/storage';
import { storeResult } from '../../src/core/result-store';
import { createUndiciTransport } from '../../src/core/undici-transport';
import { bucketState, motoUnavailable, s3Fetch, s3Unavailable, startS3, untilOpenUpload, useMoto, type S3Server } from '../support/s3';

/**
 * The last hop, against real S3 APIs on loopback: moto (multipart with abort and listing, so a test sees that a
 * failed or cancelled upload left nothing behind) and s3rver (which verifies every SigV4 signature).
 */
const noMoto = motoUnavailable();
const noS3rver = s3Unavailable();
if ((noMoto || noS3rver) && process.env.CI) throw new Error(`Result-storage tests cannot run in CI: ${noMoto ?? noS3rver}`);

const MB = 1024 * 1024;
const transport = createUndiciTransport();

/** The byte at offset i of every generated result (not all zeros, so a misplaced part changes the digest). */
const byteAt = (i: number) => (i * 31 + (i >>> 13)) & 255;
function generated(from: number, to: number): Buffer {
  const b = Buffer.allocUnsafe(to - from);
  for (let i = from; i < to; i++) b[i - from] = byteAt(i);
  return b;
}
const digestOf = (size: number) => createHash('sha256').update(generated(0, size)).digest('hex');

/** A provider's result host: /video/<size>, /cut/<size>/<at> (the socket dies at <at>), /hold/<size>/<at> (stops sending at <at>), /chunked/<size>. */
let origin: Server;
let originUrl: string;
const requests: string[] = [];
const held = new Set<ServerResponse>();
async function sendBytes(res: ServerResponse, from: number, to: number) {
  for (let at = from; at < to; at += 256 * 1024) {
    if (!res.write(generated(at, Math.min(to, at + 256 * 1024)))) await new Promise((r) => res.once('drain', r));
    if (res.destroyed) return;
  }
}

beforeAll(async () => {
  origin = createServer(async (req, res) => {
    requests.push(req.url!);
    const [, kind, sizeText, atText] = req.url!.split('/');
    const size = Number(sizeText);
    const at = Number(atText);
    if (kind === 'gone') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': kind === 'odd' ? 'text/html; charset=utf-8' : kind === 'webm' ? 'video/webm' : 'video/mp4', ...(kind === 'chunked' ? {} : { 'content-length': String(size) }) });
    if (kind === 'cut') {
      await sendBytes(res, 0, at);
      return res.socket?.destroy();
    }
    if (kind === 'hold') {
      await sendBytes(res, 0, at);
      held.add(res);
      return;
    }
    await sendBytes(res, 0, size);
    res.end();
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of held) res.destroy();
  await transport.close();
  await new Promise((r) => origin.close(r));
});

const job = (path: string, id = `job-${Math.random().toString(36).slice(2, 10)}`): LipSyncJob => ({ id, provider: 'akool', status: 'completed', resultUrl: `${originUrl}${path}`, raw: {} });
const configOf = (s3: S3Server): S3StorageConfig => ({ endpoint: s3.endpoint, bucket: s3.bucket, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, urlExpiresInSeconds: 3600 });

async function fetchedDigest(url: string): Promise<{ status: number; digest: string; size: number; type: string | null }> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, digest: createHash('sha256').update(body).digest('hex'), size: body.length, type: res.headers.get('content-type') };
}

/**
 * A loopback hop in front of the S3 server that answers chosen requests itself with an S3 error (the bytes never
 * reach the bucket) and passes everything else through: an S3 side that fails in the middle of an upload.
 */
async function faultyHop(target: string, fail: (req: IncomingMessage) => number | undefined): Promise<{ endpoint: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const hop = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const status = fail(req);
    if (status) {
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code><Message>injected failure</Message></Error>'));
      return;
    }
    const up = new URL(target);
    const fwd = httpRequest({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => hop.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(hop.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => hop.close(() => r())) };
}

describe.skipIf(Boolean(noMoto))('storing a result (moto S3)', () => {
  const moto = useMoto(['results']);
  let s3: S3Server;
  beforeAll(() => {
    s3 = moto();
  });

  it('a small result goes up in one PUT under lipsync/{date}/{jobId}.mp4; the presigned URL serves the same bytes', async () => {
    const j = job(`/video/${300_000}`);
    const stored = await storeResult(j, configOf(s3), {}, { transport, safety: LOCAL });
    const day = new Date().toISOString().slice(0, 10);
    expect(stored).toMatchObject({ bucket: 'media', key: `lipsync/${day}/${j.id}.mp4`, size: 300_000, contentType: 'video/mp4' });
    expect(stored.url).toContain('X-Amz-Expires=3600');
    expect(Date.parse(stored.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const got = await fetchedDigest(stored.url);
    expect(got).toMatchObject({ status: 200, size: 300_000, digest: digestOf(300_000), type: 'video/mp4' });
    const state = await bucketState(s3);
    expect(state.keys).toContain(stored.key);
    expect(state.openUploads).toEqual([]);
  });

  it('a multipart-sized result (with and without Content-Length) is stored whole, in another bucket and under a key template', async () => {
    const size = 2 * MIN_PART_BYTES + 12_345;
    for (const kind of ['video', 'chunked']) {
      const j = job(`/${kind}/${size}`);
      const stored = await storeResult(j, { ...configOf(s3), prefix: 'team-a/' }, { bucket: 'results', keyTemplate: '{prefix}{provider}/{date}/{jobId}-{time}.{ext}', partBytes: MIN_PART_BYTES }, { transport, safety: LOCAL });
      expect(stored.bucket).toBe('results');
      expect(stored.key).toMatch(new RegExp(`^team-a/akool/\\d{4}-\\d{2}-\\d{2}/${j.id}-\\d{6}\\.mp4$`));
      expect(stored.size).toBe(size);
      const got = await fetchedDigest(stored.url);
      expect(got).toMatchObject({ status: 200, size, digest: digestOf(size) });
    }
    const uploads = await s3Fetch(s3, 'GET', '/results?uploads');
    expect(uploads.body).not.toContain('<UploadId>');
  });

  it('the stored type and {ext} follow the download: a WebM is stored as .webm, a type that is not video or audio as video/mp4', async () => {
    const webm = await storeResult(job('/webm/2000'), configOf(s3), { keyTemplate: 'types/{jobId}.{ext}' }, { transport, safety: LOCAL });
    expect(webm).toMatchObject({ contentType: 'video/webm', key: expect.stringMatching(/\.webm$/) });
    expect((await fetchedDigest(webm.url)).type).toBe('video/webm');
    const odd = await storeResult(job('/odd/2000'), configOf(s3), { keyTemplate: 'types/{jobId}.{ext}' }, { transport, safety: LOCAL });
    expect(odd).toMatchObject({ contentType: 'video/mp4', key: expect.stringMatching(/\.mp4$/) });
  });

  it('a download that breaks off in the middle of a multipart upload aborts it: no object, no open upload, and the error names the job', async () => {
    const before = await bucketState(s3);
    const j = job(`/cut/${20 * MB}/${11 * MB}`);
    const err = await storeResult(j, configOf(s3), { partBytes: MIN_PART_BYTES }, { transport, safety: LOCAL }).catch((e) => e);
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', jobId: j.id, provider: 'akool' });
    expect(err.message).toContain('not stored in bucket "media"');
    expect(err.message).toContain(j.id);
    const after = await bucketState(s3);
    expect(after.openUploads).toEqual([]);
    expect(after.keys.filter((k) => k.includes(j.id))).toEqual([]);
    expect(after.keys.length).toBe(before.keys.length);
  });

  it('a part refused once by the storage (HTTP 503) is sent again, and the upload completes whole', async () => {
    let failures = 0;
    const hop = await faultyHop(s3.endpoint, (req) => (/partNumber=2&/.test(req.url!) && failures++ === 0 ? 503 : undefined));
    try {
      const size = 2 * MIN_PART_BYTES + 99;
      const stored = await storeResult(job(`/video/${size}`), { ...configOf(s3), endpoint: hop.endpoint }, { partBytes: MIN_PART_BYTES }, { transport, safety: LOCAL });
      expect(hop.seen.filter((r) => r.includes('partNumber=2&'))).toHaveLength(2);
      expect(hop.seen.filter((r) => r.startsWith('POST') && r.endsWith('?uploads'))).toHaveLength(1);
      expect(await fetchedDigest(stored.url.replace(hop.endpoint, s3.endpoint))).toMatchObject({ size, digest: digestOf(size) });
    } finally {
      await hop.close();
    }
  });

  it('a part the storage keeps refusing: after the retries the upload is aborted, nothing is left, and the error names the job', async () => {
    const hop = await faultyHop(s3.endpoint, (req) => (/partNumber=2&/.test(req.url!) ? 500 : undefined));
    try {
      const j = job(`/video/${3 * MIN_PART_BYTES}`);
      const err = await storeResult(j, { ...configOf(s3), endpoint: hop.endpoint }, { partBytes: MIN_PART_BYTES }, { transport, safety: LOCAL }).catch((e) => e);
      expect(err).toMatchObject({ code: 'PROVIDER_ERROR', httpStatus: 500, providerCode: 'InternalError', jobId: j.id });
      expect(err.message).toMatch(/not stored in bucket "media".*injected failure/);
      // The first try and three retries, then the abort; part 3 was never sent.
      expect(hop.seen.filter((r) => r.includes('partNumber=2&'))).toHaveLength(4);
      expect(hop.seen.some((r) => r.includes('partNumber=3&'))).toBe(false);
      expect(hop.seen.filter((r) => r.startsWith('DELETE') && r.includes('uploadId='))).toHaveLength(1);
      const after = await bucketState(s3);
      expect(after.openUploads).toEqual([]);
      expect(after.keys.filter((k) => k.includes(j.id))).toEqual([]);
    } finally {
      await hop.close();
    }
  }, 60_000);

  it('a cancel while parts are being uploaded aborts the upload and reports ABORTED with the job id', async () => {
    const j = job(`/hold/${30 * MB}/${7 * MB}`);
    const controller = new AbortController();
    const pending = storeResult(j, configOf(s3), { partBytes: MIN_PART_BYTES, signal: controller.signal }, { transport, safety: LOCAL }).catch((e) => e);
    // The first part is in the bucket's open upload once the download has stopped at 7 MB.
    await untilOpenUpload(s3);
    controller.abort();
    const err = await pending;
    expect(err).toMatchObject({ code: 'ABORTED', jobId: j.id });
    expect(err.message).toMatch(/cancelled; nothing was stored/);
    const after = await bucketState(s3);
    expect(after.openUploads).toEqual([]);
    expect(after.keys.filter((k) => k.includes(j.id))).toEqual([]);
  });

  it('an expired result URL, a bad key template and a client without storage fail before anything is written', async () => {
    const gone = job('/gone/1');
    const err = await storeResult(gone, configOf(s3), {}, { transport, safety: LOCAL }).catch((e) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND', jobId: gone.id });
    expect(err.message).toMatch(/expired/);

    const count = requests.length;
    const bad = await storeResult(job('/video/10'), configOf(s3), { keyTemplate: 'out/{jobid}.mp4' }, { transport, safety: LOCAL }).catch((e) => e);
    expect(bad).toMatchObject({ code: 'INVALID_INPUT', field: 'resultKey' });
    expect(bad.message).toContain('{jobid}');
    const folder = await storeResult(job('/video/10'), configOf(s3), { keyTemplate: 'out/{date}/' }, { transport, safety: LOCAL }).catch((e) => e);
    expect(folder).toMatchObject({ code: 'INVALID_INPUT', field: 'resultKey' });
    expect(requests.length).toBe(count);

    const running = await storeResult({ ...job('/video/10'), status: 'processing' }, configOf(s3), {}, { transport, safety: LOCAL }).catch((e) => e);
    expect(running).toMatchObject({ code: 'INVALID_INPUT', lastStatus: 'processing' });
    expect(running.message).toMatch(/not completed/);
    expect(requests.length).toBe(count);

    const client = createLipSyncClient({ provider: 'akool', apiKey: 'k' });
    const none = await client.storeResult(job('/video/10')).catch((e) => e);
    expect(none).toMatchObject({ code: 'INVALID_INPUT', field: 'storage' });
    await client.close();
  });
});

describe.skipIf(Boolean(noS3rver))('storing a result (s3rver, SigV4 verified)', () => {
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await startS3();
  }, 60_000);
  afterAll(() => s3?.close());

  it('single PUT and multipart uploads pass signature checks; the stored bytes are identical', async () => {
    for (const size of [1234, 2 * MIN_PART_BYTES + 1]) {
      const client = createLipSyncClient({ provider: 'joggai', apiKey: 'k', storage: configOf(s3), allowPrivateNetworks: true });
      const stored = await client.storeResult(job(`/video/${size}`), { partBytes: MIN_PART_BYTES });
      await client.close();
      expect(stored.size).toBe(size);
      expect(await fetchedDigest(stored.url)).toMatchObject({ status: 200, size, digest: digestOf(size) });
    }
  });

  it('a wrong secret is AUTH_FAILED naming the job, without the secret, and nothing is stored', async () => {
    const j = job(`/video/${2 * MIN_PART_BYTES + 1}`);
    const err = await storeResult(j, { ...configOf(s3), secretAccessKey: 'wrong-secret-xyz' }, { partBytes: MIN_PART_BYTES }, { transport, safety: LOCAL }).catch((e) => e);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', jobId: j.id });
    expect(err.message).not.toContain('wrong-secret-xyz');
    expect(JSON.stringify(err)).not.toContain('wrong-secret-xyz');
  });
});
