import { randomBytes } from 'node:crypto';
import type { WireResponse } from '../http';
import type { AssetStore } from '../media';
import type { MultipartForm } from '../multipart';
import type { SpeechStore } from '../speech';
import type { JobStore, StoredJob } from '../state';
import type { ProviderId } from '../types';

/** What every provider module implements, and the helpers they share. */

export type ErrorKind = 'bad-request' | 'auth-missing' | 'auth-invalid' | 'not-found' | 'no-credits' | 'rate-limited' | 'too-large' | 'server-error';

export interface ErrorOptions {
  message?: string;
  /** For 'rate-limited': seconds to wait; undefined sends no hint. */
  retryAfterSec?: number;
  /** For 'server-error': the HTTP status (default 500). */
  status?: number;
}

/** A valid key either has credits or is `sandbox-no-credits`. */
export type Identity = 'ok' | 'no-credits';

export interface WireRequest {
  method: string;
  /** Without the provider prefix. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Media type of the Content-Type header, lower-case. */
  contentType: string;
  /** The parsed JSON body; undefined when there is none or it is not JSON. */
  json: unknown;
  /** A body was sent and it is not JSON. */
  jsonInvalid: boolean;
  form?: MultipartForm;
}

export interface KeyRing {
  /** undefined: not a key this sandbox knows. */
  identify(key: string | undefined): Identity | undefined;
  /** Akool bearer tokens minted by getToken. */
  identifyToken(token: string): Identity | undefined;
  issueToken(identity: Identity): string;
  akoolClientId?: string;
}

export interface RouteContext {
  now: number;
  identity: Identity;
  jobs: JobStore;
  assets: AssetStore;
  /** Voices, synthesized audio and TTS jobs (the Fish Audio surfaces). */
  speech: SpeechStore;
  keys: KeyRing;
  /** http://host:port of this sandbox. */
  origin: string;
  resultUrl(job: StoredJob): string;
  coverUrl(job: StoredJob): string;
  /** Schedules a job's webhook callbacks (Akool). */
  scheduleCallbacks(job: StoredJob): void;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Exact path, or a pattern whose groups are passed as params. */
  path: string | RegExp;
  /** Creates a job: refused without credits, counted by `rateLimits.on: 'create'`. */
  create?: boolean;
  /** Needs no credentials (Akool getToken). */
  public?: boolean;
  handle(req: WireRequest, ctx: RouteContext, params: string[]): WireResponse;
}

export interface ProviderWire {
  id: ProviderId;
  /** Mount point on the sandbox, e.g. '/chamelaion/api'. */
  prefix: string;
  routes: Route[];
  /** The identity behind the request's credentials, or the provider's own auth error. */
  authenticate(req: WireRequest, keys: KeyRing): Identity | WireResponse;
  /** The provider's error envelope for each kind of failure. */
  error(kind: ErrorKind, opts?: ErrorOptions): WireResponse;
}

export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

export const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export const asObject = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** The token of `Authorization: Bearer <token>`; '' for an empty token; undefined when the header is not Bearer. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header ? /^Bearer(?:\s+(.*))?$/i.exec(header.trim()) : null;
  return m ? (m[1] ?? '').trim() : undefined;
}

/** Bearer-token auth as both Fish Audio APIs do it: missing and invalid are two errors of the provider. */
export function bearerAuth(req: WireRequest, keys: KeyRing, error: ProviderWire['error']): Identity | WireResponse {
  if (!req.headers.authorization) return error('auth-missing');
  return keys.identify(bearerToken(req.headers.authorization)) ?? error('auth-invalid');
}

/** The Retry-After header for HTTP-status providers (Fish Audio, Chamelaion). */
export const retryAfterHeader = (opts: ErrorOptions): Record<string, string> | undefined =>
  opts.retryAfterSec === undefined ? undefined : { 'retry-after': String(opts.retryAfterSec) };

/** A positive integer query/body value, or the default; NaN when present but not a positive integer. */
export function positiveInt(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : NaN;
}

/** Describes a failed job's cause in one sentence (each provider words it its own way around this). */
export function failureText(job: StoredJob): string {
  const f = job.failure;
  if (!f) return '';
  return f.cause === 'media' ? `${f.media} URL is not accessible (${f.detail})` : 'lip-sync generation failed (sandbox_fail)';
}
