import { randomUUID } from 'node:crypto';
import aws4 from 'aws4';
import { z } from 'zod';
import { ERROR_CODES, LipSyncError, NOT_HEADER_SAFE, TransportFailure, redact, safeText, safeToken } from './errors';
import type { Transport } from './types';
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
  request: { method: 'PUT' | 'HEAD'; loc: ReturnType<typeof location>; body?: Buffer; contentType?: string; what: string; readTimeoutMs: number },
  deps: { transport: Transport; signal?: AbortSignal },
): Promise<void> {
  const { region, credentials, secrets } = validated(config);
  const { loc } = request;
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
  if (res.status < 300) return;
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
  const { region, credentials } = validated(config);
  const now = deps.now?.() ?? Date.now();
  const day = new Date(now).toISOString().slice(0, 10);
  const key = `${config.prefix ?? ''}${day}/${randomUUID()}.${media.extension}`;
  const loc = location(config, key);
  const body = Buffer.from(media.data.buffer, media.data.byteOffset, media.data.byteLength);
  await signedRequest(config, { method: 'PUT', loc, body, contentType: media.contentType, what: 'upload to', readTimeoutMs: 120_000 }, deps);

  const expires = config.urlExpiresInSeconds ?? 24 * 3600;
  const get = aws4.sign(
    { host: loc.host, path: `${loc.path}?X-Amz-Expires=${expires}`, method: 'GET', service: 's3', region, signQuery: true },
    credentials,
  );
  return { key, url: `${loc.protocol}//${loc.host}${get.path}`, expiresAt: new Date(now + expires * 1000).toISOString() };
}

/** Checks endpoint, bucket and keys with one signed HEAD request on the bucket (nothing is written): for "test" buttons. */
export async function checkS3Storage(config: S3StorageConfig, deps: { transport: Transport; signal?: AbortSignal }): Promise<void> {
  validated(config);
  const root = location(config, '');
  // The bucket itself: /bucket (path style) or / (virtual-hosted style).
  const loc = { ...root, path: root.path.replace(/\/+$/, '') || '/' };
  await signedRequest(config, { method: 'HEAD', loc, what: 'reach', readTimeoutMs: 15_000 }, deps);
}
