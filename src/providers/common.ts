import { z } from 'zod';
import { ERROR_CODES, LipSyncError, type LipSyncErrorCode } from '../core/errors';
import type { ParsedResponse, ProviderFailure } from '../core/provider';
import type { ProviderId } from '../core/types';

/** The normalized code for an HTTP status, used where a provider documents nothing more specific. */
export function codeForHttpStatus(status: number): LipSyncErrorCode {
  if (status === 400) return ERROR_CODES.INVALID_INPUT;
  if (status === 401 || status === 403) return ERROR_CODES.AUTH_FAILED;
  if (status === 402) return ERROR_CODES.INSUFFICIENT_CREDITS;
  if (status === 404) return ERROR_CODES.NOT_FOUND;
  if (status === 413 || status === 415 || status === 422) return ERROR_CODES.MEDIA_UNPROCESSABLE;
  if (status === 429) return ERROR_CODES.RATE_LIMITED;
  return ERROR_CODES.PROVIDER_ERROR;
}

export function httpFailure(res: ParsedResponse, message: string | undefined, extra: Partial<ProviderFailure> = {}): ProviderFailure {
  return {
    code: codeForHttpStatus(res.status),
    message: message || defaultMessage(res),
    ...extra,
  };
}

function defaultMessage(res: ParsedResponse): string {
  if (res.status >= 500) return 'The provider had an internal error';
  if (/^\s*</.test(res.text)) return `The provider answered HTTP ${res.status} with an HTML page instead of JSON`;
  return `The provider refused the request`;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * A documented bare answer, or the same answer inside a `{ success, data }` envelope (as the lip-sync paths send
 * it): the envelope's `data` is read when the body has none of the answer's own top-level `keys`.
 */
export function unwrapEnvelope(json: unknown, keys: readonly string[]): unknown {
  const body = asRecord(json);
  const data = asRecord(body.data);
  return Object.keys(data).length > 0 && keys.every((k) => body[k] === undefined) ? data : json;
}

/** `schema`, read from a bare answer or from inside a `{ success, data }` envelope (see unwrapEnvelope). */
export const maybeEnveloped = <T extends z.ZodType>(schema: T, keys: readonly string[]) => z.preprocess((json) => unwrapEnvelope(json, keys), schema);

/** Parses a success body with a zod schema; a mismatch is a provider fault, reported with what was missing. */
export function parseBody<T>(schema: z.ZodType<T>, res: ParsedResponse, provider: ProviderId, what: string, jobId?: string): T {
  const r = schema.safeParse(res.json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new LipSyncError(
    ERROR_CODES.PROVIDER_ERROR,
    `Unexpected ${what} response: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid body'}`,
    { provider, httpStatus: res.status, jobId, retryable: false },
  );
}

/**
 * A job id as a provider sends it: a string, or a number (kept as its decimal text). Empty strings, dot
 * segments, control characters and ids over 256 characters are refused: they cannot be used in a request path.
 */
export const jobIdSchema = z
  .union([z.string().trim(), z.number().int().nonnegative().transform(String)])
  .refine((v) => v.length > 0 && v.length <= 256 && v !== '.' && v !== '..' && !/[\u0000-\u001f\u007f]/.test(v), 'must be a usable job id');

/** zod helpers: loose objects (unknown fields are additive), nullish leaves. */
export const str = z.string().nullish();
export const num = z.union([z.number(), z.string()]).nullish();
export const httpUrl = z.string().trim().refine((v) => /^https?:\/\/\S+$/i.test(v), 'must be an http(s) URL');
