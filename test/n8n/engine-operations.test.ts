// Every operation for every provider, run by n8n's real engine on the built package, against the sandbox over HTTP.
import { describe, expect, it } from 'vitest';
import type { ProviderId, Sandbox } from '../../src/sandbox/types';
import { loadPackage, runNode, NODE_TYPE } from './support/engine';
import { AUTH_HEADER, CREDENTIAL_TYPE, GOOD_KEY, LISTING, PROVIDERS, credentialsFor, media, params } from './support/fixtures';
import { useSandbox } from './support/sandbox';

let sandbox: Sandbox;
useSandbox({ jobDurationMs: 150 }, (s) => (sandbox = s));

const creates = (provider: ProviderId) => sandbox.requests.filter((r) => r.provider === provider && r.method === 'POST');

describe('the package as n8n loads it', () => {
	it('registers one Lip Sync node whose credential follows the provider', async () => {
		const { nodeTypes, credentialTypes } = await loadPackage();
		const description = nodeTypes[NODE_TYPE]!.description;
		expect(description.version).toEqual([1]);
		expect(Object.keys(credentialTypes).sort()).toEqual([
			'lipSyncKitAkoolApi',
			'lipSyncKitChamelaionApi',
			'lipSyncKitFishAudioOpenApi',
			'lipSyncKitFishAudioV1Api',
			'lipSyncKitJoggAiApi',
			'lipSyncKitS3StorageApi',
		]);
		// One provider credential per provider, shown for its provider only; the storage credential only when asked for.
		for (const c of description.credentials ?? []) {
			expect(Object.keys(c.displayOptions?.show ?? {})).toEqual(c.name === 'lipSyncKitS3StorageApi' ? ['useStorage', 'authentication'] : ['provider']);
		}
		// The credential shown for a provider is the one the node reads for it.
		for (const provider of PROVIDERS) {
			const shown = (description.credentials ?? []).filter((c) => (c.displayOptions?.show?.provider as string[] | undefined)?.includes(provider));
			expect(shown.map((c) => c.name)).toEqual([CREDENTIAL_TYPE[provider]]);
		}
		const storage = credentialTypes.lipSyncKitS3StorageApi!;
		expect(storage.properties.find((p) => p.name === 'secretAccessKey')?.typeOptions?.password).toBe(true);
		for (const type of Object.values(credentialTypes).filter((t) => t !== storage)) {
			const key = type.properties.find((p) => p.name === 'apiKey');
			expect(key?.typeOptions?.password).toBe(true);
			expect(type.properties.find((p) => p.name === 'baseUrl')?.default).toMatch(/^https:\/\//);
		}
	});

	it('offers Get Many only to providers with a list, and provider options only for their provider', async () => {
		const { nodeTypes } = await loadPackage();
		const props = nodeTypes[NODE_TYPE]!.description.properties;
		// The job operations (the voice resource has a Get Many of its own, for the Fish Audio providers).
		const operations = props.filter((p) => p.name === 'operation' && p.displayOptions?.show?.resource?.includes('job'));
		const listFor = operations.filter((p) => p.options?.some((o) => 'value' in o && o.value === 'getAll')).flatMap((p) => p.displayOptions?.show?.provider);
		expect(listFor.sort()).toEqual([...LISTING].sort());
		// Every variant of a parameter (one per operation) is shown only for its provider.
		const shownFor = (name: string) => [...new Set(props.filter((p) => p.name === name).flatMap((p) => p.displayOptions?.show?.provider))];
		expect(shownFor('webhookUrl')).toEqual(['akool']);
		expect(shownFor('referenceId')).toEqual(['chamelaion']);
		expect(shownFor('disableActiveSpeakerDetection')).toEqual(['chamelaion']);
		expect(shownFor('playbackType')).toEqual(['joggai']);
		const timeout = props.find((p) => p.name === 'timeoutMinutes');
		expect(timeout?.default).toBeGreaterThanOrEqual(15);
	});
});

describe.each(PROVIDERS)('%s', (provider) => {
	const credentials = () => credentialsFor(sandbox, provider);

	it('Create and Wait: returns the finished job with its video URL, from one create request', async () => {
		const before = creates(provider).length;
		const { status, items, error } = await runNode({ parameters: params(provider, 'createAndWait', media(sandbox)), credentials: credentials() });
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		expect(items).toHaveLength(1);
		expect(items[0]!.json).toMatchObject({ provider, status: 'completed', id: expect.any(String), resultUrl: expect.stringMatching(/^https?:\/\//) });
		expect(items[0]!.pairedItem).toEqual({ item: 0 });
		expect(items[0]!.json.raw).toBeUndefined();
		expect(creates(provider).length - before).toBe(1);
		// n8n's credential put the key where the provider wants it.
		const sent = sandbox.requests.filter((r) => r.provider === provider).at(-1)!;
		expect(sent.headers[AUTH_HEADER[provider].name]).toBe(AUTH_HEADER[provider].value(GOOD_KEY));
	});

	it('Create returns at once; Get reads it; Wait for Job finishes it', async () => {
		const created = await runNode({ parameters: params(provider, 'create', media(sandbox, { durationMs: 400 })), credentials: credentials() });
		expect(created.status).toBe('success');
		const job = created.items[0]!.json;
		expect(job.id).toEqual(expect.any(String));
		expect(job.status).not.toBe('completed');
		expect(job.resultUrl).toBeUndefined();

		const got = await runNode({ parameters: params(provider, 'get', { jobId: job.id, options: { includeRaw: true } }), credentials: credentials() });
		expect(got.status).toBe('success');
		expect(got.items[0]!.json).toMatchObject({ id: job.id, provider });
		expect(got.items[0]!.json.raw).toBeDefined();

		const waited = await runNode({ parameters: params(provider, 'wait', { jobId: job.id, timeoutMinutes: 1 }), credentials: credentials() });
		expect(waited.error?.message).toBeUndefined();
		expect(waited.items[0]!.json).toMatchObject({ id: job.id, status: 'completed', resultUrl: expect.stringMatching(/^https?:\/\//) });
	});

	it('processes several items, each with its own job and pairedItem, in input order', async () => {
		// Per-item expressions, as a flow would map them; the middle job takes longer than the others.
		const input = [150, 400, 150].map((durationMs) => ({ json: media(sandbox, { durationMs }) }));
		const before = creates(provider).length;
		const { status, items } = await runNode({
			parameters: params(provider, 'createAndWait', { videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}' }),
			credentials: credentials(),
			input,
		});
		expect(status).toBe('success');
		expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(new Set(items.map((i) => i.json.id)).size).toBe(3);
		expect(items.every((i) => i.json.status === 'completed')).toBe(true);
		expect(creates(provider).length - before).toBe(3);
	});
});

describe('Get Many', () => {
	it.each(['chamelaion', 'fishaudio-open', 'fishaudio-v1'] as const)('%s lists the jobs of the account, one item each', async (provider) => {
		const made = await runNode({ parameters: params(provider, 'create', media(sandbox)), credentials: credentialsFor(sandbox, provider), input: [{ json: {} }, { json: {} }] });
		const ids = made.items.map((i) => i.json.id);
		const { status, items } = await runNode({ parameters: params(provider, 'getAll', { returnAll: true }), credentials: credentialsFor(sandbox, provider) });
		expect(status).toBe('success');
		expect(items.map((i) => i.json.id)).toEqual(expect.arrayContaining(ids));
		expect(items.every((i) => i.json.provider === provider)).toBe(true);
		const limited = await runNode({ parameters: params(provider, 'getAll', { returnAll: false, limit: 1 }), credentials: credentialsFor(sandbox, provider) });
		expect(limited.items).toHaveLength(1);
	});

	it('Return All follows the pages (fishaudio-open pages by number, chamelaion by offset)', async () => {
		for (const provider of ['fishaudio-open', 'chamelaion'] as const) {
			// Just past one page of 50: every create of the account counts against its limit (Chamelaion 60 a minute,
			// shared by every execution in this process), so the test creates no more than it needs.
			const input = Array.from({ length: Math.max(1, 52 - sandbox.listJobs(provider).length) }, (_, n) => ({ json: { n } }));
			await runNode({ parameters: params(provider, 'create', media(sandbox)), credentials: credentialsFor(sandbox, provider), input });
			const total = sandbox.listJobs(provider).length;
			expect(total).toBeGreaterThan(50);
			const { items } = await runNode({ parameters: params(provider, 'getAll', { returnAll: true }), credentials: credentialsFor(sandbox, provider) });
			expect(new Set(items.map((i) => i.json.id)).size).toBe(total);
		}
	});

	it('filters by status', async () => {
		const provider = 'fishaudio-open';
		await runNode({ parameters: params(provider, 'create', media(sandbox, { durationMs: 60_000 })), credentials: credentialsFor(sandbox, provider) });
		const { items } = await runNode({ parameters: params(provider, 'getAll', { returnAll: true, filters: { status: 'completed' } }), credentials: credentialsFor(sandbox, provider) });
		expect(items.length).toBeGreaterThan(0);
		expect(items.every((i) => i.json.status === 'completed')).toBe(true);
	});

	it('joggai finds the latest job for a video and audio pair', async () => {
		const urls = media(sandbox, { tag: 'lookup' });
		const made = await runNode({ parameters: params('joggai', 'create', urls), credentials: credentialsFor(sandbox, 'joggai') });
		const { status, items } = await runNode({ parameters: params('joggai', 'getAll', urls), credentials: credentialsFor(sandbox, 'joggai') });
		expect(status).toBe('success');
		expect(items.map((i) => i.json.id)).toEqual([made.items[0]!.json.id]);
		const none = await runNode({ parameters: params('joggai', 'getAll', media(sandbox, { tag: 'never-created' })), credentials: credentialsFor(sandbox, 'joggai') });
		expect(none.status).toBe('success');
		expect(none.items).toEqual([]);
	});

	it('is refused for akool, which has no list endpoint, without any request', async () => {
		const before = sandbox.requests.length;
		const { status, error } = await runNode({ parameters: params('akool', 'getAll'), credentials: credentialsFor(sandbox, 'akool') });
		expect(status).toBe('error');
		expect(error?.message).toMatch(/Akool has no way to list jobs/);
		expect(sandbox.requests.length).toBe(before);
	});
});

describe('provider-specific options', () => {
	it('sends Akool webhookUrl, Chamelaion reference id and speaker detection, JoggAI playback type', async () => {
		const urls = media(sandbox);
		await runNode({ parameters: params('akool', 'create', { ...urls, webhookUrl: 'https://hooks.example.com/akool' }), credentials: credentialsFor(sandbox, 'akool') });
		expect(creates('akool').at(-1)!.body).toMatchObject({ webhookUrl: 'https://hooks.example.com/akool' });

		const ref = await runNode({
			parameters: params('chamelaion', 'create', { ...urls, referenceId: 'order-42', disableActiveSpeakerDetection: true }),
			credentials: credentialsFor(sandbox, 'chamelaion'),
		});
		expect(creates('chamelaion').at(-1)!.body).toMatchObject({ reference_id: 'order-42', disable_active_speaker_detection: true });
		expect(ref.items[0]!.json.referenceId).toBe('order-42');
		const byRef = await runNode({ parameters: params('chamelaion', 'getAll', { returnAll: true, filters: { referenceId: 'order-42' } }), credentials: credentialsFor(sandbox, 'chamelaion') });
		expect(byRef.items.map((i) => i.json.id)).toEqual([ref.items[0]!.json.id]);

		await runNode({ parameters: params('joggai', 'create', { ...urls, playbackType: 'normal_reverse' }), credentials: credentialsFor(sandbox, 'joggai') });
		expect(creates('joggai').at(-1)!.body).toMatchObject({ playback_type: 'normal_reverse' });
	});

	it('drops options of other providers even if present in the parameters', async () => {
		await runNode({
			parameters: params('fishaudio-open', 'create', { ...media(sandbox), webhookUrl: 'https://hooks.example.com/x', playbackType: 'normal_reverse', referenceId: 'nope' }),
			credentials: credentialsFor(sandbox, 'fishaudio-open'),
		});
		const body = creates('fishaudio-open').at(-1)!.body as Record<string, unknown>;
		expect(Object.keys(body).sort()).toEqual(['audio_url', 'video_url']);
	});
});
