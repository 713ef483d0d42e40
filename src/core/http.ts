import { ERROR_CODES, LipSyncError, TransportFailure, isAbortError, providerName, redact, safeText, safeToken } from './errors';
import type { AccountLimiters } from './limiter';
import { formatBytes } from './media';
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
  /** Every secret to scrub from provider-sourced text: the key, the adapter's extra secrets, storage keys. */
  secrets: readonly string[];
  transport: Transport;
  clock: Clock;
  delay: Delay;
  random: () => number;
  limiters: AccountLimiters;
  retry: RetryPolicy;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** Total time one attempt may take, connect to the last byte of the body (however it trickles in). */
  requestTimeoutMs: number;
  /** Longest JSON/text response body read from the provider. */
  maxResponseBytes: number;
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

/** Default cap on a provider's JSON/text answer (job bodies are a few KB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * True for an error that says its create may have reached the provider (a job may exist, maybe billed): such a
 * create must not be sent again before the job was looked for. Works across copies of the package.
 */
export function maybeCreated(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  return (error as Record<symbol, unknown>)[MAYBE_CREATED] === true || (LipSyncError.is(error) && error.maybeCreated === true);
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
  const { secrets } = ctx;
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
  // Everything in an error that came from the provider is redacted for every secret before it is cut or kept.
  const fail = (reason: string, extra: Partial<ConstructorParameters<typeof LipSyncError>[2]> & { code: LipSyncError['code'] }) =>
    new LipSyncError(extra.code, safeText(reason, secrets, 1_000), {
      provider: adapter.id,
      jobId: options.jobId,
      ...extra,
      providerCode: safeToken(extra.providerCode, secrets),
      requestId: safeToken(extra.requestId, secrets),
    });
  const host = new URL(ctx.baseUrl).host;

  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw abortError(options.signal, 'The request');
    const release = limiter ? await limiter.acquire(options.signal) : undefined;
    let error: LipSyncError;
    let retryAfterMs: number | undefined;
    let mayHaveCreated = false;
    const wire = kind === 'create' ? deferAbort(options.signal, ctx) : { signal: options.signal, dispatched: () => true, onDispatched: () => undefined, dispose() {} };
    // The total deadline runs from the moment the request goes out (time queued for a busy connection pool is
    // not the provider's); a transport that cannot tell counts from the start.
    const deadline = totalDeadline(ctx.requestTimeoutMs, wire.signal);
    if (!ctx.transport.reportsDispatch) deadline.start();
    const onDispatched = () => {
      wire.onDispatched();
      deadline.start();
    };
    try {
      const res = await deadline.race(
        ctx.transport({
          method: spec.method,
          url,
          headers,
          body,
          connectTimeoutMs: ctx.connectTimeoutMs,
          readTimeoutMs: ctx.readTimeoutMs,
          maxBodyBytes: ctx.maxResponseBytes,
          onDispatched,
          signal: deadline.signal,
          ...(spec.binary ? { binary: true, maxResponseBytes: spec.maxResponseBytes } : {}),
        }),
      );
      if (!spec.binary && Buffer.byteLength(res.body) > ctx.maxResponseBytes) throw new TransportFailure(`the body is over ${formatBytes(ctx.maxResponseBytes)}`, 'too-large', true);
      const parsed: ParsedResponse = { status: res.status, headers: res.headers, text: res.body, json: parseJson(res.body), bytes: res.bytes };
      const failure = adapter.checkResponse(parsed) ?? (spec.binary && isBytesBody(parsed) ? null : unparsable(parsed, secrets));
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
      if (deadline.expired()) {
        error = fail(`No complete answer from ${host} within ${formatMs(ctx.requestTimeoutMs)} (the whole request, however slowly the answer arrived)`, {
          code: ERROR_CODES.TIMEOUT,
          retryable: true,
        });
        mayHaveCreated = kind === 'create' && wire.dispatched();
      } else if (isAbortError(e) || options.signal?.aborted) {
        const aborted = abortError(options.signal, 'The request');
        if (kind !== 'create') throw aborted;
        if (!wire.dispatched()) {
          throw new LipSyncError(ERROR_CODES.ABORTED, `${aborted.reason} before the create request was sent: no job was made`, { ...aborted.details(), provider: adapter.id, retryable: false });
        }
        const reason = `${aborted.reason} while the create request was on the wire, and ${providerName(adapter.id)} had not answered within ${Math.round(ctx.createAbortGraceMs / 1000)} s. It may have created the job, so look for it in your ${providerName(adapter.id)} account before creating it again`;
        throw new LipSyncError(ERROR_CODES.ABORTED, reason, { ...aborted.details(), provider: adapter.id, retryable: false, maybeCreated: true });
      } else if (LipSyncError.is(e)) throw e;
      else {
        const tf = e instanceof TransportFailure ? e : new TransportFailure(String((e as Error)?.message ?? e), 'other', true);
        if (tf.kind === 'too-large') {
          const limit = spec.binary ? (spec.maxResponseBytes ?? 64 * 1024 * 1024) : ctx.maxResponseBytes;
          error = fail(`The answer is a body over ${formatBytes(limit)} (${tf.message}); it was not read on`, { code: ERROR_CODES.PROVIDER_ERROR, retryable: true });
          mayHaveCreated = kind === 'create';
        } else {
          error = fail(describeTransportFailure(tf, host), { code: ERROR_CODES.NETWORK_ERROR, retryable: true, cause: undefined });
          mayHaveCreated = kind === 'create' && tf.maybeSent && wire.dispatched();
        }
      }
    } finally {
      deadline.dispose();
      wire.dispose();
      release?.();
    }

    if (mayHaveCreated) throw new LipSyncError(error.code, error.reason, { ...error.details(), maybeCreated: true });
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
function unparsable(res: ParsedResponse, secrets: readonly string[]): ProviderFailure | null {
  // No Content (a delete) is a complete answer.
  if (res.status === 204) return null;
  if (res.status >= 200 && res.status < 300 && (res.json === undefined || typeof res.json !== 'object')) {
    // Redacted before it is cut: a cut first could leave a part of a key that no longer matches it.
    const clean = redact(res.text.slice(0, 4_096), secrets).replace(/\s+/g, ' ');
    const snippet = clean.slice(0, 80);
    return {
      code: ERROR_CODES.PROVIDER_ERROR,
      message: `The provider answered with a body that is not valid JSON${snippet ? ` ("${snippet}${clean.length > 80 || res.text.length > 4_096 ? '…' : ''}")` : ' (empty body)'}`,
      retryable: true,
    };
  }
  return null;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/** Largest delay a Node timer takes (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The total deadline of one attempt: aborts the signal the transport gets when time is up, and settles `race`
 * even when a transport ignores the signal. Real time on purpose: it bounds network I/O, not waiting.
 */
function totalDeadline(ms: number, signal: AbortSignal | undefined) {
  const ctl = new AbortController();
  let fired = false;
  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let rejectRace: (e: unknown) => void = () => undefined;
  const timeUp = new Promise<never>((_, reject) => (rejectRace = reject));
  timeUp.catch(() => undefined);
  const onAbort = () => ctl.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    expired: () => fired,
    race: <T>(p: Promise<T>) => Promise.race([p, timeUp]),
    /** Starts the clock (once). */
    start() {
      if (timer || fired || disposed) return;
      timer = setTimeout(() => {
        fired = true;
        const failure = new TransportFailure('total request deadline reached', 'timeout', true);
        ctl.abort(failure);
        rejectRace(failure);
      }, Math.min(MAX_TIMER_MS, Math.max(1, ms)));
      timer.unref?.();
    },
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

function defaultRetryable(code: LipSyncError['code'], status: number): boolean {
  if (code === ERROR_CODES.RATE_LIMITED) return true;
  if (code === ERROR_CODES.PROVIDER_ERROR) return status >= 500 || status === 408 || status === 409 || status < 300;
  return false;
}

function describeTransportFailure(tf: TransportFailure, host: string): string {
  switch (tf.kind) {
    case 'connect':
      return `Could not connect to ${host}: ${tf.message}`;
    case 'timeout':
      return `No response from ${host} in time: ${tf.message}`;
    case 'reset':
      return `The connection to ${host} was closed before a full response arrived: ${tf.message}`;
    default:
      return `Network error talking to ${host}: ${tf.message}`;
  }
}

/**
 * The signal a create request is sent with. A cancel stops a create that is not on the wire yet at once (still
 * queued for a connection: nothing was sent). One already on the wire is cut off only after
 * `ctx.createAbortGraceMs`, so it can still return the id of the job it made. `dispose` when the request is over.
 */
function deferAbort(signal: AbortSignal | undefined, ctx: HttpContext) {
  let sent = !ctx.transport.reportsDispatch;
  const wire = new AbortController();
  const over = new AbortController();
  let cancelled = false;
  const startGrace = () => {
    ctx.delay(ctx.createAbortGraceMs, over.signal).then(
      () => wire.abort(signal?.reason),
      () => undefined,
    );
  };
  const onAbort = () => {
    cancelled = true;
    if (sent) startGrace();
    else wire.abort(signal?.reason);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: signal ? wire.signal : undefined,
    dispatched: () => sent,
    onDispatched: () => {
      // A request cancelled while queued still reaches this hook, and is then dropped unwritten.
      if (sent || wire.signal.aborted) return;
      sent = true;
      // The cancel came while the request waited for a connection, but it went out anyway: grant the grace.
      if (cancelled && !wire.signal.aborted) startGrace();
    },
    dispose() {
      signal?.removeEventListener('abort', onAbort);
      over.abort();
    },
  };
}
