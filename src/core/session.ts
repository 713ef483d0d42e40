import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_RETRY, type HttpContext, type RetryPolicy } from './http';
import { type AccountLimiters, RateLimiter } from './limiter';
import type { RateLimit, WireAdapter } from './provider';
import { realDelay, systemClock } from './time';
import type { Clock, Delay, Transport } from './types';
import { createUndiciTransport } from './undici-transport';

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
  readTimeoutMs?: number;
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

/** apiKey and baseUrl as every client checks them; the provider is checked by the caller. */
export const accountOptionsSchema = z.object({
  apiKey: z.string({ error: 'apiKey is required: set the API key of your provider account' }).trim().min(1, 'apiKey is empty: set the API key of your provider account'),
  baseUrl: z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s/]+/i.test(v), 'baseUrl must be an http(s) URL such as https://api.example.com')
    .optional()
    .or(z.literal('').transform(() => undefined)),
});

const sharedLimiters = new Map<string, AccountLimiters>();

function limitersFor(wire: WireAdapter, baseUrl: string, apiKey: string, options: SessionOptions, clock: Clock, delay: Delay): AccountLimiters {
  if (options.limiters) return options.limiters;
  const create = options.rateLimits?.create === undefined ? wire.rateLimits.create : options.rateLimits.create || undefined;
  const read = options.rateLimits?.read === undefined ? wire.rateLimits.read : options.rateLimits.read || undefined;
  const make = (): AccountLimiters => ({
    create: create ? new RateLimiter(create, clock, delay) : undefined,
    read: read ? new RateLimiter(read, clock, delay) : undefined,
  });
  // Limiters on an injected clock are private to the client (tests, benchmarks).
  if (options.clock || options.delay || options.rateLimits) return make();
  const key = `${wire.id}|${baseUrl}|${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
  let found = sharedLimiters.get(key);
  if (!found) sharedLimiters.set(key, (found = make()));
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
    transport: options.transport ?? ownTransport!,
    clock,
    delay,
    random: options.random ?? Math.random,
    limiters: limitersFor(wire, baseUrl, options.apiKey, options, clock, delay),
    retry: { ...DEFAULT_RETRY, ...options.retry },
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    readTimeoutMs: options.readTimeoutMs ?? 30_000,
    createAbortGraceMs: options.createAbortGraceMs ?? 5_000,
    userAgent: options.userAgent ?? 'lipsync-kit',
  };
  return { ctx, close: async () => void (await ownTransport?.close()) };
}
