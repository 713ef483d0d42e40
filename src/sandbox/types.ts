/** Public types of the sandbox. */

export const SANDBOX_PROVIDERS = ['fishaudio-open', 'fishaudio-v1', 'akool', 'chamelaion', 'joggai'] as const;
export type ProviderId = (typeof SANDBOX_PROVIDERS)[number];

export const FAULT_KINDS = ['500', '502', '503', '429', '429-retry-after', 'reset', 'stall', 'malformed-json', 'html', 'truncated', 'slow', 'busy'] as const;
/**
 * - '500' | '502' | '503': that HTTP status with the provider's server-error body
 * - '429': HTTP 429 with the provider's rate-limit body, no Retry-After; '429-retry-after': the same with `Retry-After: 1`
 * - 'reset': the socket is destroyed without a response
 * - 'stall': no response at all (the socket is destroyed by close() or after 60 s)
 * - 'malformed-json': HTTP 200 with a body that is not valid JSON
 * - 'html': HTTP 502 with a proxy's HTML error page
 * - 'truncated': a Content-Length larger than the body, then the socket ends
 * - 'slow': the request is processed (a create makes its job) and the real answer comes 1 s late
 * - 'busy': the provider's own "server error, try again later" answer with the HTTP status it uses for it
 *   (Akool and JoggAI: HTTP 200 with their business code; the others: 500)
 */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One queued fault, applied to the next `count` matching requests. */
export interface FaultSpec {
  kind: FaultKind;
  /** How many matching requests it applies to (default 1). */
  count?: number;
  provider?: ProviderId;
  method?: string;
  /** Substring of the request URL (path and query as received, provider prefix included). */
  pathIncludes?: string;
  /** Process the request first (a create really creates the job), then replace its response with the fault. */
  after?: boolean;
}

/** Random faults on a share of the matching provider requests, chosen by a seeded PRNG (deterministic). */
export interface FaultConfig {
  /** 0..1: the share of matching requests that get a fault. */
  rate: number;
  kinds: FaultKind[];
  seed?: number;
  provider?: ProviderId;
  method?: string;
  pathIncludes?: string;
}

export interface RateLimitRule {
  limit: number;
  windowMs: number;
  /** Which requests count and are refused: job creates only (default) or every API request of the provider. */
  on?: 'create' | 'all';
}

export interface SandboxOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** The one key every provider accepts (default 'sandbox-key'). `sandbox-no-credits` is accepted too, without credits. */
  apiKey?: string;
  /** Total time a job takes (default 3000): queued for the first 20 %, then processing, then finished. */
  jobDurationMs?: number;
  /**
   * Size in bytes of every completed job's result video (default: the 3 s sample as it is). A larger size serves
   * the sample followed by an MP4 `free` box of padding, generated while it is sent (never held in memory), so
   * that downloads of large results can be tried and measured. Sizes below the sample's plus 16 bytes serve the sample.
   */
  resultBytes?: number;
  /** When set, Akool's getToken only accepts this clientId. */
  akoolClientId?: string;
  rateLimits?: Partial<Record<ProviderId, RateLimitRule>>;
  faults?: FaultConfig;
  /** One line per request on stdout. */
  logRequests?: boolean;
  /** Oldest recorded requests are dropped beyond this many (default 200,000). */
  maxRecordedRequests?: number;
  /** Akool webhook callbacks for jobs created with a webhookUrl (see `Sandbox.callbacks`). */
  akoolCallbacks?: AkoolCallbackOptions;
}

export interface AkoolCallbackOptions {
  /** Default true: every Akool job created with a webhookUrl gets its callbacks. */
  send?: boolean;
  /** The client id callbacks are signed with and whose first 16 bytes are the AES IV (default `akoolClientId`, else 'sandbox-clientid'). */
  clientId?: string;
  /** The AES key; Akool's client secret is the API key (default `apiKey`, which must then be 16, 24 or 32 characters). */
  clientSecret?: string;
  /** Waits between attempts while the receiver does not answer 200 (default 1, 2, 4, 8, 16 s: six attempts). */
  retryDelaysMs?: number[];
  /** One attempt's time limit (default 10 s). */
  attemptTimeoutMs?: number;
}

export interface CallbackAttempt {
  /** Milliseconds since the epoch. */
  at: number;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  error?: string;
}

/** One callback the sandbox sent (with all its attempts). */
export interface SentCallback {
  provider: 'akool';
  /** scheduled: sent as the job moved; manual / forged / late / replay: sent by `sendAkoolCallback`. */
  kind: 'scheduled' | 'manual' | 'forged' | 'late' | 'replay';
  jobId: string;
  url: string;
  /** Akool's status number: 2 processing, 3 completed, 4 failed. */
  status: number;
  /** The decrypted payload. */
  payload: Record<string, unknown>;
  /** What was POSTed last: { signature, dataEncrypt, timestamp, nonce } (undefined if it could not be encrypted). */
  body?: { signature: string; dataEncrypt: string; timestamp: number | string; nonce: string };
  attempts: CallbackAttempt[];
  /** The receiver answered 200. */
  delivered: boolean;
}

/** A callback sent once, at once, for tests. */
export interface ManualCallback {
  /** The Akool job (default for the URL: the job's webhookUrl). */
  jobId?: string;
  url?: string;
  /** Default: the job's status now. */
  status?: 'processing' | 'completed' | 'failed';
  /** Signed with the wrong secret: the signature cannot match. */
  forged?: boolean;
  /** A late callback: validly signed, with this timestamp (ms since the epoch). */
  timestamp?: number;
  /** Sends an earlier callback's body again, unchanged (its index in `callbacks`, or the entry). */
  replay?: number | SentCallback;
}

export interface RecordedRequest {
  provider: ProviderId;
  method: string;
  /** The path without the provider prefix, e.g. '/v2/create_lip_sync_video'. */
  path: string;
  /** The request target as received (prefix and query string included). */
  url: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON; multipart fields with files as {filename, size, contentType}; raw uploads as {size, contentType}. */
  body: unknown;
  /** The body as text (JSON requests only). */
  rawBody?: string;
  /** Milliseconds since the epoch. */
  at: number;
  /** The HTTP status that was sent, once a response was sent. */
  status?: number;
  /** The fault applied to this request, if any. */
  fault?: FaultKind;
}

export type SandboxJobStatus = 'queued' | 'processing' | 'completed' | 'failed';

/** A job as the sandbox holds it, in the common vocabulary (for tests and the control API). */
export interface SandboxJob {
  provider: ProviderId;
  id: string;
  status: SandboxJobStatus;
  progress: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  durationMs: number;
  videoUrl?: string;
  audioUrl?: string;
  referenceId?: string;
  playbackType?: string;
  webhookUrl?: string;
  resultUrl?: string;
  error?: string;
}

export interface Sandbox {
  /** e.g. http://127.0.0.1:4010 */
  readonly url: string;
  readonly port: number;
  /** The base URL a client uses in place of the provider's host (Chamelaion's includes /api, like the real one). */
  baseUrl(provider: ProviderId): string;
  /** Every provider request received, oldest first (media and control requests are not recorded). */
  readonly requests: RecordedRequest[];
  /** Every Akool callback sent, oldest first, with its attempts. */
  readonly callbacks: SentCallback[];
  /** Sends one Akool callback now, without retries (genuine, forged, late or replayed); resolves once answered. */
  sendAkoolCallback(callback: ManualCallback): Promise<SentCallback>;
  clearRequests(): void;
  jobCount(provider?: ProviderId): number;
  getJob(provider: ProviderId, id: string): SandboxJob | undefined;
  listJobs(provider?: ProviderId): SandboxJob[];
  /** Duration of jobs created from now on. */
  setJobDuration(ms: number): void;
  injectFault(fault: FaultSpec): void;
  /** Replaces the fault state: drops queued faults, then sets (or, with undefined, removes) random faults. */
  setFaults(config: FaultConfig | undefined): void;
  /** Back to the state just after start: no jobs, requests, uploads, faults, tokens or rate-limit history. */
  reset(): void;
  /** Stops listening and destroys every open socket, stalled ones included. */
  close(): Promise<void>;
}
