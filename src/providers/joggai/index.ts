import { z } from 'zod';
import { ERROR_CODES, LipSyncError, type LipSyncErrorCode } from '../../core/errors';
import { firstNumber, firstString, mapStatus, toIso, type ProviderAdapter } from '../../core/provider';
import type { JobStatus, LipSyncJob } from '../../core/types';
import { asRecord, httpFailure, num, parseBody, str, jobIdSchema } from '../common';

/**
 * Seed 004 + providers.md E. Paths are /v2/... (the docs moved them from /open/v2/... on 2026-03-30).
 * Errors come as HTTP 200 with a business code; 0 is success.
 */

const STATUS: Record<string, JobStatus> = { pending: 'queued', processing: 'processing', success: 'completed', failed: 'failed' };

export const PLAYBACK_TYPES = ['normal', 'normal_reverse', 'normal_reverse_by_audio'] as const;

export const JOGGAI_CODES: Record<number, { code: LipSyncErrorCode; retryable?: boolean }> = {
  429: { code: ERROR_CODES.RATE_LIMITED, retryable: true },
  10104: { code: ERROR_CODES.NOT_FOUND },
  10105: { code: ERROR_CODES.AUTH_FAILED },
  17003: { code: ERROR_CODES.NOT_FOUND },
  18020: { code: ERROR_CODES.INSUFFICIENT_CREDITS },
  18025: { code: ERROR_CODES.AUTH_FAILED },
  40000: { code: ERROR_CODES.INVALID_INPUT },
  50000: { code: ERROR_CODES.PROVIDER_ERROR, retryable: true },
};

const task = z.looseObject({
  task_id: jobIdSchema,
  status: str,
  created_at: num,
  completed_at: num,
  data: z.looseObject({ result_url: str, cover_url: str, duration_seconds: num }).nullish(),
  error: z.looseObject({ message: str }).nullish(),
});
type Task = z.infer<typeof task>;
const envelope = z.looseObject({ code: z.number(), msg: str, data: task });

function toJob(t: Task, raw: unknown): LipSyncJob {
  const status = mapStatus(STATUS, t.status);
  return {
    id: t.task_id,
    provider: 'joggai',
    status,
    providerStatus: t.status ?? undefined,
    progress: status === 'completed' ? 100 : undefined,
    resultUrl: firstString(t.data?.result_url),
    coverUrl: firstString(t.data?.cover_url),
    durationSeconds: firstNumber(t.data?.duration_seconds),
    error: status === 'failed' ? { code: 'failed', message: firstString(t.error?.message) ?? 'The provider gave no reason' } : undefined,
    createdAt: toIso(firstNumber(t.created_at)),
    completedAt: toIso(firstNumber(t.completed_at)),
    raw,
  };
}

const uploadEnvelope = z.looseObject({ code: z.number(), data: z.looseObject({ sign_url: z.string(), asset_url: z.string() }) });

type JoggOptions = { playbackType?: (typeof PLAYBACK_TYPES)[number] };

const lookup = (q: { videoUrl?: string; audioUrl?: string; playbackType?: string }) => ({
  method: 'GET' as const,
  path: '/v2/lip_sync_video',
  query: { video_url: q.videoUrl, audio_url: q.audioUrl, playback_type: q.playbackType },
});

/**
 * A create lost in transit is found again by JoggAI's "latest task for these inputs" lookup, if that task was
 * created no earlier than the second this create was sent (created_at has whole seconds): an older task with the
 * same inputs is someone else's (or an earlier run's) job. The client also refuses a task it already handed out.
 */
const sentSecondMs = (sentAt: number) => Math.floor(sentAt / 1000) * 1000;

export const joggai: ProviderAdapter<JoggOptions> = {
  id: 'joggai',
  displayName: 'JoggAI',
  defaultBaseUrl: 'https://api.jogg.ai',
  optionsSchema: z.strictObject({
    playbackType: z.enum(PLAYBACK_TYPES, { error: `playbackType must be one of: ${PLAYBACK_TYPES.join(', ')}` }).optional(),
  }),
  authHeaders: (apiKey) => ({ 'x-api-key': apiKey }),

  buildCreate: (input) => ({
    method: 'POST',
    path: '/v2/create_lip_sync_video',
    json: { video_url: input.videoUrl, audio_url: input.audioUrl, ...(input.playbackType ? { playback_type: input.playbackType } : {}) },
  }),
  parseCreate: (res) => toJob(parseBody(envelope, res, 'joggai', 'create').data, res.json),
  async recoverCreate(input, ctx) {
    try {
      const res = await ctx.send(lookup(input));
      const t = parseBody(envelope, res, 'joggai', 'lookup').data;
      const created = firstNumber(t.created_at);
      if (created === undefined) return null;
      const createdMs = created < 1e11 ? created * 1000 : created;
      return createdMs >= sentSecondMs(ctx.sentAt) ? toJob(t, res.json) : null;
    } catch (e) {
      if (LipSyncError.is(e) && e.code === ERROR_CODES.NOT_FOUND) return null;
      throw e;
    }
  },

  // UploadMedia.mdx: video MP4/WebM/MOV up to 100 MB and 5 min; audio MP3/WAV/M4A up to 20 MB and 10 min.
  mediaLimits: {
    video: { maxBytes: 100 * 1024 * 1024, maxDurationSeconds: 300, containers: ['mp4', 'webm', 'mov'] },
    audio: { maxBytes: 20 * 1024 * 1024, maxDurationSeconds: 600, containers: ['mp3', 'wav', 'm4a'] },
  },
  async uploadMedia(media, ctx) {
    const res = await ctx.send({
      method: 'POST',
      path: '/v2/upload/asset',
      json: { filename: media.filename, content_type: media.info.contentType, file_size: media.data.byteLength },
    });
    const body = parseBody(uploadEnvelope, res, 'joggai', 'upload');
    await ctx.put(body.data.sign_url, media.data, media.info.contentType);
    return body.data.asset_url;
  },

  buildGet: (id) => ({ method: 'GET', path: `/v2/lip_sync_video/${encodeURIComponent(id)}` }),
  parseGet: (res, id) => toJob(parseBody(envelope, res, 'joggai', 'task', id).data, res.json),

  // JoggAI has no paginated list: it returns the latest task for a video/audio pair, so "list" needs both URLs.
  buildList(q) {
    if (!q.videoUrl || !q.audioUrl) {
      throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'JoggAI can only look up the latest job for a video and audio pair: set videoUrl and audioUrl', {
        provider: 'joggai',
        field: q.videoUrl ? 'audioUrl' : 'videoUrl',
      });
    }
    return lookup(q);
  },
  parseList(res) {
    const t = parseBody(envelope, res, 'joggai', 'lookup').data;
    return { jobs: [toJob(t, res.json)], total: 1, hasMore: false, raw: res.json };
  },
  listNotFoundIsEmpty: true,

  buildAuthCheck: () => ({ method: 'GET', path: '/v2/user/whoami' }),

  checkResponse(res) {
    const body = asRecord(res.json);
    const code = firstNumber(body.code);
    const message = firstString(body.msg, body.message);
    const requestId = firstString(body.rid);
    if (res.status >= 300) return httpFailure(res, message, { providerCode: code, requestId });
    if (code === 0) return null;
    if (code === undefined) return res.json === undefined ? null : { code: ERROR_CODES.PROVIDER_ERROR, message: 'The response has no business code', retryable: true };
    const known = JOGGAI_CODES[code];
    const retryAfter = firstNumber(body.retryAfter, asRecord(body.data).retryAfter);
    return {
      code: known?.code ?? ERROR_CODES.PROVIDER_ERROR,
      message: message || `JoggAI error ${code}`,
      providerCode: code,
      requestId,
      retryable: known?.retryable ?? false,
      retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000,
    };
  },

  // "20 POST requests / minute / API key"; GET requests are not limited (RateLimits.mdx).
  rateLimits: { create: { limit: 20, windowMs: 60_000 } },
  // Polling (documented: every 5-10 s, first poll a few seconds after the create): a steady 10 s gap while jobs usually render (npm run bench -- polling).
  pollHints: { initialDelayMs: 5_000, minIntervalMs: 5_000, steadyIntervalMs: 10_000, maxIntervalMs: 30_000 },
};
