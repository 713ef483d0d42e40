import { z } from 'zod';
import { ERROR_CODES, type LipSyncErrorCode } from '../../core/errors';
import { firstNumber, firstString, mapStatus, toIso, type ProviderAdapter } from '../../core/provider';
import type { JobStatus, LipSyncJob } from '../../core/types';
import { asRecord, httpFailure, httpUrl, num, parseBody, str, jobIdSchema } from '../common';

/** Seed 002 + providers.md C. Business code in the body; 1000 is success, anything else a failure. */

const STATUS: Record<string, JobStatus> = { '1': 'queued', '2': 'processing', '3': 'completed', '4': 'failed' };

/** Every code of the lip-sync table (seed 002) and of Akool's global error table (providers.md C). */
export const AKOOL_CODES: Record<number, { code: LipSyncErrorCode; retryable?: boolean }> = {
  1003: { code: ERROR_CODES.INVALID_INPUT },
  1004: { code: ERROR_CODES.AUTH_FAILED },
  1005: { code: ERROR_CODES.RATE_LIMITED, retryable: true },
  1006: { code: ERROR_CODES.INSUFFICIENT_CREDITS },
  1008: { code: ERROR_CODES.NOT_FOUND },
  1009: { code: ERROR_CODES.AUTH_FAILED },
  1010: { code: ERROR_CODES.PROVIDER_ERROR },
  1011: { code: ERROR_CODES.PROVIDER_ERROR },
  1013: { code: ERROR_CODES.MEDIA_UNPROCESSABLE },
  1014: { code: ERROR_CODES.NOT_FOUND },
  1015: { code: ERROR_CODES.PROVIDER_ERROR, retryable: true },
  1017: { code: ERROR_CODES.PROVIDER_ERROR },
  1101: { code: ERROR_CODES.AUTH_FAILED },
  1102: { code: ERROR_CODES.AUTH_FAILED },
  1103: { code: ERROR_CODES.INSUFFICIENT_CREDITS },
  1104: { code: ERROR_CODES.INSUFFICIENT_CREDITS },
  1109: { code: ERROR_CODES.AUTH_FAILED },
  1110: { code: ERROR_CODES.PROVIDER_ERROR },
  1112: { code: ERROR_CODES.PROVIDER_ERROR },
  1200: { code: ERROR_CODES.AUTH_FAILED },
  1201: { code: ERROR_CODES.PROVIDER_ERROR, retryable: true },
  1202: { code: ERROR_CODES.INVALID_INPUT },
  1203: { code: ERROR_CODES.MEDIA_UNPROCESSABLE },
  1204: { code: ERROR_CODES.MEDIA_UNPROCESSABLE },
  1205: { code: ERROR_CODES.PROVIDER_ERROR, retryable: true },
  1207: { code: ERROR_CODES.MEDIA_UNPROCESSABLE },
  1209: { code: ERROR_CODES.MEDIA_UNPROCESSABLE },
  1210: { code: ERROR_CODES.MEDIA_UNPROCESSABLE },
  1211: { code: ERROR_CODES.PROVIDER_ERROR, retryable: true },
};

const video = z.looseObject({
  _id: jobIdSchema,
  video_status: num,
  video: str,
  create_time: num,
  update_time: num,
  video_lock_duration: num,
  deduction_lock_duration: num,
});
type Video = z.infer<typeof video>;
const envelope = z.looseObject({ code: z.number(), msg: str, data: video });

function toJob(v: Video, raw: unknown): LipSyncJob {
  const status = mapStatus(STATUS, v.video_status);
  const d = v as Record<string, unknown>;
  return {
    id: v._id,
    provider: 'akool',
    status,
    providerStatus: firstNumber(v.video_status),
    resultUrl: status === 'completed' ? firstString(v.video) : undefined,
    durationSeconds: firstNumber(v.video_lock_duration),
    creditsUsed: firstNumber(d.deduction_credit),
    error:
      status === 'failed'
        ? {
            code: String(d.error_code ?? 'failed'),
            // The lip-sync doc names no reason field; sibling products on the same route use these.
            message: firstString(d.error_reason, d.faceswap_fail_reason, d.error_msg, d.fail_reason) ?? 'The provider gave no reason',
          }
        : undefined,
    createdAt: toIso(firstNumber(v.create_time)),
    updatedAt: toIso(firstNumber(v.update_time)),
    raw,
  };
}

export const akool: ProviderAdapter<{ webhookUrl?: string }> = {
  id: 'akool',
  displayName: 'Akool',
  defaultBaseUrl: 'https://openapi.akool.com',
  optionsSchema: z.strictObject({ webhookUrl: httpUrl.optional() }),
  authHeaders: (apiKey) => ({ 'x-api-key': apiKey }),

  buildCreate: (input) => ({
    method: 'POST',
    path: '/api/open/v3/content/video/lipsync',
    json: { video_url: input.videoUrl, audio_url: input.audioUrl, ...(input.webhookUrl ? { webhookUrl: input.webhookUrl } : {}) },
  }),
  parseCreate: (res) => toJob(parseBody(envelope, res, 'akool', 'create').data, res.json),

  // Seed 002 error table: 1204 longer than 60 s, 1207 over 300 MB, 1210 over 60 fps; 1203 video needs sound.
  mediaLimits: { video: { maxBytes: 300 * 1024 * 1024, maxDurationSeconds: 60, maxFps: 60, requireAudioTrack: true } },

  buildGet: (id) => ({ method: 'GET', path: '/api/open/v3/content/video/infobymodelid', query: { video_model_id: id } }),
  parseGet: (res, id) => toJob(parseBody(envelope, res, 'akool', 'video info', id).data, res.json),

  // No cheap "who am I" endpoint is documented; an info request for an id that cannot exist answers 1008
  // (not found) with a good key and 1101/1102 with a bad one.
  buildAuthCheck: () => ({ method: 'GET', path: '/api/open/v3/content/video/infobymodelid', query: { video_model_id: '000000000000000000000000' } }),

  checkResponse(res) {
    const body = asRecord(res.json);
    const code = firstNumber(body.code);
    const message = firstString(body.msg, body.message);
    if (res.status >= 300) return httpFailure(res, message, { providerCode: code });
    if (code === 1000) return null;
    if (code === undefined) return res.json === undefined ? null : { code: ERROR_CODES.PROVIDER_ERROR, message: 'The response has no business code', retryable: true };
    const known = AKOOL_CODES[code];
    return {
      code: known?.code ?? ERROR_CODES.PROVIDER_ERROR,
      message: message || `Akool error ${code}`,
      providerCode: code,
      retryable: known?.retryable ?? false,
    };
  },

  rateLimits: {},
  // Polling (no documented cadence): a steady 10 s gap while jobs usually render (npm run bench -- polling).
  pollHints: { initialDelayMs: 5_000, minIntervalMs: 3_000, steadyIntervalMs: 10_000, maxIntervalMs: 30_000 },
};
