import { describe, expect, it } from 'vitest';
import { createLipSyncClient, createSpeechClient, inspectMedia, LipSyncError, type SpeechClient, type SpeechProviderId } from '../../src';
import { SANDBOX_KEY, sandboxFixture } from '../support/sandbox';

/**
 * The speech client over real HTTP against the sandbox: requests checked against speech.md's wire formats, real WAV
 * back whose length follows the text, voices listed, cloned and deleted, and the errors a user meets.
 */
const KEY = SANDBOX_KEY;
const env = sandboxFixture({ apiKey: SANDBOX_KEY, jobDurationMs: 600 });

function speech(provider: SpeechProviderId, apiKey = KEY): SpeechClient {
  const c = createSpeechClient({ provider, apiKey, baseUrl: env.sandbox.baseUrl(provider), retry: { baseDelayMs: 5, maxDelayMs: 20 } });
  return env.track(c);
}

const fast = { initialDelayMs: 50, minIntervalMs: 50, maxIntervalMs: 200, timeoutMs: 20_000 };
const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as LipSyncError);
const providerRequests = (path: string) => env.sandbox.requests.filter((r) => r.path === path);

async function sampleWav(): Promise<Buffer> {
  return Buffer.from(await (await fetch(`${env.sandbox.url}/media/sample.wav`)).arrayBuffer());
}

describe.each(['fishaudio-open', 'fishaudio-v1'] as const)('%s speech', (provider) => {
  const ttsPath = provider === 'fishaudio-open' ? '/api/open/tts' : '/api/open/v1/speech/tts';

  it('speaks text as real audio bytes whose length follows the text, sending the documented body', async () => {
    const c = speech(provider);
    const short = await c.speak({ text: 'Hello there.', voiceId: 'sandbox-voice-anna' });
    const long = await c.speak({ text: 'Hello there. This sentence is a good deal longer than the first one was.', voiceId: 'sandbox-voice-anna' });
    expect(short.contentType).toBe('audio/wav');
    expect(short.filename).toBe('speech.wav');
    const a = inspectMedia(short.audio!);
    const b = inspectMedia(long.audio!);
    expect(a.container).toBe('wav');
    expect(b.durationSeconds!).toBeGreaterThan(a.durationSeconds! * 3);
    const [req] = providerRequests(ttsPath);
    expect(req!.method).toBe('POST');
    expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req!.body).toEqual(
      provider === 'fishaudio-open'
        ? { reference_id: 'sandbox-voice-anna', text: 'Hello there.', format: 'mp3', cache: false }
        : { text: 'Hello there.', voiceId: 'sandbox-voice-anna', format: 'mp3', cache: false },
    );
  });

  it("returns the provider's audio URL when asked (cache: true), and that URL serves the audio", async () => {
    const c = speech(provider);
    const r = await c.speak({ text: 'A line for the lip-sync step.', voiceId: 'sandbox-voice-ben', output: 'url' });
    expect(r.audio).toBeUndefined();
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/speech\/[0-9a-f]+\.wav$/);
    expect((providerRequests(ttsPath)[0]!.body as { cache: boolean }).cache).toBe(true);
    const res = await fetch(r.url!);
    expect(inspectMedia(Buffer.from(await res.arrayBuffer())).container).toBe('wav');
  });

  it('refuses empty and overlong text before any request, naming the field', async () => {
    const c = speech(provider);
    const empty = await caught(c.speak({ text: '   ', voiceId: 'sandbox-voice-anna' }));
    expect(empty.code).toBe('INVALID_INPUT');
    expect(empty.field).toBe('text');
    expect(empty.message).toMatch(/text is empty/);
    const long = await caught(c.speak({ text: 'x'.repeat(10_001), voiceId: 'sandbox-voice-anna' }));
    expect(long.field).toBe('text');
    expect(long.message).toMatch(/longer than 10000 characters/);
    const noVoice = await caught(c.speak({ text: 'hi', voiceId: '' }));
    expect(noVoice.field).toBe('voiceId');
    expect(providerRequests(ttsPath)).toHaveLength(0);
  });

  it('an unknown voice is a NOT_FOUND that names the voice and the fix', async () => {
    const e = await caught(speech(provider).speak({ text: 'Hello', voiceId: 'no-such-voice' }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.httpStatus).toBe(404);
    expect(e.field).toBe('voiceId');
    expect(e.message).toMatch(/voice "no-such-voice" is not a voice of this Fish Audio/);
  });

  it('an exhausted quota is INSUFFICIENT_CREDITS, sent once', async () => {
    const e = await caught(speech(provider, 'sandbox-no-credits').speak({ text: 'Hello', voiceId: 'sandbox-voice-anna' }));
    expect(e.code).toBe('INSUFFICIENT_CREDITS');
    expect(e.httpStatus).toBe(provider === 'fishaudio-open' ? 429 : 402);
    expect(e.retryable).toBe(false);
    expect(providerRequests(ttsPath)).toHaveLength(1);
  });

  it('a wrong key is AUTH_FAILED and the key never shows', async () => {
    const e = await caught(speech(provider, 'wrong-key-123456').listVoices());
    expect(e.code).toBe('AUTH_FAILED');
    expect(JSON.stringify(e.toJSON())).not.toContain('wrong-key-123456');
  });

  it('a speech request that may have reached the provider (500) is not sent again', async () => {
    env.sandbox.injectFault({ kind: '500', provider, pathIncludes: ttsPath.split('/').pop()!, after: true });
    const e = await caught(speech(provider).speak({ text: 'Hello', voiceId: 'sandbox-voice-anna' }));
    expect(e.code).toBe('PROVIDER_ERROR');
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(/may have reached Fish Audio .*not sent again/);
    expect(providerRequests(ttsPath)).toHaveLength(1);
  });

  it('lists voices, clones one from a WAV sample (multipart), speaks with it', async () => {
    const c = speech(provider);
    const before = await c.listVoices();
    expect(before.voices.map((v) => v.id)).toEqual(expect.arrayContaining(['sandbox-voice-anna', 'sandbox-voice-ben']));
    const voice = await c.cloneVoice({ name: 'My narrator', description: 'from a test', samples: [{ data: await sampleWav(), filename: 'me.wav' }] });
    expect(voice.id).toMatch(/^voice_/);
    expect(voice.name).toBe('My narrator');
    const clonePath = provider === 'fishaudio-open' ? '/api/open/create-model' : '/api/open/v1/voices';
    const cloneReq = env.sandbox.requests.find((r) => r.path === clonePath && r.method === 'POST')!;
    expect(cloneReq.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(cloneReq.body).toMatchObject({ name: 'My narrator', description: 'from a test', audioFiles: { filename: 'me.wav', contentType: 'audio/wav' } });
    const after = await c.listVoices({ search: 'narrator' });
    expect(after.voices.map((v) => v.id)).toContain(voice.id);
    expect(after.voices.every((v) => /narrator/i.test(v.name))).toBe(true);
    if (provider === 'fishaudio-open') expect(env.sandbox.requests.at(-1)!.body).toEqual({ includePersonal: true, page: 1, pageSize: 20 });
    else expect(env.sandbox.requests.at(-1)!.query).toMatchObject({ search: 'narrator', limit: '20', offset: '0' });
    const spoken = await c.speak({ text: 'In my own voice.', voiceId: voice.id });
    expect(inspectMedia(spoken.audio!).container).toBe('wav');
  });

  it('refuses a clone without samples or with a sample that is not audio, before sending', async () => {
    const c = speech(provider);
    const none = await caught(c.cloneVoice({ name: 'x', samples: [] }));
    expect(none.field).toBe('samples');
    const notAudio = await caught(c.cloneVoice({ name: 'x', samples: [{ data: Buffer.from('just some text, not audio'), filename: 'a.txt' }] }));
    expect(notAudio.code).toBe('INVALID_INPUT');
    expect(notAudio.message).toMatch(/audio/i);
    expect(env.sandbox.requests).toHaveLength(0);
  });
});

describe('fishaudio-v1 only', () => {
  it('async TTS jobs go through the waiting machinery: 202 queued, polled, audioUrl, then the bytes', async () => {
    const c = speech('fishaudio-v1');
    const seen: string[] = [];
    let created: string | undefined;
    const r = await c.speak({ text: 'Made by a job.', voiceId: 'sandbox-voice-anna', mode: 'job' }, { ...fast, onCreated: (j) => (created = j.id), onProgress: (j) => seen.push(j.status) });
    expect(created).toMatch(/^task_/);
    expect(r.jobId).toBe(created);
    expect(seen.at(-1)).toBe('completed');
    expect(inspectMedia(r.audio!).container).toBe('wav');
    const create = env.sandbox.requests.find((q) => q.path === '/api/open/v1/speech/tts/jobs')!;
    expect(create.status).toBe(202);
    expect(create.body).toEqual({ text: 'Made by a job.', voiceId: 'sandbox-voice-anna', format: 'mp3' });
    expect(env.sandbox.requests.filter((q) => q.path === `/api/open/v1/speech/tts/jobs/${created}`).length).toBeGreaterThan(0);
  });

  it('deletes a cloned voice (DELETE /voices/{id}); deleting it again is NOT_FOUND naming it', async () => {
    const c = speech('fishaudio-v1');
    const voice = await c.cloneVoice({ name: 'Temp', samples: [{ data: await sampleWav() }] });
    await c.deleteVoice(voice.id);
    expect(env.sandbox.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/api/open/v1/voices/${voice.id}`, status: 204 });
    expect((await c.listVoices()).voices.map((v) => v.id)).not.toContain(voice.id);
    const again = await caught(c.deleteVoice(voice.id));
    expect(again.code).toBe('NOT_FOUND');
    expect(again.message).toContain(voice.id);
  });
});

describe('fishaudio-open only', () => {
  it('has no voice delete and no async jobs: NOT_SUPPORTED, nothing sent', async () => {
    const c = speech('fishaudio-open');
    expect((await caught(c.deleteVoice('voice_x'))).code).toBe('NOT_SUPPORTED');
    expect((await caught(c.speak({ text: 'hi', voiceId: 'sandbox-voice-anna', mode: 'job' }))).code).toBe('NOT_SUPPORTED');
    expect(env.sandbox.requests).toHaveLength(0);
  });

  it('refuses options of the other surface and unknown model versions, naming them', async () => {
    const c = speech('fishaudio-open');
    expect((await caught(c.speak({ text: 'hi', voiceId: 'sandbox-voice-anna', model: 'v9' }))).message).toMatch(/model "v9" .* use one of s1, v1/);
    expect((await caught(c.speak({ text: 'hi', voiceId: 'sandbox-voice-anna', pitch: 3 }))).message).toMatch(/"pitch" is not an option/);
    await c.speak({ text: 'hi', voiceId: 'sandbox-voice-anna', speed: 1.2, model: 's1' });
    expect(env.sandbox.requests[0]!.body).toMatchObject({ speed: 1.2, version: 's1' });
  });

  it('only Fish Audio has speech here: another provider is refused with the list', () => {
    expect(() => createSpeechClient({ provider: 'akool' as never, apiKey: 'k' })).toThrow(/provider must be one of: fishaudio-open, fishaudio-v1/);
  });
});

describe('the chain in code', () => {
  it.each(['fishaudio-open', 'fishaudio-v1'] as const)('%s: text -> speech URL -> lip-sync job -> completed video', async (provider) => {
    const s = speech(provider);
    const audio = await s.speak({ text: 'The script, spoken and lip-synced.', voiceId: 'sandbox-voice-anna', output: 'url' });
    const lip = createLipSyncClient({ provider, apiKey: KEY, baseUrl: env.sandbox.baseUrl(provider) });
    try {
      const job = await lip.createAndWait({ videoUrl: `${env.sandbox.url}/media/sample.mp4`, audioUrl: audio.url! }, fast);
      expect(job.status).toBe('completed');
      expect(job.resultUrl).toMatch(/\.mp4$/);
    } finally {
      await lip.close();
    }
  });
});

describe('hostile answers are bounded', () => {
  it('audio past maxAudioBytes is refused, and the billed request is not sent again', async () => {
    const c = createSpeechClient({ provider: 'fishaudio-v1', apiKey: KEY, baseUrl: env.sandbox.baseUrl('fishaudio-v1'), maxAudioBytes: 10_000, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
    env.track(c);
    const e = await caught(c.speak({ text: 'A script long enough to make more than ten kilobytes of sandbox audio.', voiceId: 'sandbox-voice-anna' }));
    expect(e.message).toMatch(/larger than 10000 bytes/);
    expect(e.message).toMatch(/not sent again/);
    expect(e.retryable).toBe(false);
    expect(providerRequests('/api/open/v1/speech/tts')).toHaveLength(1);
    // Through the URL too: the download is cut off at the same cap.
    const viaUrl = await caught(c.speak({ text: 'A script long enough to make more than ten kilobytes of sandbox audio.', voiceId: 'sandbox-voice-anna', mode: 'job' }, fast));
    expect(viaUrl.message).toMatch(/larger than 10000 bytes/);
  });
});
