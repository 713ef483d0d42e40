// Options > Save Result to S3-Compatible Storage in n8n's engine: the sandbox's result streamed into moto's S3 server.
import { beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox';
import type { Sandbox } from '../../src/sandbox/types';
import { bucketState, motoUnavailable, untilOpenUpload, useMoto, type S3Server } from '../support/s3';
import { runNode, startNode } from './support/engine';
import { credentialsFor, media, params } from './support/fixtures';
import { useSandbox } from './support/sandbox';

/** Over the 8 MiB part size: a multipart upload of two parts. */
const SIZE = 8 * 1024 * 1024 + 777;
let sandbox: Sandbox;
useSandbox({ jobDurationMs: 150, resultBytes: SIZE }, (s) => (sandbox = s));

const missing = motoUnavailable();
if (missing && process.env.CI) throw new Error(`Result-storage tests cannot run in CI: ${missing}`);

describe.skipIf(Boolean(missing))('Save Result to S3-Compatible Storage (n8n engine, moto S3)', () => {
	const moto = useMoto(['results']);
	let s3: S3Server;
	beforeAll(() => {
		s3 = moto();
	});
	const storage = () => ({
		lipSyncKitS3StorageApi: { endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, prefix: 'n8n/', urlExpiresInHours: 2, virtualHostedStyle: false },
	});

	it('Create and Wait (URL inputs) streams the video into the bucket; json.stored has the key, size and a working presigned URL', async () => {
		const { status, items, error } = await runNode({
			parameters: params('akool', 'createAndWait', { ...media(sandbox), useStorage: true, options: { saveToStorage: true } }),
			credentials: { ...credentialsFor(sandbox, 'akool'), ...storage() },
		});
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		const json = items[0]!.json as { id: string; stored: Record<string, unknown> };
		const day = new Date().toISOString().slice(0, 10);
		expect(json.stored).toMatchObject({ bucket: 'media', key: `lipsync/${day}/${json.id}.mp4`, size: SIZE, contentType: 'video/mp4' });
		expect(json.stored.url).toContain('X-Amz-Expires=7200');
		const res = await fetch(String(json.stored.url));
		expect(res.status).toBe(200);
		expect((await res.arrayBuffer()).byteLength).toBe(SIZE);
		const state = await bucketState(s3);
		expect(state.keys).toContain(json.stored.key);
		expect(state.openUploads).toEqual([]);
	});

	it('Wait for Job and Get Job store into the Result Bucket under the Result Key template', async () => {
		const created = await runNode({ parameters: params('fishaudio-open', 'create', media(sandbox)), credentials: credentialsFor(sandbox, 'fishaudio-open') });
		const jobId = String(created.items[0]!.json.id);
		for (const operation of ['wait', 'get']) {
			const { status, items, error } = await runNode({
				parameters: params('fishaudio-open', operation, { jobId, useStorage: true, options: { saveToStorage: true, resultBucket: 'results', resultKey: `{prefix}${operation}/{provider}/{jobId}.{ext}` } }),
				credentials: { ...credentialsFor(sandbox, 'fishaudio-open'), ...storage() },
			});
			expect(error?.message, error?.description).toBeUndefined();
			expect(status).toBe('success');
			expect(items[0]!.json.stored).toMatchObject({ bucket: 'results', key: `n8n/${operation}/fishaudio-open/${jobId}.mp4`, size: SIZE });
		}
	});

	it('the option without "Use S3-Compatible Storage" is a NodeOperationError that says what to switch on, with the job ID', async () => {
		const { status, error } = await runNode({
			parameters: params('joggai', 'createAndWait', { ...media(sandbox), options: { saveToStorage: true } }),
			credentials: credentialsFor(sandbox, 'joggai'),
		});
		expect(status).toBe('error');
		expect(error?.name).toBe('NodeOperationError');
		expect(error?.message).toMatch(/needs a storage credential/);
		expect(error?.description).toMatch(/Use S3-Compatible Storage/);
		expect(error?.description).toMatch(/Job ID: \S+/);
	});

	it('a storage refusal (no such bucket) names the job whose video was not stored and points at the storage credential', async () => {
		const { status, error } = await runNode({
			parameters: params('akool', 'createAndWait', { ...media(sandbox), useStorage: true, options: { saveToStorage: true, resultBucket: 'no-such-bucket' } }),
			credentials: { ...credentialsFor(sandbox, 'akool'), ...storage() },
		});
		expect(status).toBe('error');
		expect(error?.message).toMatch(/finished video was not stored in bucket "no-such-bucket"/);
		expect(error?.description).toMatch(/Job ID: \S+/);
		expect(error?.description).toMatch(/Media Storage \(S3-Compatible\) credential/);
		expect(error?.description).not.toMatch(/API key/);
	});

	it('a Stop while the video is being uploaded aborts the multipart upload: nothing is left in the bucket', async () => {
		const big = await startSandbox({ jobDurationMs: 0, resultBytes: 400 * 1024 * 1024 });
		try {
			const before = await bucketState(s3);
			const execution = await startNode({
				parameters: params('akool', 'createAndWait', { ...media(big), useStorage: true, options: { saveToStorage: true } }),
				credentials: { ...credentialsFor(big, 'akool'), ...storage() },
			});
			await untilOpenUpload(s3);
			execution.cancel();
			const run = await execution.settled;
			expect(run.status).toBe('canceled');
			const after = await bucketState(s3);
			expect(after.openUploads).toEqual([]);
			expect(after.keys.length).toBe(before.keys.length);
		} finally {
			await big.close();
		}
	}, 120_000);
});
