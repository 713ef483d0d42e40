import type { z } from 'zod';
import type { LipSyncErrorCode } from './errors';
import type { BinaryMedia, MediaInfo, MediaLimits } from './media';
import type { HttpMethod, JobStatus, LipSyncJob, ListJobsResult, MultipartPart, ProviderId } from './types';

/** A request as an adapter describes it: path relative to the base URL, JSON body or multipart. */
export interface RequestSpec {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  multipart?: MultipartPart[];
  /** The success answer may be bytes rather than JSON (audio): see ParsedResponse.bytes. */
  binary?: boolean;
  /** For binary answers: the longest body accepted (the transport's default otherwise). */
  maxResponseBytes?: number;
}

/** What an adapter makes of an error response (or a 2xx whose body says it failed). */
export interface ProviderFailure {
  code: LipSyncErrorCode;
  message: string;
  providerCode?: string | number;
  requestId?: string;
  retryable?: boolean;
  retryAfterMs?: number;
}

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, or undefined when the body was not JSON. */
  json: unknown;
  text: string;
  /** The raw body of a `binary` request. */
  bytes?: Uint8Array;
}

export interface RateLimit {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

export interface PollHints {
  /** Delay before the first status request. */
  initialDelayMs: number;
  /** Shortest gap between two status requests. */
  minIntervalMs: number;
  /** Longest gap between two status requests. */
  maxIntervalMs: number;
}

export interface CreateInput {
  /** Public http(s) URL of the source video; or give the bytes as `video`. */
  videoUrl?: string;
  /** Public http(s) URL of the audio; or give the bytes as `audio`. */
  audioUrl?: string;
  video?: BinaryMedia;
  audio?: BinaryMedia;
  [option: string]: unknown;
}

/** Media bytes after inspection, ready to upload. */
export interface PreparedMedia {
  role: 'video' | 'audio';
  data: Uint8Array;
  filename: string;
  info: MediaInfo;
}

export interface UploadContext {
  /** A request to the provider API, rate-limited like a create, retried like a read (no job is made). */
  send(spec: RequestSpec): Promise<ParsedResponse>;
  /** A plain PUT of bytes to a presigned URL (no API key). */
  put(url: string, data: Uint8Array, contentType: string): Promise<void>;
}

export interface ListQuery {
  page?: number;
  limit?: number;
  offset?: number;
  status?: JobStatus;
  referenceId?: string;
  videoUrl?: string;
  audioUrl?: string;
  playbackType?: string;
}

/** Context an adapter gets to recover from a create whose response was lost. */
export interface RecoveryContext {
  /** Sends a read request through the client (retries, limiter, error mapping included). */
  send(spec: RequestSpec): Promise<ParsedResponse>;
  /** When the lost create was sent (client clock). */
  sentAt: number;
}

/** What the shared HTTP machinery (`send`, `openSession`) needs of an API surface: auth, error mapping, limits. */
export interface WireAdapter {
  id: ProviderId;
  displayName: string;
  defaultBaseUrl: string;
  /** Headers that authenticate a request. */
  authHeaders(apiKey: string): Record<string, string>;
  /** Extra secrets (besides the API key) to scrub from messages. */
  secrets?(apiKey: string): string[];
  /** Returns null when the response is a success, else what went wrong. */
  checkResponse(res: ParsedResponse): ProviderFailure | null;
  /** Documented client-side limits. */
  rateLimits: { create?: RateLimit; read?: RateLimit };
}

/**
 * One provider's wire format. Thin: build requests, parse responses, map statuses and errors.
 * No HTTP, retries, waiting or host logic here.
 */
export interface ProviderAdapter<Options extends Record<string, unknown> = Record<string, unknown>> {
  id: ProviderId;
  displayName: string;
  defaultBaseUrl: string;
  /** zod schema of the provider-specific create options (strict: unknown keys are refused). */
  optionsSchema: z.ZodType<Options>;
  /** Headers that authenticate a request. */
  authHeaders(apiKey: string): Record<string, string>;
  /** Extra secrets (besides the API key) to scrub from messages. */
  secrets?(apiKey: string): string[];

  /**
   * Fills in options that make a create recoverable (Chamelaion: a generated reference_id). Called once per
   * logical create, before the first attempt, so every attempt carries the same value.
   */
  prepareCreate?(input: CreateInput & Options, newId: () => string): CreateInput & Options;
  buildCreate(input: CreateInput & Options): RequestSpec;
  parseCreate(res: ParsedResponse, input: CreateInput & Options): LipSyncJob;
  /**
   * Finds the job a lost create made, or returns null when the provider has none for it (yet: the create may still
   * arrive late, so the client looks again and never re-sends it). Providers without a way to look a create up
   * leave this out.
   */
  recoverCreate?(input: CreateInput & Options, ctx: RecoveryContext): Promise<LipSyncJob | null>;

  /** Media limits the provider documents; bytes that break them are refused before any upload. */
  mediaLimits?: { video?: MediaLimits; audio?: MediaLimits };
  /** The provider's own upload: returns a URL the provider can read (JoggAI asset upload). */
  uploadMedia?(media: PreparedMedia, ctx: UploadContext): Promise<string>;
  /** A create that carries both files itself (Chamelaion generate-with-media). */
  buildCreateWithMedia?(input: CreateInput & Options, video: PreparedMedia, audio: PreparedMedia): RequestSpec;

  buildGet(id: string): RequestSpec;
  parseGet(res: ParsedResponse, id: string): LipSyncJob;

  buildList?(query: ListQuery): RequestSpec;
  parseList?(res: ParsedResponse, query: ListQuery): ListJobsResult;
  /** The list request answers "not found" when nothing matches (JoggAI's lookup): that is an empty list. */
  listNotFoundIsEmpty?: boolean;

  /** A cheap authenticated read that proves the key works (used by credential tests). */
  buildAuthCheck(): RequestSpec;

  /** Returns null when the response is a success, else what went wrong. */
  checkResponse(res: ParsedResponse): ProviderFailure | null;

  /** Documented client-side limits. */
  rateLimits: { create?: RateLimit; read?: RateLimit };
  pollHints: PollHints;
}

/** Normalized status for a provider status; unknown values are treated as still running. */
export function mapStatus(table: Record<string, JobStatus>, value: unknown): JobStatus {
  const key = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.toLowerCase() : '';
  return table[key] ?? 'processing';
}

/** First non-empty string among the candidates. */
export function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v.length > 0) return v;
  return undefined;
}

export function firstNumber(...values: unknown[]): number | undefined {
  for (const v of values) {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

/** ISO string for a date given as ISO text, epoch seconds or epoch milliseconds. */
export function toIso(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) {
    const ms = value < 1e11 ? value * 1000 : value;
    return new Date(ms).toISOString();
  }
  if (typeof value === 'string') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? value : d.toISOString();
  }
  return undefined;
}
