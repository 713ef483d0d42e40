// n8n queue mode, the way agencies scale out: Redis + Postgres, one `n8n start` (main: webhooks, triggers, the
// editor) and two `n8n worker`s of the newest n8n line, the packed package installed as a community package on all
// three, the sandbox in this process. The cluster starts once for the file (see support/cluster.ts).
// Each workflow starts from a webhook on main and ends in an HTTP Request to a receiver in this test, with
// `$env.LIPSYNC_WORKER` saying which process ran it ('A' or 'B'; main never runs executions in queue mode).
// Diagnosis: LIPSYNC_N8N_LOG_LEVEL=debug; a failed wait prints the tail of every n8n log.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox';
import type { Sandbox } from '../../src/sandbox/types';
import { TARGETS, until as untilValue } from '../n8n/support/cli';
import { inCi } from '../n8n/support/tools';
import { type Cluster, clusterMissing, startCluster } from './support/cluster';

/** The newest n8n line (2.41 on Node 24): queue mode is proven where users run it now. */
const target = TARGETS[TARGETS.length - 1]!;
const why = clusterMissing(target);
if (why && !inCi) console.warn(`[n8n queue mode] skipped: ${why}`);
const skip = Boolean(why) && !inCi;

const PKG = '@lipsync-kit/n8n-nodes-lipsync';
const KEY = 'sandbox-key-0123456789ab'; // Akool's client secret is the API key: 24 characters, an AES-192 key
const CLIENT_ID = 'AKDt8rWEczpYPzCG';
const WORKERS = ['A', 'B'];
const CRED = {
	fish: { lipSyncKitFishAudioV1Api: { id: 'qFishV1', name: 'Fish Audio v1' } },
	jogg: { lipSyncKitJoggAiApi: { id: 'qJoggAi', name: 'JoggAI' } },
	akool: { lipSyncKitAkoolApi: { id: 'qAkool', name: 'Akool' } },
};
const HOOK = { batch: 'queue-batch', rate: 'queue-rate', akool: 'queue-akool', download: 'queue-download' };
const TRIGGER_ID = 'd2f8c9c6-3c5a-4e77-9c79-5b3e2e2e2c03';

let sandbox: Sandbox;
let cluster: Cluster;
let receiver: Server;
let receiverUrl = '';
/** What the workflows reported: the receiver path ('/batch', ...), the item's JSON and the process that ran it. */
const outputs: ({ path: string; worker?: string; execution?: string } & Record<string, any>)[] = [];
const binaries: { path: string; bytes: Buffer; type?: string }[] = [];

function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, ms = 120_000): Promise<T> {
	return untilValue(check, what, ms, () => `\n${cluster?.logs() ?? ''}`);
}

interface Node {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	webhookId?: string;
}

/** A workflow: the nodes in a chain, each connected to the next. */
function chain(id: string, nodes: Node[]) {
	const connections: Record<string, unknown> = {};
	nodes.slice(0, -1).forEach((n, i) => (connections[n.name] = { main: [[{ node: nodes[i + 1]!.name, type: 'main', index: 0 }]] }));
	return {
		id,
		name: id,
		active: false,
		settings: { executionOrder: 'v1' },
		connections,
		nodes: nodes.map((n, i) => ({ id: `${id}-${i}`, position: [i * 250, 0], ...n })),
	};
}

const webhook = (path: string, webhookId: string): Node => ({
	name: 'Start',
	type: 'n8n-nodes-base.webhook',
	typeVersion: 2,
	webhookId,
	parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
});
const splitItems: Node = { name: 'Items', type: 'n8n-nodes-base.splitOut', typeVersion: 1, parameters: { fieldToSplitOut: 'body.items', options: {} } };
/** Reports each item with the process and the execution that produced it, and the tag of the input item it pairs with. */
const report = (tag: string, extra = ''): Node => ({
	name: 'Report',
	type: 'n8n-nodes-base.httpRequest',
	typeVersion: 4.2,
	parameters: {
		method: 'POST',
		url: `${receiverUrl}/${tag}`,
		sendBody: true,
		specifyBody: 'json',
		jsonBody: `={{ JSON.stringify({ ...$json, worker: $env.LIPSYNC_WORKER, execution: $execution.id${extra} }) }}`,
		options: {},
	},
});
const lipSync = (provider: string, credentials: Node['credentials'], parameters: Record<string, unknown>): Node => ({
	name: 'Lip sync',
	type: `${PKG}.lipSync`,
	typeVersion: 1,
	credentials,
	parameters: { provider, resource: 'job', videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}', ...parameters },
});
const fromItem = ", tag: $('Items').item.json.tag";

function workflows() {
	return [
		chain('qBatch', [
			webhook(HOOK.batch, 'a1a1a1a1-0000-4000-8000-000000000001'),
			splitItems,
			lipSync('fishaudio-v1', CRED.fish, { operation: 'createAndWait', timeoutMinutes: 10, options: { parallel: 10, pollIntervalSeconds: 0.5 } }),
			report('batch', fromItem),
		]),
		chain('qRate', [
			webhook(HOOK.rate, 'a1a1a1a1-0000-4000-8000-000000000002'),
			splitItems,
			lipSync('joggai', CRED.jogg, { operation: 'create', playbackType: 'normal', options: {} }),
			report('rate', fromItem),
		]),
		chain('qAkoolWait', [
			webhook(HOOK.akool, 'a1a1a1a1-0000-4000-8000-000000000003'),
			{ ...lipSync('akool', CRED.akool, { operation: 'createAndWait', waitFor: 'callback', timeoutMinutes: 10, options: {} }), parameters: { provider: 'akool', resource: 'job', operation: 'createAndWait', videoUrl: '={{ $json.body.videoUrl }}', audioUrl: '={{ $json.body.audioUrl }}', waitFor: 'callback', timeoutMinutes: 10, options: {} } },
			report('akool'),
		]),
		chain('qAkoolTrigger', [
			{ name: 'Akool callback', type: `${PKG}.lipSyncAkoolTrigger`, typeVersion: 1, webhookId: TRIGGER_ID, credentials: CRED.akool, parameters: { events: ['completed', 'failed'], options: {} } },
			report('trigger'),
		]),
	];
}

/** POSTs to a production webhook of main; a 404 (not activated yet) started nothing, so it is retried. */
async function startRun(path: string, body: unknown): Promise<void> {
	const res = await until(async () => {
		const r = await fetch(`${cluster.main.url}/webhook/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		return r.status === 404 ? undefined : r;
	}, `the webhook ${path}`);
	expect(res.status, await res.text()).toBe(200);
}

const media = (tag: string) => ({ tag, videoUrl: `${sandbox.url}/media/sample.mp4?item=${tag}`, audioUrl: `${sandbox.url}/media/sample.wav` });
/** The tag of a sandbox job, from the video URL it was created with. */
const tagOf = (videoUrl: string | undefined) => (videoUrl ? new URL(videoUrl).searchParams.get('item') : null);

beforeAll(async () => {
	if (skip) return;
	sandbox = await startSandbox({
		apiKey: KEY,
		akoolClientId: CLIENT_ID,
		jobDurationMs: 1_500,
		// JoggAI's documented account limit: 20 creates a minute, shared by every worker using the key.
		rateLimits: { joggai: { limit: 20, windowMs: 60_000 } },
		akoolCallbacks: { retryDelaysMs: [500, 1_000, 2_000, 4_000, 8_000] },
	});
	receiver = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const bytes = Buffer.concat(chunks);
			const type = req.headers['content-type'];
			if (type?.startsWith('application/json')) outputs.push({ path: req.url ?? '', ...JSON.parse(bytes.toString('utf8') || '{}') });
			else binaries.push({ path: req.url ?? '', bytes, type });
			res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
		});
	});
	await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
	receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
	const data = (provider: 'fishaudio-v1' | 'joggai' | 'akool') => ({ apiKey: KEY, baseUrl: sandbox.baseUrl(provider) });
	cluster = await startCluster({
		target,
		workers: WORKERS,
		concurrency: 3,
		credentials: [
			{ id: 'qFishV1', name: 'Fish Audio v1', type: 'lipSyncKitFishAudioV1Api', data: data('fishaudio-v1') },
			{ id: 'qJoggAi', name: 'JoggAI', type: 'lipSyncKitJoggAiApi', data: data('joggai') },
			{ id: 'qAkool', name: 'Akool', type: 'lipSyncKitAkoolApi', data: { ...data('akool'), clientId: CLIENT_ID } },
		],
		workflows: workflows(),
	});
	// Main activates the published workflows after it is ready: wait for the trigger to answer as itself.
	await until(async () => {
		const r = await fetch(`${cluster.main.url}/webhook/${TRIGGER_ID}/akool-lipsync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
		return r?.status === 401 && /must have signature/.test(await r.text()) ? true : undefined;
	}, 'main to serve the trigger webhook');
}, 600_000);

afterAll(async () => {
	await cluster?.stop();
	receiver?.closeAllConnections();
	receiver?.close();
	await sandbox?.close();
}, 120_000);

describe.skipIf(skip)(`n8n queue mode: main + ${WORKERS.length} workers (${target.label})`, () => {
	it(
		'a 100-job batch over 10 executions runs on both workers; each job is created once and its id reaches its execution',
		async () => {
			sandbox.reset();
			outputs.length = 0;
			const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 10 }, (_, i) => media(`b${b}-${i}`)));
			await Promise.all(batches.map((items, b) => startRun(HOOK.batch, { batch: b, items })));
			await until(() => (outputs.filter((o) => o.path === '/batch').length >= 100 ? true : undefined), 'all 100 items to be reported', 300_000);
			const out = outputs.filter((o) => o.path === '/batch');
			expect(out).toHaveLength(100);

			// Exactly one create per item at the provider: 100 jobs, 100 distinct tags.
			const jobs = sandbox.listJobs('fishaudio-v1');
			const creates = sandbox.requests.filter((r) => r.provider === 'fishaudio-v1' && r.method === 'POST');
			expect(creates).toHaveLength(100);
			expect(jobs).toHaveLength(100);
			expect(new Set(jobs.map((j) => tagOf(j.videoUrl))).size).toBe(100);

			// Every job id reached the output of the execution that ran its item, finished.
			for (const o of out) {
				const job = sandbox.getJob('fishaudio-v1', o.id);
				expect(job, `output ${o.tag}: job ${o.id} is not a sandbox job`).toBeDefined();
				expect(tagOf(job!.videoUrl)).toBe(o.tag);
				expect(o).toMatchObject({ provider: 'fishaudio-v1', status: 'completed' });
			}
			expect(new Set(out.map((o) => o.id)).size).toBe(100);
			// One execution per batch, each on one worker; both workers took part, main none.
			const executions = new Map<string, string>();
			for (const o of out) executions.set(o.execution!, o.worker!);
			expect(executions.size).toBe(10);
			expect(new Set(executions.values())).toEqual(new Set(WORKERS));
		},
		420_000,
	);
});
