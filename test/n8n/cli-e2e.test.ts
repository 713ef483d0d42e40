// End to end with the real n8n CLI, on n8n 2.8.4 / Node 22 and n8n 2.41.1 / Node 24: the packed package installed
// as a community package into a fresh user folder, credentials and the example workflows imported with
// `n8n import:*`, then `n8n execute --id`. Provider traffic goes to a sandbox in this process over real HTTP.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox';
import type { Sandbox } from '../../src/sandbox/types';
import { type CliTarget, TARGETS, installCommunityPackage, listExamples, n8n, n8nBin, newUserFolder, packPackage, parseRun } from './support/cli';
import { BAD_KEY } from './support/fixtures';
import { inCi, missing } from './support/tools';

const unavailable = Object.fromEntries(TARGETS.map((t) => [t.label, missing([n8nBin(t), t.node], t.label)]));
for (const [label, why] of Object.entries(unavailable)) if (why && !inCi) console.warn(`[n8n CLI e2e] ${label} skipped: ${why}`);
const anyToRun = TARGETS.some((t) => !unavailable[t.label] || inCi);

let sandbox: Sandbox;
let nodesDir: string;
/** Temp folders to remove at the end (an n8n user folder holds a database and the installed package). */
const temp: string[] = [];
beforeAll(async () => {
	if (!anyToRun) return;
	sandbox = await startSandbox({ jobDurationMs: 300 });
	const tarball = await packPackage();
	nodesDir = await installCommunityPackage(tarball);
	temp.push(dirname(tarball), dirname(nodesDir));
}, 180_000);
afterAll(async () => {
	await sandbox?.close();
	for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

const NODE_TYPE = '@lipsync-kit/n8n-nodes-lipsync.lipSync';
/** One `n8n execute` takes 2-4 s here; a loaded CI machine gets ample room. */
const CLI_TEST_TIMEOUT = 120_000;
const IDS = { joggai: 'lsJoggAiApi', akool: 'lsAkoolApi', fish: 'lsFishOpenApi', bad: 'lsJoggAiBadKey' };

/** The example workflows, pointed at this run's sandbox, polling fast; plus example 01 with a wrong key. */
function workflowsFor(sandboxUrl: string) {
	const examples = listExamples().map((file) => JSON.parse(readFileSync(file, 'utf8').replaceAll('http://127.0.0.1:4010', sandboxUrl)) as Workflow);
	examples.forEach((wf, i) => {
		wf.id = `lipsyncExample0${i + 1}`;
		for (const node of wf.nodes) if (node.type === NODE_TYPE) node.parameters.options = { ...(node.parameters.options as object), pollIntervalSeconds: 0.2 };
	});
	const failing = structuredClone(examples[0]!);
	failing.id = 'lipsyncBadKey01';
	failing.name = 'Lip Sync with a wrong key';
	for (const node of failing.nodes) if (node.type === NODE_TYPE) node.credentials = { lipSyncKitJoggAiApi: { id: IDS.bad, name: 'JoggAI wrong key' } };
	return [...examples, failing];
}

interface Workflow {
	id?: string;
	name: string;
	nodes: { name: string; type: string; parameters: Record<string, unknown>; credentials?: Record<string, { id: string; name: string }> }[];
}

describe.each(TARGETS)('$label', (target: CliTarget) => {
	const skip = Boolean(unavailable[target.label]) && !inCi;
	let userFolder: string;

	beforeAll(async () => {
		if (skip) return;
		userFolder = newUserFolder(nodesDir);
		temp.push(userFolder);
		const credentials = [
			{ id: IDS.joggai, name: 'JoggAI account', type: 'lipSyncKitJoggAiApi', data: { apiKey: 'sandbox-key', baseUrl: sandbox.baseUrl('joggai') } },
			{ id: IDS.akool, name: 'Akool account', type: 'lipSyncKitAkoolApi', data: { apiKey: 'sandbox-key', baseUrl: sandbox.baseUrl('akool') } },
			{ id: IDS.fish, name: 'Fish Audio account', type: 'lipSyncKitFishAudioOpenApi', data: { apiKey: 'sandbox-key', baseUrl: sandbox.baseUrl('fishaudio-open') } },
			{ id: IDS.bad, name: 'JoggAI wrong key', type: 'lipSyncKitJoggAiApi', data: { apiKey: BAD_KEY, baseUrl: sandbox.baseUrl('joggai') } },
		];
		writeFileSync(join(userFolder, 'credentials.json'), JSON.stringify(credentials));
		writeFileSync(join(userFolder, 'workflows.json'), JSON.stringify(workflowsFor(sandbox.url)));
		const creds = await n8n(target, userFolder, ['import:credentials', `--input=${join(userFolder, 'credentials.json')}`]);
		expect(creds.code, `${creds.stdout}\n${creds.stderr}`).toBe(0);
		const wfs = await n8n(target, userFolder, ['import:workflow', `--input=${join(userFolder, 'workflows.json')}`]);
		expect(wfs.code, `${wfs.stdout}\n${wfs.stderr}`).toBe(0);
	}, 150_000);

	it.skipIf(skip)('is installed (CLI present)', () => {
		expect(unavailable[target.label], unavailable[target.label]).toBeUndefined();
	});

	it.skipIf(skip)('example 01: Create and Wait returns the finished video', async () => {
		const before = sandbox.requests.filter((r) => r.provider === 'joggai' && r.method === 'POST').length;
		const result = await n8n(target, userFolder, ['execute', '--id=lipsyncExample01', '--rawOutput']);
		expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
		const out = parseRun(result.stdout).data.resultData.runData['Make the speaker talk']![0]!.data!.main[0]![0]!;
		expect(out.json).toMatchObject({ provider: 'joggai', status: 'completed', id: expect.any(String), resultUrl: expect.stringMatching(/^http/) });
		expect(sandbox.requests.filter((r) => r.provider === 'joggai' && r.method === 'POST').length - before).toBe(1);
		// n8n's own credential handling sent the key (from the encrypted credential the CLI imported).
		expect(sandbox.requests.filter((r) => r.provider === 'joggai').at(-1)!.headers['x-api-key']).toBe('sandbox-key');
	}, CLI_TEST_TIMEOUT);

	it.skipIf(skip)('example 02: Create, then Wait for the job by its id', async () => {
		const result = await n8n(target, userFolder, ['execute', '--id=lipsyncExample02', '--rawOutput']);
		expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
		const runData = parseRun(result.stdout).data.resultData.runData;
		const created = runData['Start the job']![0]!.data!.main[0]![0]!.json;
		const collected = runData['Collect the video']![0]!.data!.main[0]![0]!.json;
		expect(collected).toMatchObject({ id: created.id, provider: 'akool', status: 'completed', resultUrl: expect.stringMatching(/^http/) });
	}, CLI_TEST_TIMEOUT);

	it.skipIf(skip)('example 03: a voice file in (binary upload), the video file out (binary)', async () => {
		const result = await n8n(target, userFolder, ['execute', '--id=lipsyncExample03', '--rawOutput']);
		expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
		const out = parseRun(result.stdout).data.resultData.runData['Make the speaker talk']![0]!.data!.main[0]![0]!;
		expect(out.json.status).toBe('completed');
		expect(out.binary?.video).toMatchObject({ mimeType: expect.stringMatching(/^video\//) });
		expect(sandbox.requests.some((r) => r.provider === 'joggai' && r.path === '/v2/upload/asset')).toBe(true);
	}, CLI_TEST_TIMEOUT);

	it.skipIf(skip)('example 04: a script spoken (Generate Speech), its audio URL lip-synced, the video file out', async () => {
		const result = await n8n(target, userFolder, ['execute', '--id=lipsyncExample04', '--rawOutput']);
		expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
		const runData = parseRun(result.stdout).data.resultData.runData;
		const speech = runData['Speak the script']![0]!.data!.main[0]![0]!.json;
		const out = runData['Make the speaker talk']![0]!.data!.main[0]![0]!;
		expect(speech).toMatchObject({ voiceId: 'sandbox-voice-anna', audioUrl: expect.stringMatching(/\/speech\/[0-9a-f]+\.wav$/) });
		expect(out.json).toMatchObject({ provider: 'fishaudio-open', status: 'completed' });
		expect(out.binary?.video).toMatchObject({ mimeType: expect.stringMatching(/^video\//) });
		const tts = sandbox.requests.filter((r) => r.provider === 'fishaudio-open' && r.path === '/api/open/tts').at(-1)!;
		expect(tts.headers.authorization).toBe('Bearer sandbox-key');
		expect(tts.body).toMatchObject({ reference_id: 'sandbox-voice-anna', cache: true });
		const create = sandbox.requests.filter((r) => r.provider === 'fishaudio-open' && r.path === '/api/open/lip-sync/create').at(-1)!;
		expect((create.body as { audio_url: string }).audio_url).toBe(speech.audioUrl);
	}, CLI_TEST_TIMEOUT);

	it.skipIf(skip)('a wrong API key fails the execution with the provider error and without the key', async () => {
		const result = await n8n(target, userFolder, ['execute', '--id=lipsyncBadKey01', '--rawOutput']);
		expect(result.code).toBe(1);
		const text = `${result.stdout}\n${result.stderr}`;
		expect(text).toMatch(/JoggAI/);
		expect(text).not.toContain(BAD_KEY);
	}, CLI_TEST_TIMEOUT);
});
