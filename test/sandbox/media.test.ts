import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox';
import { KEY, SPECS, call, openSandbox, until } from './support';

/** Sample media, result files, uploads (JoggAI signed PUT, Chamelaion multipart), media checks and the control API. */
let sandbox: Sandbox;
let video: string;
let audio: string;

beforeAll(async () => {
  ({ sandbox, video, audio } = await openSandbox({ jobDurationMs: 50 }));
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.clearRequests());

const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

describe('sample media and results', () => {
  it('serves a small real MP4 (ftyp first) and a WAV, with Content-Length', async () => {
    const mp4 = await fetch(video);
    expect(mp4.headers.get('content-type')).toBe('video/mp4');
    const body = await bytes(mp4);
    expect(body.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(Number(mp4.headers.get('content-length'))).toBe(body.length);
    expect(body.length).toBeGreaterThan(10_000);
    expect(body.length).toBeLessThan(200_000);
    // avc1 (H.264) and mp4a (AAC) sample entries.
    expect(body.includes(Buffer.from('avc1'))).toBe(true);
    expect(body.includes(Buffer.from('mp4a'))).toBe(true);

    const wav = await bytes(await fetch(`${audio}?take=2`));
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
  });

  it('answers Range requests with 206 and Content-Range, and 416 past the end', async () => {
    const whole = await bytes(await fetch(video));
    const part = await fetch(video, { headers: { range: 'bytes=4-11' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-11/${whole.length}`);
    expect((await bytes(part)).toString('latin1')).toBe(whole.subarray(4, 12).toString('latin1'));
    const tail = await fetch(video, { headers: { range: 'bytes=-100' } });
    expect((await bytes(tail)).equals(whole.subarray(whole.length - 100))).toBe(true);
    expect((await fetch(video, { headers: { range: `bytes=${whole.length}-` } })).status).toBe(416);
    const head = await fetch(video, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(whole.length));
    expect(head.headers.get('accept-ranges')).toBe('bytes');
  });

  it('serves a result only once the job has completed, with a JPEG cover', async () => {
    const id = SPECS.joggai.idOf(await SPECS.joggai.create(sandbox, `${video}?sandbox_duration=600000`, audio));
    expect((await fetch(`${sandbox.url}/results/joggai/${id}.mp4`)).status).toBe(404);
    const quick = SPECS.joggai.idOf(await SPECS.joggai.create(sandbox, video, audio));
    const result = await until(async () => SPECS.joggai.resultOf(await SPECS.joggai.get(sandbox, quick)), 'the result');
    const res = await fetch(result);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect((await bytes(res)).subarray(4, 8).toString('latin1')).toBe('ftyp');
    const cover = await fetch(result.replace(/\.mp4$/, '.jpg'));
    expect(cover.headers.get('content-type')).toBe('image/jpeg');
    expect((await bytes(cover)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect((await fetch(`${sandbox.url}/results/joggai/unknown.mp4`)).status).toBe(404);
  });
});

describe('uploads', () => {
  it('JoggAI: announce, PUT the bytes to sign_url, then asset_url serves them and works as job media', async () => {
    const data = await bytes(await fetch(video));
    const announced = await call(sandbox, 'joggai', 'POST', '/v2/upload/asset', { body: { filename: 'talk.mp4', content_type: 'video/mp4', file_size: data.length } });
    expect(announced.body).toMatchObject({ code: 0, data: { sign_url: expect.stringContaining(sandbox.url), asset_url: expect.stringMatching(/\/talk\.mp4$/) } });
    const { sign_url: signUrl, asset_url: assetUrl } = announced.body.data;
    expect((await fetch(assetUrl)).status).toBe(404);

    // Like a presigned URL, the Content-Type must be the announced one.
    expect((await fetch(signUrl, { method: 'PUT', body: data, headers: { 'content-type': 'audio/wav' } })).status).toBe(403);
    expect((await fetch(signUrl, { method: 'PUT', body: data, headers: { 'content-type': 'video/mp4' } })).status).toBe(200);
    const put = sandbox.requests.filter((r) => r.method === 'PUT');
    expect(put.at(-1)).toMatchObject({ provider: 'joggai', body: { size: data.length, contentType: 'video/mp4' } });

    const served = await fetch(assetUrl);
    expect(served.headers.get('content-type')).toBe('video/mp4');
    expect((await bytes(served)).equals(data)).toBe(true);

    const id = SPECS.joggai.idOf(await SPECS.joggai.create(sandbox, assetUrl, audio));
    expect(await until(async () => SPECS.joggai.resultOf(await SPECS.joggai.get(sandbox, id)), 'the job on uploaded media')).toMatch(/\.mp4$/);
    expect((await call(sandbox, 'joggai', 'POST', '/v2/upload/asset', { body: { filename: 'x.mp4' } })).body.code).toBe(40000);
  });

  it('an asset_url that was never uploaded makes the job fail', async () => {
    const { asset_url: assetUrl } = (await call(sandbox, 'joggai', 'POST', '/v2/upload/asset', { body: { filename: 'a.wav', content_type: 'audio/wav', file_size: 10 } })).body.data;
    const id = SPECS.joggai.idOf(await SPECS.joggai.create(sandbox, video, assetUrl));
    const failed = await until(async () => {
      const g = await SPECS.joggai.get(sandbox, id);
      return g.body.data.status === 'failed' ? g : undefined;
    }, 'the failed job');
    expect(SPECS.joggai.failureOf(failed)).toMatch(/audio URL is not accessible/);
  });

  it('Chamelaion generate-with-media: multipart in, job out, files recorded by name, size and type', async () => {
    const form = () => {
      const f = new FormData();
      f.append('video', new Blob([Buffer.from('fake mp4 bytes')], { type: 'video/mp4' }), 'talk.mp4');
      f.append('audio', new Blob([Buffer.from('fake wav')], { type: 'audio/wav' }), 'voice.wav');
      f.append('reference_id', 'upload-1');
      f.append('disable_active_speaker_detection', 'true');
      return f;
    };
    const post = (body: FormData) =>
      fetch(`${sandbox.baseUrl('chamelaion')}/v1/lipsync/generate-with-media`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const created = await post(form());
    expect(created).toMatchObject({ status: 200, body: { status: 'success', request_id: expect.any(String) } });
    const [req] = sandbox.requests;
    expect(req!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(req!.rawBody).toBeUndefined();
    expect(req!.body).toEqual({
      reference_id: 'upload-1',
      disable_active_speaker_detection: 'true',
      video: { filename: 'talk.mp4', size: 14, contentType: 'video/mp4' },
      audio: { filename: 'voice.wav', size: 8, contentType: 'audio/wav' },
    });
    expect(await until(async () => SPECS.chamelaion.resultOf(await SPECS.chamelaion.get(sandbox, 'upload-1')), 'the uploaded job')).toMatch(/\.mp4$/);

    const noAudio = form();
    noAudio.delete('audio');
    expect(await post(noAudio)).toMatchObject({ status: 400, body: { error: 'audio file is required' } });
    const badModel = form();
    badModel.append('model', 'lipsync-1');
    expect(await post(badModel)).toMatchObject({ status: 400, body: { error: 'model must be "lipsync-2"' } });
    const asJson = await call(sandbox, 'chamelaion', 'POST', '/v1/lipsync/generate-with-media', { body: {} });
    expect(asJson.body.error).toBe('content-type must be multipart/form-data');
  });
});

describe('media URLs on other loopback servers are really fetched', () => {
  let other: Server;
  let otherUrl: string;
  beforeAll(async () => {
    other = createServer((req, res) => {
      res.writeHead(req.url?.startsWith('/ok') ? 200 : 404).end('x');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => other.close(() => r())));

  it('2xx: the job completes; 404: it fails with the provider reason', async () => {
    const spec = SPECS.chamelaion;
    const good = spec.idOf(await spec.create(sandbox, `${otherUrl}/ok/v.mp4`, audio));
    const bad = spec.idOf(await spec.create(sandbox, video, `${otherUrl}/missing.wav`));
    const settled = async (id: string) =>
      until(async () => {
        const g = await spec.get(sandbox, id);
        return ['completed', 'failed'].includes(g.body.status) ? g.body : undefined;
      }, 'a finished job');
    expect(await settled(good)).toMatchObject({ status: 'completed' });
    expect(await settled(bad)).toMatchObject({ status: 'failed', error_message: 'audio URL is not accessible' });
    expect(sandbox.getJob('chamelaion', bad)!.error).toMatch(/HTTP 404/);
  });
});

describe('control API', () => {
  const ctl = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(`${sandbox.url}/__sandbox${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: await res.json() };
  };

  it('injects and sets faults, changes the job duration, lists requests and jobs, resets', async () => {
    expect((await ctl('GET', '')).body.providers.chamelaion).toBe(sandbox.baseUrl('chamelaion'));

    expect(await ctl('POST', '/faults', { kind: '503', provider: 'joggai' })).toMatchObject({ status: 200 });
    expect((await call(sandbox, 'joggai', 'GET', '/v2/user/whoami')).status).toBe(503);
    expect((await ctl('POST', '/faults', { kind: 'nope' })).status).toBe(400);
    await ctl('POST', '/faults', { config: { rate: 1, kinds: ['500'], provider: 'akool' } });
    expect((await SPECS.akool.create(sandbox, video, audio)).status).toBe(500);
    await ctl('POST', '/faults', { config: null });
    expect((await SPECS.akool.create(sandbox, video, audio)).body.code).toBe(1000);

    expect(await ctl('POST', '/job-duration', { ms: 600_000 })).toMatchObject({ status: 200, body: { ms: 600_000 } });
    const id = SPECS.joggai.idOf(await SPECS.joggai.create(sandbox, video, audio));
    const jobs = (await ctl('GET', '/jobs?provider=joggai')).body.jobs;
    expect(jobs[0]).toMatchObject({ provider: 'joggai', id, durationMs: 600_000, status: 'queued', videoUrl: video });

    const requests = (await ctl('GET', '/requests?provider=akool')).body.requests;
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.every((r: { provider: string }) => r.provider === 'akool')).toBe(true);
    expect(requests.at(-1)).toMatchObject({ method: 'POST', path: '/api/open/v3/content/video/lipsync', body: { video_url: video } });

    expect(await ctl('POST', '/reset')).toMatchObject({ status: 200 });
    expect(sandbox.jobCount()).toBe(0);
    expect(sandbox.requests).toHaveLength(0);
    expect((await ctl('GET', '/jobs')).body.jobs).toEqual([]);
    expect(sandbox.getJob('joggai', id)).toBeUndefined();
  });
});
