import { json } from '../http';
import { viewJob, type StoredJob } from '../state';
import { bearerAuth, failureText, retryAfterHeader, iso, isHttpUrl, positiveInt, randomHex, type ErrorKind, type ProviderWire, type RouteContext, type WireRequest } from './common';
import { openSpeechRoutes } from './fishaudio-speech';

/** Seed 000 + providers.md A: the Fish Audio "open" task API (fishaudio.net). */

const STATUS = { queued: 'pending', processing: 'processing', completed: 'completed', failed: 'failed' } as const;
const CREDITS_PER_JOB = 10;
const STARTING_CREDITS = 10_000;

/** Seed 000: { error, details?, code? }; 429 means either "Rate limit exceeded" or "Insufficient credits". */
const ERRORS: Record<ErrorKind, { status: number; error: string; details?: string; code?: string }> = {
  'bad-request': { status: 400, error: 'Invalid request parameters' },
  'auth-missing': { status: 401, error: 'Unauthorized', details: 'Missing Authorization header' },
  'auth-invalid': { status: 401, error: 'Invalid API token' },
  'not-found': { status: 404, error: 'Task not found' },
  'no-credits': { status: 429, error: 'Insufficient credits', details: 'Your account has no credits left', code: 'INSUFFICIENT_CREDITS' },
  'rate-limited': { status: 429, error: 'Rate limit exceeded', code: 'RATE_LIMIT_EXCEEDED' },
  'too-large': { status: 413, error: 'Payload too large' },
  'server-error': { status: 500, error: 'Internal server error' },
};

function task(job: StoredJob, ctx: RouteContext) {
  const v = viewJob(job, ctx.now);
  return {
    id: job.id,
    status: STATUS[v.status],
    progress: v.progress,
    result_url: v.status === 'completed' ? ctx.resultUrl(job) : null,
    error_message: v.status === 'failed' ? `Task failed: ${failureText(job)}` : null,
    created_at: iso(job.createdAt),
    updated_at: iso(v.updatedAt),
    completed_at: iso(v.finishedAt),
    credits_used: CREDITS_PER_JOB,
  };
}

const remainingCredits = (ctx: RouteContext) => (ctx.identity === 'no-credits' ? 0 : Math.max(0, STARTING_CREDITS - CREDITS_PER_JOB * ctx.jobs.count('fishaudio-open')));

/** GET reads the query string, POST the JSON body. */
const params = (req: WireRequest): Record<string, unknown> => (req.method === 'GET' ? req.query : ((req.json ?? {}) as Record<string, unknown>));

export const fishAudioOpen: ProviderWire = {
  id: 'fishaudio-open',
  prefix: '/fishaudio-open',

  authenticate(req, keys) {
    return bearerAuth(req, keys, fishAudioOpen.error);
  },

  error(kind, opts = {}) {
    const e = ERRORS[kind];
    return json(opts.status ?? e.status, { error: e.error, details: opts.message ?? e.details, code: e.code }, retryAfterHeader(opts));
  },

  routes: [
    {
      method: 'POST',
      path: '/api/open/lip-sync/create',
      create: true,
      handle(req, ctx) {
        const body = (req.json ?? {}) as Record<string, unknown>;
        if (req.jsonInvalid) return fishAudioOpen.error('bad-request', { message: 'The body is not valid JSON' });
        for (const field of ['video_url', 'audio_url']) {
          if (!isHttpUrl(body[field])) return fishAudioOpen.error('bad-request', { message: `${field} is required and must be a public http(s) URL` });
        }
        const job = ctx.jobs.create('fishaudio-open', { id: `${randomHex(12)}`, videoUrl: body.video_url as string, audioUrl: body.audio_url as string });
        return json(200, {
          success: true,
          message: 'Task created successfully',
          data: { id: job.id, status: 'pending', created_at: iso(job.createdAt), credits_used: CREDITS_PER_JOB, remaining_credits: remainingCredits(ctx) },
        });
      },
    },
    ...(['GET', 'POST'] as const).flatMap((method) => [
      {
        method,
        path: '/api/open/lip-sync/query',
        handle(req: WireRequest, ctx: RouteContext) {
          const id = params(req).id;
          if (id === undefined || id === null || id === '') return fishAudioOpen.error('bad-request', { message: 'id is required' });
          const job = ctx.jobs.get('fishaudio-open', String(id));
          return job ? json(200, { success: true, data: task(job, ctx) }) : fishAudioOpen.error('not-found');
        },
      },
      {
        method,
        path: '/api/open/lip-sync/list',
        handle(req: WireRequest, ctx: RouteContext) {
          const p = params(req);
          const page = positiveInt(p.page, 1);
          const limit = Math.min(50, positiveInt(p.limit, 10));
          const status = p.status === undefined || p.status === '' ? undefined : String(p.status);
          if (Number.isNaN(page) || Number.isNaN(limit)) return fishAudioOpen.error('bad-request', { message: 'page and limit must be positive integers' });
          if (status !== undefined && !Object.values(STATUS).includes(status as never)) return fishAudioOpen.error('bad-request', { message: 'status must be one of: pending, processing, completed, failed' });
          const all = ctx.jobs.list('fishaudio-open').map((j) => task(j, ctx));
          const statistics = { total: all.length, pending: 0, processing: 0, completed: 0, failed: 0 };
          for (const t of all) statistics[t.status]++;
          const matching = status ? all.filter((t) => t.status === status) : all;
          const totalPages = Math.ceil(matching.length / limit);
          return json(200, {
            success: true,
            data: {
              tasks: matching.slice((page - 1) * limit, page * limit),
              pagination: { page, limit, total: matching.length, total_pages: totalPages, has_more: page < totalPages },
              statistics,
            },
          });
        },
      },
      {
        method,
        path: '/api/open/profile',
        handle(_req: WireRequest, ctx: RouteContext) {
          const credits = remainingCredits(ctx);
          return json(200, { user_id: 'sandbox-user', api_quota_remaining: credits * 100, tier: 'pro', credits });
        },
      },
    ]),
    // TTS and voices (speech.md), on the same token.
    ...openSpeechRoutes((kind, opts) => fishAudioOpen.error(kind, opts)),
  ],
};
