import { randomUUID } from 'node:crypto';
import aws4 from 'aws4';
import { z } from 'zod';
import { ERROR_CODES, LipSyncError, NOT_HEADER_SAFE, TransportFailure, redact, safeText, safeToken } from './errors';
import { realDelay } from './time';
import type { Transport, TransportResponse } from './types';
import { formatZodError } from './validation';

/**
 * An S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, …) used to make bytes reachable for providers that only
 * take URLs: the bytes are PUT with a SigV4-signed request and the provider gets a presigned GET URL.
 */
export interface S3StorageConfig {
  /** e.g. https://s3.eu-west-1.amazonaws.com, https://<account>.r2.cloudflarestorage.com, http://127.0.0.1:9000 */
  endpoint: string;
  bucket: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key prefix, e.g. "lipsync/". */
  prefix?: string;
  /** bucket.host/key instead of host/bucket/key (AWS virtual-hosted style). Default false (path style). */
  virtualHostedStyle?: boolean;
  /** Lifetime of the URL handed to the provider. Default 24 h; SigV4 allows at most 7 days. */
  urlExpiresInSeconds?: number;
}

export const storageConfigSchema = z.object({
  endpoint: z.string().trim().refine((v) => /^https?:\/\/[^\s/]+/i.test(v), 'endpoint must be an http(s) URL such as https://s3.eu-west-1.amazonaws.com'),
  bucket: z.string().trim().min(1, 'bucket is empty: name the bucket to upload media to'),
  region: z.string().trim().optional(),
  accessKeyId: z.string().trim().min(1, 'accessKeyId is empty').refine((v) => !NOT_HEADER_SAFE.test(v), 'accessKeyId contains a line break or another character that cannot be sent in a request: copy it again'),
  secretAccessKey: z.string().min(1, 'secretAccessKey is empty').refine((v) => !NOT_HEADER_SAFE.test(v), 'secretAccessKey contains a line break or another character that cannot be signed: copy it again'),
  prefix: z.string().optional(),
  virtualHostedStyle: z.boolean().optional(),
  urlExpiresInSeconds: z.number().int().min(60, 'urlExpiresInSeconds must be at least 60').max(604_800, 'urlExpiresInSeconds can be at most 604800 (7 days, the SigV4 limit)').optional(),
});

export interface UploadedObject {
  key: string;
  /** Presigned GET URL, valid for urlExpiresInSeconds. Treat it as a secret. */
  url: string;
  expiresAt: string;
}

function location(config: S3StorageConfig, key: string) {
  const endpoint = new URL(config.endpoint);
  const encodedKey = key.split('/').map(encodeURIComponent).join('/');
  const host = config.virtualHostedStyle ? `${config.bucket}.${endpoint.host}` : endpoint.host;
  const basePath = endpoint.pathname.replace(/\/+$/, '');
  const path = config.virtualHostedStyle ? `${basePath}/${encodedKey}` : `${basePath}/${encodeURIComponent(config.bucket)}/${encodedKey}`;
  return { protocol: endpoint.protocol, host, path };
}

/** Validates the storage settings the way every storage call needs them. */
function validated(config: S3StorageConfig) {
  const parsed = storageConfigSchema.safeParse(config);
  if (!parsed.success) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `S3 storage: ${formatZodError(parsed.error)}`, { field: String(parsed.error.issues[0]?.path[0] ?? '') });
  return {
    region: config.region || 'us-east-1',
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    secrets: [config.secretAccessKey, config.accessKeyId],
  };
}

/** Sends one SigV4-signed request to the storage; network failures and refusals become LipSyncErrors that name the storage. */
async function signedRequest(
  config: S3StorageConfig,
  request: { method: 'PUT' | 'HEAD' | 'POST' | 'DELETE'; loc: ReturnType<typeof location>; query?: string; body?: Buffer; contentType?: string; what: string; readTimeoutMs: number },
  deps: { transport: Transport; signal?: AbortSignal },
): Promise<TransportResponse> {
  const { region, credentials, secrets } = validated(config);
  const loc = request.query ? { ...request.loc, path: `${request.loc.path}?${request.query}` } : request.loc;
  if (deps.signal?.aborted) throw new LipSyncError(ERROR_CODES.ABORTED, 'S3 storage: the upload was cancelled before it started');
  const signed = aws4.sign(
    { host: loc.host, path: loc.path, method: request.method, service: 's3', region, body: request.body, headers: request.contentType ? { 'Content-Type': request.contentType } : {} },
    credentials,
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers ?? {})) if (k.toLowerCase() !== 'host' && k.toLowerCase() !== 'content-length') headers[k] = String(v);
  let res;
  try {
    res = await deps.transport({
      method: request.method,
      url: `${loc.protocol}//${loc.host}${loc.path}`,
      headers,
      body: request.body,
      connectTimeoutMs: 10_000,
      readTimeoutMs: request.readTimeoutMs,
      maxBodyBytes: 64 * 1024,
      signal: deps.signal,
    });
  } catch (e) {
    if (deps.signal?.aborted) throw new LipSyncError(ERROR_CODES.ABORTED, 'S3 storage: the upload was cancelled');
    const reason = e instanceof TransportFailure || e instanceof Error ? e.message : String(e);
    throw new LipSyncError(ERROR_CODES.NETWORK_ERROR, redact(`S3 storage: could not ${request.what} ${loc.host}: ${reason}`, secrets), { retryable: true });
  }
  // S3 can answer a CompleteMultipartUpload with 200 and an <Error> body.
  if (res.status < 300 && !/^\s*(<\?xml[^>]*>\s*)?<Error>/.test(res.body)) return res;
  // A HEAD answer has no body: its status alone says what went wrong. Code and message come from the storage
  // server: redacted for the keys, the code kept to a short safe set, before they go anywhere.
  const xml = res.body.slice(0, 64 * 1024);
  const code = safeToken(/<Code>([^<]+)<\/Code>/.exec(xml)?.[1], secrets) ?? (request.method === 'HEAD' && res.status === 404 ? 'NoSuchBucket' : undefined);
  const rawMessage = /<Message>([^<]+)<\/Message>/.exec(xml)?.[1];
  const message = rawMessage === undefined ? undefined : safeText(rawMessage, secrets, 300);
  const normalized =
    res.status === 403 || code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch'
      ? ERROR_CODES.AUTH_FAILED
      : code === 'NoSuchBucket'
        ? ERROR_CODES.INVALID_INPUT
        : ERROR_CODES.PROVIDER_ERROR;
  const verb = request.method === 'HEAD' ? 'access refused' : 'upload refused';
  const why = message ? `: ${message}` : res.status === 403 ? ': the access key or secret was not accepted' : '';
  throw new LipSyncError(normalized, redact(`S3 storage: ${verb}${why}${code === 'NoSuchBucket' ? ` (bucket "${config.bucket}" does not exist)` : ''}`, secrets), {
    httpStatus: res.status,
    providerCode: code,
    field: code === 'NoSuchBucket' ? 'bucket' : undefined,
    retryable: res.status >= 500,
  });
}

export async function uploadToS3(
  config: S3StorageConfig,
  media: { data: Uint8Array; contentType: string; extension: string },
  deps: { transport: Transport; now?: () => number; signal?: AbortSignal },
): Promise<UploadedObject> {
  validated(config);
  const now = deps.now?.() ?? Date.now();
  const day = new Date(now).toISOString().slice(0, 10);
  const key = `${config.prefix ?? ''}${day}/${randomUUID()}.${media.extension}`;
  const loc = location(config, key);
  const body = Buffer.from(media.data.buffer, media.data.byteOffset, media.data.byteLength);
  await signedRequest(config, { method: 'PUT', loc, body, contentType: media.contentType, what: 'upload to', readTimeoutMs: 120_000 }, deps);

  return { key, ...presignedGet(config, loc, now) };
}

/** A presigned GET URL of the object at `loc`, valid for the configured lifetime (default 24 h). */
function presignedGet(config: S3StorageConfig, loc: ReturnType<typeof location>, now: number): { url: string; expiresAt: string } {
  const { region, credentials } = validated(config);
  const expires = config.urlExpiresInSeconds ?? 24 * 3600;
  const get = aws4.sign({ host: loc.host, path: `${loc.path}?X-Amz-Expires=${expires}`, method: 'GET', service: 's3', region, signQuery: true }, credentials);
  return { url: `${loc.protocol}//${loc.host}${get.path}`, expiresAt: new Date(now + expires * 1000).toISOString() };
}

/** Checks endpoint, bucket and keys with one signed HEAD request on the bucket (nothing is written): for "test" buttons. */
export async function checkS3Storage(config: S3StorageConfig, deps: { transport: Transport; signal?: AbortSignal }): Promise<void> {
  validated(config);
  const root = location(config, '');
  // The bucket itself: /bucket (path style) or / (virtual-hosted style).
  const loc = { ...root, path: root.path.replace(/\/+$/, '') || '/' };
  await signedRequest(config, { method: 'HEAD', loc, what: 'reach', readTimeoutMs: 15_000 }, deps);
}

/** S3's smallest part (every part but the last must reach it). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Objects up to this size go up in one PUT; larger ones as a multipart upload in parts of this size. */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;
/** A PUT of one buffered part may be sent again: the same bytes under the same key or part number replace themselves. */
const PART_RETRY_DELAYS_MS = [500, 2_000, 5_000];

export interface StreamUploadOptions {
  key: string;
  contentType: string;
  /** The size announced by the source (Content-Length); the upload is refused before completion if the bytes differ. */
  expectedBytes?: number;
  /** Part size, at least 5 MiB (S3's minimum). Default 8 MiB. At most one part is held in memory at a time. */
  partBytes?: number;
}

export interface StreamedObject extends UploadedObject {
  bucket: string;
  size: number;
  contentType: string;
  /** 1 for a single PUT, else the number of multipart parts. */
  parts: number;
}

/**
 * Pulls the source into parts of `size` bytes, copied into ONE buffer that is reused for every part: a part's
 * bytes are valid until the next part is asked for (the caller uploads each part before that). A part is handed
 * out once the next byte is known to exist (or the source ended), so `last` is exact. Memory: one part plus the
 * chunk that follows it, however large the source, and no per-part garbage for the collector to catch up with.
 */
async function* partsOf(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<{ data: Buffer; last: boolean }> {
  let part: Buffer | undefined;
  let held = 0;
  for await (const chunk of source) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (buf.length) {
      if (held === size) {
        // A full part, and more bytes follow: hand it out, then refill the same buffer.
        yield { data: part!, last: false };
        held = 0;
      }
      part ??= Buffer.allocUnsafeSlow(size);
      const n = buf.copy(part, held, 0, Math.min(buf.length, size - held));
      held += n;
      buf = buf.subarray(n);
    }
  }
  yield { data: part ? part.subarray(0, held) : Buffer.alloc(0), last: true };
}

/**
 * Streams bytes into the bucket without holding them whole: a source that ends within one part goes up in a
 * single PUT, a longer one as a multipart upload, part by part. A failure or a cancel aborts the multipart upload,
 * so no unfinished upload is left behind (its parts would be billed and never listed). Part PUTs are retried
 * (they cannot duplicate anything); the create and complete calls are not.
 */
export async function uploadStreamToS3(
  config: S3StorageConfig,
  source: AsyncIterable<Uint8Array>,
  options: StreamUploadOptions,
  deps: { transport: Transport; now?: () => number; signal?: AbortSignal; delay?: (ms: number, signal?: AbortSignal) => Promise<void> },
): Promise<StreamedObject> {
  validated(config);
  const partBytes = Math.max(MIN_PART_BYTES, options.partBytes ?? DEFAULT_PART_BYTES);
  const loc = location(config, options.key);
  const wait = deps.delay ?? realDelay;
  const retried = async <T>(send: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (e) {
        if (deps.signal?.aborted || !LipSyncError.is(e) || !e.retryable || attempt >= PART_RETRY_DELAYS_MS.length) throw e;
        await wait(PART_RETRY_DELAYS_MS[attempt]!, deps.signal);
      }
    }
  };
  const put = (body: Buffer, query?: string) =>
    retried(() => signedRequest(config, { method: 'PUT', loc, query, body, contentType: query ? 'application/octet-stream' : options.contentType, what: 'upload to', readTimeoutMs: 120_000 }, deps));
  const checkSize = (size: number) => {
    if (options.expectedBytes !== undefined && size !== options.expectedBytes) {
      throw new LipSyncError(ERROR_CODES.NETWORK_ERROR, `the source ended after ${size} of ${options.expectedBytes} bytes`, { retryable: true });
    }
  };

  const parts = partsOf(source, partBytes);
  let size = 0;
  let partCount = 0;
  let uploadId: string | undefined;
  try {
    const first = (await parts.next()).value!;
    if (first.last) {
      size = first.data.length;
      checkSize(size);
      await put(first.data);
      partCount = 1;
    } else {
      const created = await signedRequest(config, { method: 'POST', loc, query: 'uploads', body: Buffer.alloc(0), contentType: options.contentType, what: 'start a multipart upload at', readTimeoutMs: 30_000 }, deps);
      uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)?.[1];
      if (!uploadId) throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, 'S3 storage: the multipart upload was started but the answer had no UploadId');
      const etags: string[] = [];
      const sendPart = async (body: Buffer) => {
        if (etags.length >= MAX_PARTS) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `S3 storage: more than ${MAX_PARTS} parts; raise the part size`);
        const number = etags.length + 1;
        const res = await put(body, `partNumber=${number}&uploadId=${encodeURIComponent(uploadId!)}`);
        const etag = res.headers.etag;
        if (!etag) throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, `S3 storage: part ${number} was stored but the answer had no ETag`);
        etags.push(etag);
        size += body.length;
      };
      await sendPart(first.data);
      for (let next = await parts.next(); !next.done; next = await parts.next()) {
        // The source's size is checked before its last part goes up, so a short download is never completed.
        if (next.value.last) checkSize(size + next.value.data.length);
        await sendPart(next.value.data);
      }
      const xml = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
      await signedRequest(config, { method: 'POST', loc, query: `uploadId=${encodeURIComponent(uploadId)}`, body: Buffer.from(xml), contentType: 'application/xml', what: 'complete the upload at', readTimeoutMs: 120_000 }, deps);
      partCount = etags.length;
      uploadId = undefined;
    }
  } catch (error) {
    await parts.return(undefined).catch(() => undefined);
    if (uploadId) {
      const leftover = await abortMultipart(config, loc, uploadId, deps.transport);
      if (leftover && LipSyncError.is(error)) {
        throw new LipSyncError(error.code, `${error.reason}; the unfinished multipart upload ${uploadId} could not be aborted (${leftover}): delete it, or let a lifecycle rule expire it`, error.details());
      }
    }
    throw error;
  }
  return { bucket: config.bucket, key: options.key, size, contentType: options.contentType, parts: partCount, ...presignedGet(config, loc, deps.now?.() ?? Date.now()) };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * AbortMultipartUpload, sent even when the caller's signal was cancelled (that is when it matters most), with
 * its own deadline and two retries. Returns why it failed, or undefined once the upload is gone.
 */
async function abortMultipart(config: S3StorageConfig, loc: ReturnType<typeof location>, uploadId: string, transport: Transport): Promise<string | undefined> {
  let why = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await signedRequest(config, { method: 'DELETE', loc, query: `uploadId=${encodeURIComponent(uploadId)}`, what: 'abort the upload at', readTimeoutMs: 15_000 }, { transport, signal: AbortSignal.timeout(20_000) });
      return undefined;
    } catch (e) {
      // Already gone: nothing is left over.
      if (LipSyncError.is(e) && e.providerCode === 'NoSuchUpload') return undefined;
      why = (e as Error).message;
      if (LipSyncError.is(e) && !e.retryable) break;
      await realDelay(500 * (attempt + 1));
    }
  }
  return why;
}
