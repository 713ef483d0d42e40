import { z } from 'zod';
import { ERROR_CODES, LipSyncError } from '../../core/errors';
import { firstNumber, firstString, mapStatus, toIso, type ProviderAdapter } from '../../core/provider';
import type { JobStatus, LipSyncJob } from '../../core/types';
import { asRecord, httpFailure, num, parseBody, str, jobIdSchema } from '../common';

/**
 * Seed 003 + providers.md D. A create carries a `reference_id`; the get endpoint accepts it in place of the
 * request id, which is how a create whose response was lost is found again instead of being sent twice.
 */

const STATUS: Record<string, JobStatus> = { queued: 'queued', processing: 'processing', completed: 'completed', failed: 'failed' };

const request = z.looseObject({
  id: jobIdSchema,
  reference_id: str,
  status: str,
  created_at: str,
  started_at: str,
  finished_at: str,
  output_url: str,
  error_message: str,
});
type Request = z.infer<typeof request>;
const created = z.looseObject({ status: str, request_id: jobIdSchema });
const list = z.looseObject({ data: z.array(request), pagination: z.looseObject({ limit: num, offset: num, total: num }).nullish() });

export interface ChamelaionOptions {
  referenceId?: string;
  disableActiveSpeakerDetection?: boolean;
  [key: string]: unknown;
}

function toJob(r: Request, raw: unknown): LipSyncJob {
  const status = mapStatus(STATUS, r.status);
  return {
    id: r.id,
    provider: 'chamelaion',
    status,
    providerStatus: r.status ?? undefined,
    progress: status === 'completed' ? 100 : undefined,
    resultUrl: firstString(r.output_url),
    error: status === 'failed' ? { code: 'failed', message: r.error_message || 'The provider gave no reason' } : undefined,
    referenceId: r.reference_id ?? undefined,
    createdAt: toIso(r.created_at),
    updatedAt: toIso(r.finished_at ?? r.started_at ?? r.created_at),
    completedAt: toIso(r.finished_at),
    raw,
  };
}

export const chamelaion: ProviderAdapter<ChamelaionOptions> = {
  id: 'chamelaion',
  displayName: 'Chamelaion',
  defaultBaseUrl: 'https://api.chamelaion.com/api',
  optionsSchema: z.strictObject({
    referenceId: z.string().trim().min(1).max(200).optional(),
    disableActiveSpeakerDetection: z.boolean({ error: 'disableActiveSpeakerDetection must be true or false' }).optional(),
  }),
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),

  prepareCreate: (input, newId) => ({ ...input, referenceId: input.referenceId ?? `lipsync-kit-${newId()}` }),
  buildCreate: (input) => ({
    method: 'POST',
    path: '/v1/lipsync/generate',
    json: {
      inputs: [
        { type: 'video', url: input.videoUrl },
        { type: 'audio', url: input.audioUrl },
      ],
      reference_id: input.referenceId,
      ...(input.disableActiveSpeakerDetection === undefined ? {} : { disable_active_speaker_detection: input.disableActiveSpeakerDetection }),
    },
  }),
  // "MP4 video and WAV/MP3 audio, via URL or direct upload" (docs.chamelaion.com).
  mediaLimits: { video: { containers: ['mp4'] }, audio: { containers: ['wav', 'mp3'] } },
  buildCreateWithMedia: (input, video, audio) => ({
    method: 'POST',
    path: '/v1/lipsync/generate-with-media',
    multipart: [
      { name: 'video', value: video.data, filename: video.filename, contentType: video.info.contentType },
      { name: 'audio', value: audio.data, filename: audio.filename, contentType: audio.info.contentType },
      ...(input.referenceId ? [{ name: 'reference_id', value: input.referenceId }] : []),
      ...(input.disableActiveSpeakerDetection === undefined ? [] : [{ name: 'disable_active_speaker_detection', value: String(input.disableActiveSpeakerDetection) }]),
    ],
  }),
  parseCreate(res, input) {
    const body = parseBody(created, res, 'chamelaion', 'generate');
    // "success" here means "accepted"; the job itself starts queued.
    return { id: body.request_id, provider: 'chamelaion', status: 'queued', referenceId: input.referenceId, raw: res.json };
  },
  async recoverCreate(input, ctx) {
    if (!input.referenceId) return null;
    try {
      const res = await ctx.send({ method: 'GET', path: `/v1/lipsync/requests/${encodeURIComponent(input.referenceId)}` });
      return toJob(parseBody(request, res, 'chamelaion', 'request'), res.json);
    } catch (e) {
      if (LipSyncError.is(e) && e.code === ERROR_CODES.NOT_FOUND) return null;
      throw e;
    }
  },

  buildGet: (id) => ({ method: 'GET', path: `/v1/lipsync/requests/${encodeURIComponent(id)}` }),
  parseGet: (res, id) => toJob(parseBody(request, res, 'chamelaion', 'request', id), res.json),

  buildList: (q) => ({
    method: 'GET',
    path: '/v1/lipsync/requests',
    query: { limit: q.limit, offset: q.offset ?? (q.page && q.limit ? (q.page - 1) * q.limit : undefined), reference_id: q.referenceId },
  }),
  parseList(res, q) {
    const body = parseBody(list, res, 'chamelaion', 'list');
    let jobs = body.data.map((r) => toJob(r, r));
    // The API filters by reference id only; a status filter is applied to the page it returns.
    if (q.status) jobs = jobs.filter((j) => j.status === q.status);
    const limit = firstNumber(body.pagination?.limit);
    const offset = firstNumber(body.pagination?.offset);
    const total = firstNumber(body.pagination?.total);
    return {
      jobs,
      limit,
      offset,
      total,
      hasMore: total !== undefined && offset !== undefined ? offset + body.data.length < total : undefined,
      raw: res.json,
    };
  },

  buildAuthCheck: () => ({ method: 'GET', path: '/v1/users/me' }),

  checkResponse(res) {
    if (res.status < 300) return null;
    const message = firstString(asRecord(res.json).error);
    if (res.status === 412) return { code: ERROR_CODES.INSUFFICIENT_CREDITS, message: message || 'token limit reached: upgrade your plan' };
    return httpFailure(res, message);
  },

  // "Rate limit: 60 requests/min on generation endpoints" (docs.chamelaion.com).
  rateLimits: { create: { limit: 60, windowMs: 60_000 } },
  // Polling (documented: exponential backoff, no interval): a steady 10 s gap while jobs usually render (npm run bench -- polling).
  pollHints: { initialDelayMs: 3_000, minIntervalMs: 2_000, steadyIntervalMs: 10_000, maxIntervalMs: 30_000 },
};
