// Akool callbacks end to end in a real `n8n start` (n8n 2.8.4 on Node 22, n8n 2.41.1 on Node 24): the packed package installed as a
// community package, the sandbox in this process sending its signed, encrypted callbacks to n8n's real HTTP port.
//  - Create and Wait with "Wait For: Akool Callback" parks the execution and is resumed by the callback: one create,
//    zero status requests; forged and late callbacks are refused (401) and resume nothing.
//  - The Lip Sync Akool Trigger starts a workflow from a verified callback and refuses a forged one.
// Each workflow ends in an HTTP Request to a receiver in this test, which is how the test sees what came out.
// Diagnosis: LIPSYNC_N8N_LOG_LEVEL=debug LIPSYNC_N8N_LOG_FILE=/tmp/n8n.log keeps n8n's log (on a timeout, and at the end).
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox';
import type { Sandbox } from '../../src/sandbox/types';
import { PKG, TARGETS, type CliTarget, importAndPublish, installCommunityPackage, n8nBin, n8nEnv, newUserFolder, packPackage, quietPort, reportNode, spawnN8nStart, startReceiver, stopProcess, untilLogged, webhookLipSyncWorkflow } from './support/cli';
import { inCi, missing } from './support/tools';

const unavailable = Object.fromEntries(TARGETS.map((t) => [t.label, missing([n8nBin(t), t.node], t.label)]));
for (const [label, why] of Object.entries(unavailable)) if (why && !inCi) console.warn(`[n8n callbacks e2e] ${label} skipped: ${why}`);
const anyToRun = TARGETS.some((t) => !unavailable[t.label] || inCi);

const KEY = 'sandbox-key-0123456789ab'; // Akool's client secret is the API key: 24 characters, an AES-192 key
const CLIENT_ID = 'AKDt8rWEczpYPzCG';
const TEST_TIMEOUT = 120_000;

let sandbox: Sandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let receiverUrl = '';
let outputs: Record<string, any>[] = [];
let child: ChildProcess | undefined;
let log = '';
let base = '';
const temp: string[] = [];
let nodesDir = '';

/** Polls until `check` gives a value; a timeout shows the tail of n8n's log (and keeps it with LIPSYNC_N8N_LOG_FILE). */
const until = untilLogged(() => log);

function workflows() {
	const report = (name: string, tag: string) => reportNode(receiverUrl, name, tag, [600, 0]);
	const cred = { lipSyncKitAkoolApi: { id: 'lsAkoolCallback1', name: 'Akool callbacks' } };
	return [
		webhookLipSyncWorkflow({
			id: 'lipsyncCallbackWait',
			name: 'Create and wait for the callback',
			path: 'start-lipsync',
			webhookId: 'b0d6a7a4-1a3e-4c55-9a57-3f1c0c0c0a01',
			credentials: cred,
			parameters: { provider: 'akool', waitFor: 'callback', timeoutMinutes: 10, options: {} },
			report: report('Report', 'wait'),
		}),
		{
			id: 'lipsyncCallbackTrig',
			name: 'Videos from Akool callbacks',
			active: false,
			settings: { executionOrder: 'v1' },
			connections: { 'Akool callback': { main: [[{ node: 'Report', type: 'main', index: 0 }]] } },
			nodes: [
				{
					id: 'trigger1',
					name: 'Akool callback',
					type: `${PKG}.lipSyncAkoolTrigger`,
					typeVersion: 1,
					position: [0, 0],
					webhookId: 'c1e7b8b5-2b4f-4d66-8b68-4a2d1d1d1b02',
					credentials: cred,
					parameters: { events: ['completed', 'failed'], options: {} },
				},
				report('Report', 'trigger'),
			],
		},
	];
}

beforeAll(async () => {
	if (!anyToRun) return;
	sandbox = await startSandbox({ apiKey: KEY, akoolClientId: CLIENT_ID, jobDurationMs: 3_000, akoolCallbacks: { retryDelaysMs: [500, 1_000, 2_000, 4_000, 8_000] } });
	receiver = await startReceiver();
	receiverUrl = receiver.url;
	outputs = receiver.outputs;

	const tarball = await packPackage();
	nodesDir = await installCommunityPackage(tarball);
	temp.push(dirname(tarball), dirname(nodesDir));
}, 180_000);

afterAll(async () => {
	receiver?.close();
	await sandbox?.close();
	for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

/** A fresh user folder with the package, the credential and both workflows published, then `n8n start`. */
async function startN8n(target: CliTarget): Promise<void> {
	log = '';
	const userFolder = newUserFolder(nodesDir);
	temp.push(userFolder);
	const credentials = [{ id: 'lsAkoolCallback1', name: 'Akool callbacks', type: 'lipSyncKitAkoolApi', data: { apiKey: KEY, baseUrl: sandbox.baseUrl('akool'), clientId: CLIENT_ID } }];
	await importAndPublish(target, userFolder, credentials, workflows(), ['lipsyncCallbackWait', 'lipsyncCallbackTrig']);

	const port = await quietPort();
	base = `http://127.0.0.1:${port}`;
	const env = await n8nEnv(target, userFolder, {
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		WEBHOOK_URL: `${base}/`,
		N8N_RUNNERS_BROKER_PORT: String(await quietPort()),
		N8N_LOG_LEVEL: process.env.LIPSYNC_N8N_LOG_LEVEL ?? 'warn',
	});
	child = spawnN8nStart(target, userFolder, env, (text) => (log += text));
	// Webhooks answer 404 until the workflows are activated: poll the trigger's URL with an empty body, until the
	// trigger itself refuses it (401, the one generic refusal).
	await until(async () => {
		const r = await fetch(`${base}/webhook/c1e7b8b5-2b4f-4d66-8b68-4a2d1d1d1b02/akool-lipsync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
		const text = r ? await r.text() : '';
		return r?.status === 401 && /callback refused/.test(text) ? true : undefined;
	}, 'n8n to serve the webhooks', 150_000);
}

async function stopN8n(): Promise<void> {
	if (process.env.LIPSYNC_N8N_LOG_FILE) writeFileSync(`${process.env.LIPSYNC_N8N_LOG_FILE}.end`, log);
	await stopProcess(child);
	child = undefined;
}

describe.each(TARGETS)('Akool callbacks in a real n8n start ($label)', (target: CliTarget) => {
	const skip = Boolean(unavailable[target.label]) && !inCi;
	beforeAll(async () => {
		if (!skip) await startN8n(target);
	}, 300_000);
	afterAll(stopN8n, 30_000);
	it.skipIf(skip)(
		'Create and Wait parks the execution and resumes on the callback: one create, no polling while parked (one lookup after the final callback); forged and late callbacks resume nothing',
		async () => {
			sandbox.reset();
			outputs.length = 0;
			// n8n activates the workflows one by one: a 404 (not registered yet) starts nothing, so it is safe to retry.
			const started = await until(async () => {
				const r = await fetch(`${base}/webhook/start-lipsync`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ videoUrl: `${sandbox.url}/media/sample.mp4`, audioUrl: `${sandbox.url}/media/sample.wav` }),
				});
				return r.status === 404 ? undefined : r;
			}, 'the start webhook');
			expect(started.status).toBe(200);
			expect(await started.text()).toMatch(/Workflow was started/);
			const create = await until(() => sandbox.requests.find((r) => r.provider === 'akool' && r.method === 'POST'), 'the create');
			const resumeUrl = (create.body as { webhookUrl: string }).webhookUrl;
			// Newer n8n signs the resume URL (?signature=...); the callback must come back to it unchanged.
			expect(resumeUrl).toMatch(new RegExp(`^${base}/webhook-waiting/\\d+(\\?signature=[0-9a-f]+)?$`));
			const jobId = sandbox.listJobs('akool')[0]!.id;

			// While the job runs: a forged and a late callback, straight to the resume URL.
			await until(() => sandbox.callbacks.find((c) => c.kind === 'scheduled' && c.delivered), 'the processing callback, accepted');
			const forged = await sandbox.sendAkoolCallback({ jobId, status: 'completed', forged: true });
			const late = await sandbox.sendAkoolCallback({ jobId, status: 'completed', timestamp: Date.now() - 60 * 60_000 });
			expect([forged.attempts[0]!.status, late.attempts[0]!.status]).toEqual([401, 401]);
			expect(outputs.filter((o) => o.path === '/wait')).toEqual([]);
			// Parked: nothing polls while the job runs.
			expect(sandbox.requests.filter((r) => r.provider === 'akool' && r.method === 'GET')).toHaveLength(0);

			const out = await until(() => outputs.find((o) => o.path === '/wait'), 'the resumed execution to report');
			expect(out).toMatchObject({ id: jobId, provider: 'akool', status: 'completed', resultUrl: expect.stringContaining(`/results/akool/${jobId}.mp4`) });
			const akool = sandbox.requests.filter((r) => r.provider === 'akool');
			expect(akool.filter((r) => r.method === 'POST')).toHaveLength(1);
			// One status lookup after the verified final callback fills in what the callback lacks (the same fields as
			// a polled item); none before it.
			expect(akool.filter((r) => r.method === 'GET')).toHaveLength(1);

			// A replay of the final callback after the execution finished resumes nothing either.
			const final = sandbox.callbacks.findIndex((c) => c.kind === 'scheduled' && c.status === 3);
			const replay = await sandbox.sendAkoolCallback({ replay: final });
			expect(replay.attempts[0]!.status).toBeGreaterThanOrEqual(400);
			await new Promise((r) => setTimeout(r, 500));
			expect(outputs.filter((o) => o.path === '/wait')).toHaveLength(1);
		},
		TEST_TIMEOUT,
	);

	it.skipIf(skip)(
		'the trigger starts a workflow from a verified callback and refuses a forged one',
		async () => {
			sandbox.reset();
			outputs.length = 0;
			const hook = `${base}/webhook/c1e7b8b5-2b4f-4d66-8b68-4a2d1d1d1b02/akool-lipsync`;
			const created = await fetch(`${sandbox.baseUrl('akool')}/api/open/v3/content/video/lipsync`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-api-key': KEY },
				body: JSON.stringify({ video_url: `${sandbox.url}/media/sample.mp4?sandbox_duration=1000`, audio_url: `${sandbox.url}/media/sample.wav`, webhookUrl: hook }),
			}).then((r) => r.json() as Promise<{ data: { _id: string } }>);
			const jobId = created.data._id;
			const forged = await sandbox.sendAkoolCallback({ jobId, status: 'completed', forged: true });
			expect(forged.attempts[0]!.status).toBe(401);
			const out = await until(() => outputs.find((o) => o.path === '/trigger' && o.id === jobId), 'the triggered workflow to report');
			expect(out).toMatchObject({ id: jobId, status: 'completed', provider: 'akool' });
			// "processing" was acknowledged (200) but started nothing: exactly one run, for "completed".
			await until(() => (sandbox.callbacks.filter((c) => c.kind === 'scheduled').every((c) => c.delivered) ? true : undefined), 'both callbacks answered');
			expect(outputs.filter((o) => o.path === '/trigger')).toHaveLength(1);
		},
		TEST_TIMEOUT,
	);
});
