import { z } from 'zod';
import { firstNumber, firstString, toIso } from '../../core/provider';
import type { SpeechAdapter, Voice } from '../../core/speech';
import { maybeEnveloped, num, parseBody, str } from '../common';
import { fishAudioOpen } from '../fishaudio-open';

/**
 * speech.md "Legacy surface" + providers.md A: TTS, voice clone and voice list on the same host and token as
 * the open lip-sync API (seed 000). Errors use the same envelope, so the lip-sync adapter's map is reused.
 */

const VERSIONS = ['s1', 'v1', 'v2', 'v3-turbo', 'v3-hd'] as const;

const ttsJson = z.looseObject({ success: z.boolean().nullish(), audio_url: str, audioUrl: str, format: str, characters_used: num, quota_remaining: num });

const model = z.looseObject({
  modelId: z.union([z.string(), z.number()]).transform(String),
  title: str,
  name: str,
  description: str,
  created_at: str,
  createdAt: str,
  updated_at: str,
  isPersonal: z.boolean().nullish(),
});
type Model = z.infer<typeof model>;
const modelList = z.looseObject({ total: num, page: num, pageSize: num, totalPages: num, items: z.array(model).nullish() });
// The documented answers are bare; a `{ success, data }` envelope (as on the lip-sync paths) is read too.
const modelListBody = maybeEnveloped(modelList, ['items', 'total']);
const createdBody = maybeEnveloped(model, ['modelId']);

function toVoice(m: Model, raw: unknown): Voice {
  return {
    id: m.modelId,
    name: firstString(m.title, m.name) ?? m.modelId,
    description: m.description ?? undefined,
    personal: m.isPersonal ?? undefined,
    createdAt: toIso(m.created_at ?? m.createdAt),
    updatedAt: toIso(m.updated_at),
    raw,
  };
}

export const fishAudioOpenSpeech: SpeechAdapter = {
  id: 'fishaudio-open',
  displayName: fishAudioOpen.displayName,
  defaultBaseUrl: fishAudioOpen.defaultBaseUrl,
  authHeaders: fishAudioOpen.authHeaders,
  checkResponse: fishAudioOpen.checkResponse,
  rateLimits: fishAudioOpen.rateLimits,
  // Speech jobs take seconds: the same cadence, without the lip-sync jobs' steady gap (which would only slow them).
  pollHints: { initialDelayMs: fishAudioOpen.pollHints.initialDelayMs, minIntervalMs: fishAudioOpen.pollHints.minIntervalMs, maxIntervalMs: fishAudioOpen.pollHints.maxIntervalMs },
  // No limit is documented; 10,000 characters keeps one request to minutes of audio [I].
  maxTextLength: 10_000,
  models: VERSIONS,
  speakOptionsSchema: z.strictObject({
    speed: z.number().min(0.5, 'speed must be between 0.5 and 2').max(2, 'speed must be between 0.5 and 2').optional(),
    volume: z.number().min(-20, 'volume must be between -20 and 20 (dB)').max(20, 'volume must be between -20 and 20 (dB)').optional(),
    emotion: z.string().trim().optional(),
    language: z.string().trim().optional(),
  }) as z.ZodType<Record<string, unknown>>,

  buildSpeak(req) {
    return {
      method: 'POST',
      path: '/api/open/tts',
      json: {
        reference_id: req.voiceId,
        text: req.text,
        ...(req.options.speed !== undefined ? { speed: req.options.speed } : {}),
        ...(req.options.volume !== undefined ? { volume: req.options.volume } : {}),
        ...(req.model ? { version: req.model } : {}),
        ...(req.options.emotion ? { emotion: req.options.emotion } : {}),
        ...(req.options.language ? { language: req.options.language } : {}),
        format: req.format,
        // cache: false answers the bytes, cache: true a JSON body with audio_url (speech.md).
        cache: req.output === 'url',
      },
    };
  },
  parseSpeak(res) {
    if (res.bytes && res.json === undefined) return { audio: res.bytes, contentType: res.headers['content-type'] };
    const body = parseBody(ttsJson, res, 'fishaudio-open', 'text-to-speech');
    return {
      url: firstString(body.audio_url, body.audioUrl),
      format: body.format ?? undefined,
      charactersUsed: firstNumber(body.characters_used),
      quotaRemaining: firstNumber(body.quota_remaining),
      raw: res.json,
    };
  },

  buildListVoices: (q) => ({
    method: 'POST',
    path: '/api/open/list-models',
    // The documented fields only (modelType's values are not documented, so it is left out); search is done here.
    json: { includePersonal: q.personalOnly ?? true, page: q.page ?? 1, pageSize: q.limit ?? 20 },
  }),
  parseListVoices(res, q) {
    const body = parseBody(modelListBody, res, 'fishaudio-open', 'voice list');
    let voices = (body.items ?? []).map((m) => toVoice(m, m));
    if (q.personalOnly) voices = voices.filter((v) => v.personal !== false);
    const needle = q.search?.toLowerCase();
    if (needle) voices = voices.filter((v) => v.name.toLowerCase().includes(needle) || v.id.toLowerCase().includes(needle));
    const page = firstNumber(body.page);
    const totalPages = firstNumber(body.totalPages);
    return { voices, total: firstNumber(body.total), page, limit: firstNumber(body.pageSize), hasMore: page !== undefined && totalPages !== undefined ? page < totalPages : undefined, raw: res.json };
  },

  buildCloneVoice: (input, samples) => ({
    method: 'POST',
    path: '/api/open/create-model',
    multipart: [
      { name: 'name', value: input.name },
      ...(input.description ? [{ name: 'description', value: input.description }] : []),
      { name: 'visibility', value: input.visibility ?? 'private' },
      ...samples.map((s) => ({ name: 'audioFiles', value: s.data, filename: s.filename, contentType: s.info.contentType })),
    ],
  }),
  parseCloneVoice(res) {
    const m = parseBody(createdBody, res, 'fishaudio-open', 'voice clone');
    return { ...toVoice(m, res.json), personal: true };
  },
};
