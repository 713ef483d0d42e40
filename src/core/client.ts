import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CONTROL_CHARS, ERROR_CODES, LipSyncError, isAbortError, providerName, safeText, safeToken } from './errors';
import { maybeCreated, send } from './http';
import { accountOptionsSchema, httpUrlString, openSession, type SessionOptions } from './session';
import { type BinaryMedia, checkMedia, extensionFor } from './media';
import type { CreateInput, ListQuery, ParsedResponse, PreparedMedia, ProviderAdapter, RequestSpec, UploadContext } from './provider';
import { type StoreResultOptions, type StoredResult, storeResult } from './result-store';
import { type S3StorageConfig, uploadToS3 } from './storage';
import { abortError } from './time';
import type { RateLimitState } from './limiter';
import { JOB_STATUSES, type LipSyncJob, type ListJobsResult, PROVIDER_IDS, type ProviderId } from './types';
import { httpUrlProblem } from './url-safety';
import { type WaitOptions, validateWaitOptions, waitForJob } from './wait';
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
  /**
   * Streams a completed job's video into the client's S3-compatible storage (see storeResult); INVALID_INPUT
   * naming `storage` when the client has none.
   */
  storeResult(job: LipSyncJob, options?: StoreResultOptions): Promise<StoredResult>;
  /** Whether listJobs works for this provider. */
  readonly canList: boolean;
  /** The account's create (or read) rate limiter right now; undefined when the provider has none. */
  rateLimitState(kind?: 'create' | 'read'): RateLimitState | undefined;
  /** Closes the default transport's pooled connections. */
  close(): Promise<void>;
}

const clientOptionsSchema = accountOptionsSchema.extend({
  provider: z.enum(PROVIDER_IDS, { error: () => `provider must be one of: ${PROVIDER_IDS.join(', ')}` }),
});

/** Job ids go into request paths: dot segments, control characters and slashes-only ids are refused. */
const idSchema = z
  .string({ error: 'job id is required' })
  .trim()
  .min(1, 'job id is empty: pass the id returned by Create Job')
  .max(256, 'job id is longer than 256 characters: pass the id returned by Create Job')
  .refine((v) => v !== '.' && v !== '..', 'job id cannot be "." or "..": pass the id returned by Create Job')
  .refine((v) => !CONTROL_CHARS.test(v), 'job id contains control characters: pass the id returned by Create Job');

const mediaUrlSchema = (field: string) => httpUrlString(field, 'a public http(s) URL of the media file');
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

/**
 * Job ids already handed to a caller in this process (per provider and host), so a recovery lookup never gives
 * one job to two callers: two creates with the same inputs can both match JoggAI's "latest task" lookup.
 */
const claimedJobs = new Map<string, number>();
const CLAIM_TTL_MS = 60 * 60_000;
const CLAIM_MAX = 20_000;
function claim(key: string, now = Date.now()): boolean {
  for (const [k, at] of claimedJobs) {
    if (claimedJobs.size < CLAIM_MAX && now - at <= CLAIM_TTL_MS) break;
    claimedJobs.delete(k);
  }
  if (claimedJobs.has(key)) return false;
  claimedJobs.set(key, now);
  return true;
}

/** The lip-sync client for one adapter (the registry, `src/registry.ts`, picks it by provider id). */
export function createLipSyncClientFor(adapter: ProviderAdapter, options: LipSyncClientOptions): LipSyncClient {
  const parsed = clientOptionsSchema.safeParse(options);
  if (!parsed.success) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, formatZodError(parsed.error), { field: issueField(parsed.error) });
  const { provider, apiKey } = parsed.data;
  const session = openSession(adapter, { ...options, apiKey, extraSecrets: [options.storage?.secretAccessKey ?? '', options.storage?.accessKeyId ?? ''] }, parsed.data.baseUrl);
  const { ctx } = session;
  const { baseUrl, clock, delay, secrets } = ctx;
  const newId = options.newId ?? randomUUID;
  const name = providerName(provider);
  const claimKey = (id: string) => `${provider}|${baseUrl}|${id}`;

  /** A job as the adapter read it, with its provider-sourced texts made safe to show (`raw` stays untouched). */
  function clean(job: LipSyncJob): LipSyncJob {
    if (!job.error) return job;
    return { ...job, error: { code: safeToken(job.error.code, secrets) ?? 'failed', message: safeText(job.error.message, secrets, 1_000) } };
  }

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
    return new LipSyncError(ERROR_CODES.INVALID_INPUT, formatZodError(error, name), { provider, field: field ?? issueField(error) });
  }

  const uploadContext = (signal?: AbortSignal): UploadContext => ({
    send: (spec) => send(ctx, spec, 'upload', { signal }),
    async put(url, data, contentType) {
      if (signal?.aborted) throw abortError(signal, 'The upload');
      const problem = httpUrlProblem(url, 'the upload URL');
      if (problem) throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, `${name} gave an unusable upload URL: ${problem}`, { provider });
      const res = await ctx.transport({
        method: 'PUT',
        url,
        headers: { 'content-type': contentType },
        body: data,
        connectTimeoutMs: ctx.connectTimeoutMs,
        readTimeoutMs: Math.max(ctx.readTimeoutMs, 120_000),
        maxBodyBytes: 64 * 1024,
        signal,
      }).catch((e) => {
        if (signal?.aborted) throw abortError(signal, 'The upload');
        throw new LipSyncError(ERROR_CODES.NETWORK_ERROR, safeText(`Uploading the media failed: ${(e as Error).message}`, secrets), { provider, retryable: true });
      });
      if (res.status >= 300) throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, `Uploading the media was refused (HTTP ${res.status})`, { provider, httpStatus: res.status });
    },
  });

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
      if (signal?.aborted) throw abortError(signal, 'The upload');
      let url: string;
      if (adapter.uploadMedia) url = await adapter.uploadMedia(file, uploadContext(signal));
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
    const { signal } = callOptions;
    let prepared = validateInput(input);
    if (adapter.prepareCreate) prepared = adapter.prepareCreate(prepared, newId);
    const built = await buildCreateRequest(prepared, signal);
    const spec = built.spec;
    prepared = built.resolved;
    if (signal?.aborted) throw abortError(signal, 'The create');
    const sentAt = clock.now();
    let res: ParsedResponse;
    try {
      res = await send(ctx, spec, 'create', { signal });
    } catch (error) {
      if (!maybeCreated(error)) throw error;
      return recover(error as LipSyncError, prepared, sentAt, signal);
    }
    let job: LipSyncJob;
    try {
      job = clean(adapter.parseCreate(res, prepared));
    } catch (e) {
      // A 2xx whose id cannot be read (missing, empty, unusable): the job was very likely made.
      const err = LipSyncError.is(e) ? e : new LipSyncError(ERROR_CODES.PROVIDER_ERROR, String((e as Error)?.message ?? e), { provider });
      return recover(new LipSyncError(err.code, err.reason, { ...err.details(), provider, httpStatus: res.status, maybeCreated: true, retryable: false }), prepared, sentAt, signal);
    }
    claim(claimKey(job.id));
    return job;
  }

  /**
   * A create that may have reached the provider and gave no usable id: look for the job where the adapter can,
   * never send the create again. Every way out of here is the one non-retryable "may exist" error (marked for
   * {@link maybeCreated}), or the job found, claimed for this caller only.
   */
  async function recover(err: LipSyncError, prepared: CreateInput, sentAt: number, signal?: AbortSignal): Promise<LipSyncJob> {
    const mayExist = (why: string, code = err.code) =>
      new LipSyncError(
        code,
        `${err.reason}. The create request may have reached ${name}${why}, so it was not sent again (that could start and bill a second job); look for the job in your ${name} account before retrying`,
        { ...err.details(), retryable: false, maybeCreated: true },
      );
    // Cancelled with the create on the wire and no answer within the grace: nothing more may be sent (the
    // error already says the job may exist).
    if (err.code === ERROR_CODES.ABORTED) throw err;
    if (!adapter.recoverCreate) throw mayExist('');
    // A stalled or reset request can still arrive after a lookup found nothing, so "not found" proves nothing:
    // look a few times, spaced out, and never send the create again.
    let lastFailure: LipSyncError | undefined;
    let foundOthers = false;
    for (const pause of RECOVERY_LOOKUPS_MS) {
      try {
        if (pause) await delay(pause, signal);
        const found = await adapter.recoverCreate(prepared, { send: (s) => read(s, signal), sentAt });
        if (found) {
          const job = clean(found);
          if (claim(claimKey(job.id))) return job;
          foundOthers = true; // another caller's job (same inputs, sent at the same time): not ours
        }
      } catch (e) {
        if (signal?.aborted || isAbortError(e)) {
          const cancelled = abortError(signal, 'Looking for the job');
          throw mayExist(` (${cancelled.reason} before it was found)`, ERROR_CODES.ABORTED);
        }
        lastFailure = LipSyncError.is(e) ? e : new LipSyncError(ERROR_CODES.PROVIDER_ERROR, safeText((e as Error)?.message ?? e, secrets), { provider });
      }
    }
    const late = prepared.referenceId ? `; if it arrives late, Get Job with its reference id ${String(prepared.referenceId)} finds it` : '';
    const failed = lastFailure ? `; the last lookup failed: ${lastFailure.message}` : '';
    const others = foundOthers ? '; the job the lookup found belongs to another create sent at the same time' : '';
    throw mayExist(` (it had no such job after ${RECOVERY_LOOKUPS_MS.length} lookups${late}${others}${failed})`);
  }

  async function getJob(id: string, callOptions: CallOptions = {}): Promise<LipSyncJob> {
    const jobId = checkId(id);
    const res = await read(adapter.buildGet(jobId), callOptions.signal, jobId);
    return clean(adapter.parseGet(res, jobId));
  }

  async function listJobs(query: ListQuery = {}, callOptions: CallOptions = {}): Promise<ListJobsResult> {
    if (!adapter.buildList || !adapter.parseList) {
      throw new LipSyncError(ERROR_CODES.NOT_SUPPORTED, `Listing jobs is not supported by ${name}: it has no list endpoint. Keep the job ids you create`, { provider });
    }
    const q = listQuerySchema.safeParse(stripEmpty(query));
    if (!q.success) throw invalid(q.error);
    try {
      const res = await read(adapter.buildList(q.data), callOptions.signal);
      const listed = adapter.parseList(res, q.data);
      return { ...listed, jobs: listed.jobs.map(clean) };
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
    rateLimitState: (kind = 'create') => ctx.limiters[kind]?.state(),
    createJob,
    getJob,
    listJobs,
    waitForJob: wait,
    async createAndWait(input, waitOptions: CreateAndWaitOptions = {}) {
      // Bad wait options are refused before the create: a job must not be made only to fail its wait.
      validateWaitOptions(waitOptions);
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
    async storeResult(job, storeOptions: StoreResultOptions = {}) {
      if (!options.storage) {
        throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'Saving the result to storage needs S3-compatible storage settings, and this client has none', { provider, field: 'storage', jobId: job?.id });
      }
      return storeResult(job, options.storage, storeOptions, { transport: ctx.transport, now: () => clock.now(), safety: { trustedOrigins: [baseUrl], allowPrivateNetworks: options.allowPrivateNetworks } });
    },
    close: session.close,
  };

  function checkId(id: string): string {
    const r = idSchema.safeParse(id);
    if (!r.success) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, formatZodError(r.error), { provider, field: 'jobId' });
    return r.data;
  }
}

/** The field an input problem is about: the issue's path, or the unknown option's name. */
function issueField(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return '';
  if (issue.path.length) return issue.path.map(String).join('.');
  const keys = (issue as { keys?: string[] }).keys;
  return keys?.[0] ?? '';
}

