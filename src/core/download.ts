import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, type Dispatcher, interceptors, request } from 'undici';
import { ERROR_CODES, LipSyncError } from './errors';
import { classifyNetworkError } from './undici-transport';
import { parseDownloadUrl, safeConnector, type UrlSafetyOptions } from './url-safety';

/**
 * Streams a finished job's result (provider result URLs expire: Akool keeps them 7 days). Nothing is held in memory
 * whole: hosts pipe the stream into a file or into their binary-data store.
 */
export interface DownloadOptions extends UrlSafetyOptions {
  signal?: AbortSignal;
  /** Time to wait for the response headers, and the longest pause between two chunks. Default 60 s. */
  idleTimeoutMs?: number;
  /** Largest result accepted (default 4 GiB): a longer one is refused, or cut off with an error. */
  maxBytes?: number;
  jobId?: string;
}

export const DEFAULT_MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;

export interface Download {
  stream: Readable;
  contentType?: string;
  contentLength?: number;
  /** A file name from Content-Disposition or the URL path. */
  filename: string;
}

/** One pooled agent per safety setting (a handful at most), each checking the address of every connection. */
const agents = new Map<string, Dispatcher>();
function agentFor(options: UrlSafetyOptions): Dispatcher {
  const key = `${Boolean(options.allowPrivateNetworks)}|${[...(options.trustedOrigins ?? [])].sort().join(' ')}`;
  let agent = agents.get(key);
  if (!agent) {
    if (agents.size >= 32) agents.delete(agents.keys().next().value!);
    const safety = { allowPrivateNetworks: options.allowPrivateNetworks, trustedOrigins: options.trustedOrigins };
    agent = new Agent({ connect: safeConnector({ ...safety, timeoutMs: 10_000 }), connections: 8 }).compose(interceptors.redirect({ maxRedirections: 5 }));
    agents.set(key, agent);
  }
  return agent;
}

/** Passes bytes through, and fails the stream once more than `max` have come. */
function sizeLimit(max: number, jobId?: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) return done(new LipSyncError(ERROR_CODES.MEDIA_UNPROCESSABLE, `The result is larger than the ${max} bytes allowed (maxBytes); the download was stopped`, { jobId }));
      done(null, chunk);
    },
  });
}

export async function openDownload(url: string, options: DownloadOptions = {}): Promise<Download> {
  const parsed = parseDownloadUrl(url, 'resultUrl', options.jobId);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  let res;
  try {
    res = await request(parsed.href, {
      dispatcher: agentFor(options),
      method: 'GET',
      signal: options.signal,
      headersTimeout: options.idleTimeoutMs ?? 60_000,
      bodyTimeout: options.idleTimeoutMs ?? 60_000,
    });
  } catch (e) {
    if (LipSyncError.is(e)) throw e.withJobId(options.jobId ?? '');
    const inner = (e as { cause?: unknown })?.cause;
    if (LipSyncError.is(inner)) throw inner.withJobId(options.jobId ?? '');
    const tf = classifyNetworkError(e);
    if (tf.kind === 'aborted') throw new LipSyncError(ERROR_CODES.ABORTED, 'The download was cancelled', { jobId: options.jobId });
    throw new LipSyncError(ERROR_CODES.NETWORK_ERROR, `Could not download the result: ${tf.message}`, { jobId: options.jobId, retryable: true });
  }
  if (res.statusCode >= 300) {
    res.body.resume();
    const expired = res.statusCode === 403 || res.statusCode === 404 || res.statusCode === 410;
    throw new LipSyncError(
      expired ? ERROR_CODES.NOT_FOUND : ERROR_CODES.PROVIDER_ERROR,
      `Could not download the result${expired ? ': the link has expired or is not public any more' : ''}`,
      { httpStatus: res.statusCode, jobId: options.jobId, retryable: res.statusCode >= 500 },
    );
  }
  const header = (name: string) => {
    const v = res.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const length = Number(header('content-length'));
  if (Number.isFinite(length) && length > maxBytes) {
    res.body.on('error', () => undefined).destroy();
    throw new LipSyncError(ERROR_CODES.MEDIA_UNPROCESSABLE, `The result is ${length} bytes, more than the ${maxBytes} allowed (maxBytes); it was not downloaded`, { jobId: options.jobId });
  }
  const disposition = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header('content-disposition') ?? '')?.[1];
  const fromPath = safeDecode(parsed.pathname.split('/').pop() || '');
  const limited = sizeLimit(maxBytes, options.jobId);
  res.body.on('error', (e) => limited.destroy(e));
  limited.on('close', () => {
    if (!res.body.destroyed && !res.body.readableEnded) res.body.destroy();
  });
  return {
    stream: res.body.pipe(limited),
    contentType: header('content-type'),
    contentLength: Number.isFinite(length) ? length : undefined,
    filename: safeFilename(disposition || fromPath),
  };
}

/** A file name from the server, with no path separators or control characters (it may name a file on disk). */
function safeFilename(name: string): string {
  const clean = name.replace(/[\\/\u0000-\u001f\u007f]/g, '_').trim().slice(0, 200);
  return clean && clean !== '.' && clean !== '..' ? clean : 'result.mp4';
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Streams the result into a file (written to `path.partial`, renamed when complete). Returns the byte count. */
export async function downloadToFile(url: string, path: string, options: DownloadOptions = {}): Promise<{ path: string; bytes: number; contentType?: string }> {
  const dl = await openDownload(url, options);
  const partial = `${path}.partial`;
  let bytes = 0;
  dl.stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
  try {
    await pipeline(dl.stream, createWriteStream(partial), { signal: options.signal });
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    if (options.signal?.aborted) throw new LipSyncError(ERROR_CODES.ABORTED, 'The download was cancelled', { jobId: options.jobId });
    if (LipSyncError.is(e)) throw e;
    throw new LipSyncError(ERROR_CODES.NETWORK_ERROR, `The download broke off after ${bytes} bytes: ${(e as Error).message}`, { jobId: options.jobId, retryable: true });
  }
  if (dl.contentLength !== undefined && bytes !== dl.contentLength) {
    throw new LipSyncError(ERROR_CODES.NETWORK_ERROR, `The download ended after ${bytes} of ${dl.contentLength} bytes`, { jobId: options.jobId, retryable: true });
  }
  return { path, bytes, contentType: dl.contentType };
}
