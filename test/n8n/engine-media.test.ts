// Binary media in (an n8n binary field, e.g. TTS audio) and the finished video out as an n8n binary field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Unavailable, startS3, type S3Server } from '../support/s3';
import type { Sandbox } from '../../src/sandbox/types';
import { PKG_ROOT, runNode } from './support/engine';
import { credentialsFor, media, params } from './support/fixtures';
import { useSandbox } from './support/sandbox';

let sandbox: Sandbox;
useSandbox({ jobDurationMs: 150 }, (s) => (sandbox = s));

const asset = (name: string) => readFileSync(join(PKG_ROOT, 'src/sandbox/assets', name));
const binaryItem = (fields: Record<string, { file: string; mimeType: string }>) => ({
	json: {},
	binary: Object.fromEntries(
		Object.entries(fields).map(([field, { file, mimeType }]) => [field, { data: asset(file).toString('base64'), mimeType, fileName: file }]),
	),
});

describe('binary media in', () => {
	it('joggai: uploads the audio from a binary field, takes the video by URL, and renders', async () => {
		const { status, items, error } = await runNode({
			parameters: params('joggai', 'createAndWait', { videoUrl: media(sandbox).videoUrl, audioSource: 'binary', audioBinaryProperty: 'data' }),
			credentials: credentialsFor(sandbox, 'joggai'),
			input: [binaryItem({ data: { file: 'sample.wav', mimeType: 'audio/wav' } })],
		});
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		expect(items[0]!.json.status).toBe('completed');
		const upload = sandbox.requests.find((r) => r.provider === 'joggai' && r.path === '/v2/upload/asset');
		expect(upload?.body).toMatchObject({ content_type: 'audio/wav', file_size: asset('sample.wav').length });
		// The upload's signed URL is another host as far as the credential goes: no API key sent there.
		const create = sandbox.requests.filter((r) => r.provider === 'joggai' && r.path === '/v2/create_lip_sync_video').at(-1);
		expect((create?.body as { audio_url: string }).audio_url).toMatch(/^https?:\/\//);
	});

	it('chamelaion: sends both files in one multipart request', async () => {
		const { status, items, error } = await runNode({
			parameters: params('chamelaion', 'createAndWait', { videoSource: 'binary', videoBinaryProperty: 'video', audioSource: 'binary', audioBinaryProperty: 'data' }),
			credentials: credentialsFor(sandbox, 'chamelaion'),
			input: [binaryItem({ video: { file: 'sample.mp4', mimeType: 'video/mp4' }, data: { file: 'sample.wav', mimeType: 'audio/wav' } })],
		});
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		expect(items[0]!.json.status).toBe('completed');
		const create = sandbox.requests.find((r) => r.provider === 'chamelaion' && r.path === '/v1/lipsync/generate-with-media');
		expect(create?.body).toMatchObject({ video: { size: asset('sample.mp4').length }, audio: { size: asset('sample.wav').length } });
	});

	it('a missing binary field is a NodeOperationError naming it', async () => {
		const { status, error } = await runNode({
			parameters: params('joggai', 'create', { videoUrl: media(sandbox).videoUrl, audioSource: 'binary', audioBinaryProperty: 'voice' }),
			credentials: credentialsFor(sandbox, 'joggai'),
			input: [{ json: {} }],
		});
		expect(status).toBe('error');
		expect(error?.name).toBe('NodeOperationError');
		expect(error?.message).toMatch(/voice/);
	});
});

const s3Missing = s3Unavailable();
if (s3Missing && process.env.CI) throw new Error(`S3 tests cannot run in CI: ${s3Missing}`);

describe.skipIf(Boolean(s3Missing))('binary media in through S3-compatible storage (real s3rver)', () => {
	let s3: S3Server;
	beforeAll(async () => {
		s3 = await startS3();
	});
	afterAll(async () => {
		await s3?.close();
	});
	const storageCredentials = (secretAccessKey = s3.secretAccessKey) => ({
		lipSyncKitS3StorageApi: { endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey, prefix: 'n8n/', urlExpiresInHours: 2, virtualHostedStyle: false },
	});

	it('akool (URLs only): the audio goes to the bucket and Akool gets a presigned URL that serves those bytes', async () => {
		const { status, items, error } = await runNode({
			parameters: params('akool', 'createAndWait', { videoUrl: media(sandbox).videoUrl, audioSource: 'binary', audioBinaryProperty: 'data', useStorage: true }),
			credentials: { ...credentialsFor(sandbox, 'akool'), ...storageCredentials() },
			input: [binaryItem({ data: { file: 'sample.wav', mimeType: 'audio/wav' } })],
		});
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		expect(items[0]!.json.status).toBe('completed');
		const create = sandbox.requests.filter((r) => r.provider === 'akool' && r.method === 'POST').at(-1);
		const audioUrl = (create?.body as { audio_url: string }).audio_url;
		expect(audioUrl.startsWith(`${s3.endpoint}/${s3.bucket}/n8n/`)).toBe(true);
		expect(audioUrl).toContain('X-Amz-Signature=');
		const served = Buffer.from(await (await fetch(audioUrl)).arrayBuffer());
		expect(served.equals(asset('sample.wav'))).toBe(true);
	});

	it('a refused storage key fails before any create, naming the storage and never the secret', async () => {
		const secret = 'wrong-secret-5be0c1';
		const createsBefore = sandbox.requests.filter((r) => r.provider === 'fishaudio-v1' && r.method === 'POST').length;
		const { status, error } = await runNode({
			parameters: params('fishaudio-v1', 'create', { videoUrl: media(sandbox).videoUrl, audioSource: 'binary', audioBinaryProperty: 'data', useStorage: true }),
			credentials: { ...credentialsFor(sandbox, 'fishaudio-v1'), ...storageCredentials(secret) },
			input: [binaryItem({ data: { file: 'sample.wav', mimeType: 'audio/wav' } })],
		});
		expect(status).toBe('error');
		expect(error?.message).toMatch(/S3 storage/);
		expect(JSON.stringify(error)).not.toContain(secret);
		expect(sandbox.requests.filter((r) => r.provider === 'fishaudio-v1' && r.method === 'POST').length).toBe(createsBefore);
	});

	it('without storage, a URL-only provider refuses bytes with a message that says how to fix it', async () => {
		const { status, error } = await runNode({
			parameters: params('fishaudio-open', 'create', { videoUrl: media(sandbox).videoUrl, audioSource: 'binary', audioBinaryProperty: 'data' }),
			credentials: credentialsFor(sandbox, 'fishaudio-open'),
			input: [binaryItem({ data: { file: 'sample.wav', mimeType: 'audio/wav' } })],
		});
		expect(status).toBe('error');
		expect(error?.message).toMatch(/S3-compatible storage/);
	});
});

describe('the finished video out', () => {
	it('Download Result puts the video into a binary field', async () => {
		const { status, items, error } = await runNode({
			parameters: params('fishaudio-open', 'createAndWait', { ...media(sandbox), options: { download: true, binaryPropertyName: 'video' } }),
			credentials: credentialsFor(sandbox, 'fishaudio-open'),
		});
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		const binary = items[0]!.binary?.video;
		expect(binary?.mimeType).toMatch(/^video\//);
		expect(binary?.fileName).toContain(String(items[0]!.json.id));
		expect(Buffer.from(binary!.data, 'base64').length).toBeGreaterThan(1000);
	});
});
