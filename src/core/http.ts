import { ERROR_CODES, LipSyncError, TransportFailure, isAbortError, providerName, redact } from './errors';
import type { AccountLimiters } from './limiter';
import type { ParsedResponse, ProviderFailure, RequestSpec, WireAdapter } from './provider';
import { abortError } from './time';
import type { Clock, Delay, Transport, TransportRequest } from './types';

export interface RetryPolicy {
  /** Extra attempts after the first, for reads and for refused (429) creates. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out inside one call; the error is thrown instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

export interface HttpContext {
  adapter: WireAdapter;
  baseUrl: string;
  apiKey: string;
  transport: Transport;
  clock: Clock;
  delay: Delay;
  random: () => number;
  limiters: AccountLimiters;
  retry: RetryPolicy;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** A cancel cuts off a create already on the wire only after this long (see LipSyncClientOptions). */
  createAbortGraceMs: number;
  userAgent: string;
}

/** read: retried; create: never re-sent once it may have arrived; upload: limited like a create, retried like a read. */
export type RequestKind = 'read' | 'create' | 'upload';

/**
 * Marks an error raised by a create whose request may have reached the provider: the job may exist.
 * The client then tries the adapter's recovery; a host must never re-send such a create on its own.
 */
export const MAYBE_CREATED = Symbol.for('lipsync-kit.maybe-created');

export function maybeCreated(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MAYBE_CREATED] === true;
}

export function buildUrl(baseUrl: string, spec: RequestSpec): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + spec.path);
  for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  return url.toString();
}

export function parseRetryAfter(headers: Record<string, string>, now: number): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers['retry-after'];
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Sends one logical request with the client's limiter, timeouts, retries and error mapping. */
export async function send(
  ctx: HttpContext,
  spec: RequestSpec,
  kind: RequestKind,
  options: { signal?: AbortSignal; jobId?: string } = {},
): Promise<ParsedResponse> {
  const { adapter } = ctx;
  const secrets = [ctx.apiKey, ...(adapter.secrets?.(ctx.apiKey) ?? [])];
  const url = buildUrl(ctx.baseUrl, spec);
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': ctx.userAgent,
    ...adapter.authHeaders(ctx.apiKey),
  };
  let body: TransportRequest['body'];
  if (spec.multipart) body = { multipart: spec.multipart };
  else if (spec.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(spec.json);
  }
  const limiter = kind === 'read' ? ctx.limiters.read : ctx.limiters.create;
  const fail = (reason: string, extra: Partial<ConstructorParameters<typeof LipSyncError>[2]> & { code: LipSyncError['code'] }) =>
    new LipSyncError(extra.code, redact(reason, secrets), { provider: adapter.id, jobId: options.jobId, ...extra });

  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw abortError(options.signal, 'The request');
    const release = limiter ? await limiter.acquire(options.signal) : undefined;
    let error: LipSyncError;
    let retryAfterMs: number | undefined;
    let mayHaveCreated = false;
    const wire = kind === 'create' ? deferAbort(options.signal, ctx) : { signal: options.signal, dispose() {} };
    try {
      const res = await ctx.transport({
        method: spec.method,
        url,
        headers,
        body,
        connectTimeoutMs: ctx.connectTimeoutMs,
        readTimeoutMs: ctx.readTimeoutMs,
        signal: wire.signal,
        ...(spec.binary ? { binary: true, maxResponseBytes: spec.maxResponseBytes } : {}),
      });
      const parsed: ParsedResponse = { status: res.status, headers: res.headers, text: res.body, json: parseJson(res.body), bytes: res.bytes };
      const failure = adapter.checkResponse(parsed) ?? (spec.binary && isBytesBody(parsed) ? null : unparsable(parsed));
      if (!failure) return parsed;
      retryAfterMs = failure.retryAfterMs ?? parseRetryAfter(res.headers, ctx.clock.now());
      error = fail(failure.message, {
        code: failure.code,
        httpStatus: res.status,
        providerCode: failure.providerCode,
        requestId: failure.requestId,
        retryable: failure.retryable ?? defaultRetryable(failure.code, res.status),
        retryAfterMs,
      });
      // A refused create (rate limit, auth, bad input, credits, or any answer with the provider's own error code,
      // e.g. Akool's HTTP 200 + 1201 "try again later") made no job. A 5xx or an unreadable success body might have.
      mayHaveCreated =
        kind === 'create' &&
        (res.status >= 500 || (res.status < 300 && failure.code === ERROR_CODES.PROVIDER_ERROR && failure.providerCode === undefined));
    } catch (e) {
      if (isAbortError(e) || options.signal?.aborted) {
        const aborted = abortError(options.signal, 'The request');
        if (kind !== 'create') throw aborted;
        const reason = `${aborted.reason} while the create request was on the wire, and ${providerName(adapter.id)} had not answered within ${Math.round(ctx.createAbortGraceMs / 1000)} s. It may have created the job, so look for it in your ${providerName(adapter.id)} account before creating it again`;
        throw Object.defineProperty(new LipSyncError(ERROR_CODES.ABORTED, reason, { ...aborted.details(), provider: adapter.id, retryable: false }), MAYBE_CREATED, { value: true });
      }
      if (LipSyncError.is(e)) throw e;
      const tf = e instanceof TransportFailure ? e : new TransportFailure(String((e as Error)?.message ?? e), 'other', true);
      error = fail(describeTransportFailure(tf, ctx), { code: ERROR_CODES.NETWORK_ERROR, retryable: true, cause: undefined });
      mayHaveCreated = kind === 'create' && tf.maybeSent;
    } finally {
      wire.dispose();
      release?.();
    }

    if (mayHaveCreated) {
      Object.defineProperty(error, MAYBE_CREATED, { value: true });
      throw error;
    }
    const canRetry =
      attempt < ctx.retry.maxRetries &&
      error.retryable &&
      (kind !== 'create' || error.code === ERROR_CODES.RATE_LIMITED || error.code === ERROR_CODES.NETWORK_ERROR);
    if (!canRetry) throw error;
    if (retryAfterMs !== undefined && retryAfterMs > ctx.retry.maxRetryAfterMs) throw error;
    const backoff = Math.min(ctx.retry.maxDelayMs, ctx.retry.baseDelayMs * 2 ** attempt);
    const jittered = backoff / 2 + ctx.random() * (backoff / 2);
    await ctx.delay(Math.max(retryAfterMs ?? 0, jittered), options.signal);
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A 2xx binary answer that is not JSON or text (the audio itself). */
export function isBytesBody(res: ParsedResponse): boolean {
  const type = (res.headers['content-type'] ?? '').toLowerCase();
  return res.status >= 200 && res.status < 300 && res.bytes !== undefined && res.bytes.length > 0 && !/json|^text\//.test(type);
}

/** A 2xx that is not JSON is a provider fault (HTML error page, truncated body). */
function unparsable(res: ParsedResponse): ProviderFailure | null {
  // No Content (a delete) is a complete answer.
  if (res.status === 204) return null;
  if (res.status >= 200 && res.status < 300 && (res.json === undefined || typeof res.json !== 'object')) {
    const snippet = res.text.slice(0, 80).replace(/\s+/g, ' ');
    return {
      code: ERROR_CODES.PROVIDER_ERROR,
      message: `The provider answered with a body that is not valid JSON${snippet ? ` ("${snippet}${res.text.length > 80 ? '…' : ''}")` : ' (empty body)'}`,
      retryable: true,
    };
  }
  return null;
}

function defaultRetryable(code: LipSyncError['code'], status: number): boolean {
  if (code === ERROR_CODES.RATE_LIMITED) return true;
  if (code === ERROR_CODES.PROVIDER_ERROR) return status >= 500 || status === 408 || status === 409 || status < 300;
  return false;
}

function describeTransportFailure(tf: TransportFailure, ctx: HttpContext): string {
  switch (tf.kind) {
    case 'connect':
      return `Could not connect to ${new URL(ctx.baseUrl).host}: ${tf.message}`;
    case 'timeout':
      return `No response from ${new URL(ctx.baseUrl).host} in time: ${tf.message}`;
    case 'reset':
      return `The connection to ${new URL(ctx.baseUrl).host} was closed before a full response arrived: ${tf.message}`;
    default:
      return `Network error talking to ${new URL(ctx.baseUrl).host}: ${tf.message}`;
  }
}

/**
 * The signal a create request is sent with: a cancel reaches it only after `ctx.createAbortGraceMs`, so a create
 * that is already on the wire can still return the id of the job it made. `dispose` when the request is over.
 */
function deferAbort(signal: AbortSignal | undefined, ctx: HttpContext): { signal?: AbortSignal; dispose(): void } {
  if (!signal) return { signal: undefined, dispose() {} };
  const wire = new AbortController();
  const over = new AbortController();
  const onAbort = () => {
    ctx.delay(ctx.createAbortGraceMs, over.signal).then(
      () => wire.abort(signal.reason),
      () => undefined,
    );
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: wire.signal,
    dispose() {
      signal.removeEventListener('abort', onAbort);
      over.abort();
    },
  };
}
