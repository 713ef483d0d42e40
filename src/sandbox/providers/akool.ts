import { randomUUID } from 'node:crypto';
import { json } from '../http';
import { viewJob, type StoredJob } from '../state';
import { asObject, bearerToken, failureText, isHttpUrl, randomHex, type ErrorKind, type ProviderWire, type RouteContext } from './common';

/**
 * Seed 002 + providers.md C. Errors are HTTP 200 with a business code (1000 = success). Auth is `x-api-key`
 * or `Authorization: Bearer <token from getToken>`; when both are sent, Authorization wins.
 */

const VIDEO_STATUS = { queued: 1, processing: 2, completed: 3, failed: 4 } as const;
/** The sample video is 3 s long. */
const SAMPLE_SECONDS = 3;

const ERRORS: Record<ErrorKind, [number, string]> = {
  'bad-request': [1003, 'Parameter error or Parameter can not be empty'],
  'auth-missing': [1102, 'Authorization cannot be empty'],
  'auth-invalid': [1101, 'Invalid authorization or The request token has expired'],
  'not-found': [1008, 'The content you get does not exist'],
  'no-credits': [1104, 'Insufficient credit balance'],
  'rate-limited': [1005, 'Frequent operation'],
  'too-large': [1003, 'Parameter error: the request body is too large'],
  'server-error': [1205, 'Create video error, please try again later'],
};

/** A MongoDB-style ObjectId: 4 bytes of seconds, 8 random bytes. */
const objectId = (now: number) => Math.floor(now / 1000).toString(16).padStart(8, '0') + randomHex(8);

/** The fields the seed shows on both the create and the info response. */
function videoInfo(job: StoredJob, ctx: RouteContext) {
  const v = viewJob(job, ctx.now);
  return {
    faceswap_quality: 2,
    storage_loc: 1,
    _id: job.id,
    create_time: job.createdAt,
    uid: 100002,
    type: 9,
    from: 2,
    video_id: job.meta.video_id,
    video_lock_duration: SAMPLE_SECONDS,
    deduction_lock_duration: 10,
    video_status: VIDEO_STATUS[v.status],
    external_video: '',
    video: v.status === 'completed' ? ctx.resultUrl(job) : '',
    // The lip-sync doc names no failure field; these are the ones sibling products use on the same route.
    ...(v.status === 'failed' ? { error_code: job.failure?.cause === 'media' ? 1015 : 1211, error_reason: failureText(job) } : {}),
  };
}


export const akool: ProviderWire = {
  id: 'akool',
  prefix: '/akool',

  authenticate(req, keys) {
    const { authorization, 'x-api-key': apiKey } = req.headers;
    if (authorization) {
      const token = bearerToken(authorization);
      return (token && keys.identifyToken(token)) || akool.error('auth-invalid');
    }
    if (!apiKey) return akool.error('auth-missing');
    return keys.identify(apiKey) ?? akool.error('auth-invalid');
  },

  error(kind, opts = {}) {
    const [code, msg] = ERRORS[kind];
    // Akool answers HTTP 200 with the code in the body; only injected faults change the status.
    return json(opts.status ?? 200, { code, msg: opts.message ?? msg });
  },

  routes: [
    {
      method: 'POST',
      path: '/api/open/v3/getToken',
      public: true,
      handle(req, ctx) {
        const body = asObject(req.json) ?? {};
        const { clientId, clientSecret } = body;
        if (typeof clientId !== 'string' || !clientId || typeof clientSecret !== 'string' || !clientSecret) return akool.error('bad-request');
        const identity = ctx.keys.identify(clientSecret);
        if (!identity || (ctx.keys.akoolClientId !== undefined && clientId !== ctx.keys.akoolClientId)) return akool.error('auth-invalid');
        return json(200, { code: 1000, token: ctx.keys.issueToken(identity) });
      },
    },
    {
      method: 'POST',
      path: '/api/open/v3/content/video/lipsync',
      create: true,
      handle(req, ctx) {
        const body = asObject(req.json);
        if (!body || !isHttpUrl(body.video_url) || !isHttpUrl(body.audio_url)) return akool.error('bad-request');
        const webhookUrl = body.webhookUrl;
        if (webhookUrl !== undefined && webhookUrl !== null && typeof webhookUrl !== 'string') return akool.error('bad-request');
        const job = ctx.jobs.create('akool', {
          id: objectId(ctx.now),
          videoUrl: body.video_url,
          audioUrl: body.audio_url,
          webhookUrl: webhookUrl || undefined,
          meta: { video_id: randomUUID(), task_id: objectId(ctx.now) },
        });
        // Status callbacks (processing, then completed or failed) as the job moves: see ../callbacks.ts.
        if (job.webhookUrl) ctx.scheduleCallbacks(job);
        const { faceswap_quality, storage_loc, _id, create_time, uid, type, from, video_id, video_lock_duration, deduction_lock_duration, external_video, video } = videoInfo(job, ctx);
        // Same keys and order as the seed's example response.
        return json(200, {
          code: 1000,
          msg: 'OK',
          data: {
            create_time,
            uid,
            type,
            from,
            target_video: body.video_url,
            faceswap_quality,
            video_id,
            video_status: 1,
            video_lock_duration,
            deduction_lock_duration,
            external_video,
            video,
            storage_loc,
            input_audio: body.audio_url,
            webhookUrl: typeof webhookUrl === 'string' ? webhookUrl : '',
            task_id: job.meta.task_id,
            lipsync: true,
            _id,
            __v: 0,
          },
        });
      },
    },
    {
      method: 'GET',
      path: '/api/open/v3/content/video/infobymodelid',
      handle(req, ctx) {
        const id = req.query.video_model_id;
        if (!id) return akool.error('bad-request');
        const job = ctx.jobs.get('akool', id);
        return job ? json(200, { code: 1000, msg: 'OK', data: videoInfo(job, ctx) }) : akool.error('not-found');
      },
    },
  ],
};
