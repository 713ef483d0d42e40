/**
 * The normalized model every host node sees, whatever the provider. Host-free: no n8n, no Node-RED.
 */

export const PROVIDER_IDS = ['fishaudio-open', 'fishaudio-v1', 'akool', 'chamelaion', 'joggai'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobError {
  /** The provider's own code where it gives one (e.g. Akool 1211), else a normalized code. */
  code: string;
  message: string;
}

export interface LipSyncJob {
  id: string;
  provider: ProviderId;
  status: JobStatus;
  /** The provider's status value exactly as it was sent (string or number). */
  providerStatus?: string | number;
  /** 0..100 where the provider reports it. */
  progress?: number;
  resultUrl?: string;
  coverUrl?: string;
  durationSeconds?: number;
  creditsUsed?: number;
  error?: JobError;
  /** Chamelaion reference id (or another client-side id the provider echoes). */
  referenceId?: string;
  createdAt?: string;
  updatedAt?: string;
  completedAt?: string;
  /** The provider's response body for this job, untouched. */
  raw: unknown;
}

export interface ListJobsResult {
  jobs: LipSyncJob[];
  page?: number;
  limit?: number;
  offset?: number;
  total?: number;
  hasMore?: boolean;
  raw: unknown;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Resolves after `ms`, rejects with an AbortError-like error when `signal` aborts first. */
export type Delay = (ms: number, signal?: AbortSignal) => Promise<void>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';

/** A multipart part as the core hands it to a transport. */
export interface MultipartPart {
  name: string;
  value: string | Uint8Array;
  filename?: string;
  contentType?: string;
}

export interface TransportRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | { multipart: MultipartPart[] };
  /** Time allowed to open the connection. */
  connectTimeoutMs: number;
  /** Time allowed for the response (headers and body) once the request was sent. */
  readTimeoutMs: number;
  signal?: AbortSignal;
  /**
   * The answer may be bytes (synthesized audio): the transport returns them as `bytes`, and `body` holds text only
   * when the Content-Type is JSON or text. Bodies longer than `maxResponseBytes` fail (default 64 MiB).
   */
  binary?: boolean;
  maxResponseBytes?: number;
}

export interface TransportResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
  /** The raw body, for `binary` requests. */
  bytes?: Uint8Array;
}

/**
 * Sends one HTTP request. Must throw a {@link TransportFailure} (see errors.ts) for network problems, telling
 * whether the request may have reached the server (`maybeSent`), and never throw for an HTTP status.
 */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;
