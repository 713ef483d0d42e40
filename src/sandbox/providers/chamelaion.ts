import { randomUUID } from 'node:crypto';
import { json, type WireResponse } from '../http';
import { viewJob, type NewJob, type StoredJob } from '../state';
import { asObject, bearerToken, iso, isHttpUrl, retryAfterHeader, type ErrorKind, type ProviderWire, type RouteContext } from './common';

/**
 * Seed 003 + providers.md D. Base URL https://api.chamelaion.com/api; errors are { error } with the HTTP status.
 * A request can be read by its UUID or by its reference_id (the latest request with that reference wins).
 */

const ERRORS: Record<ErrorKind, [number, string]> = {
  'bad-request': [400, 'invalid request body'],
  'auth-missing': [401, 'missing authorization header'],
  'auth-invalid': [401, 'invalid token'],
  'not-found': [404, 'lipsync request not found'],
  'no-credits': [412, 'token limit reached'],
  'rate-limited': [429, 'rate limit exceeded'],
  'too-large': [413, 'request body too large'],
  'server-error': [500, 'internal error'],
};

const bad = (message: string) => chamelaion.error('bad-request', { message });
const refAlias = (ref: string) => `ref:${ref}`;

function request(job: StoredJob, ctx: RouteContext) {
  const v = viewJob(job, ctx.now);
  return {
    id: job.id,
    reference_id: job.referenceId,
    status: v.status,
    created_at: iso(job.createdAt),
    started_at: iso(v.startedAt) ?? undefined,
    finished_at: iso(v.finishedAt) ?? undefined,
    output_url: v.status === 'completed' ? ctx.resultUrl(job) : undefined,
    // The documented message, e.g. "video URL is not accessible".
    error_message: v.status === 'failed' ? (job.failure?.cause === 'media' ? `${job.failure.media} URL is not accessible` : 'lipsync generation failed') : undefined,
  };
}

function create(ctx: RouteContext, input: Omit<NewJob, 'id' | 'aliases'>): WireResponse {
  const job = ctx.jobs.create('chamelaion', { ...input, id: randomUUID(), aliases: input.referenceId ? [refAlias(input.referenceId)] : [] });
  return json(200, { status: 'success', request_id: job.id });
}

/** The optional reference_id of both create endpoints: absent, or a non-empty string (null means not valid). */
function referenceIdOf(value: unknown): string | undefined | null {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export const chamelaion: ProviderWire = {
  id: 'chamelaion',
  prefix: '/chamelaion/api',

  authenticate(req, keys) {
    const { authorization, 'x-api-key': apiKey } = req.headers;
    if (authorization) {
      const token = bearerToken(authorization);
      if (token === undefined) return chamelaion.error('auth-invalid', { message: 'invalid authorization format' });
      if (token === '') return chamelaion.error('auth-invalid', { message: 'missing token' });
      return keys.identify(token) ?? chamelaion.error('auth-invalid');
    }
    if (apiKey) return keys.identify(apiKey) ?? chamelaion.error('auth-invalid');
    return chamelaion.error('auth-missing');
  },

  error(kind, opts = {}) {
    const [status, error] = ERRORS[kind];
    return json(opts.status ?? status, { error: opts.message ?? error }, retryAfterHeader(opts));
  },

  routes: [
    {
      method: 'POST',
      path: '/v1/lipsync/generate',
      create: true,
      handle(req, ctx) {
        if (req.contentType !== 'application/json') return bad('content-type must be application/json');
        const body = asObject(req.json);
        if (!body || !Array.isArray(body.inputs)) return bad('invalid request body');
        const urls: Record<string, string[]> = { video: [], audio: [] };
        for (const input of body.inputs) {
          const item = asObject(input);
          if (!item) return bad('invalid request body');
          if (item.type !== 'video' && item.type !== 'audio') return bad('input type must be "video" or "audio"');
          if (!isHttpUrl(item.url)) return bad('invalid request body');
          urls[item.type]!.push(item.url);
        }
        if (urls.video!.length !== 1) return bad('expected exactly one video input');
        if (urls.audio!.length !== 1) return bad('expected exactly one audio input');
        const referenceId = referenceIdOf(body.reference_id);
        const asd = body.disable_active_speaker_detection;
        if (referenceId === null || (asd !== undefined && asd !== null && typeof asd !== 'boolean')) return bad('invalid request body');
        return create(ctx, { videoUrl: urls.video![0], audioUrl: urls.audio![0], referenceId });
      },
    },
    {
      method: 'POST',
      path: '/v1/lipsync/generate-with-media',
      create: true,
      handle(req, ctx) {
        if (req.contentType !== 'multipart/form-data' || !req.form) return bad('content-type must be multipart/form-data');
        const { files, fields } = req.form;
        if (!files.video?.data.length) return bad('video file is required');
        if (!files.audio?.data.length) return bad('audio file is required');
        if (fields.model !== undefined && fields.model !== 'lipsync-2') return bad('model must be "lipsync-2"');
        const referenceId = referenceIdOf(fields.reference_id);
        const asd = fields.disable_active_speaker_detection;
        if (referenceId === null || (asd !== undefined && asd !== 'true' && asd !== 'false')) return bad('invalid request body');
        // Uploaded files are always readable: the job has no URLs to fetch.
        return create(ctx, { referenceId });
      },
    },
    {
      method: 'GET',
      path: '/v1/lipsync/requests',
      handle(req, ctx) {
        const limit = req.query.limit === undefined ? 20 : Number(req.query.limit);
        const offset = req.query.offset === undefined ? 0 : Number(req.query.offset);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !Number.isInteger(offset) || offset < 0) return bad('invalid query parameters');
        const ref = req.query.reference_id;
        const all = ctx.jobs.list('chamelaion').filter((j) => !ref || j.referenceId === ref);
        return json(200, { data: all.slice(offset, offset + limit).map((j) => request(j, ctx)), pagination: { limit, offset, total: all.length } });
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/lipsync\/requests\/([^/]+)$/,
      handle(_req, ctx, [id]) {
        const job = ctx.jobs.get('chamelaion', id!) ?? ctx.jobs.byAlias('chamelaion', refAlias(id!));
        return job ? json(200, request(job, ctx)) : chamelaion.error('not-found');
      },
    },
    {
      method: 'GET',
      path: '/v1/users/me',
      handle: () => json(200, { name: 'Sandbox API Token' }),
    },
  ],
};
