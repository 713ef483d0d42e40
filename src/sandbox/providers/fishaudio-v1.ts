import { json } from '../http';
import { viewJob, type StoredJob } from '../state';
import { bearerAuth, failureText, retryAfterHeader, iso, isHttpUrl, positiveInt, randomHex, type ErrorKind, type ProviderWire, type RouteContext } from './common';
import { v1SpeechRoutes } from './fishaudio-speech';

/** Seed 001 + providers.md B: the "FishSpeech Docs" v1 media jobs API (fishaudio.org/api/open/v1). */

const BASE = '/api/open/v1/media/lip-sync/jobs';
const STATUSES = ['queued', 'processing', 'completed', 'failed'];

/** The documented error table: { code, message, requestId }. */
const ERRORS: Record<ErrorKind, [number, string, string]> = {
  'bad-request': [400, 'invalid_request', 'The request is invalid'],
  'auth-missing': [401, 'unauthorized', 'A bearer token is required'],
  'auth-invalid': [401, 'unauthorized', 'Token is invalid or revoked'],
  'not-found': [404, 'not_found', 'Job id is unknown for this token'],
  'no-credits': [402, 'insufficient_credits', 'Credits or quota are insufficient'],
  'rate-limited': [429, 'rate_limited', 'Too many requests'],
  'too-large': [400, 'invalid_request', 'The request body is too large'],
  'server-error': [500, 'internal_error', 'Internal server error'],
};

function jobData(job: StoredJob, ctx: RouteContext) {
  const v = viewJob(job, ctx.now);
  return {
    id: job.id,
    status: v.status,
    ...(v.status === 'completed' ? { resultUrl: ctx.resultUrl(job) } : {}),
    ...(v.status === 'failed'
      ? { error: { code: job.failure?.cause === 'media' ? 'media_unreachable' : 'processing_failed', message: failureText(job) } }
      : {}),
    createdAt: iso(job.createdAt),
    updatedAt: iso(v.updatedAt),
    ...(v.finishedAt !== undefined ? { completedAt: iso(v.finishedAt) } : {}),
  };
}

export const fishAudioV1: ProviderWire = {
  id: 'fishaudio-v1',
  prefix: '/fishaudio-v1',

  authenticate(req, keys) {
    return bearerAuth(req, keys, fishAudioV1.error);
  },

  error(kind, opts = {}) {
    const [status, code, message] = ERRORS[kind];
    return json(opts.status ?? status, { code, message: opts.message ?? message, requestId: `req_${randomHex(8)}` }, retryAfterHeader(opts));
  },

  routes: [
    {
      method: 'POST',
      path: BASE,
      create: true,
      handle(req, ctx) {
        const body = (req.json ?? {}) as Record<string, unknown>;
        if (req.jsonInvalid) return fishAudioV1.error('bad-request', { message: 'The body is not valid JSON' });
        for (const field of ['videoUrl', 'audioUrl']) {
          if (!isHttpUrl(body[field])) return fishAudioV1.error('bad-request', { message: `${field} must be a reachable http(s) media URL` });
        }
        const job = ctx.jobs.create('fishaudio-v1', { id: `job_${randomHex(10)}`, videoUrl: body.videoUrl as string, audioUrl: body.audioUrl as string });
        return json(200, { success: true, message: 'Job created', data: { id: job.id, status: 'queued' } });
      },
    },
    {
      method: 'GET',
      path: BASE,
      handle(req, ctx) {
        const page = positiveInt(req.query.page, 1);
        const limit = positiveInt(req.query.limit, 20);
        const status = req.query.status || undefined;
        if (Number.isNaN(page) || Number.isNaN(limit) || limit > 100) return fishAudioV1.error('bad-request', { message: 'page must be >= 1 and limit between 1 and 100' });
        if (status && !STATUSES.includes(status)) return fishAudioV1.error('bad-request', { message: `Invalid status filter: use one of ${STATUSES.join(', ')}` });
        const all = ctx.jobs.list('fishaudio-v1').map((j) => jobData(j, ctx));
        const matching = status ? all.filter((j) => j.status === status) : all;
        return json(200, {
          success: true,
          data: { items: matching.slice((page - 1) * limit, page * limit), total: matching.length, page, pageSize: limit, totalPages: Math.ceil(matching.length / limit) },
        });
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${BASE}/([^/]+)$`),
      handle(_req, ctx, [id]) {
        const job = ctx.jobs.get('fishaudio-v1', id!);
        return job ? json(200, { success: true, data: jobData(job, ctx) }) : fishAudioV1.error('not-found');
      },
    },
    {
      method: 'GET',
      path: '/api/open/v1/profile',
      handle(_req, ctx) {
        const credits = ctx.identity === 'no-credits' ? 0 : 1200;
        return json(200, { user_id: 'user_sandbox', api_quota_remaining: credits * 800, tier: 'pro', credits });
      },
    },
    // TTS and voices (speech.md), on the same token.
    ...v1SpeechRoutes((kind, opts) => fishAudioV1.error(kind, opts)),
  ],
};
