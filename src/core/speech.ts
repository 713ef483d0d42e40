import { z } from 'zod';
import { openDownload } from './download';
import { ERROR_CODES, LipSyncError, providerName } from './errors';
import { maybeCreated, send, type RequestKind } from './http';
import { checkMedia, extensionFor, type BinaryMedia, type MediaInfo } from './media';
import type { ParsedResponse, PollHints, PreparedMedia, RequestSpec, WireAdapter } from './provider';
import { accountOptionsSchema, openSession, type SessionOptions } from './session';
import type { LipSyncJob } from './types';
import { formatZodError, stripEmpty } from './validation';
import { waitForJob, type WaitOptions } from './wait';

/**
 * Text-to-speech and voice cloning on the same account as lip-sync (Fish Audio's two API surfaces). The client
 * shares the lip-sync client's machinery: one session (transport, timeouts, retries, limiters, redaction), the
 * same waiting for async jobs, the same errors. Requests that bill (speech, a clone) are never sent twice.
 */

export const SPEECH_PROVIDER_IDS = ['fishaudio-open', 'fishaudio-v1'] as const;
export type SpeechProviderId = (typeof SPEECH_PROVIDER_IDS)[number];

export const SPEECH_FORMATS = ['mp3', 'wav', 'opus'] as const;
export type SpeechFormat = (typeof SPEECH_FORMATS)[number];

export interface SpeakInput {
  text: string;
  /** The voice (a cloned voice's id, or one from listVoices). */
  voiceId: string;
  /** Default mp3 (the documented format). */
  format?: SpeechFormat;
  /** 'audio' (default): the bytes; 'url': the provider's audio URL (short-lived), e.g. for a lip-sync create. */
  output?: 'audio' | 'url';
  /** The provider's voice model: the open API's `version`, v1's `engineModelId`. */
  model?: string;
  /** v1 only: 'job' uses the async TTS jobs (created once, then polled) instead of one synchronous request. */
  mode?: 'sync' | 'job';
  /** Provider-specific options (open API: speed, volume, emotion, language). */
  [option: string]: unknown;
}

export interface SpeakOptions extends WaitOptions {
  /** Async jobs: called as soon as the job id exists. */
  onCreated?: (job: SpeechJob) => void;
}

export interface SpeechResult {
  /** The audio bytes (output 'audio'; also when the provider answered bytes to a URL request). */
  audio?: Buffer;
  /** The audio's URL at the provider, when it gave one. */
  url?: string;
  /** MIME type of the bytes, or the one the format implies. */
  contentType: string;
  format: string;
  /** A file name for the audio, e.g. speech.mp3. */
  filename: string;
  charactersUsed?: number;
  creditsUsed?: number;
  quotaRemaining?: number;
  /** The async job it came from (v1 mode 'job'). */
  jobId?: string;
  /** The provider's JSON answer where there was one. */
  raw?: unknown;
}

/** An async TTS job, normalized like a lip-sync job: `resultUrl` is the audio URL. */
export type SpeechJob = LipSyncJob;

export interface Voice {
  id: string;
  name: string;
  description?: string;
  /** The account's own (cloned) voice, where the provider says. */
  personal?: boolean;
  /** v1: the voice's engine provider; also the status of a clone that is still being made. */
  provider?: string;
  status?: string;
  createdAt?: string;
  updatedAt?: string;
  raw: unknown;
}

export interface VoiceList {
  voices: Voice[];
  total?: number;
  page?: number;
  limit?: number;
  hasMore?: boolean;
  raw: unknown;
}

export interface VoiceQuery {
  search?: string;
  page?: number;
  limit?: number;
  /** Only the account's own voices (open API: `includePersonal`; v1 has no such filter). */
  personalOnly?: boolean;
  /** v1: the engine provider filter. */
  provider?: string;
}

export interface VoiceSample extends BinaryMedia {
  filename?: string;
}

export interface CloneVoiceInput {
  name: string;
  description?: string;
  /** Open API: public | private (default private). */
  visibility?: 'public' | 'private';
  /** One or more WAV or MP3 recordings of the voice. */
  samples: VoiceSample[];
}

export interface SpeakRequest {
  text: string;
  voiceId: string;
  format: SpeechFormat;
  output: 'audio' | 'url';
  model?: string;
  options: Record<string, unknown>;
}

export interface SpeakAnswer {
  audio?: Uint8Array;
  contentType?: string;
  url?: string;
  format?: string;
  charactersUsed?: number;
  creditsUsed?: number;
  quotaRemaining?: number;
  raw?: unknown;
}

/** One API surface's speech wire format; thin like a lip-sync adapter. */
export interface SpeechAdapter extends WireAdapter {
  id: SpeechProviderId;
  /** zod schema of the surface's own speak options (strict). */
  speakOptionsSchema: z.ZodType<Record<string, unknown>>;
  /** Longest text one request takes. */
  maxTextLength: number;
  /** The documented values of `model`, where the surface documents them. */
  models?: readonly string[];
  buildSpeak(input: SpeakRequest): RequestSpec;
  parseSpeak(res: ParsedResponse): SpeakAnswer;
  buildCreateSpeechJob?(input: SpeakRequest): RequestSpec;
  parseSpeechJob?(res: ParsedResponse, id?: string): SpeechJob;
  buildGetSpeechJob?(id: string): RequestSpec;
  buildListVoices(query: VoiceQuery): RequestSpec;
  parseListVoices(res: ParsedResponse, query: VoiceQuery): VoiceList;
  buildCloneVoice(input: CloneVoiceInput, samples: PreparedMedia[]): RequestSpec;
  parseCloneVoice(res: ParsedResponse, input: CloneVoiceInput): Voice;
  buildDeleteVoice?(id: string): RequestSpec;
  pollHints: PollHints;
}

export interface SpeechClientOptions extends SessionOptions {
  provider: SpeechProviderId;
  /** Longest audio answer accepted, bytes (default 64 MiB). */
  maxAudioBytes?: number;
}

export interface SpeechClient {
  readonly provider: SpeechProviderId;
  readonly providerName: string;
  readonly baseUrl: string;
  /** Whether the surface has async TTS jobs (v1) and a voice delete (v1). */
  readonly canUseJobs: boolean;
  readonly canDeleteVoices: boolean;
  speak(input: SpeakInput, options?: SpeakOptions): Promise<SpeechResult>;
  createSpeechJob(input: SpeakInput, options?: { signal?: AbortSignal }): Promise<SpeechJob>;
  getSpeechJob(id: string, options?: { signal?: AbortSignal }): Promise<SpeechJob>;
  waitForSpeechJob(id: string, options?: WaitOptions): Promise<SpeechJob>;
  listVoices(query?: VoiceQuery, options?: { signal?: AbortSignal }): Promise<VoiceList>;
  cloneVoice(input: CloneVoiceInput, options?: { signal?: AbortSignal }): Promise<Voice>;
  deleteVoice(id: string, options?: { signal?: AbortSignal }): Promise<void>;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = { mp3: 'audio/mpeg', wav: 'audio/wav', opus: 'audio/ogg', ogg: 'audio/ogg', m4a: 'audio/mp4', flac: 'audio/flac' };
const EXTENSIONS: Record<string, string> = { 'audio/mpeg': 'mp3', 'audio/mp3': 'mp3', 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/wave': 'wav', 'audio/ogg': 'opus', 'audio/opus': 'opus' };

const MAX_SAMPLE_BYTES = 50 * 1024 * 1024;
const MAX_SAMPLES = 10;

const speakSchema = (maxText: number) =>
  z.object({
    text: z
      .string({ error: 'text is required: give the script to speak' })
      .trim()
      .min(1, 'text is empty: give the script to speak')
      .max(maxText, `text is longer than ${maxText} characters: split the script into several requests`),
    voiceId: z.string({ error: 'voiceId is required: pick a voice (List Voices) or clone one' }).trim().min(1, 'voiceId is empty: pick a voice (List Voices) or clone one'),
    format: z.enum(SPEECH_FORMATS, { error: `format must be one of: ${SPEECH_FORMATS.join(', ')}` }).default('mp3'),
    output: z.enum(['audio', 'url'], { error: "output must be 'audio' or 'url'" }).default('audio'),
    model: z.string().trim().min(1).optional(),
    mode: z.enum(['sync', 'job'], { error: "mode must be 'sync' or 'job'" }).default('sync'),
  });

const voiceQuerySchema = z.strictObject({
  search: z.string().trim().optional(),
  page: z.number().int().min(1).optional(),
  limit: z.number().int().min(1, 'limit must be between 1 and 100').max(100, 'limit must be between 1 and 100').optional(),
  personalOnly: z.boolean().optional(),
  provider: z.string().trim().optional(),
});

const cloneSchema = z.strictObject({
  name: z.string({ error: 'name is required: give the new voice a name' }).trim().min(1, 'name is empty: give the new voice a name').max(100, 'name is longer than 100 characters'),
  description: z.string().trim().max(1000, 'description is longer than 1000 characters').optional(),
  visibility: z.enum(['public', 'private'], { error: "visibility must be 'public' or 'private'" }).optional(),
  samples: z
    .array(
      z.object(
        {
          data: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length > 0, 'each sample needs its audio bytes (a non-empty Buffer)'),
          filename: z.string().optional(),
          contentType: z.string().optional(),
        },
        { error: 'each sample must be { data: Buffer, filename? }' },
      ),
      { error: 'samples is required: give one or more WAV or MP3 recordings of the voice' },
    )
    .min(1, 'samples is empty: give one or more WAV or MP3 recordings of the voice')
    .max(MAX_SAMPLES, `samples: at most ${MAX_SAMPLES} recordings per voice`),
});

const idSchema = (what: string) => z.string({ error: `${what} is required` }).trim().min(1, `${what} is empty`);

/** The speech client for one speech adapter (the registry, `src/registry.ts`, picks it by provider id). */
export function createSpeechClientFor(adapter: SpeechAdapter, options: SpeechClientOptions): SpeechClient {
  const parsed = accountOptionsSchema.safeParse(options);
  if (!parsed.success) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, formatZodError(parsed.error), { field: String(parsed.error.issues[0]?.path[0] ?? '') });
  const { apiKey } = parsed.data;
  const provider = adapter.id;
  const name = providerName(provider);
  const session = openSession(adapter, { ...options, apiKey }, parsed.data.baseUrl);
  const { ctx } = session;
  const maxAudioBytes = options.maxAudioBytes ?? 64 * 1024 * 1024;
  const speakInput = speakSchema(adapter.maxTextLength);

  const invalid = (error: z.ZodError, field?: string) =>
    new LipSyncError(ERROR_CODES.INVALID_INPUT, formatZodError(error, name), { provider, field: field ?? String(error.issues[0]?.path[0] ?? '') });

  /** A request that bills or makes something: sent once; an answer lost on the way is reported, never re-sent. */
  async function sendOnce(spec: RequestSpec, what: string, signal?: AbortSignal): Promise<ParsedResponse> {
    try {
      return await send(ctx, spec, 'create', { signal });
    } catch (error) {
      if (!maybeCreated(error) || !LipSyncError.is(error) || error.code === ERROR_CODES.ABORTED) throw error;
      throw new LipSyncError(
        error.code,
        `${error.reason}. The ${what} request may have reached ${name} (and been billed), so it was not sent again; check your ${name} account before retrying`,
        { ...error.details(), retryable: false },
      );
    }
  }

  const call = (spec: RequestSpec, kind: RequestKind, signal?: AbortSignal, jobId?: string) => send(ctx, spec, kind, { signal, jobId });

  function validateSpeak(input: SpeakInput): SpeakRequest & { mode: 'sync' | 'job' } {
    if (typeof input !== 'object' || input === null) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'speak needs an object with text and voiceId', { provider });
    const { text, voiceId, format, output, model, mode, ...rest } = input;
    const r = speakInput.safeParse(stripEmpty({ text, voiceId, format, output, model, mode }));
    if (!r.success) throw invalid(r.error);
    if (r.data.model !== undefined && adapter.models && !adapter.models.includes(r.data.model)) {
      throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `model "${r.data.model}" is not a ${name} voice model: use one of ${adapter.models.join(', ')}`, { provider, field: 'model' });
    }
    if (r.data.mode === 'job' && !adapter.buildCreateSpeechJob) {
      throw new LipSyncError(ERROR_CODES.NOT_SUPPORTED, `${name} has no async speech jobs: use mode 'sync'`, { provider, field: 'mode' });
    }
    const extra = adapter.speakOptionsSchema.safeParse(stripEmpty(rest));
    if (!extra.success) throw invalid(extra.error);
    return { ...r.data, options: extra.data };
  }

  /** "Not found" on a speech request means the voice: say so, with the fix. */
  function voiceHint(error: unknown, voiceId: string): unknown {
    if (!LipSyncError.is(error) || error.code !== ERROR_CODES.NOT_FOUND) return error;
    return new LipSyncError(ERROR_CODES.NOT_FOUND, `${error.reason}: voice "${voiceId}" is not a voice of this ${name} account; pick one from List Voices or clone one`, {
      ...error.details(),
      field: 'voiceId',
    });
  }

  async function fetchAudio(url: string, signal?: AbortSignal, jobId?: string): Promise<{ audio: Buffer; contentType?: string }> {
    const dl = await openDownload(url, { signal, jobId });
    if (dl.contentLength !== undefined && dl.contentLength > maxAudioBytes) {
      dl.stream.destroy();
      throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, `The audio at the provider's URL is larger than ${maxAudioBytes} bytes`, { provider, jobId });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of dl.stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxAudioBytes) {
        dl.stream.destroy();
        throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, `The audio at the provider's URL is larger than ${maxAudioBytes} bytes`, { provider, jobId });
      }
      chunks.push(chunk);
    }
    return { audio: Buffer.concat(chunks), contentType: dl.contentType };
  }

  async function result(answer: SpeakAnswer, req: SpeakRequest, signal?: AbortSignal, jobId?: string): Promise<SpeechResult> {
    let audio = answer.audio ? Buffer.from(answer.audio.buffer, answer.audio.byteOffset, answer.audio.byteLength) : undefined;
    let contentType = answer.contentType;
    if (!audio && !answer.url) throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, `${name} answered neither audio nor an audio URL`, { provider, jobId });
    if (!audio && req.output === 'audio') ({ audio, contentType } = await fetchAudio(answer.url!, signal, jobId));
    const sniffed: MediaInfo | undefined = audio ? checkAudio(audio) : undefined;
    const type = sniffed && sniffed.container !== 'unknown' ? sniffed.contentType : (contentType?.split(';')[0]?.trim() || CONTENT_TYPES[answer.format ?? req.format] || 'audio/mpeg');
    const format = sniffed && sniffed.container !== 'unknown' ? extensionFor(sniffed) : (EXTENSIONS[type] ?? answer.format ?? req.format);
    return {
      audio,
      url: answer.url,
      contentType: type,
      format,
      filename: `speech.${format}`,
      charactersUsed: answer.charactersUsed,
      creditsUsed: answer.creditsUsed,
      quotaRemaining: answer.quotaRemaining,
      jobId,
      raw: answer.raw,
    };
  }

  function checkAudio(audio: Buffer): MediaInfo {
    return checkMedia({ data: audio }, 'audio', undefined, provider, name);
  }

  async function createSpeechJob(input: SpeakInput, callOptions: { signal?: AbortSignal } = {}): Promise<SpeechJob> {
    const req = validateSpeak({ ...input, mode: 'job' });
    try {
      const res = await sendOnce(adapter.buildCreateSpeechJob!(req), 'speech job', callOptions.signal);
      return adapter.parseSpeechJob!(res);
    } catch (e) {
      throw voiceHint(e, req.voiceId);
    }
  }

  async function getSpeechJob(id: string, callOptions: { signal?: AbortSignal } = {}): Promise<SpeechJob> {
    if (!adapter.buildGetSpeechJob) throw new LipSyncError(ERROR_CODES.NOT_SUPPORTED, `${name} has no async speech jobs`, { provider });
    const jobId = checkId(id, 'jobId');
    const res = await call(adapter.buildGetSpeechJob(jobId), 'read', callOptions.signal, jobId);
    return adapter.parseSpeechJob!(res, jobId);
  }

  const waitForSpeechJob = (id: string, waitOptions: WaitOptions = {}) =>
    waitForJob({ clock: ctx.clock, delay: ctx.delay, hints: adapter.pollHints, getJob: (jobId, signal) => getSpeechJob(jobId, { signal }) }, checkId(id, 'jobId'), waitOptions);

  function checkId(id: string, field: string): string {
    const r = idSchema(field).safeParse(id);
    if (!r.success) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, formatZodError(r.error), { provider, field });
    return r.data;
  }

  return {
    provider,
    providerName: name,
    baseUrl: ctx.baseUrl,
    canUseJobs: Boolean(adapter.buildCreateSpeechJob),
    canDeleteVoices: Boolean(adapter.buildDeleteVoice),

    async speak(input, speakOptions: SpeakOptions = {}) {
      const req = validateSpeak(input);
      if (req.mode === 'job') {
        const job = await createSpeechJob(input, { signal: speakOptions.signal });
        speakOptions.onCreated?.(job);
        const done = job.status === 'completed' && job.resultUrl ? job : await waitForSpeechJob(job.id, speakOptions);
        if (!done.resultUrl) throw new LipSyncError(ERROR_CODES.PROVIDER_ERROR, `The speech job completed without an audio URL`, { provider, jobId: done.id, job: done });
        return result({ url: done.resultUrl, format: req.format, raw: done.raw }, req, speakOptions.signal, done.id);
      }
      try {
        const res = await sendOnce({ ...adapter.buildSpeak(req), binary: true, maxResponseBytes: maxAudioBytes }, 'speech', speakOptions.signal);
        return await result(adapter.parseSpeak(res), req, speakOptions.signal);
      } catch (e) {
        throw voiceHint(e, req.voiceId);
      }
    },
    createSpeechJob,
    getSpeechJob,
    waitForSpeechJob,

    async listVoices(query = {}, callOptions = {}) {
      const q = voiceQuerySchema.safeParse(stripEmpty(query));
      if (!q.success) throw invalid(q.error);
      const res = await call(adapter.buildListVoices(q.data), 'read', callOptions.signal);
      return adapter.parseListVoices(res, q.data);
    },

    async cloneVoice(input, callOptions = {}) {
      const r = cloneSchema.safeParse(typeof input === 'object' && input !== null ? stripEmpty(input) : input);
      if (!r.success) throw invalid(r.error);
      const samples = r.data.samples.map((s, i): PreparedMedia => {
        const field = `samples[${i}]`;
        const info = checkMedia(s as BinaryMedia, 'audio', { containers: ['wav', 'mp3'], maxBytes: MAX_SAMPLE_BYTES }, provider, name);
        if (info.container !== 'wav' && info.container !== 'mp3') {
          throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `${field}${s.filename ? ` (${s.filename})` : ''} is not a WAV or MP3 recording: ${name} clones voices from WAV or MP3 audio`, { provider, field });
        }
        return { role: 'audio', data: s.data, info, filename: s.filename || `sample-${i + 1}.${extensionFor(info)}` };
      });
      const res = await sendOnce(adapter.buildCloneVoice(r.data as CloneVoiceInput, samples), 'voice clone', callOptions.signal);
      return adapter.parseCloneVoice(res, r.data as CloneVoiceInput);
    },

    async deleteVoice(id, callOptions = {}) {
      if (!adapter.buildDeleteVoice) {
        throw new LipSyncError(ERROR_CODES.NOT_SUPPORTED, `${name} has no documented way to delete a voice: delete it in your ${name} account`, { provider });
      }
      const voiceId = checkId(id, 'voiceId');
      try {
        // Deleting twice does no harm: retried like a read, limited like a create.
        await call(adapter.buildDeleteVoice(voiceId), 'upload', callOptions.signal);
      } catch (e) {
        if (LipSyncError.is(e) && e.code === ERROR_CODES.NOT_FOUND) {
          throw new LipSyncError(ERROR_CODES.NOT_FOUND, `${e.reason}: voice "${voiceId}" is not a voice of this ${name} account`, { ...e.details(), field: 'voiceId' });
        }
        throw e;
      }
    },

    close: session.close,
  };
}

export const isSpeechProvider = (provider: unknown): provider is SpeechProviderId => SPEECH_PROVIDER_IDS.includes(provider as SpeechProviderId);
