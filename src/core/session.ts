import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NOT_HEADER_SAFE } from './errors';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RETRY, type HttpContext, MAX_TIMER_MS, type RetryPolicy } from './http';
import { type AccountLimiters, RateLimiter } from './limiter';
import type { RateLimit, WireAdapter } from './provider';
import { realDelay, systemClock } from './time';
import type { Clock, Delay, Transport } from './types';
import { createUndiciTransport } from './undici-transport';
import { httpUrlProblem } from './url-safety';

/**
 * The machinery every client of one account shares (the lip-sync client and the speech client): transport,
 * timeouts, retries, limiters, redaction (in `send`). One session per client; limiters are shared per account.
 */
export interface SessionOptions {
  apiKey: string;
  /** Defaults to the provider's documented host; always overridable (sandbox, other Fish Audio hosts). */
  baseUrl?: string;
  transport?: Transport;
  clock?: Clock;
  delay?: Delay;
  random?: () => number;
  connectTimeoutMs?: number;
  /** Longest wait for response headers and longest pause between two chunks of a body (default 30 s). */
  readTimeoutMs?: number;
  /**
   * Total time one request attempt may take once it is sent, to the last byte of the answer (default
   * connectTimeoutMs + readTimeoutMs): a provider that trickles its answer cannot hold a call for longer.
   */
  requestTimeoutMs?: number;
  /** Longest JSON/text answer read from the provider (default 4 MB); a longer one is a PROVIDER_ERROR. */
  maxResponseBytes?: number;
  /**
   * Let downloads this client makes (a result streamed into storage, synthesized audio) reach loopback and private
   * addresses; by default only public ones and the base URL's own host (see UrlSafetyOptions).
   */
  allowPrivateNetworks?: boolean;
  /** More secrets to scrub from provider-sourced text besides the key (storage keys). */
  extraSecrets?: readonly string[];
  /**
   * How long a cancel lets a create that is already on the wire finish (default 5 s): its answer carries the id
   * of a job that may already be billed. Past it the create is cut off with an error saying the job may exist.
   */
  createAbortGraceMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Override the documented limits; `false` turns a limiter off. */
  rateLimits?: { create?: RateLimit | false; read?: RateLimit | false };
  /** Share limiters explicitly; by default every client of one account in this process shares them. */
  limiters?: AccountLimiters;
  userAgent?: string;
}

export interface Session {
  ctx: HttpContext;
  /** Closes the default transport's pooled connections (an injected transport is left alone). */
  close(): Promise<void>;
}

/** An http(s) URL option: a host, no spaces or control characters (see httpUrlProblem). */
export const httpUrlString = (field: string, example: string) =>
  z
    .string({ error: `${field} is required: give ${example}` })
    .trim()
    .min(1, `${field} is empty: give ${example}`)
    .superRefine((v, ctx) => {
      const problem = httpUrlProblem(v, field);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const secretString = (field: string, what: string) =>
  z
    .string({ error: `${field} is required: set ${what}` })
    .trim()
    .min(1, `${field} is empty: set ${what}`)
    .refine((v) => !NOT_HEADER_SAFE.test(v), `${field} contains a line break, a control character or a non-Latin character, which cannot be sent in an HTTP header: copy ${what} again without them`);

const duration = (field: string, min = 1) =>
  z
    .number({ error: `${field} must be a number of milliseconds` })
    .finite(`${field} must be a finite number of milliseconds`)
    .min(min, `${field} must be at least ${min} ms`)
    .max(MAX_TIMER_MS, `${field} can be at most ${MAX_TIMER_MS} ms (about 24 days)`)
    .optional();

/** apiKey, baseUrl and the timeouts as every client checks them; the provider is checked by the caller. */
export const accountOptionsSchema = z.object({
  apiKey: secretString('apiKey', 'the API key of your provider account'),
  baseUrl: httpUrlString('baseUrl', 'an http(s) URL such as https://api.example.com').optional().or(z.literal('').transform(() => undefined)),
  connectTimeoutMs: duration('connectTimeoutMs'),
  readTimeoutMs: duration('readTimeoutMs'),
  requestTimeoutMs: duration('requestTimeoutMs'),
  createAbortGraceMs: duration('createAbortGraceMs', 0),
  maxResponseBytes: z.number().int('maxResponseBytes must be a whole number of bytes').min(1024, 'maxResponseBytes must be at least 1024').optional(),
});

/**
 * Limiters by the delay they wait with, then by account. A host that passes its own real-time delay (n8n: one
 * abortable sleep for every execution) still shares one limiter per account across all its clients.
 */
const sharedLimiters = new WeakMap<Delay, Map<string, AccountLimiters>>();

function limitersFor(wire: WireAdapter, baseUrl: string, apiKey: string, options: SessionOptions, clock: Clock, delay: Delay): AccountLimiters {
  if (options.limiters) return options.limiters;
  const create = options.rateLimits?.create === undefined ? wire.rateLimits.create : options.rateLimits.create || undefined;
  const read = options.rateLimits?.read === undefined ? wire.rateLimits.read : options.rateLimits.read || undefined;
  const make = (): AccountLimiters => ({
    create: create ? new RateLimiter(create, clock, delay) : undefined,
    read: read ? new RateLimiter(read, clock, delay) : undefined,
  });
  // Limiters on an injected clock or with their own limits are private to the client (tests, benchmarks).
  if (options.clock || options.rateLimits) return make();
  let byAccount = sharedLimiters.get(delay);
  if (!byAccount) sharedLimiters.set(delay, (byAccount = new Map()));
  const key = `${wire.id}|${baseUrl}|${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
  let found = byAccount.get(key);
  if (!found) byAccount.set(key, (found = make()));
  return found;
}

/** `apiKey` and `baseUrl` must already be validated (accountOptionsSchema). */
export function openSession(wire: WireAdapter, options: SessionOptions & { apiKey: string }, baseUrlOverride?: string): Session {
  const baseUrl = (baseUrlOverride ?? wire.defaultBaseUrl).replace(/\/+$/, '');
  const clock = options.clock ?? systemClock;
  const delay = options.delay ?? realDelay;
  const ownTransport = options.transport ? undefined : createUndiciTransport({ connectTimeoutMs: options.connectTimeoutMs });
  const ctx: HttpContext = {
    adapter: wire,
    baseUrl,
    apiKey: options.apiKey,
    secrets: [options.apiKey, ...(wire.secrets?.(options.apiKey) ?? []), ...(options.extraSecrets ?? [])].filter((v) => v.length >= 4),
    transport: options.transport ?? ownTransport!,
    clock,
    delay,
    random: options.random ?? Math.random,
    limiters: limitersFor(wire, baseUrl, options.apiKey, options, clock, delay),
    retry: { ...DEFAULT_RETRY, ...options.retry },
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    readTimeoutMs: options.readTimeoutMs ?? 30_000,
    requestTimeoutMs: options.requestTimeoutMs ?? (options.connectTimeoutMs ?? 10_000) + (options.readTimeoutMs ?? 30_000),
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    createAbortGraceMs: options.createAbortGraceMs ?? 5_000,
    userAgent: options.userAgent ?? 'lipsync-kit',
  };
  return { ctx, close: async () => void (await ownTransport?.close()) };
}
