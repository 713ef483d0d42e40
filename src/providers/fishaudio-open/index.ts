import { z } from 'zod';
import { ERROR_CODES } from '../../core/errors';
import { firstNumber, firstString, mapStatus, toIso, type ProviderAdapter } from '../../core/provider';
import type { JobStatus, LipSyncJob } from '../../core/types';
import { asRecord, httpFailure, num, parseBody, str, jobIdSchema } from '../common';

/** Seed 000 + providers.md A: the "open" task API served by fishaudio.net / fishaudio.org / kittaai.com. */

const STATUS: Record<string, JobStatus> = { pending: 'queued', processing: 'processing', completed: 'completed', failed: 'failed' };
const TO_PROVIDER_STATUS: Record<JobStatus, string> = { queued: 'pending', processing: 'processing', completed: 'completed', failed: 'failed' };

const task = z.looseObject({
  id: jobIdSchema,
  status: str,
  progress: num,
  result_url: str,
  error_message: str,
  created_at: str,
  updated_at: str,
  completed_at: str,
  credits_used: num,
});
type Task = z.infer<typeof task>;

const envelope = <T extends z.ZodType>(data: T) => z.looseObject({ success: z.boolean().nullish(), message: str, data });

const listData = z.looseObject({
  tasks: z.array(task).nullish(),
  pagination: z
    .looseObject({ page: num, limit: num, total: num, total_pages: num, has_more: z.boolean().nullish() })
    .nullish(),
});

function toJob(t: Task, raw: unknown): LipSyncJob {
  const status = mapStatus(STATUS, t.status);
  return {
    id: t.id,
    provider: 'fishaudio-open',
    status,
    providerStatus: t.status ?? undefined,
    progress: firstNumber(t.progress) ?? (status === 'completed' ? 100 : undefined),
    resultUrl: firstString(t.result_url),
    creditsUsed: firstNumber(t.credits_used),
    error: status === 'failed' ? { code: 'failed', message: t.error_message || 'The provider gave no reason' } : undefined,
    createdAt: toIso(t.created_at),
    updatedAt: toIso(t.updated_at),
    completedAt: toIso(t.completed_at),
    raw,
  };
}


/** Built once: a zod schema compiles on its first parse, so one made per response would compile every time. */
const taskEnvelope = envelope(task);
const listDataEnvelope = envelope(listData);
export const fishAudioOpen: ProviderAdapter<Record<string, never>> = {
  id: 'fishaudio-open',
  displayName: 'Fish Audio (open API)',
  defaultBaseUrl: 'https://fishaudio.net',
  optionsSchema: z.strictObject({}),
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),

  buildCreate: (input) => ({ method: 'POST', path: '/api/open/lip-sync/create', json: { video_url: input.videoUrl, audio_url: input.audioUrl } }),
  parseCreate(res) {
    const body = parseBody(taskEnvelope, res, 'fishaudio-open', 'create');
    return toJob(body.data, res.json);
  },

  buildGet: (id) => ({ method: 'GET', path: '/api/open/lip-sync/query', query: { id } }),
  parseGet(res, id) {
    return toJob(parseBody(taskEnvelope, res, 'fishaudio-open', 'query', id).data, res.json);
  },

  buildList: (q) => ({
    method: 'GET',
    path: '/api/open/lip-sync/list',
    query: { page: q.page, limit: q.limit === undefined ? undefined : Math.min(q.limit, 50), status: q.status && TO_PROVIDER_STATUS[q.status] },
  }),
  parseList(res) {
    const body = parseBody(listDataEnvelope, res, 'fishaudio-open', 'list');
    const p = body.data.pagination;
    return {
      jobs: (body.data.tasks ?? []).map((t) => toJob(t, t)),
      page: firstNumber(p?.page),
      limit: firstNumber(p?.limit),
      total: firstNumber(p?.total),
      hasMore: p?.has_more ?? undefined,
      raw: res.json,
    };
  },

  buildAuthCheck: () => ({ method: 'GET', path: '/api/open/profile' }),

  checkResponse(res) {
    const body = asRecord(res.json);
    if (res.status < 300 && body.success !== false && !body.error) return null;
    const message = [firstString(body.error, body.message), firstString(body.details)].filter(Boolean).join(': ');
    const providerCode = firstString(body.code);
    if (res.status === 429) {
      // Seed 000: one status for "Rate limit exceeded" and "Insufficient credits"; the text tells them apart.
      const credits = /credit|quota|balance|insufficient|payment/i.test(`${message} ${providerCode ?? ''}`);
      return credits
        ? { code: ERROR_CODES.INSUFFICIENT_CREDITS, message: message || 'Insufficient credits', providerCode, retryable: false }
        : { code: ERROR_CODES.RATE_LIMITED, message: message || 'Rate limit exceeded', providerCode, retryable: true };
    }
    if (res.status === 413) return httpFailure(res, message || 'The media file is too large', { providerCode });
    return httpFailure(res, message, { providerCode });
  },

  rateLimits: {},
  // Polling (documented: poll every 3-5 s): a steady 5 s gap while jobs usually render (npm run bench -- polling).
  pollHints: { initialDelayMs: 3_000, minIntervalMs: 3_000, steadyIntervalMs: 5_000, maxIntervalMs: 15_000 },
};
