import { describe, expect, it } from 'vitest';
import type { ParsedResponse } from '../../src/core/provider';
import { adapters } from '../../src/registry';
import { AKOOL_CODES } from '../../src/providers/akool';
import { JOGGAI_CODES } from '../../src/providers/joggai';

/**
 * Every documented provider status and error code, as the adapters read them from a response body.
 * (End-to-end behaviour over HTTP is in provider-*.test.ts against the sandbox.)
 */
const res = (status: number, json: unknown): ParsedResponse => ({ status, headers: {}, json, text: JSON.stringify(json) });

describe('status mapping: every documented status maps to one of the four', () => {
  const cases: [keyof typeof adapters, (s: string | number) => unknown, (string | number)[], string[]][] = [
    ['fishaudio-open', (s) => ({ success: true, data: { id: 't1', status: s } }), ['pending', 'processing', 'completed', 'failed'], ['queued', 'processing', 'completed', 'failed']],
    ['fishaudio-v1', (s) => ({ success: true, data: { id: 'job_1', status: s } }), ['queued', 'processing', 'completed', 'failed'], ['queued', 'processing', 'completed', 'failed']],
    ['akool', (s) => ({ code: 1000, msg: 'OK', data: { _id: '66160f989dfc997ac289037b', video_status: s, video: 'https://x/y.mp4' } }), [1, 2, 3, 4], ['queued', 'processing', 'completed', 'failed']],
    ['chamelaion', (s) => ({ id: '6f82a2d8-a6d4-4e8a-a0fa-e8b09823a2d8', status: s, created_at: '2026-04-07T10:00:00Z' }), ['queued', 'processing', 'completed', 'failed'], ['queued', 'processing', 'completed', 'failed']],
    ['joggai', (s) => ({ code: 0, msg: 'Success', data: { task_id: 'u1', status: s, created_at: 1741500000, data: null, error: null } }), ['pending', 'processing', 'success', 'failed'], ['queued', 'processing', 'completed', 'failed']],
  ];
  for (const [provider, body, statuses, expected] of cases) {
    it(`${provider}: ${statuses.join(', ')} and an unknown status`, () => {
      const adapter = adapters[provider];
      statuses.forEach((s, i) => {
        const job = adapter.parseGet(res(200, body(s)), 'id');
        expect(job.status, `${provider} ${s}`).toBe(expected[i]);
        expect(job.providerStatus).toBe(s);
        expect(job.provider).toBe(provider);
      });
      // Unknown values never crash and never end a wait.
      expect(adapter.parseGet(res(200, body(provider === 'akool' ? 7 : 'rendering_v2')), 'id').status).toBe('processing');
    });
  }
});

describe('normalized job fields', () => {
  it('fishaudio-open: progress, result, credits, failure text, dates', () => {
    const job = adapters['fishaudio-open'].parseGet(
      res(200, { success: true, data: { id: 't9', status: 'completed', progress: 100, result_url: 'https://r/v.mp4', credits_used: 3, created_at: '2026-01-01T00:00:00Z', completed_at: '2026-01-01T00:01:00Z' } }),
      't9',
    );
    expect(job).toMatchObject({ id: 't9', status: 'completed', progress: 100, resultUrl: 'https://r/v.mp4', creditsUsed: 3, completedAt: '2026-01-01T00:01:00.000Z' });
    const failed = adapters['fishaudio-open'].parseGet(res(200, { success: true, data: { id: 't9', status: 'failed', error_message: 'no face' } }), 't9');
    expect(failed.error).toEqual({ code: 'failed', message: 'no face' });
  });

  it('akool: _id is the job id, video is the result, video_lock_duration the duration', () => {
    const job = adapters.akool.parseCreate(
      res(200, { code: 1000, msg: 'OK', data: { _id: '66160f989dfc997ac289037b', video_status: 1, video: '', video_id: '8ddc', task_id: '6616', create_time: 1712720702523, video_lock_duration: 11.7 } }),
      { videoUrl: 'https://a', audioUrl: 'https://b' },
    );
    expect(job).toMatchObject({ id: '66160f989dfc997ac289037b', status: 'queued', durationSeconds: 11.7, createdAt: '2024-04-10T03:45:02.523Z' });
    expect(job.resultUrl).toBeUndefined();
  });

  it('joggai: nested data.data holds result, cover and duration; unix-second dates', () => {
    const job = adapters.joggai.parseGet(
      res(200, { code: 0, msg: 'Success', data: { task_id: 'u', status: 'success', created_at: 1741500000, completed_at: 1741500030, data: { result_url: 'https://r/l.mp4', cover_url: 'https://r/c.jpg', duration_seconds: 12.5 }, error: null } }),
      'u',
    );
    expect(job).toMatchObject({ resultUrl: 'https://r/l.mp4', coverUrl: 'https://r/c.jpg', durationSeconds: 12.5, completedAt: '2025-03-09T06:00:30.000Z' });
  });

  it('chamelaion: output_url and error_message, reference id kept', () => {
    const failed = adapters.chamelaion.parseGet(
      res(200, { id: 'a1b2', reference_id: 'dub-episode-43', status: 'failed', created_at: '2026-04-07T11:00:00Z', error_message: 'video URL is not accessible' }),
      'a1b2',
    );
    expect(failed).toMatchObject({ status: 'failed', referenceId: 'dub-episode-43', error: { message: 'video URL is not accessible' } });
  });

  it('fishaudio-v1: finds the result under any of the likely field names', () => {
    for (const field of ['resultUrl', 'result_url', 'outputUrl', 'videoUrl', 'url']) {
      const job = adapters['fishaudio-v1'].parseGet(res(200, { success: true, data: { id: 'job_1', status: 'completed', [field]: 'https://r/o.mp4' } }), 'job_1');
      expect(job.resultUrl, field).toBe('https://r/o.mp4');
    }
  });

  it('fishaudio-v1: a job that echoes its inputs never reports the source video as the result', () => {
    const echo = { id: 'job_1', videoUrl: 'https://in/face.mp4', audioUrl: 'https://in/voice.wav' };
    const parse = (data: object) => adapters['fishaudio-v1'].parseGet(res(200, { success: true, data }), 'job_1');
    expect(parse({ ...echo, status: 'processing' }).resultUrl).toBeUndefined();
    expect(parse({ ...echo, status: 'completed' }).resultUrl).toBeUndefined();
    expect(parse({ ...echo, status: 'completed', resultUrl: 'https://r/o.mp4' }).resultUrl).toBe('https://r/o.mp4');
    expect(parse({ id: 'job_1', status: 'processing', resultUrl: 'https://r/partial.mp4' }).resultUrl).toBeUndefined();
  });
});

describe('error mapping: every documented code', () => {
  it('akool: every business code of the lip-sync and global tables', () => {
    const documented = [1003, 1004, 1005, 1006, 1008, 1009, 1010, 1011, 1013, 1014, 1015, 1017, 1101, 1102, 1103, 1104, 1109, 1110, 1112, 1200, 1201, 1202, 1203, 1204, 1205, 1207, 1209, 1210, 1211];
    expect(Object.keys(AKOOL_CODES).map(Number).sort()).toEqual(documented);
    const expectCode = (code: number, normalized: string) => {
      const f = adapters.akool.checkResponse(res(200, { code, msg: `m${code}` }));
      expect(f, String(code)).toMatchObject({ code: normalized, providerCode: code, message: `m${code}` });
    };
    expectCode(1003, 'INVALID_INPUT');
    expectCode(1005, 'RATE_LIMITED');
    expectCode(1006, 'INSUFFICIENT_CREDITS');
    expectCode(1104, 'INSUFFICIENT_CREDITS');
    expectCode(1101, 'AUTH_FAILED');
    expectCode(1102, 'AUTH_FAILED');
    expectCode(1008, 'NOT_FOUND');
    for (const media of [1203, 1204, 1207, 1209, 1210]) expectCode(media, 'MEDIA_UNPROCESSABLE');
    for (const c of [1205, 1211]) expect(adapters.akool.checkResponse(res(200, { code: c, msg: 'x' }))!.retryable).toBe(true);
    expect(adapters.akool.checkResponse(res(200, { code: 1000, msg: 'OK', data: {} }))).toBeNull();
    expect(adapters.akool.checkResponse(res(200, { code: 4242, msg: 'new' }))).toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 4242 });
  });

  it('joggai: business codes in an HTTP 200 body', () => {
    expect(Object.keys(JOGGAI_CODES).map(Number).sort((a, b) => a - b)).toEqual([429, 10104, 10105, 17003, 18020, 18025, 40000, 50000]);
    const f = (code: number, extra: object = {}) => adapters.joggai.checkResponse(res(200, { code, msg: `m${code}`, data: null, ...extra }));
    expect(f(10105)).toMatchObject({ code: 'AUTH_FAILED' });
    expect(f(18020)).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect(f(18025)).toMatchObject({ code: 'AUTH_FAILED' });
    expect(f(10104)).toMatchObject({ code: 'NOT_FOUND' });
    expect(f(17003)).toMatchObject({ code: 'NOT_FOUND' });
    expect(f(40000)).toMatchObject({ code: 'INVALID_INPUT' });
    expect(f(50000)).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
    expect(f(429, { retryAfter: 7 })).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 7000 });
    expect(f(0)).toBeNull();
  });

  it('chamelaion: HTTP statuses including 412 token limit', () => {
    const f = (status: number, error: string) => adapters.chamelaion.checkResponse(res(status, { error }));
    expect(f(400, 'expected exactly one video input')).toMatchObject({ code: 'INVALID_INPUT', message: 'expected exactly one video input' });
    expect(f(401, 'invalid token')).toMatchObject({ code: 'AUTH_FAILED' });
    expect(f(404, 'lipsync request not found')).toMatchObject({ code: 'NOT_FOUND' });
    expect(f(412, 'token limit reached')).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect(f(429, 'rate limit exceeded')).toMatchObject({ code: 'RATE_LIMITED' });
    expect(f(500, 'internal error')).toMatchObject({ code: 'PROVIDER_ERROR' });
  });

  it('fishaudio-open: 429 means "no credits" or "too many requests" depending on the message', () => {
    const f = (status: number, body: object) => adapters['fishaudio-open'].checkResponse(res(status, body));
    expect(f(429, { error: 'Insufficient credits' })).toMatchObject({ code: 'INSUFFICIENT_CREDITS', retryable: false });
    expect(f(429, { error: 'Rate limit exceeded' })).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(f(400, { error: 'Invalid parameters', details: 'video_url is required' })).toMatchObject({ code: 'INVALID_INPUT', message: 'Invalid parameters: video_url is required' });
    expect(f(401, { error: 'Invalid API Token' })).toMatchObject({ code: 'AUTH_FAILED' });
    expect(f(403, { error: 'Forbidden' })).toMatchObject({ code: 'AUTH_FAILED' });
    expect(f(404, { error: 'Task not found' })).toMatchObject({ code: 'NOT_FOUND' });
    expect(f(413, { error: 'Upload file too large' })).toMatchObject({ code: 'MEDIA_UNPROCESSABLE' });
    expect(f(500, { error: 'Internal error' })).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(f(200, { success: false, error: 'bad' })).toMatchObject({ code: 'PROVIDER_ERROR' });
  });

  it('fishaudio-v1: documented HTTP table, with code and requestId', () => {
    const f = (status: number, code: string) => adapters['fishaudio-v1'].checkResponse(res(status, { code, message: `m-${code}`, requestId: 'req_1' }));
    expect(f(400, 'invalid_request')).toMatchObject({ code: 'INVALID_INPUT', providerCode: 'invalid_request', requestId: 'req_1' });
    expect(f(401, 'unauthorized')).toMatchObject({ code: 'AUTH_FAILED' });
    expect(f(402, 'insufficient_credits')).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect(f(404, 'not_found')).toMatchObject({ code: 'NOT_FOUND' });
    expect(f(409, 'conflict')).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
    expect(f(422, 'unprocessable_media')).toMatchObject({ code: 'MEDIA_UNPROCESSABLE' });
    expect(f(429, 'rate_limited')).toMatchObject({ code: 'RATE_LIMITED' });
    expect(f(500, 'internal_error')).toMatchObject({ code: 'PROVIDER_ERROR' });
  });
});
