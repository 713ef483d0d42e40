// Nothing lost when n8n restarts or crashes, in a real `n8n start` on both n8n lines (2.8.4 on Node 22, 2.41.1 on
// Node 24), the packed package installed as a community package, against the sandbox in this process:
//  - the Lip Sync Trigger (Chamelaion, Fish Audio open, Fish Audio v1) emits each finished job once across polls,
//    across a crash (SIGKILL) and a restart of n8n: none twice, none missing, none that had finished before;
//  - a job created by an execution that is then killed (SIGKILL) can be found in n8n's log, as the README says.
// n8n runs once per target and is restarted once. Each workflow ends in an HTTP Request to a receiver in this test.
// Diagnosis: LIPSYNC_N8N_LOG_FILE=/tmp/n8n.log keeps n8n's log.
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLipSyncClient } from '../../src';
import { startSandbox } from '../../src/sandbox';
import type { ProviderId, Sandbox } from '../../src/sandbox/types';
import { PKG, TARGETS, type CliTarget, importAndPublish, installCommunityPackage, n8nBin, n8nEnv, newUserFolder, packPackage, quietPort, reportNode, spawnN8nStart, startReceiver, stopProcess, untilLogged, webhookLipSyncWorkflow } from './support/cli';
import { inCi, missing } from './support/tools';

const unavailable = Object.fromEntries(TARGETS.map((t) => [t.label, missing([n8nBin(t), t.node], t.label)]));
for (const [label, why] of Object.entries(unavailable)) if (why && !inCi) console.warn(`[n8n durable e2e] ${label} skipped: ${why}`);
const anyToRun = TARGETS.some((t) => !unavailable[t.label] || inCi);

const KEY = 'sandbox-key';
const LISTING: ProviderId[] = ['chamelaion', 'fishaudio-open', 'fishaudio-v1'];
const CREDENTIAL: Record<string, string> = { chamelaion: 'lipSyncKitChamelaionApi', 'fishaudio-open': 'lipSyncKitFishAudioOpenApi', 'fishaudio-v1': 'lipSyncKitFishAudioV1Api' };
const credId = (p: ProviderId) => `lsDurable${p.replace(/[^a-z0-9]/g, '')}`.slice(0, 21);
/**
 * Polls every 5 s: twelve "once a minute" times, at second 0, 5, ... 55. n8n refuses a poll time whose seconds
 * field is not one number (less than a minute apart), not several poll times.
 */
const EVERY_5_S = Array.from({ length: 12 }, (_, i) => ({ mode: 'custom', cronExpression: `${i * 5} * * * * *` }));

let sandbox: Sandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let receiverUrl = '';
let outputs: Record<string, any>[] = [];
let child: ChildProcess | undefined;
let log = '';
const temp: string[] = [];
let nodesDir = '';

/** Polls until `check` gives a value; a timeout shows the tail of n8n's log (and keeps it with LIPSYNC_N8N_LOG_FILE). */
// Generous: several waits include an n8n (re)start, which takes a minute or more on a loaded 2-core machine.
const until = untilLogged(() => log, 180_000);

function workflows() {
	const trigger = (p: ProviderId, i: number) => ({
		id: `trigger${i}`,
		name: `Finished ${p}`,
		type: `${PKG}.lipSyncTrigger`,
		typeVersion: 1,
		position: [0, i * 200],
		credentials: { [CREDENTIAL[p]!]: { id: credId(p), name: p } },
		parameters: { pollTimes: { item: EVERY_5_S }, provider: p, triggerOn: 'finished', options: {} },
	});
	const report = (name: string, tag: string, i = 0) => reportNode(receiverUrl, name, tag, [400, i * 200], `report${tag}${i}`);
	return [
		{
			id: 'lipsyncDurableTrig',
			name: 'Finished lip-sync jobs',
			active: false,
			settings: { executionOrder: 'v1' },
			connections: Object.fromEntries(LISTING.map((p, i) => [`Finished ${p}`, { main: [[{ node: `Report ${i}`, type: 'main', index: 0 }]] }])),
			nodes: [...LISTING.map(trigger), ...LISTING.map((_, i) => report(`Report ${i}`, 'trigger', i))],
		},
		webhookLipSyncWorkflow({
			id: 'lipsyncDurableWait',
			name: 'Create and wait',
			path: 'durable-lipsync',
			webhookId: 'd2f8c9c6-3c5a-4e77-9c79-5b3e2e2e2c03',
			credentials: { lipSyncKitChamelaionApi: { id: credId('chamelaion'), name: 'chamelaion' } },
			parameters: { provider: 'chamelaion', timeoutMinutes: 30, options: {} },
			report: report('Report', 'wait'),
		}),
	];
}

beforeAll(async () => {
	if (!anyToRun) return;
	sandbox = await startSandbox({ apiKey: KEY, jobDurationMs: 200 });
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

async function prepare(target: CliTarget): Promise<string> {
	const userFolder = newUserFolder(nodesDir);
	temp.push(userFolder);
	const credentials = LISTING.map((p) => ({ id: credId(p), name: p, type: CREDENTIAL[p], data: { apiKey: KEY, baseUrl: sandbox.baseUrl(p) } }));
	await importAndPublish(target, userFolder, credentials, workflows(), ['lipsyncDurableTrig', 'lipsyncDurableWait']);
	return userFolder;
}

/** `n8n start` on the user folder, with n8n's default log level (info) and console output. */
async function startN8n(target: CliTarget, userFolder: string): Promise<string> {
	const port = await quietPort();
	const env = await n8nEnv(target, userFolder, {
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(await quietPort()),
		N8N_LOG_LEVEL: 'info',
	});
	child = spawnN8nStart(target, userFolder, env, (text) => (log += text));
	return `http://127.0.0.1:${port}`;
}

async function stopN8n(signal: NodeJS.Signals): Promise<void> {
	if (process.env.LIPSYNC_N8N_LOG_FILE) writeFileSync(`${process.env.LIPSYNC_N8N_LOG_FILE}.end`, log);
	await stopProcess(child, signal);
	child = undefined;
}

/** The list request of each provider (its path at the sandbox, without the provider prefix). */
const LIST_PATH: Record<string, string> = { chamelaion: '/v1/lipsync/requests', 'fishaudio-open': '/api/open/lip-sync/list', 'fishaudio-v1': '/api/open/v1/media/lip-sync/jobs' };
const lists = (p: ProviderId) => sandbox.requests.filter((r) => r.provider === p && r.method === 'GET' && r.path === LIST_PATH[p]).length;
const emitted = (p: ProviderId) => outputs.filter((o) => o.path === '/trigger' && o.provider === p).map((o) => o.id as string);

describe.each(TARGETS)('jobs outlive n8n in a real n8n start ($label)', (target: CliTarget) => {
	const skip = Boolean(unavailable[target.label]) && !inCi;
	afterAll(() => stopN8n('SIGTERM'), 30_000);

	it.skipIf(skip)(
		'the trigger emits each finished job once across polls and a crash + restart; a killed execution leaves its job id in the log',
		async () => {
			sandbox.reset();
			outputs.length = 0;
			log = '';
			const clients = Object.fromEntries(LISTING.map((p) => [p, createLipSyncClient({ provider: p, apiKey: KEY, baseUrl: sandbox.baseUrl(p) })]));
			const create = async (p: ProviderId, durationMs: number) =>
				(await clients[p]!.createJob({ videoUrl: `${sandbox.url}/media/sample.mp4?sandbox_duration=${durationMs}`, audioUrl: `${sandbox.url}/media/sample.wav` })).id;
			const done = (p: ProviderId, id: string) => ['completed', 'failed'].includes(sandbox.getJob(p, id)?.status ?? '');

			// Finished before the workflow runs: never emitted.
			const old = Object.fromEntries(await Promise.all(LISTING.map(async (p) => [p, await create(p, 0)] as const)));
			await until(() => LISTING.every((p) => done(p, old[p]!)), 'the old jobs');
			const userFolder = await prepare(target);
			const base = await startN8n(target, userFolder);
			// n8n polls once when it activates the workflow: that poll sees the old jobs as already finished.
			await until(() => LISTING.every((p) => lists(p) > 0), 'the first polls');

			// Two rounds of polls, each with a new finished job per provider.
			const first = Object.fromEntries(await Promise.all(LISTING.map(async (p) => [p, await create(p, 0)] as const)));
			await until(() => LISTING.every((p) => emitted(p).includes(first[p]!)), 'the first jobs to be emitted');
			const second = Object.fromEntries(await Promise.all(LISTING.map(async (p) => [p, await create(p, 0)] as const)));
			await until(() => LISTING.every((p) => emitted(p).includes(second[p]!)), 'the second jobs to be emitted');

			// A Create and Wait execution holds a job that renders for 10 minutes; n8n is killed while it polls.
			const started = await until(async () => {
				const r = await fetch(`${base}/webhook/durable-lipsync`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ videoUrl: `${sandbox.url}/media/sample.mp4?sandbox_duration=600000`, audioUrl: `${sandbox.url}/media/sample.wav` }),
				}).catch(() => undefined);
				return r && r.status !== 404 ? r : undefined;
			}, 'the create webhook');
			expect(started.status).toBe(200);
			const held = await until(() => sandbox.listJobs('chamelaion').find((j) => j.durationMs === 600_000)?.id, 'the held create');
			await until(() => sandbox.requests.some((r) => r.provider === 'chamelaion' && r.method === 'GET' && r.url.includes(held)), 'the first status poll');
			// Jobs that finish later: one while n8n is down, one that is still rendering when it crashes.
			const slow = Object.fromEntries(await Promise.all(LISTING.map(async (p) => [p, await create(p, 8_000)] as const)));
			const crashLog = log;
			await stopN8n('SIGKILL');
			const whileDown = Object.fromEntries(await Promise.all(LISTING.map(async (p) => [p, await create(p, 0)] as const)));

			// Where the README says to look: one info line per created job in n8n's log, with the execution.
			expect(crashLog).toMatch(new RegExp(`Lip Sync: created Chamelaion job ${held} \\(workflow lipsyncDurableWait, execution \\d+, node "Lip sync", item 0\\)`));

			await startN8n(target, userFolder);
			await until(() => LISTING.every((p) => emitted(p).includes(whileDown[p]!) && emitted(p).includes(slow[p]!)), 'the jobs that finished while n8n was down or after the restart');
			// Two more polls per provider after that: nothing else comes out.
			const seenLists = Object.fromEntries(LISTING.map((p) => [p, lists(p)]));
			await until(() => LISTING.every((p) => lists(p) >= seenLists[p]! + 2), 'two more polls');
			await new Promise((r) => setTimeout(r, 1_000)); // lets a (wrong) execution started by the last poll report
			for (const p of LISTING) {
				expect(emitted(p).sort(), p).toEqual([first[p], second[p], slow[p], whileDown[p]].sort());
				expect(emitted(p)).not.toContain(old[p]);
			}
			expect(outputs.filter((o) => o.path === '/trigger' && o.id === held)).toEqual([]);
		},
		600_000,
	);
});
