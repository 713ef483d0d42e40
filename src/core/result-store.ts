import { openDownload } from './download';
import type { UrlSafetyOptions } from './url-safety';
import { ERROR_CODES, LipSyncError } from './errors';
import { type S3StorageConfig, type StreamedObject, uploadStreamToS3 } from './storage';
import type { LipSyncJob, Transport } from './types';

/** Where a finished video lands unless set: the day it was stored and the job id. */
export const DEFAULT_RESULT_KEY = 'lipsync/{date}/{jobId}.{ext}';
const PLACEHOLDERS = ['jobId', 'provider', 'date', 'time', 'ext', 'prefix'] as const;

export interface StoreResultOptions {
  /** Another bucket for results than the one media is uploaded to (same endpoint and keys). */
  bucket?: string;
  /** The object key: {jobId}, {provider}, {date} (YYYY-MM-DD, UTC), {time} (HHmmss, UTC), {ext}, {prefix} (the storage's key prefix). */
  keyTemplate?: string;
  /** Part size of the multipart upload (at least 5 MiB); results up to this size go up in one PUT. */
  partBytes?: number;
  signal?: AbortSignal;
  /** Longest pause between two chunks of the download. Default 60 s. */
  idleTimeoutMs?: number;
}

/** A stored result: where it is and a presigned GET URL (a secret until it expires). */
export type StoredResult = Omit<StreamedObject, 'parts'>;

const EXTENSIONS: Record<string, string> = { 'video/mp4': 'mp4', 'video/webm': 'webm', 'video/quicktime': 'mov' };

/** The object key for a job from the template; an unknown placeholder or an empty key is an INVALID_INPUT naming `resultKey`. */
export function resultKey(template: string | undefined, facts: { jobId: string; provider: string; ext: string; prefix?: string; now: number }): string {
  const text = (template ?? '').trim() || DEFAULT_RESULT_KEY;
  const iso = new Date(facts.now).toISOString();
  const values: Record<(typeof PLACEHOLDERS)[number], string> = {
    jobId: facts.jobId.replace(/[^\w.-]+/g, '_'),
    provider: facts.provider,
    date: iso.slice(0, 10),
    time: iso.slice(11, 19).replace(/:/g, ''),
    ext: facts.ext,
    prefix: facts.prefix ?? '',
  };
  const key = text.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `Result key: unknown placeholder ${whole} in "${text}"; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`, { field: 'resultKey', jobId: facts.jobId });
    }
    return values[name as (typeof PLACEHOLDERS)[number]];
  }).replace(/^\/+/, '');
  if (!key || key.endsWith('/')) {
    throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `Result key "${text}" gives ${key ? `"${key}", a folder` : 'an empty key'}: end it with a file name, e.g. ${DEFAULT_RESULT_KEY}`, { field: 'resultKey', jobId: facts.jobId });
  }
  if (Buffer.byteLength(key) > 1024) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'Result key is longer than 1024 bytes, the S3 limit', { field: 'resultKey', jobId: facts.jobId });
  return key;
}

/**
 * The last hop of a flow: streams a completed job's video from the provider's result URL (through the download
 * checks of openDownload) into S3-compatible storage, and returns the object with a presigned GET URL. Nothing is
 * held whole in memory; a failure or a cancel leaves no unfinished upload, and its error names the job.
 */
export async function storeResult(
  job: LipSyncJob,
  storage: S3StorageConfig,
  options: StoreResultOptions,
  deps: { transport: Transport; now?: () => number; safety?: UrlSafetyOptions },
): Promise<StoredResult> {
  const bucket = options.bucket?.trim() || storage.bucket;
  const who = { jobId: job.id, provider: job.provider };
  if (job.status !== 'completed') {
    throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `The job is ${job.status}, not completed: there is no video to store yet`, { ...who, field: 'jobId', lastStatus: job.status });
  }
  if (!job.resultUrl) {
    throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, 'The job completed but the provider gave no result URL, so there is nothing to store', who);
  }
  const now = deps.now?.() ?? Date.now();
  // The key is checked before anything is downloaded; the extension follows the type the download announces.
  resultKey(options.keyTemplate, { ...who, ext: 'mp4', prefix: storage.prefix, now });
  const signal = options.signal;
  try {
    const dl = await openDownload(job.resultUrl, { ...deps.safety, signal, jobId: job.id, idleTimeoutMs: options.idleTimeoutMs });
    const declared = (dl.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    // The provider's header is hostile input: only a plain type/subtype reaches the bucket.
    const contentType = /^(video|audio)\/[\w.+-]{1,64}$/.test(declared) ? declared : 'video/mp4';
    const key = resultKey(options.keyTemplate, { ...who, ext: EXTENSIONS[contentType] ?? 'mp4', prefix: storage.prefix, now });
    const stored = await uploadStreamToS3({ ...storage, bucket }, dl.stream, { key, contentType, expectedBytes: dl.contentLength, partBytes: options.partBytes }, { transport: deps.transport, signal, now: () => now });
    const { parts: _parts, ...result } = stored;
    return result;
  } catch (error) {
    if (signal?.aborted) {
      throw new LipSyncError(ERROR_CODES.ABORTED, `Storing the finished video was cancelled; nothing was stored in bucket "${bucket}" (the video is still at the provider's result URL)`, { ...who, retryable: false });
    }
    const e = LipSyncError.is(error) ? error : undefined;
    const reason = e?.reason ?? (error as Error)?.message ?? String(error);
    throw new LipSyncError(e?.code ?? ERROR_CODES.NETWORK_ERROR, `The finished video was not stored in bucket "${bucket}": ${reason}. It is still at the provider's result URL`, {
      ...who,
      httpStatus: e?.httpStatus,
      providerCode: e?.providerCode,
      field: e?.field,
      retryable: e?.retryable ?? true,
      cause: error,
    });
  }
}
