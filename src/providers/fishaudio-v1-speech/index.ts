import { z } from 'zod';
import { firstNumber, firstString, mapStatus, toIso } from '../../core/provider';
import type { SpeechAdapter, SpeechJob, Voice } from '../../core/speech';
import type { JobStatus } from '../../core/types';
import { asRecord, num, parseBody, str, unwrapEnvelope } from '../common';
import { fishAudioV1 } from '../fishaudio-v1';

/**
 * speech.md "v1 surface" + providers.md B: sync and async TTS and voices under https://fishaudio.org/api/open/v1
 * (seed 001's base). The error envelope { code, message, requestId } is the lip-sync adapter's, so its map is reused.
 */

const STATUS: Record<string, JobStatus> = { queued: 'queued', pending: 'queued', processing: 'processing', running: 'processing', completed: 'completed', succeeded: 'completed', success: 'completed', failed: 'failed', error: 'failed', cancelled: 'failed', canceled: 'failed' };

/** The documented answers are bare; a `{ success, data }` envelope (as on the lip-sync paths) is read too. */
const unwrap = (json: unknown): unknown => unwrapEnvelope(json, ['id', 'items']);

const ttsJson = z.looseObject({ audio_url: str, audioUrl: str, url: str, format: str, credits_used: num, creditsUsed: num, quota_remaining: num, characters_used: num });
const jobBody = z.looseObject({ id: z.union([z.string(), z.number()]).transform(String), status: str });
const voice = z.looseObject({ id: z.union([z.string(), z.number()]).transform(String), name: str, title: str, provider: str, status: str, description: str, createdAt: str, created_at: str });
type V1Voice = z.infer<typeof voice>;
const voiceList = z.looseObject({ total: num, page: num, pageSize: num, totalPages: num, items: z.array(voice).nullish() });

const parseUnwrapped = <T>(schema: z.ZodType<T>, res: Parameters<typeof parseBody>[1], what: string, id?: string): T =>
  parseBody(schema, { ...res, json: unwrap(res.json) }, 'fishaudio-v1', what, id);

function toVoice(v: V1Voice, raw: unknown): Voice {
  return {
    id: v.id,
    name: firstString(v.name, v.title) ?? v.id,
    description: v.description ?? undefined,
    provider: v.provider ?? undefined,
    status: v.status ?? undefined,
    createdAt: toIso(v.createdAt ?? v.created_at),
    raw,
  };
}

function toJob(data: Record<string, unknown>, raw: unknown, id?: string): SpeechJob {
  const status = mapStatus(STATUS, data.status);
  const err = asRecord(data.error);
  return {
    id: firstString(data.id as string, id) ?? String(data.id),
    provider: 'fishaudio-v1',
    status,
    providerStatus: firstString(data.status),
    progress: firstNumber(data.progress) ?? (status === 'completed' ? 100 : undefined),
    // "includes a short-lived audioUrl when done" (async-jobs page).
    resultUrl: status === 'completed' ? firstString(data.audioUrl, data.audio_url, data.url) : undefined,
    creditsUsed: firstNumber(data.creditsUsed, data.credits_used),
    error:
      status === 'failed'
        ? { code: firstString(err.code, data.errorCode) ?? 'failed', message: firstString(err.message, typeof data.error === 'string' ? data.error : undefined, data.errorMessage) ?? 'The provider gave no reason' }
        : undefined,
    createdAt: toIso(data.createdAt ?? data.created_at),
    updatedAt: toIso(data.updatedAt ?? data.updated_at),
    completedAt: toIso(data.completedAt ?? data.completed_at),
    raw,
  };
}

export const fishAudioV1Speech: SpeechAdapter = {
  id: 'fishaudio-v1',
  displayName: fishAudioV1.displayName,
  defaultBaseUrl: fishAudioV1.defaultBaseUrl,
  authHeaders: fishAudioV1.authHeaders,
  checkResponse: fishAudioV1.checkResponse,
  rateLimits: fishAudioV1.rateLimits,
  // TTS jobs take seconds, not minutes: poll sooner than lip-sync jobs [I].
  pollHints: { initialDelayMs: 1_000, minIntervalMs: 1_000, maxIntervalMs: 10_000 },
  // No limit is documented; 10,000 characters keeps one request to minutes of audio [I].
  maxTextLength: 10_000,
  speakOptionsSchema: z.strictObject({}) as z.ZodType<Record<string, unknown>>,

  buildSpeak: (req) => ({
    method: 'POST',
    path: '/api/open/v1/speech/tts',
    json: { text: req.text, voiceId: req.voiceId, format: req.format, cache: req.output === 'url', ...(req.model ? { engineModelId: req.model } : {}) },
  }),
  parseSpeak(res) {
    // The docs: branch on the Content-Type; bytes are the audio, JSON carries audio_url.
    if (res.bytes && res.json === undefined) return { audio: res.bytes, contentType: res.headers['content-type'] };
    const body = parseUnwrapped(ttsJson, res, 'text-to-speech');
    return {
      url: firstString(body.audio_url, body.audioUrl, body.url),
      format: body.format ?? undefined,
      creditsUsed: firstNumber(body.credits_used, body.creditsUsed),
      charactersUsed: firstNumber(body.characters_used),
      quotaRemaining: firstNumber(body.quota_remaining),
      raw: res.json,
    };
  },

  buildCreateSpeechJob: (req) => ({
    method: 'POST',
    path: '/api/open/v1/speech/tts/jobs',
    json: { text: req.text, voiceId: req.voiceId, format: req.format, ...(req.model ? { engineModelId: req.model } : {}) },
  }),
  parseSpeechJob(res, id) {
    parseUnwrapped(id ? jobBody.partial({ id: true }) : jobBody, res, 'speech job', id);
    return toJob(asRecord(unwrap(res.json)), res.json, id);
  },
  buildGetSpeechJob: (id) => ({ method: 'GET', path: `/api/open/v1/speech/tts/jobs/${encodeURIComponent(id)}` }),

  buildListVoices: (q) => {
    const limit = q.limit ?? 20;
    return { method: 'GET', path: '/api/open/v1/voices', query: { limit, offset: ((q.page ?? 1) - 1) * limit, search: q.search, provider: q.provider } };
  },
  parseListVoices(res, q) {
    const body = parseUnwrapped(voiceList, res, 'voice list');
    const page = firstNumber(body.page) ?? q.page ?? 1;
    const totalPages = firstNumber(body.totalPages);
    return { voices: (body.items ?? []).map((v) => toVoice(v, v)), total: firstNumber(body.total), page, limit: firstNumber(body.pageSize) ?? q.limit, hasMore: totalPages !== undefined ? page < totalPages : undefined, raw: res.json };
  },

  // POST /voices is multipart with fields the docs leave to openapi.json (speech.md): the open API's names [I].
  buildCloneVoice: (input, samples) => ({
    method: 'POST',
    path: '/api/open/v1/voices',
    multipart: [
      { name: 'name', value: input.name },
      ...(input.description ? [{ name: 'description', value: input.description }] : []),
      ...samples.map((s) => ({ name: 'audioFiles', value: s.data, filename: s.filename, contentType: s.info.contentType })),
    ],
  }),
  parseCloneVoice(res) {
    return toVoice(parseUnwrapped(voice, res, 'voice create'), res.json);
  },

  buildDeleteVoice: (id) => ({ method: 'DELETE', path: `/api/open/v1/voices/${encodeURIComponent(id)}` }),
};
