import type { JobStatus, LipSyncJob, ProviderId } from './types';

/**
 * Stable error codes a flow can branch on (n8n: `$json.error.code`, Node-RED: `msg.error.code` in a Catch node).
 * Never rename one; add new ones instead.
 */
export const ERROR_CODES = {
  INVALID_INPUT: 'INVALID_INPUT',
  AUTH_FAILED: 'AUTH_FAILED',
  INSUFFICIENT_CREDITS: 'INSUFFICIENT_CREDITS',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_FOUND: 'NOT_FOUND',
  MEDIA_UNPROCESSABLE: 'MEDIA_UNPROCESSABLE',
  PROVIDER_ERROR: 'PROVIDER_ERROR',
  NETWORK_ERROR: 'NETWORK_ERROR',
  TIMEOUT: 'TIMEOUT',
  JOB_FAILED: 'JOB_FAILED',
  ABORTED: 'ABORTED',
  NOT_SUPPORTED: 'NOT_SUPPORTED',
} as const;
export type LipSyncErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

const MARKER = Symbol.for('lipsync-kit.error');

export interface LipSyncErrorDetails {
  provider?: ProviderId;
  httpStatus?: number;
  /** The provider's own error code (Akool 1101, JoggAI 18020, Fish v1 "invalid_request", ...). */
  providerCode?: string | number;
  jobId?: string;
  retryable?: boolean;
  /** Provider request id where the provider returns one (Fish v1 requestId, JoggAI rid). */
  requestId?: string;
  /** Input field at fault, for INVALID_INPUT. */
  field?: string;
  /** Milliseconds the provider asked us to wait (Retry-After). */
  retryAfterMs?: number;
  /** Last status seen, for TIMEOUT and ABORTED while waiting. */
  lastStatus?: JobStatus;
  /** The job as last seen, for JOB_FAILED / TIMEOUT. */
  job?: LipSyncJob;
  /**
   * The create behind this error may have reached the provider: a job may exist (and be billed). Never send the
   * create again on your own; look for the job first. {@link maybeCreated} reads this.
   */
  maybeCreated?: boolean;
  cause?: unknown;
}

/**
 * The one error type the core throws. `instanceof` works inside one copy of the package;
 * {@link LipSyncError.is} also works across copies (n8n and Node-RED may each load their own).
 */
export class LipSyncError extends Error {
  readonly code: LipSyncErrorCode;
  readonly provider?: ProviderId;
  readonly httpStatus?: number;
  readonly providerCode?: string | number;
  jobId?: string;
  readonly retryable: boolean;
  readonly requestId?: string;
  readonly field?: string;
  readonly retryAfterMs?: number;
  readonly lastStatus?: JobStatus;
  readonly job?: LipSyncJob;
  /** See {@link LipSyncErrorDetails.maybeCreated}. */
  readonly maybeCreated?: boolean;
  /** The message without the context suffix, for UIs that show the context separately. */
  readonly reason: string;

  constructor(code: LipSyncErrorCode, reason: string, details: LipSyncErrorDetails = {}) {
    super(formatMessage(reason, details), details.cause === undefined ? undefined : { cause: details.cause });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'LipSyncError';
    this.code = code;
    this.reason = reason;
    this.provider = details.provider;
    this.httpStatus = details.httpStatus;
    this.providerCode = details.providerCode;
    this.jobId = details.jobId;
    this.retryable = details.retryable ?? false;
    this.requestId = details.requestId;
    this.field = details.field;
    this.retryAfterMs = details.retryAfterMs;
    this.lastStatus = details.lastStatus;
    this.job = details.job;
    if (details.maybeCreated) this.maybeCreated = true;
  }

  static is(value: unknown): value is LipSyncError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  /** A plain object for msg.error / n8n json output; never contains credentials. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message };
    for (const key of ['provider', 'httpStatus', 'providerCode', 'jobId', 'requestId', 'field', 'lastStatus', 'maybeCreated'] as const) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    out.retryable = this.retryable;
    return out;
  }

  /** A copy with the job id filled in (used once a create has returned an id). */
  withJobId(jobId: string): LipSyncError {
    if (this.jobId === jobId) return this;
    return new LipSyncError(this.code, this.reason, { ...this.details(), jobId });
  }

  details(): LipSyncErrorDetails {
    return {
      provider: this.provider,
      httpStatus: this.httpStatus,
      providerCode: this.providerCode,
      jobId: this.jobId,
      retryable: this.retryable,
      requestId: this.requestId,
      field: this.field,
      retryAfterMs: this.retryAfterMs,
      lastStatus: this.lastStatus,
      job: this.job,
      maybeCreated: this.maybeCreated,
      cause: this.cause,
    };
  }
}

const PROVIDER_NAMES: Record<ProviderId, string> = {
  'fishaudio-open': 'Fish Audio (open API)',
  'fishaudio-v1': 'Fish Audio (v1 API)',
  akool: 'Akool',
  chamelaion: 'Chamelaion',
  joggai: 'JoggAI',
};

export function providerName(provider: ProviderId): string {
  return PROVIDER_NAMES[provider] ?? provider;
}

function formatMessage(reason: string, d: LipSyncErrorDetails): string {
  const context: string[] = [];
  if (d.httpStatus !== undefined) context.push(`HTTP ${d.httpStatus}`);
  if (d.providerCode !== undefined && d.providerCode !== '') context.push(`code ${d.providerCode}`);
  if (d.jobId) context.push(`job ${d.jobId}`);
  if (d.requestId) context.push(`request ${d.requestId}`);
  const prefix = d.provider ? `${providerName(d.provider)}: ` : '';
  return `${prefix}${reason}${context.length ? ` (${context.join(', ')})` : ''}`;
}

/**
 * Thrown by transports for failures below HTTP. `maybeSent` is false only when the request certainly never
 * reached the server (DNS failure, connection refused, connect timeout): only then may a create be re-sent.
 */
export class TransportFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'connect' | 'timeout' | 'reset' | 'aborted' | 'too-large' | 'other',
    readonly maybeSent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportFailure';
  }
}

export function isAbortError(error: unknown): boolean {
  if (LipSyncError.is(error)) return error.code === ERROR_CODES.ABORTED;
  if (error instanceof TransportFailure) return error.kind === 'aborted';
  return typeof error === 'object' && error !== null && (error as { name?: string }).name === 'AbortError';
}

/**
 * Removes every occurrence of the given secrets (API keys) from a text, also URL-encoded and base64-encoded
 * forms. Redact before cutting a text short: a cut can leave part of a key that no longer matches.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = String(text);
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, '')])) {
      if (out.includes(form)) out = out.split(form).join('[redacted]');
    }
  }
  return out;
}

/** Characters that cannot go into an HTTP header value, or would split it (keys and secrets are refused with them). */
// eslint-disable-next-line no-control-regex
export const NOT_HEADER_SAFE = /[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/;

/** Control characters (C0, DEL, C1) and the Unicode line/paragraph separators. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A provider-sourced text made safe to show: secrets removed first, then control characters replaced and the
 * text cut to `max` characters.
 */
export function safeText(value: unknown, secrets: readonly string[], max = 500): string {
  const text = redact(typeof value === 'string' ? value : String(value ?? ''), secrets).replace(new RegExp(CONTROL_CHARS.source, 'g'), ' ');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * A provider-sourced code or request id kept to a short safe set (letters, digits, `._:-`): secrets removed
 * first, anything else dropped, at most `max` characters. Numbers stay numbers. Undefined when nothing is left.
 */
export function safeToken<T extends string | number | undefined>(value: T, secrets: readonly string[], max = 64): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return (Number.isFinite(value) ? value : undefined) as T | undefined;
  const text = redact(String(value), secrets).replace(/\[redacted\]/g, 'redacted').replace(/[^A-Za-z0-9._:-]/g, '').slice(0, max);
  return (text === '' ? undefined : text) as T | undefined;
}
