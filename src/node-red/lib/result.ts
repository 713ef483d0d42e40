import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ERROR_CODES, LipSyncError, downloadToFile, openDownload, type LipSyncJob, type UrlSafetyOptions } from '../../core';
import type { AccountNode } from './red-types';
import { describeSource, evaluate, withJob } from './messages';
import type { NodeAPI, NodeMessage, RedNode } from './red-types';

/** What a finished job's message carries: the result URL only, the video's bytes, the video written to a file or stored in the account's bucket. */
export type ResultOutput = 'url' | 'buffer' | 'file' | 'storage';

/** The result fields both the create (with "wait for completion") and the wait node carry. */
export interface ResultDef {
  result?: string;
  /** msg property for the bytes (buffer mode), e.g. `payload.video`. */
  resultProperty?: string;
  resultFile?: string;
  resultFileType?: string;
  /** Storage mode: another bucket than the account's (same endpoint and keys); empty = the account's. */
  resultBucket?: string;
  /** Storage mode: the object key template, e.g. `lipsync/{date}/{jobId}.{ext}`. */
  resultKey?: string;
}

export const DEFAULT_RESULT_PROPERTY = 'payload.video';

/** Downloads a completed job's video into the message before it is sent. */
export type Deliver = (job: LipSyncJob, msg: NodeMessage, signal: AbortSignal) => Promise<void>;

/**
 * The download step for the node's result setting, or undefined for "URL only". Provider result URLs expire
 * (Akool keeps them 7 days), so flows that keep the video download it here. Both ways stream: the file is written
 * chunk by chunk, the Buffer is assembled from the chunks once.
 */
export function resultDelivery(RED: NodeAPI, node: RedNode, def: ResultDef, account: () => AccountNode): Deliver | undefined {
  // Where the downloads may connect: the account's settings (see the core's UrlSafetyOptions); none known: strict.
  const safety = (): UrlSafetyOptions => {
    try {
      return account().downloadSafety?.() ?? {};
    } catch {
      return {};
    }
  };
  const mode = (def.result || 'url') as ResultOutput;
  if (mode === 'storage') {
    return async (job, msg, signal) => {
      const acct = account();
      const stored = await acct
        .getClient()
        .storeResult(job, { bucket: def.resultBucket, keyTemplate: def.resultKey, signal })
        .catch((e: unknown) => {
          if (LipSyncError.is(e) && e.field === 'storage') {
            throw new LipSyncError(
              ERROR_CODES.INVALID_INPUT,
              `Result "save to S3-compatible storage" needs storage on the account "${acct.name || acct.id}": open it and tick "Upload media to S3-compatible storage", or pick another Result`,
              { field: 'result', jobId: job.id, provider: job.provider },
            );
          }
          throw e;
        });
      withJob(msg, job);
      (msg.payload as Record<string, unknown>).stored = stored;
    };
  }
  if (mode === 'buffer') {
    const property = (def.resultProperty || '').trim() || DEFAULT_RESULT_PROPERTY;
    return async (job, msg, signal) => {
      const url = resultUrlOf(job);
      const dl = await openDownload(url, { ...safety(), signal, jobId: job.id });
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of dl.stream) chunks.push(chunk as Buffer);
      } catch (e) {
        if (signal.aborted) throw new LipSyncError(ERROR_CODES.ABORTED, 'The download was cancelled', { jobId: job.id, provider: job.provider });
        if (LipSyncError.is(e)) throw e;
        throw new LipSyncError(ERROR_CODES.NETWORK_ERROR, `The download broke off: ${(e as Error).message}. The video is still at msg.payload.resultUrl`, {
          jobId: job.id,
          provider: job.provider,
          retryable: true,
        });
      }
      const data = Buffer.concat(chunks);
      if (dl.contentLength !== undefined && data.length !== dl.contentLength) {
        throw new LipSyncError(ERROR_CODES.NETWORK_ERROR, `The download ended after ${data.length} of ${dl.contentLength} bytes`, { jobId: job.id, provider: job.provider, retryable: true });
      }
      // msg.payload becomes the job here (as it will when the message is sent), so `payload.video` lands on it.
      withJob(msg, job);
      RED.util.setMessageProperty(msg, property, data, true);
    };
  }
  if (mode === 'file') {
    const value = def.resultFile ?? '';
    const type = def.resultFileType || 'str';
    return async (job, msg, signal) => {
      const url = resultUrlOf(job);
      const path = await resultPath(RED, node, msg, value, type, job.id);
      await mkdir(dirname(path), { recursive: true });
      await downloadToFile(url, path, { ...safety(), signal, jobId: job.id });
      msg.filename = path;
    };
  }
  return undefined;
}

function resultUrlOf(job: LipSyncJob): string {
  if (!job.resultUrl) {
    throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, 'The job completed but the provider gave no result URL, so there is nothing to download', { jobId: job.id, provider: job.provider });
  }
  return job.resultUrl;
}

/**
 * The file to write: the path from the typed input, or `lipsync-<job id>.mp4` inside it when it names a folder
 * (ends with a slash or is an existing directory). Relative paths start at Node-RED's file working directory,
 * as with the file nodes.
 */
async function resultPath(RED: NodeAPI, node: RedNode, msg: NodeMessage, value: string, type: string, jobId: string): Promise<string> {
  const got = await evaluate(RED, node, msg, value, type);
  if (typeof got !== 'string' || !got.trim()) {
    throw new LipSyncError(
      ERROR_CODES.INVALID_INPUT,
      `Result file is empty: ${describeSource(value, type)} has no file path. Set a file path or a folder ending in "/" to save the video in`,
      { field: 'resultFile', jobId },
    );
  }
  const given = got.trim();
  const base = typeof RED.settings.fileWorkingDirectory === 'string' && RED.settings.fileWorkingDirectory ? RED.settings.fileWorkingDirectory : process.cwd();
  const abs = isAbsolute(given) ? given : resolve(base, given);
  const folder = /[/\\]$/.test(given) || (existsSync(abs) && statSync(abs).isDirectory());
  return folder ? join(abs, `lipsync-${jobId.replace(/[^\w.-]+/g, '_')}.mp4`) : abs;
}
