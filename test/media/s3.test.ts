import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUndiciTransport } from '../../src/core/undici-transport';
import { checkS3Storage, uploadToS3, type S3StorageConfig } from '../../src/core/storage';
import { s3Unavailable, startS3, type S3Server } from '../support/s3';

/** The S3 path against a real S3-compatible server (s3rver 5, which verifies SigV4) on loopback. */
const unavailable = s3Unavailable();
if (unavailable && process.env.CI) throw new Error(`S3 tests cannot run in CI: ${unavailable}`);

let s3: S3Server;
const transport = createUndiciTransport();

beforeAll(async () => {
  if (!unavailable) s3 = await startS3();
});
afterAll(async () => {
  await transport.close();
  await s3?.close();
});

const config = (): S3StorageConfig => ({ endpoint: s3.endpoint, bucket: s3.bucket, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, prefix: 'lipsync/', urlExpiresInSeconds: 3600 });
const sample = () => Buffer.concat([Buffer.from('fake mp4 payload '), Buffer.alloc(300_000, 7)]);

describe.skipIf(Boolean(unavailable))('S3-compatible storage', () => {
  it('uploads the bytes and returns a presigned GET URL that serves them', async () => {
    const data = sample();
    const up = await uploadToS3(config(), { data, contentType: 'video/mp4', extension: 'mp4' }, { transport });
    expect(up.key).toMatch(/^lipsync\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}\.mp4$/);
    expect(up.url).toContain('X-Amz-Signature=');
    expect(up.url).toContain('X-Amz-Expires=3600');
    const res = await fetch(up.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
  });

  it('a tampered presigned URL is refused by the server', async () => {
    const up = await uploadToS3(config(), { data: Buffer.from('hello'), contentType: 'audio/wav', extension: 'wav' }, { transport });
    const res = await fetch(up.url.replace('X-Amz-Expires=3600', 'X-Amz-Expires=7200'));
    expect(res.status).toBe(403);
  });

  it('wrong keys give AUTH_FAILED without showing the secret; a missing bucket names the field', async () => {
    const err = await uploadToS3({ ...config(), secretAccessKey: 'not-the-secret-xyz' }, { data: Buffer.from('x'), contentType: 'audio/wav', extension: 'wav' }, { transport }).catch((e) => e);
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).not.toContain('not-the-secret-xyz');
    const nb = await uploadToS3({ ...config(), bucket: 'nope' }, { data: Buffer.from('x'), contentType: 'audio/wav', extension: 'wav' }, { transport }).catch((e) => e);
    expect(nb.code).toBe('INVALID_INPUT');
    expect(nb.field).toBe('bucket');
    const bad = await uploadToS3({ ...config(), endpoint: 'minio.local' }, { data: Buffer.from('x'), contentType: 'audio/wav', extension: 'wav' }, { transport }).catch((e) => e);
    expect(bad.message).toMatch(/endpoint must be an http\(s\) URL/);
  });

  it('checkS3Storage: passes for good settings; wrong keys, a missing bucket and a bad endpoint each say what is wrong', async () => {
    await expect(checkS3Storage(config(), { transport })).resolves.toBeUndefined();
    const wrong = await checkS3Storage({ ...config(), secretAccessKey: 'not-the-secret-abc' }, { transport }).catch((e) => e);
    expect(wrong.code).toBe('AUTH_FAILED');
    expect(wrong.message).not.toContain('not-the-secret-abc');
    const nb = await checkS3Storage({ ...config(), bucket: 'nope' }, { transport }).catch((e) => e);
    expect(nb).toMatchObject({ code: 'INVALID_INPUT', field: 'bucket' });
    expect(nb.message).toContain('bucket "nope" does not exist');
    const bad = await checkS3Storage({ ...config(), endpoint: 'minio.local' }, { transport }).catch((e) => e);
    expect(bad.message).toMatch(/endpoint must be an http\(s\) URL/);
  });
});
