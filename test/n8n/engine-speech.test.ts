// Speech and voices in n8n's engine against the sandbox: Generate Speech (binary out like n8n's TTS nodes, or a URL),
// its binary audio fed into the Lip Sync node's binary input, Create and Wait from text + voice, voice List/Clone/
// Delete, and the errors (empty text, unknown voice, exhausted quota).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectMedia } from '../../src';
import type { Sandbox } from '../../src/sandbox/types';
import { PKG_ROOT, runNode, searchList } from './support/engine';
import { credentialsFor, media, params } from './support/fixtures';
import { useSandbox } from './support/sandbox';

let sandbox: Sandbox;
useSandbox({ jobDurationMs: 150 }, (s) => (sandbox = s));

const voice = (value: string) => ({ __rl: true, mode: 'list', value });
const speechParams = (provider: 'fishaudio-open' | 'fishaudio-v1', extra: Record<string, unknown> = {}) => ({
	provider,
	resource: 'speech',
	operation: 'generate',
	text: 'Hello from n8n. This line becomes the sound of the video.',
	voice: voice('sandbox-voice-anna'),
	...extra,
});
const sample = () => readFileSync(join(PKG_ROOT, 'src/sandbox/assets/sample.wav'));

describe('Generate Speech', () => {
	it.each(['fishaudio-open', 'fishaudio-v1'] as const)('%s: the audio lands in a binary field, as n8n\'s TTS nodes do', async (provider) => {
		const { status, items, error } = await runNode({ parameters: speechParams(provider), credentials: credentialsFor(sandbox, provider) });
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		const binary = items[0]!.binary!.data!;
		expect(binary).toMatchObject({ mimeType: 'audio/wav', fileName: 'speech.wav' });
		expect(inspectMedia(Buffer.from(binary.data, 'base64')).durationSeconds).toBeGreaterThan(2);
		expect(items[0]!.json).toMatchObject({ voiceId: 'sandbox-voice-anna', format: 'wav', contentType: 'audio/wav' });
		const tts = sandbox.requests.filter((r) => r.provider === provider && /\/tts$/.test(r.path)).at(-1)!;
		// n8n's credential sent the key; the body is the documented one.
		expect(tts.headers.authorization).toBe('Bearer sandbox-key');
		expect(tts.body).toMatchObject(provider === 'fishaudio-open' ? { reference_id: 'sandbox-voice-anna', cache: false } : { voiceId: 'sandbox-voice-anna', cache: false });
	});

	it('v1: an async TTS job with Output: Audio URL', async () => {
		const { status, items, error } = await runNode({
			parameters: speechParams('fishaudio-v1', { speechOutput: 'url', speechOptions: { asyncJob: true } }),
			credentials: credentialsFor(sandbox, 'fishaudio-v1'),
		});
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		expect(items[0]!.binary).toBeUndefined();
		expect(items[0]!.json).toMatchObject({ audioUrl: expect.stringMatching(/\/speech\/[0-9a-f]+\.wav$/), jobId: expect.stringMatching(/^task_/) });
	});

	it("its binary audio goes into the Lip Sync node's binary input and the video comes out", async () => {
		const spoken = await runNode({ parameters: speechParams('fishaudio-open'), credentials: credentialsFor(sandbox, 'fishaudio-open') });
		expect(spoken.status).toBe('success');
		const audioBytes = Buffer.from(spoken.items[0]!.binary!.data!.data, 'base64');
		const { status, items, error } = await runNode({
			parameters: params('joggai', 'createAndWait', { videoUrl: media(sandbox).videoUrl, audioSource: 'binary', audioBinaryProperty: 'data' }),
			credentials: credentialsFor(sandbox, 'joggai'),
			input: spoken.items,
		});
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		expect(items[0]!.json.status).toBe('completed');
		const upload = sandbox.requests.filter((r) => r.provider === 'joggai' && r.path === '/v2/upload/asset').at(-1)!;
		expect(upload.body).toMatchObject({ content_type: 'audio/wav', file_size: audioBytes.length });
	});

	it.each([
		['empty text', { text: '  ' }, 'sandbox-key', 'NodeOperationError', /text is empty/],
		['an unknown voice', { voice: voice('nobody') }, 'sandbox-key', 'NodeApiError', /voice "nobody" is not a voice/],
		['an exhausted quota', {}, 'sandbox-no-credits', 'NodeApiError', /credits/i],
	])('%s fails the node with a clear error', async (_what, extra, key, name, message) => {
		const { status, error } = await runNode({ parameters: speechParams('fishaudio-open', extra), credentials: credentialsFor(sandbox, 'fishaudio-open', key) });
		expect(status).toBe('error');
		expect(error?.name).toBe(name);
		expect(error?.message).toMatch(message);
	});

	it('a provider without speech is told to pick Fish Audio', async () => {
		const { status, error } = await runNode({ parameters: { ...speechParams('fishaudio-open'), provider: 'joggai' }, credentials: credentialsFor(sandbox, 'joggai') });
		expect(status).toBe('error');
		expect(error?.message).toMatch(/Speech and voices need a Fish Audio provider/);
	});
});

describe('Create and Wait from text + voice', () => {
	it.each(['fishaudio-open', 'fishaudio-v1'] as const)('%s: the speech is made first and its URL lip-synced', async (provider) => {
		const { status, items, error } = await runNode({
			parameters: params(provider, 'createAndWait', { videoUrl: media(sandbox).videoUrl, audioFromText: true, speechText: 'Said by the script.', speechVoice: voice('sandbox-voice-ben') }),
			credentials: credentialsFor(sandbox, provider),
		});
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		const json = items[0]!.json as { status: string; speech: { audioUrl: string; voiceId: string } };
		expect(json.status).toBe('completed');
		expect(json.speech).toMatchObject({ voiceId: 'sandbox-voice-ben', audioUrl: expect.stringMatching(/\/speech\/[0-9a-f]+\.wav$/) });
		const create = sandbox.requests.filter((r) => r.provider === provider && /lip-sync\/(create|jobs)$/.test(r.path)).at(-1)!;
		expect(Object.values(create.body as object)).toContain(json.speech.audioUrl);
	});
});

describe('Voices', () => {
	it('v1: Clone from a binary sample, then Get Many lists it, then Delete removes it', async () => {
		const creds = credentialsFor(sandbox, 'fishaudio-v1');
		const cloned = await runNode({
			parameters: { provider: 'fishaudio-v1', resource: 'voice', operation: 'clone', voiceName: 'n8n narrator', sampleBinaryProperty: 'data' },
			credentials: creds,
			input: [{ json: {}, binary: { data: { data: sample().toString('base64'), mimeType: 'audio/wav', fileName: 'me.wav' } } }],
		});
		expect(cloned.error?.message, cloned.error?.description).toBeUndefined();
		const id = String(cloned.items[0]!.json.id);
		expect(id).toMatch(/^voice_/);
		const post = sandbox.requests.filter((r) => r.path === '/api/open/v1/voices' && r.method === 'POST').at(-1)!;
		expect(post.body).toMatchObject({ name: 'n8n narrator', audioFiles: { filename: 'me.wav', contentType: 'audio/wav' } });

		const listed = await runNode({ parameters: { provider: 'fishaudio-v1', resource: 'voice', operation: 'getAll', limit: 50 }, credentials: creds });
		expect(listed.items.map((i) => i.json.id)).toEqual(expect.arrayContaining(['sandbox-voice-anna', id]));

		const deleted = await runNode({ parameters: { provider: 'fishaudio-v1', resource: 'voice', operation: 'delete', voiceToDelete: { __rl: true, mode: 'id', value: id } }, credentials: creds });
		expect(deleted.error?.message).toBeUndefined();
		expect(deleted.items[0]!.json).toEqual({ deleted: true, voiceId: id });
		const again = await runNode({ parameters: { provider: 'fishaudio-v1', resource: 'voice', operation: 'delete', voiceToDelete: { __rl: true, mode: 'id', value: id } }, credentials: creds });
		expect(again.status).toBe('error');
		expect(again.error?.message).toContain(id);
	});

	it('open: Clone with a sample that is not audio is refused before anything is sent', async () => {
		const before = sandbox.requests.length;
		const { status, error } = await runNode({
			parameters: { provider: 'fishaudio-open', resource: 'voice', operation: 'clone', voiceName: 'x', sampleBinaryProperty: 'data' },
			credentials: credentialsFor(sandbox, 'fishaudio-open'),
			input: [{ json: {}, binary: { data: { data: Buffer.from('not audio at all').toString('base64'), mimeType: 'text/plain', fileName: 'a.txt' } } }],
		});
		expect(status).toBe('error');
		expect(error?.message).toMatch(/not a WAV or MP3 recording/);
		expect(sandbox.requests.length).toBe(before);
	});
});


describe('the voice picker (resource locator "From List")', () => {
	it.each(['fishaudio-open', 'fishaudio-v1'] as const)("%s: lists the account's voices, searchable by name", async (provider) => {
		const all = await searchList('searchVoices', { parameters: speechParams(provider), credentials: credentialsFor(sandbox, provider) });
		expect(all.results).toEqual(expect.arrayContaining([{ name: 'Anna (sandbox)', value: 'sandbox-voice-anna' }, { name: 'Ben (sandbox)', value: 'sandbox-voice-ben' }]));
		const ben = await searchList('searchVoices', { parameters: speechParams(provider), credentials: credentialsFor(sandbox, provider), filter: 'ben' });
		expect(ben.results.map((r) => r.value)).toEqual(['sandbox-voice-ben']);
		const list = sandbox.requests.filter((r) => r.provider === provider && /list-models|\/voices$/.test(r.path)).at(-1)!;
		expect(list.headers.authorization).toBe('Bearer sandbox-key');
	});
});
