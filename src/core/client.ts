import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ERROR_CODES, LipSyncError, providerName } from './errors';
import { maybeCreated, send } from './http';
import { accountOptionsSchema, openSession, type SessionOptions } from './session';
import { type BinaryMedia, checkMedia, extensionFor } from './media';
import type { CreateInput, ListQuery, ParsedResponse, PreparedMedia, ProviderAdapter, RequestSpec, UploadContext } from './provider';
import { type S3StorageConfig, uploadToS3 } from './storage';
import { JOB_STATUSES, type LipSyncJob, type ListJobsResult, PROVIDER_IDS, type ProviderId } from './types';
import { type WaitOptions, waitForJob } from './wait';
import { formatZodError, stripEmpty } from './validation';

/** The account and its machinery (transport, timeouts, retries, limiters) are the session's: see SessionOptions. */
export interface LipSyncClientOptions extends SessionOptions {
  provider: ProviderId;
  /** Source of client-side ids (Chamelaion reference ids). */
  newId?: () => string;
  /**
   * Where media given as bytes goes when the provider has no upload of its own (Fish Audio, Akool; Chamelaion
   * when only one of the two inputs is a file): an S3-compatible bucket, handed to the provider as a presigned URL.
   */
  storage?: S3StorageConfig;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface CreateAndWaitOptions extends WaitOptions {
  /** Called as soon as the job exists, before waiting: store the id here. */
  onCreated?: (job: LipSyncJob) => void;
}

export interface LipSyncClient {
  readonly provider: ProviderId;
  readonly providerName: string;
  readonly baseUrl: string;
  createJob(input: CreateInput, options?: CallOptions): Promise<LipSyncJob>;
  getJob(id: string, options?: CallOptions): Promise<LipSyncJob>;
  listJobs(query?: ListQuery, options?: CallOptions): Promise<ListJobsResult>;
  waitForJob(id: string, options?: WaitOptions): Promise<LipSyncJob>;
  createAndWait(input: CreateInput, options?: CreateAndWaitOptions): Promise<LipSyncJob>;
  /** One cheap authenticated request; resolves when the key works. */
  checkAuth(options?: CallOptions): Promise<void>;
  /** Whether listJobs works for this provider. */
  readonly canList: boolean;
  /** Closes the default transport's pooled connections. */
  close(): Promise<void>;
}

const clientOptionsSchema = accountOptionsSchema.extend({
  provider: z.enum(PROVIDER_IDS, { error: () => `provider must be one of: ${PROVIDER_IDS.join(', ')}` }),
});

const idSchema = z.string({ error: 'job id is required' }).trim().min(1, 'job id is empty: pass the id returned by Create Job');

const mediaUrlSchema = (field: string) =>
  z
    .string({ error: `${field} is required: give a public http(s) URL of the media file` })
    .trim()
    .min(1, `${field} is empty: give a public http(s) URL of the media file`)
    .refine((v) => /^https?:\/\/[^\s]+$/i.test(v), `${field} must be an http(s) URL the provider can download`);
/** Built once per field (a zod schema compiles on its first parse). */
const MEDIA_URL = { videoUrl: mediaUrlSchema('videoUrl'), audioUrl: mediaUrlSchema('audioUrl') };

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const binarySchema = (field: string) =>
  z.object(
    {
      data: z.custom<Uint8Array>(isBytes, `${field}.data must be the file's bytes (a Buffer)`),
      filename: z.string().optional(),
      contentType: z.string().optional(),
    },
    { error: `${field} must be { data: Buffer, filename?, contentType? }` },
  );

const listQuerySchema = z.strictObject({
  page: z.number().int().min(1).optional(),
  limit: z.number().int().min(1).max(100).optional(),
  offset: z.number().int().min(0).optional(),
  status: z.enum(JOB_STATUSES).optional(),
  referenceId: z.string().optional(),
  videoUrl: z.string().optional(),
  audioUrl: z.string().optional(),
  playbackType: z.string().optional(),
});

/** Pauses before each lookup for a create whose answer was lost (see createJob). */
const RECOVERY_LOOKUPS_MS = [0, 1_000, 3_000];

/** The lip-sync client for one adapter (the registry, `src/registry.ts`, picks it by provider id). */
export function createLipSyncClientFor(adapter: ProviderAdapter, options: LipSyncClientOptions): LipSyncClient {
  const parsed = clientOptionsSchema.safeParse(options);
  if (!parsed.success) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, formatZodError(parsed.error), { field: String(parsed.error.issues[0]?.path[0] ?? '') });
  const { provider, apiKey } = parsed.data;
  const session = openSession(adapter, { ...options, apiKey }, parsed.data.baseUrl);
  const { ctx } = session;
  const { baseUrl, clock, delay } = ctx;
  const newId = options.newId ?? randomUUID;
  const name = providerName(provider);

  const read = (spec: RequestSpec, signal?: AbortSignal, jobId?: string): Promise<ParsedResponse> => send(ctx, spec, 'read', { signal, jobId });

  function validateInput(input: CreateInput) {
    if (typeof input !== 'object' || input === null) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'createJob needs an object with videoUrl and audioUrl', { provider });
    const { videoUrl, audioUrl, video, audio, ...rest } = input;
    const out: CreateInput = {};
    for (const [role, url, bytes] of [['video', videoUrl, video], ['audio', audioUrl, audio]] as const) {
      const urlField = `${role}Url` as const;
      const hasUrl = url !== undefined && url !== null && url !== '';
      if (hasUrl && bytes !== undefined) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `Give either ${urlField} or ${role} (the file's bytes), not both`, { provider, field: urlField });
      if (bytes !== undefined) {
        const r = binarySchema(role).safeParse(bytes);
        if (!r.success) throw invalid(r.error, role);
        out[role] = r.data as BinaryMedia;
      } else {
        const r = MEDIA_URL[urlField].safeParse(url);
        if (!r.success) throw invalid(r.error, urlField);
        out[urlField] = r.data;
      }
    }
    const extra = adapter.optionsSchema.safeParse(stripEmpty(rest));
    if (!extra.success) throw invalid(extra.error);
    return { ...out, ...(extra.data as Record<string, unknown>) } as CreateInput;
  }

  function invalid(error: z.ZodError, field?: string) {
    return new LipSyncError(ERROR_CODES.INVALID_INPUT, formatZodError(error, name), { provider, field: field ?? String(error.issues[0]?.path[0] ?? '') });
  }

  const uploadContext: UploadContext = {
    send: (spec) => send(ctx, spec, 'upload'),
    async put(url, data, contentType) {
      const res = await ctx.transport({
        method: 'PUT',
        url,
        headers: { 'content-type': contentType },
        body: data,
        connectTimeoutMs: ctx.connectTimeoutMs,
        readTimeoutMs: Math.max(ctx.readTimeoutMs, 120_000),
      }).catch((e) => {
        throw new LipSyncError(ERROR_CODES.NETWORK_ERROR, `Uploading the media failed: ${(e as Error).message}`, { provider, retryable: true });
      });
      if (res.status >= 300) throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, `Uploading the media was refused (HTTP ${res.status})`, { provider, httpStatus: res.status });
    },
  };

  /** Turns media bytes into what the provider can read; returns the create request to send. */
  async function buildCreateRequest(input: CreateInput, signal?: AbortSignal): Promise<{ spec: RequestSpec; resolved: CreateInput }> {
    const files: PreparedMedia[] = [];
    for (const role of ['video', 'audio'] as const) {
      const media = input[role];
      if (!media) continue;
      const info = checkMedia(media, role, adapter.mediaLimits?.[role], provider, name);
      files.push({ role, data: media.data, info, filename: media.filename || `${role}.${extensionFor(info)}` });
    }
    if (files.length === 0) return { spec: adapter.buildCreate(input), resolved: input };
    if (files.length === 2 && adapter.buildCreateWithMedia) return { spec: adapter.buildCreateWithMedia(input, files[0]!, files[1]!), resolved: input };
    const withUrls: CreateInput = { ...input, video: undefined, audio: undefined };
    for (const file of files) {
      let url: string;
      if (adapter.uploadMedia) url = await adapter.uploadMedia(file, uploadContext);
      else if (options.storage) {
        url = (await uploadToS3(options.storage, { data: file.data, contentType: file.info.contentType, extension: extensionFor(file.info) }, { transport: ctx.transport, signal })).url;
      } else {
        const why = adapter.buildCreateWithMedia ? `${name} takes uploaded files only when both video and audio are files` : `${name} takes media only as URLs`;
        throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `${file.role}: ${why}; give a URL, or configure S3-compatible storage so the bytes can be uploaded`, { provider, field: file.role });
      }
      withUrls[`${file.role}Url`] = url;
    }
    return { spec: adapter.buildCreate(withUrls), resolved: withUrls };
  }

  async function createJob(input: CreateInput, callOptions: CallOptions = {}): Promise<LipSyncJob> {
    let prepared = validateInput(input);
    if (adapter.prepareCreate) prepared = adapter.prepareCreate(prepared, newId);
    const built = await buildCreateRequest(prepared, callOptions.signal);
    const spec = built.spec;
    prepared = built.resolved;
    const sentAt = clock.now();
    try {
      const res = await send(ctx, spec, 'create', { signal: callOptions.signal });
      return adapter.parseCreate(res, prepared);
    } catch (error) {
      if (!maybeCreated(error)) throw error;
      const err = error as LipSyncError;
      // Cancelled with the create on the wire and no answer within the grace: nothing more may be sent.
      if (err.code === ERROR_CODES.ABORTED) throw err;
      const notSentAgain = (why: string) =>
        new LipSyncError(
          err.code,
          `${err.reason}. The create request may have reached ${name}${why}, so it was not sent again (that could start and bill a second job); look for the job in your ${name} account before retrying`,
          { ...err.details(), retryable: false },
        );
      if (!adapter.recoverCreate) throw notSentAgain('');
      // A stalled or reset request can still arrive after a lookup found nothing, so "not found" proves nothing:
      // look a few times, spaced out, and never send the create again.
      for (const pause of RECOVERY_LOOKUPS_MS) {
        if (pause) await delay(pause, callOptions.signal);
        const found = await adapter.recoverCreate(prepared, { send: (s) => read(s, callOptions.signal), sentAt });
        if (found) return found;
      }
      const late = prepared.referenceId ? `; if it arrives late, Get Job with its reference id ${String(prepared.referenceId)} finds it` : '';
      throw notSentAgain(` (it had no such job after ${RECOVERY_LOOKUPS_MS.length} lookups${late})`);
    }
  }

  async function getJob(id: string, callOptions: CallOptions = {}): Promise<LipSyncJob> {
    const jobId = checkId(id);
    const res = await read(adapter.buildGet(jobId), callOptions.signal, jobId);
    return adapter.parseGet(res, jobId);
  }

  async function listJobs(query: ListQuery = {}, callOptions: CallOptions = {}): Promise<ListJobsResult> {
    if (!adapter.buildList || !adapter.parseList) {
      throw new LipSyncError(ERROR_CODES.NOT_SUPPORTED, `Listing jobs is not supported by ${name}: it has no list endpoint. Keep the job ids you create`, { provider });
    }
    const q = listQuerySchema.safeParse(stripEmpty(query));
    if (!q.success) throw invalid(q.error);
    try {
      const res = await read(adapter.buildList(q.data), callOptions.signal);
      return adapter.parseList(res, q.data);
    } catch (e) {
      if (adapter.listNotFoundIsEmpty && LipSyncError.is(e) && e.code === ERROR_CODES.NOT_FOUND) return { jobs: [], total: 0, hasMore: false, raw: undefined };
      throw e;
    }
  }

  const wait = (id: string, waitOptions: WaitOptions = {}) =>
    waitForJob({ clock, delay, hints: adapter.pollHints, getJob: (jobId, signal) => getJob(jobId, { signal }) }, checkId(id), waitOptions);

  return {
    provider,
    providerName: name,
    baseUrl,
    canList: Boolean(adapter.buildList),
    createJob,
    getJob,
    listJobs,
    waitForJob: wait,
    async createAndWait(input, waitOptions: CreateAndWaitOptions = {}) {
      const job = await createJob(input, { signal: waitOptions.signal });
      waitOptions.onCreated?.(job);
      if (job.status === 'completed') return job;
      return wait(job.id, waitOptions);
    },
    async checkAuth(callOptions: CallOptions = {}) {
      try {
        await read(adapter.buildAuthCheck(), callOptions.signal);
      } catch (e) {
        // Reaching "not found" means the key was accepted.
        if (!(LipSyncError.is(e) && e.code === ERROR_CODES.NOT_FOUND)) throw e;
      }
    },
    close: session.close,
  };

  function checkId(id: string): string {
    const r = idSchema.safeParse(id);
    if (!r.success) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, formatZodError(r.error), { provider, field: 'jobId' });
    return r.data;
  }
}
