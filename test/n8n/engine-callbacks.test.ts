// Akool callbacks in n8n's real engine (n8n-core) on the built package: Create and Wait with "Wait For: Akool
// Callback" parks the execution after one create (resume URL sent as webhookUrl, no polling), a timed-out wait
// passes the job on with its ID, and the webhook() of the Lip Sync node and of the trigger verify what they get.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptAkoolCallback } from '../../src';
import { startSandbox } from '../../src/sandbox';
import type { Sandbox } from '../../src/sandbox/types';
import { NODE_TYPE, PACKAGE_NAME, callWebhook, loadPackage, removeUserFolder, resumeWaitingRun, runNode, type NodeRunOptions } from './support/engine';
import { media } from './support/fixtures';

const KEY = 'sandbox-key-0123456789ab'; // Akool's client secret is the API key: 24 characters, an AES-192 key
const CLIENT_ID = 'AKDt8rWEczpYPzCG';
const WAITING_BASE = 'https://n8n.example.com/webhook-waiting';
const TRIGGER_TYPE = `${PACKAGE_NAME}.lipSyncAkoolTrigger`;

let sandbox: Sandbox;
beforeAll(async () => {
	await loadPackage();
	sandbox = await startSandbox({ apiKey: KEY, akoolClientId: CLIENT_ID, jobDurationMs: 300, akoolCallbacks: { send: false } });
});
afterAll(async () => {
	await sandbox?.close();
	removeUserFolder();
});

const credentials = (clientId = CLIENT_ID) => ({ lipSyncKitAkoolApi: { apiKey: KEY, baseUrl: sandbox.baseUrl('akool'), clientId } });
function options(extra: Partial<NodeRunOptions> = {}, parameters: Record<string, unknown> = {}): NodeRunOptions {
	return {
		parameters: { provider: 'akool', resource: 'job', operation: 'createAndWait', waitFor: 'callback', timeoutMinutes: 20, ...media(sandbox), options: {}, ...parameters },
		credentials: credentials(),
		webhookWaitingBaseUrl: WAITING_BASE,
		...extra,
	};
}
const akool = () => sandbox.requests.filter((r) => r.provider === 'akool');
const body = (payload: Record<string, unknown>, at = Date.now(), secrets = { clientId: CLIENT_ID, clientSecret: KEY }) =>
	encryptAkoolCallback(payload, secrets, at, String(Math.floor(Math.random() * 1e6)));

describe('Create and Wait, Wait For: Akool Callback', () => {
	it('creates once with the resume URL as webhookUrl, then parks the execution until the timeout, without polling', async () => {
		sandbox.clearRequests();
		const before = Date.now();
		const parked = await runNode(options());
		expect(parked.status).toBe('waiting');
		const waitTill = new Date(parked.run.waitTill!).getTime();
		expect(waitTill).toBeGreaterThanOrEqual(before + 20 * 60_000);
		expect(waitTill).toBeLessThanOrEqual(Date.now() + 20 * 60_000);
		expect(akool().map((r) => r.method)).toEqual(['POST']);
		expect(akool()[0]!.body).toMatchObject({ webhookUrl: `${WAITING_BASE}/1` });
		const jobId = (akool()[0] && sandbox.listJobs('akool')[0]!.id)!;

		// The wait times out: n8n resumes without running the node; the item that passes on carries the job.
		const resumed = await resumeWaitingRun(parked, options());
		expect(resumed.status).toBe('success');
		expect(resumed.items).toHaveLength(1);
		expect(resumed.items[0]!.json).toMatchObject({ id: jobId, provider: 'akool', error: { code: 'TIMEOUT', jobId } });
		expect(akool().map((r) => r.method)).toEqual(['POST']);
	});

	it('refuses before creating anything: no Client ID, no public resume URL, several items', async () => {
		sandbox.clearRequests();
		const noClient = await runNode(options({ credentials: credentials('') }));
		expect(noClient.error?.message).toMatch(/no Client ID/);
		const noUrl = await runNode(options({ webhookWaitingBaseUrl: '' }));
		expect(noUrl.error?.message).toMatch(/no URL that Akool could post/);
		expect(noUrl.error?.description).toMatch(/WEBHOOK_URL/);
		const many = await runNode(options({ input: [{ json: {} }, { json: {} }] }));
		expect(many.error?.message).toMatch(/one item per execution; this run has 2/);
		expect(akool()).toEqual([]);
	});
});

describe("the Lip Sync node's webhook (resume)", () => {
	const resume = (b: unknown, clientId = CLIENT_ID) =>
		callWebhook({
			nodeType: NODE_TYPE,
			parameters: { provider: 'akool', resource: 'job', operation: 'createAndWait', waitFor: 'callback', options: {} },
			credentials: credentials(clientId),
			body: b,
			webhookDescription: { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: '', restartWebhook: true },
		});

	it('resumes with a verified final callback, and only acknowledges "processing"', async () => {
		const done = await resume(body({ _id: 'job-1', status: 3, type: 'lipsync', url: 'https://cdn.example/v.mp4' }));
		expect(done.result.workflowData?.[0]?.[0]?.json).toMatchObject({ id: 'job-1', provider: 'akool', status: 'completed', resultUrl: 'https://cdn.example/v.mp4' });
		const failed = await resume(body({ _id: 'job-2', status: 4, type: 'lipsync', error_reason: 'no face' }));
		expect(failed.result.workflowData?.[0]?.[0]?.json).toMatchObject({ id: 'job-2', status: 'failed', error: { code: 'JOB_FAILED', message: expect.stringMatching(/no face/) } });
		const processing = await resume(body({ _id: 'job-3', status: 2, type: 'lipsync' }));
		expect(processing.result).toEqual({ noWebhookResponse: true });
		expect(processing.status).toBe(200);
	});

	it('resumes with an item of the same keys and types as Wait For: Polling, for a completed and a failed job', async () => {
		const shape = (json: Record<string, unknown>) => {
			const out: Record<string, unknown> = {};
			for (const [k, v] of Object.entries(json)) out[k] = v !== null && typeof v === 'object' ? shape(v as Record<string, unknown>) : typeof v;
			return out;
		};
		// Polled: the same node, Wait For: Polling, on the same sandbox (whose own callbacks are off).
		const polled = async (fail: boolean) => {
			const run = await runNode(options({}, { waitFor: 'poll', ...media(sandbox, { fail }), options: { onFailure: 'output', pollIntervalSeconds: 0.05 } }));
			expect(run.status).toBe('success');
			return run.items[0]!.json;
		};
		const completed = await polled(false);
		const viaCallback = await resume(body({ _id: completed.id, status: 3, type: 'lipsync', url: completed.resultUrl }));
		const resumedDone = viaCallback.result.workflowData?.[0]?.[0]?.json as Record<string, unknown>;
		expect(resumedDone).toMatchObject({ id: completed.id, status: 'completed', resultUrl: completed.resultUrl });
		expect(shape(resumedDone)).toEqual(shape(completed));

		const failed = await polled(true);
		expect(failed).toMatchObject({ status: 'failed', error: { code: 'JOB_FAILED' } });
		const reason = String((failed.error as { message: string }).message).replace(/^The job failed: /, '');
		const viaFailed = await resume(body({ _id: failed.id, status: 4, type: 'lipsync', error_reason: reason }));
		const resumedFailed = viaFailed.result.workflowData?.[0]?.[0]?.json as Record<string, unknown>;
		expect(resumedFailed).toMatchObject({ id: failed.id, status: 'failed', error: { code: 'JOB_FAILED', jobId: failed.id } });
		expect(shape(resumedFailed)).toEqual(shape(failed));
	});

	it('refuses forged, stale and replayed callbacks with one generic 401 and resumes nothing', async () => {
		const genuine = body({ _id: 'job-4', status: 3, type: 'lipsync', url: 'https://cdn.example/4.mp4' });
		const forged = await resume({ ...genuine, signature: 'f'.repeat(40) });
		const wrongSecret = await resume(body({ _id: 'job-4', status: 3 }, Date.now(), { clientId: 'XKDt8rWEczpYPzCG', clientSecret: 'xxxxxxxxxxxxxxxxxxxxxxxx' }));
		const stale = await resume(body({ _id: 'job-4', status: 3 }, Date.now() - 60 * 60_000));
		const first = await resume(genuine);
		const replayed = await resume(genuine);
		// One generic refusal for every failed check (no oracle); the reason is only in the local warning.
		expect([forged.status, wrongSecret.status, stale.status, first.status, replayed.status]).toEqual([401, 401, 401, undefined, 401]);
		for (const r of [forged, wrongSecret, stale, replayed]) {
			expect(r.result).toEqual({ noWebhookResponse: true });
			expect(r.warnings).toHaveLength(1);
			expect(r.warnings[0]).not.toContain(KEY);
			expect(r.warnings[0]).not.toContain(CLIENT_ID);
			expect(r.warnings[0]).not.toContain(genuine.dataEncrypt);
		}
		expect(first.result.workflowData?.[0]?.[0]?.json).toMatchObject({ id: 'job-4' });
		expect(stale.warnings[0]).toMatch(/stale or replayed/);
		expect(replayed.warnings[0]).toMatch(/already used/);
	});
});

describe('Lip Sync Akool Trigger', () => {
	const trigger = (b: unknown, parameters: Record<string, unknown> = {}) =>
		callWebhook({
			nodeType: TRIGGER_TYPE,
			parameters: { events: ['completed', 'failed'], options: {}, ...parameters },
			credentials: credentials(),
			body: b,
			webhookDescription: { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'akool-lipsync' },
		});

	it('is registered next to the Lip Sync node, with the Akool credential', async () => {
		const { nodeTypes } = await loadPackage();
		const description = nodeTypes[TRIGGER_TYPE]!.description;
		expect(description.group).toEqual(['trigger']);
		expect(description.credentials).toEqual([{ name: 'lipSyncKitAkoolApi', required: true }]);
		expect(description.webhooks?.[0]).toMatchObject({ httpMethod: 'POST', responseMode: 'onReceived' });
	});

	it('starts a workflow with the verified job; ignores statuses it is not set for; refuses a forged body', async () => {
		const started = await trigger(body({ _id: 'job-5', status: 3, type: 'lipsync', url: 'https://cdn.example/5.mp4' }), { options: { includeRaw: true } });
		expect(started.result.workflowData?.[0]?.[0]?.json).toMatchObject({ id: 'job-5', status: 'completed', resultUrl: 'https://cdn.example/5.mp4', raw: { _id: 'job-5' } });
		const ignored = await trigger(body({ _id: 'job-5', status: 2, type: 'lipsync' }));
		expect(ignored.result.workflowData).toBeUndefined();
		expect(ignored.result.webhookResponse).toEqual({ ok: true, ignored: 'processing' });
		const forged = await trigger(body({ _id: 'job-6', status: 3 }, Date.now(), { clientId: CLIENT_ID, clientSecret: 'xxxxxxxxxxxxxxxxxxxxxxxx' }));
		// Same client id, another secret: the signature matches only if the forger knew the id; decryption fails.
		expect(forged.status).toBe(401);
		expect(forged.result.workflowData).toBeUndefined();
	});
});
