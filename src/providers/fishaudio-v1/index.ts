import { z } from 'zod';
import { ERROR_CODES, type LipSyncErrorCode } from '../../core/errors';
import { firstNumber, firstString, mapStatus, toIso, type ProviderAdapter } from '../../core/provider';
import type { JobStatus, LipSyncJob } from '../../core/types';
import { asRecord, httpFailure, num, parseBody, str, jobIdSchema } from '../common';

/**
 * Seed 001 + providers.md B: the "FishSpeech Docs" v1 media jobs API (https://fishaudio.org/api/open/v1).
 * The docs name no result fields for a completed job, so the parser looks in the likely places.
 */

const STATUS: Record<string, JobStatus> = {
  queued: 'queued',
  pending: 'queued',
  processing: 'processing',
  running: 'processing',
  completed: 'completed',
  succeeded: 'completed',
  success: 'completed',
  failed: 'failed',
  error: 'failed',
  cancelled: 'failed',
  canceled: 'failed',
};

const job = z.looseObject({ id: jobIdSchema, status: str });
const envelope = <T extends z.ZodType>(data: T) => z.looseObject({ success: z.boolean().nullish(), message: str, data });
const listData = z.union([
  z.array(job),
  z.looseObject({ items: z.array(job).nullish(), jobs: z.array(job).nullish(), total: num, page: num, pageSize: num, limit: num, totalPages: num }),
]);

/** Error codes of the v1 error body ({ code, message, requestId }) that say more than the HTTP status. */
const CODES: Record<string, LipSyncErrorCode> = {
  invalid_request: ERROR_CODES.INVALID_INPUT,
  unauthorized: ERROR_CODES.AUTH_FAILED,
  insufficient_credits: ERROR_CODES.INSUFFICIENT_CREDITS,
  insufficient_quota: ERROR_CODES.INSUFFICIENT_CREDITS,
  not_found: ERROR_CODES.NOT_FOUND,
  unprocessable_media: ERROR_CODES.MEDIA_UNPROCESSABLE,
  rate_limited: ERROR_CODES.RATE_LIMITED,
};

function toJob(data: Record<string, unknown>, raw: unknown): LipSyncJob {
  const status = mapStatus(STATUS, data.status);
  const result = asRecord(data.result ?? data.output);
  const err = data.error;
  const errRecord = asRecord(err);
  return {
    id: String(data.id),
    provider: 'fishaudio-v1',
    status,
    providerStatus: firstString(data.status),
    progress: firstNumber(data.progress) ?? (status === 'completed' ? 100 : undefined),
    // Seed 001 names no result field. `videoUrl` is also the create's input field: a job that echoes its inputs
    // (it carries `audioUrl` too) would otherwise report the source video as the result.
    resultUrl:
      status === 'completed'
        ? firstString(data.resultUrl, data.result_url, data.outputUrl, data.output_url, data.audioUrl === undefined ? data.videoUrl : undefined, data.url, result.url, result.videoUrl)
        : undefined,
    coverUrl: firstString(data.coverUrl, data.cover_url, data.thumbnailUrl),
    durationSeconds: firstNumber(data.durationSeconds, data.duration, result.durationSeconds),
    creditsUsed: firstNumber(data.creditsUsed, data.credits_used),
    error:
      status === 'failed'
        ? {
            code: firstString(errRecord.code, data.errorCode, data.error_code) ?? 'failed',
            message: firstString(errRecord.message, typeof err === 'string' ? err : undefined, data.errorMessage, data.error_message) ?? 'The provider gave no reason',
          }
        : undefined,
    createdAt: toIso(data.createdAt ?? data.created_at),
    updatedAt: toIso(data.updatedAt ?? data.updated_at),
    completedAt: toIso(data.completedAt ?? data.completed_at),
    raw,
  };
}


/** Built once: a zod schema compiles on its first parse, so one made per response would compile every time. */
const jobEnvelope = envelope(job);
const listDataEnvelope = envelope(listData);
export const fishAudioV1: ProviderAdapter<Record<string, never>> = {
  id: 'fishaudio-v1',
  displayName: 'Fish Audio (v1 API)',
  defaultBaseUrl: 'https://fishaudio.org',
  optionsSchema: z.strictObject({}),
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),

  buildCreate: (input) => ({ method: 'POST', path: '/api/open/v1/media/lip-sync/jobs', json: { videoUrl: input.videoUrl, audioUrl: input.audioUrl } }),
  parseCreate: (res) => toJob(parseBody(jobEnvelope, res, 'fishaudio-v1', 'create').data, res.json),

  buildGet: (id) => ({ method: 'GET', path: `/api/open/v1/media/lip-sync/jobs/${encodeURIComponent(id)}` }),
  parseGet: (res, id) => toJob(parseBody(jobEnvelope, res, 'fishaudio-v1', 'get job', id).data, res.json),

  buildList: (q) => ({ method: 'GET', path: '/api/open/v1/media/lip-sync/jobs', query: { page: q.page, limit: q.limit, status: q.status } }),
  parseList(res) {
    const data = parseBody(listDataEnvelope, res, 'fishaudio-v1', 'list').data;
    if (Array.isArray(data)) return { jobs: data.map((j) => toJob(j, j)), raw: res.json };
    const items = data.items ?? data.jobs ?? [];
    const page = firstNumber(data.page);
    const totalPages = firstNumber(data.totalPages);
    return {
      jobs: items.map((j) => toJob(j, j)),
      page,
      limit: firstNumber(data.pageSize, data.limit),
      total: firstNumber(data.total),
      hasMore: page !== undefined && totalPages !== undefined ? page < totalPages : undefined,
      raw: res.json,
    };
  },

  buildAuthCheck: () => ({ method: 'GET', path: '/api/open/v1/profile' }),

  checkResponse(res) {
    const body = asRecord(res.json);
    if (res.status < 300 && body.success !== false) return null;
    const providerCode = firstString(body.code);
    const message = firstString(body.message, body.error);
    const requestId = firstString(body.requestId, body.request_id);
    const mapped = providerCode ? CODES[providerCode] : undefined;
    const failure = httpFailure(res, message, { providerCode, requestId });
    // The HTTP status decides first (documented table); the body code refines a 2xx or an unlisted status.
    if (mapped && (res.status < 300 || failure.code === ERROR_CODES.PROVIDER_ERROR)) failure.code = mapped;
    if (res.status === 409) failure.retryable = true;
    return failure;
  },

  rateLimits: {},
  // Polling (no documented cadence; the sibling Fish Audio API says every 3-5 s): a steady 5 s gap while jobs usually render (npm run bench -- polling).
  pollHints: { initialDelayMs: 3_000, minIntervalMs: 2_000, steadyIntervalMs: 5_000, maxIntervalMs: 20_000 },
};
