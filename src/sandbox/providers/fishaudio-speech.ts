import { json, type WireResponse } from '../http';
import { SPEECH_MAX_TEXT, isWavOrMp3, type SandboxVoice } from '../speech';
import { asObject, iso, positiveInt, type ProviderWire, type Route, type RouteContext, type WireRequest } from './common';

/**
 * The speech endpoints of both Fish Audio surfaces (speech.md, providers.md A and B). Both answer with WAV: the
 * sandbox has no MP3 encoder, and the Content-Type says so (the real services default to MP3).
 */

const audioUrl = (ctx: RouteContext, id: string) => `${ctx.origin}/speech/${id}.wav`;

const wavResponse = (data: Buffer): WireResponse => ({ status: 200, raw: data, headers: { 'content-type': 'audio/wav' } });

/** Text and voice as both TTS endpoints check them; a WireResponse when they are refused. */
function checkSpeech(ctx: RouteContext, error: ProviderWire['error'], text: unknown, voiceId: unknown, voiceField: string): WireResponse | { text: string; voice: SandboxVoice } {
  if (typeof text !== 'string' || text.trim() === '') return error('bad-request', { message: 'text is required and must not be empty' });
  if (text.length > SPEECH_MAX_TEXT) return error('bad-request', { message: `text must be at most ${SPEECH_MAX_TEXT} characters` });
  if (typeof voiceId !== 'string' || voiceId === '') return error('bad-request', { message: `${voiceField} is required` });
  const voice = ctx.speech.voice(voiceId);
  if (!voice) return error('not-found', { message: `Voice model ${voiceId} not found` });
  return { text, voice };
}

/** A TTS request's JSON body, checked; a WireResponse when it is refused. */
function speechRequest(req: WireRequest, ctx: RouteContext, error: ProviderWire['error'], voiceField: string, voiceOf: (body: Record<string, unknown>) => unknown) {
  if (req.jsonInvalid || !asObject(req.json)) return error('bad-request', { message: 'The body must be JSON' });
  const body = req.json as Record<string, unknown>;
  const checked = checkSpeech(ctx, error, body.text, voiceOf(body), voiceField);
  return isResponse(checked) ? checked : { ...checked, body };
}

const samplesOf = (req: WireRequest) => (req.form?.fileList ?? []).filter((f) => f.name === 'audioFiles' || f.name === 'files' || f.name === 'file');

function checkClone(req: WireRequest, error: ProviderWire['error']): WireResponse | { name: string; description: string; samples: number } {
  if (!req.form) return error('bad-request', { message: 'The body must be multipart/form-data' });
  const name = req.form.fields.name?.trim();
  if (!name) return error('bad-request', { message: 'name is required' });
  const samples = samplesOf(req);
  if (samples.length === 0) return error('bad-request', { message: 'audioFiles: at least one WAV or MP3 recording is required' });
  const bad = samples.find((f) => !isWavOrMp3(f.data));
  if (bad) return error('bad-request', { message: `audioFiles: ${bad.filename} is not a WAV or MP3 file` });
  return { name, description: req.form.fields.description ?? '', samples: samples.length };
}

const isResponse = (v: object): v is WireResponse => 'status' in v;

/** Legacy surface: POST /api/open/tts, /api/open/create-model, /api/open/list-models. */
export function openSpeechRoutes(error: ProviderWire['error']): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/open/tts',
      create: true,
      handle(req, ctx) {
        const checked = speechRequest(req, ctx, error, 'reference_id', (b) => b.reference_id);
        if (isResponse(checked)) return checked;
        const { body } = checked;
        const audio = ctx.speech.speak(checked.text, checked.voice.id);
        if (body.cache !== true) return wavResponse(audio.data);
        return json(200, { success: true, audio_url: audioUrl(ctx, audio.id), format: 'wav', characters_used: checked.text.length, quota_remaining: 100_000 - checked.text.length });
      },
    },
    {
      method: 'POST',
      path: '/api/open/list-models',
      handle(req, ctx) {
        const body = asObject(req.json) ?? {};
        const page = positiveInt(body.page, 1);
        const pageSize = positiveInt(body.pageSize, 20);
        if (Number.isNaN(page) || Number.isNaN(pageSize) || pageSize > 100) return error('bad-request', { message: 'page must be >= 1 and pageSize between 1 and 100' });
        const all = ctx.speech.listVoices().filter((v) => body.includePersonal !== false || !v.personal);
        const items = all.slice((page - 1) * pageSize, page * pageSize).map((v) => ({
          modelId: v.id,
          title: v.name,
          description: v.description,
          created_at: iso(v.createdAt),
          updated_at: iso(v.createdAt),
          isPersonal: v.personal,
        }));
        return json(200, { total: all.length, page, pageSize, totalPages: Math.ceil(all.length / pageSize), items });
      },
    },
    {
      method: 'POST',
      path: '/api/open/create-model',
      create: true,
      handle(req, ctx) {
        const checked = checkClone(req, error);
        if (isResponse(checked)) return checked;
        const v = ctx.speech.clone(checked.name, checked.description, checked.samples);
        return json(200, { modelId: v.id, title: v.name, description: v.description, createdAt: iso(v.createdAt), message: 'Model created successfully' });
      },
    },
  ];
}

const V1 = '/api/open/v1';

function v1Voice(v: SandboxVoice) {
  return { id: v.id, name: v.name, provider: 'fishaudio', ...(v.personal ? { status: 'ready', createdAt: iso(v.createdAt) } : {}) };
}

/** v1 surface: sync and async TTS, voices list/create/delete. */
export function v1SpeechRoutes(error: ProviderWire['error']): Route[] {
  const voiceOf = (body: Record<string, unknown>) => body.voiceId ?? body.reference_id ?? body.modelId;
  return [
    {
      method: 'POST',
      path: `${V1}/speech/tts`,
      create: true,
      handle(req, ctx) {
        const checked = speechRequest(req, ctx, error, 'voiceId', voiceOf);
        if (isResponse(checked)) return checked;
        const { body } = checked;
        const audio = ctx.speech.speak(checked.text, checked.voice.id);
        if (body.cache !== true) return wavResponse(audio.data);
        return json(200, { audio_url: audioUrl(ctx, audio.id), credits_used: checked.text.length, quota_remaining: 100_000 - checked.text.length });
      },
    },
    {
      method: 'POST',
      path: `${V1}/speech/tts/jobs`,
      create: true,
      handle(req, ctx) {
        const checked = speechRequest(req, ctx, error, 'voiceId', voiceOf);
        if (isResponse(checked)) return checked;
        const { body } = checked;
        const job = ctx.speech.createJob(checked.text, checked.voice.id, typeof body.format === 'string' ? body.format : 'mp3');
        return json(202, { id: job.id, status: 'queued' });
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${V1}/speech/tts/jobs/([^/]+)$`),
      handle(_req, ctx, [id]) {
        const seen = ctx.speech.viewJob(id!, ctx.now);
        if (!seen) return error('not-found', { message: `Speech job ${id} is unknown for this token` });
        const { job, status } = seen;
        return json(200, { id: job.id, status, createdAt: iso(job.createdAt), ...(status === 'completed' ? { audioUrl: audioUrl(ctx, job.audioId!) } : {}) });
      },
    },
    {
      method: 'GET',
      path: `${V1}/voices`,
      handle(req, ctx) {
        const limit = positiveInt(req.query.limit, 20);
        const offset = req.query.offset === undefined ? 0 : Number(req.query.offset);
        if (Number.isNaN(limit) || limit > 100 || !Number.isInteger(offset) || offset < 0) return error('bad-request', { message: 'limit must be between 1 and 100 and offset >= 0' });
        const search = (req.query.search ?? '').toLowerCase();
        const all = ctx.speech.listVoices().filter((v) => !search || v.name.toLowerCase().includes(search));
        return json(200, { total: all.length, page: Math.floor(offset / limit) + 1, pageSize: limit, totalPages: Math.ceil(all.length / limit), items: all.slice(offset, offset + limit).map(v1Voice) });
      },
    },
    {
      method: 'POST',
      path: `${V1}/voices`,
      create: true,
      handle(req, ctx) {
        const checked = checkClone(req, error);
        if (isResponse(checked)) return checked;
        return json(201, v1Voice(ctx.speech.clone(checked.name, checked.description, checked.samples)));
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${V1}/voices/([^/]+)$`),
      handle(_req, ctx, [id]) {
        if (!ctx.speech.deleteVoice(id!)) return error('not-found', { message: `Voice ${id} is unknown for this token (or not yours to delete)` });
        return { status: 204, raw: Buffer.alloc(0) };
      },
    },
  ];
}
