import { randomUUID } from 'node:crypto';
import { json } from '../http';
import { viewJob, type StoredJob } from '../state';
import { asObject, failureText, isHttpUrl, randomHex, type ErrorKind, type ProviderWire, type RouteContext } from './common';

/** Seed 004 + providers.md E: paths under /v2, errors as HTTP 200 with { code, msg, data: null } (0 = success). */

const STATUS = { queued: 'pending', processing: 'processing', completed: 'success', failed: 'failed' } as const;
const PLAYBACK_TYPES = ['normal', 'normal_reverse', 'normal_reverse_by_audio'];
const SAMPLE_SECONDS = 3;

const ERRORS: Record<ErrorKind, [number, string]> = {
  'bad-request': [40000, 'Parameter error'],
  'auth-missing': [10105, 'Invalid API key'],
  'auth-invalid': [10105, 'Invalid API key'],
  'not-found': [10104, 'Record not found'],
  'no-credits': [18020, 'Insufficient credit'],
  'rate-limited': [429, 'Rate limit exceeded. Please try again later.'],
  'too-large': [40000, 'Parameter error: the request body is too large'],
  'server-error': [50000, 'System error'],
};

const ok = (data: unknown) => json(200, { code: 0, msg: 'Success', data });
const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));
/** The "latest task for these inputs" lookup key; playback_type defaults to normal. */
const pairAlias = (video: string, audio: string, playback: string) => `pair:${video}\n${audio}\n${playback}`;

function task(job: StoredJob, ctx: RouteContext) {
  const v = viewJob(job, ctx.now);
  return {
    task_id: job.id,
    status: STATUS[v.status],
    created_at: seconds(job.createdAt),
    completed_at: seconds(v.finishedAt),
    data: v.status === 'completed' ? { result_url: ctx.resultUrl(job), cover_url: ctx.coverUrl(job), duration_seconds: SAMPLE_SECONDS } : null,
    error: v.status === 'failed' ? { message: `consume retry limit reached: ${failureText(job)}` } : null,
  };
}

const bad = (detail: string) => joggai.error('bad-request', { message: `Parameter error: ${detail}` });

export const joggai: ProviderWire = {
  id: 'joggai',
  prefix: '/joggai',

  authenticate(req, keys) {
    return keys.identify(req.headers['x-api-key']) ?? joggai.error('auth-invalid');
  },

  error(kind, opts = {}) {
    const [code, msg] = ERRORS[kind];
    const retryAfter = kind === 'rate-limited' && opts.retryAfterSec !== undefined ? { retryAfter: opts.retryAfterSec } : {};
    return json(opts.status ?? 200, { code, msg: opts.message ?? msg, data: null, ...retryAfter });
  },

  routes: [
    {
      method: 'POST',
      path: '/v2/create_lip_sync_video',
      create: true,
      handle(req, ctx) {
        const body = asObject(req.json);
        if (!body) return bad('the body must be a JSON object');
        for (const field of ['video_url', 'audio_url']) if (!isHttpUrl(body[field])) return bad(`${field} is required`);
        const playback = body.playback_type ?? 'normal';
        if (typeof playback !== 'string' || !PLAYBACK_TYPES.includes(playback)) return bad(`playback_type must be one of ${PLAYBACK_TYPES.join(', ')}`);
        const [videoUrl, audioUrl] = [body.video_url as string, body.audio_url as string];
        const job = ctx.jobs.create('joggai', { id: randomUUID(), videoUrl, audioUrl, playbackType: playback, aliases: [pairAlias(videoUrl, audioUrl, playback)] });
        return ok({ task_id: job.id, status: 'pending' });
      },
    },
    {
      method: 'GET',
      path: /^\/v2\/lip_sync_video\/([^/]+)$/,
      handle(_req, ctx, [id]) {
        const job = ctx.jobs.get('joggai', id!);
        return job ? ok(task(job, ctx)) : joggai.error('not-found');
      },
    },
    {
      method: 'GET',
      path: '/v2/lip_sync_video',
      handle(req, ctx) {
        const { video_url: video, audio_url: audio, playback_type: playback } = req.query;
        if (!video || !audio) return bad('video_url and audio_url are required');
        const job = ctx.jobs.byAlias('joggai', pairAlias(video, audio, playback || 'normal'));
        return job ? ok(task(job, ctx)) : joggai.error('not-found');
      },
    },
    {
      method: 'POST',
      path: '/v2/upload/asset',
      handle(req, ctx) {
        const body = asObject(req.json) ?? {};
        const { filename, content_type: contentType, file_size: size } = body;
        if (typeof filename !== 'string' || !filename) return bad('filename is required');
        if (typeof contentType !== 'string' || !contentType) return bad('content_type is required');
        if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) return bad('file_size must be a positive integer');
        const asset = ctx.assets.announce(filename, contentType, size);
        return ok({
          sign_url: `${ctx.origin}/storage/joggai/${asset.id}?expires=${seconds(ctx.now)! + 3600}&signature=${randomHex(16)}`,
          asset_url: `${ctx.origin}/assets/joggai/${asset.id}/${encodeURIComponent(filename)}`,
        });
      },
    },
    {
      method: 'GET',
      path: '/v2/user/whoami',
      handle: () => ok({ email: 'sandbox@example.com', username: 'sandbox' }),
    },
    {
      method: 'GET',
      path: '/v2/user/remaining_quota',
      handle: (_req, ctx) => ok({ remaining_quota: ctx.identity === 'no-credits' ? 0 : 1000 }),
    },
  ],
};
