import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, interceptors, request } from 'undici';
import { ERROR_CODES, LipSyncError } from './errors';
import { classifyNetworkError } from './undici-transport';

/**
 * Streams a finished job's result (provider result URLs expire: Akool keeps them 7 days). Nothing is held in memory
 * whole: hosts pipe the stream into a file or into their binary-data store.
 */
export interface DownloadOptions {
  signal?: AbortSignal;
  /** Time to wait for the response headers, and the longest pause between two chunks. Default 60 s. */
  idleTimeoutMs?: number;
  jobId?: string;
}

export interface Download {
  stream: Readable;
  contentType?: string;
  contentLength?: number;
  /** A file name from Content-Disposition or the URL path. */
  filename: string;
}

const agent = new Agent({ connect: { timeout: 10_000 }, connections: 8 }).compose(interceptors.redirect({ maxRedirections: 5 }));

export async function openDownload(url: string, options: DownloadOptions = {}): Promise<Download> {
  if (!/^https?:\/\//i.test(url)) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `The result URL must be http(s): ${url}`, { field: 'resultUrl', jobId: options.jobId });
  let res;
  try {
    res = await request(url, {
      dispatcher: agent,
      method: 'GET',
      signal: options.signal,
      headersTimeout: options.idleTimeoutMs ?? 60_000,
      bodyTimeout: options.idleTimeoutMs ?? 60_000,
    });
  } catch (e) {
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
  const disposition = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header('content-disposition') ?? '')?.[1];
  const fromPath = decodeURIComponent(new URL(url).pathname.split('/').pop() || '');
  return {
    stream: res.body,
    contentType: header('content-type'),
    contentLength: Number.isFinite(length) ? length : undefined,
    filename: disposition || fromPath || 'result.mp4',
  };
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
