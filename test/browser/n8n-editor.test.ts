// The Lip Sync node in n8n's real editor, driven in headless Chromium, on n8n 2.8.4 (Node 22) and n8n 2.41.1
// (Node 24): the packed package installed as a community package into a fresh `n8n start`, credentials imported
// with `n8n import:credentials`, everything else done by clicking, as a user does:
//  - the node is found by searching the nodes panel and added from its actions list;
//  - every provider and every operation can be chosen in the panel, and each shows its own fields;
//  - both sources switch to Binary File (with their field names) and back; the storage switch and its credential;
//  - a credential is picked from the list, opened and tested;
//  - the node runs against the sandbox and the output panel shows the finished job;
//  - a run stopped with the Stop button keeps the created job's ID in the stored execution.
// On failure each story leaves a screenshot under .ci/results/.
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { selectors } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox';
import type { Sandbox } from '../../src/sandbox/types';
import { TARGETS, type CliTarget, installCommunityPackage, n8n, n8nBin, newUserFolder, packPackage } from '../n8n/support/cli';
import { startN8nServer, until, type N8nServer } from '../n8n/support/server';
import { missing } from '../n8n/support/tools';
import { browserMissing, inCi, openBrowser, story, type BrowserSession } from './support/browser';
import { choose, closePanel, offered, openPanel, pickCredential, shownParameters, shownValue, type } from './support/n8n-ui';

const only = process.env.LIPSYNC_BROWSER_N8N; // e.g. "2.8" to run one n8n line while working on the suite
const targets = TARGETS.filter((t) => !only || t.label.includes(only));
const why = (t: CliTarget) => browserMissing() ?? missing([n8nBin(t), t.node], t.label);
for (const t of targets) if (why(t) && !inCi) console.warn(`[n8n editor] ${t.label} skipped: ${why(t)}`);

const OWNER = { email: 'owner@example.com', firstName: 'Olga', lastName: 'Owner', password: 'Passw0rd!lipsync' };
const SANDBOX_KEY = 'sandbox-key';
const STORY_TIMEOUT = 180_000;
const PROVIDER_NAMES: Record<string, string> = {
	akool: 'Akool',
	chamelaion: 'Chamelaion',
	'fishaudio-open': 'Fish Audio (open API)',
	'fishaudio-v1': 'Fish Audio (v1 API)',
	joggai: 'JoggAI',
};
const CREDENTIAL_NAMES: Record<string, string> = {
	akool: 'Akool Lip Sync API',
	chamelaion: 'Chamelaion Lip Sync API',
	'fishaudio-open': 'Fish Audio Open Lip Sync API',
	'fishaudio-v1': 'Fish Audio V1 Lip Sync API',
	joggai: 'JoggAI Lip Sync API',
};

selectors.setTestIdAttribute('data-test-id');

let sandbox: Sandbox;
let nodesDir = '';
const temp: string[] = [];

beforeAll(async () => {
	if (targets.every((t) => why(t) && !inCi)) return;
	sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 1500 });
	const tarball = await packPackage();
	nodesDir = await installCommunityPackage(tarball);
	temp.push(dirname(tarball), dirname(nodesDir));
}, 240_000);

afterAll(async () => {
	await sandbox?.close();
	for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

describe.each(targets)('the Lip Sync node in the n8n editor ($label)', (target: CliTarget) => {
	const skip = Boolean(why(target)) && !inCi;
	let server: N8nServer | undefined;
	let session: BrowserSession;
	let page: Page;

	beforeAll(async () => {
		if (skip) return;
		const problem = why(target);
		if (problem) throw new Error(problem);
		const userFolder = newUserFolder(nodesDir);
		temp.push(userFolder);
		const credentials = [
			{ id: 'lsBrowserJoggAi01', name: 'JoggAI sandbox', type: 'lipSyncKitJoggAiApi', data: { apiKey: SANDBOX_KEY, baseUrl: sandbox.baseUrl('joggai') } },
			{ id: 'lsBrowserAkool001', name: 'Akool sandbox', type: 'lipSyncKitAkoolApi', data: { apiKey: SANDBOX_KEY, baseUrl: sandbox.baseUrl('akool') } },
		];
		writeFileSync(join(userFolder, 'credentials.json'), JSON.stringify(credentials));
		const imported = await n8n(target, userFolder, ['import:credentials', `--input=${join(userFolder, 'credentials.json')}`]);
		expect(imported.code, `${imported.stdout}\n${imported.stderr}`).toBe(0);
		server = await startN8nServer(target, userFolder);
		const owner = await fetch(`${server.base}/rest/owner/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OWNER) });
		expect(owner.status, await owner.text()).toBe(200);
		session = await openBrowser();
		page = session.page;
		const login = await session.context.request.post(`${server.base}/rest/login`, { data: { emailOrLdapLoginId: OWNER.email, email: OWNER.email, password: OWNER.password } });
		expect(login.status()).toBe(200);
	}, 240_000);

	afterAll(async () => {
		await session?.close();
		await server?.stop();
	});

	it.skipIf(skip)('finds the node in the nodes panel and adds it from its actions', async () => {
		await story(session, `n8n-${target.label}-add-node`, async () => {
			await page.goto(`${server!.base}/workflow/new`);
			await page.getByTestId('canvas-plus-button').click();
			await page.getByTestId('node-creator-search-bar').fill('lip sync');
			await page.getByTestId('item-iterator-item').filter({ hasText: /^\s*Lip Sync(?!\s*Akool)/ }).first().click();
			// With the Lip Sync Trigger in the package, n8n lists both under one "Lip Sync" entry (as Airtable and its
			// trigger) and may open it on the triggers: the actions are then one click on "Actions (N)" away.
			const action = page.getByTestId('item-iterator-item').filter({ hasText: 'Create a lip-sync job and wait for the video' }).first();
			const actionsHeader = page.getByText(/^\s*Actions \(\d+\)\s*$/).first();
			await action.or(actionsHeader).first().waitFor({ timeout: 30_000 });
			if (!(await action.isVisible())) await actionsHeader.click();
			await action.click();
			await expect.poll(() => shownParameters(page), { timeout: 30_000 }).toContain('operation');
			// Every choice a core node shows: provider, resource, operation, both sources.
			expect(await shownParameters(page)).toEqual(expect.arrayContaining(['provider', 'resource', 'operation', 'videoSource', 'videoUrl', 'audioSource', 'audioUrl']));
			expect(await shownValue(page, 'operation')).toBe('Create and Wait');
			expect(await shownValue(page, 'resource')).toBe('Job');
		});
	}, STORY_TIMEOUT);

	it.skipIf(skip)('switches through every provider and every operation, each showing its own fields', async () => {
		await story(session, `n8n-${target.label}-providers-operations`, async () => {
			for (const [id, name] of Object.entries(PROVIDER_NAMES)) {
				await choose(page, 'provider', name);
				// The credential selector follows the provider.
				await expect.poll(() => page.getByTestId('credentials-label').first().innerText()).toContain(CREDENTIAL_NAMES[id]!);
				// n8n adds its own "Custom API Call" to nodes whose credentials can sign any request.
				const operations = (await offered(page, 'operation')).filter((o) => o !== 'Custom API Call');
				expect(operations, `operations offered for ${name}`).toEqual(id === 'akool' ? ['Create', 'Create and Wait', 'Get', 'Wait'] : ['Create', 'Create and Wait', 'Get', 'Get Many', 'Wait']);
				for (const op of operations) {
					await choose(page, 'operation', op);
					const shown = await shownParameters(page);
					if (op.startsWith('Create')) expect(shown, `${name} ${op}`).toEqual(expect.arrayContaining(['videoSource', 'audioSource', 'videoUrl', 'audioUrl']));
					if (op === 'Get' || op === 'Wait') expect(shown, `${name} ${op}`).toContain('jobId');
					if (op === 'Create and Wait' || op === 'Wait') expect(shown, `${name} ${op}`).toContain('timeoutMinutes');
					if (op === 'Get Many') expect(shown, `${name} ${op}`).toEqual(expect.arrayContaining(id === 'joggai' ? ['videoUrl', 'audioUrl'] : ['returnAll', 'limit']));
					if (op.startsWith('Create') && id === 'akool') expect(shown).toContain('webhookUrl');
					if (op.startsWith('Create') && id === 'chamelaion') expect(shown).toEqual(expect.arrayContaining(['referenceId', 'disableActiveSpeakerDetection']));
					if (op.startsWith('Create') && id === 'joggai') expect(shown).toContain('playbackType');
				}
			}
		});
	}, STORY_TIMEOUT);

	it.skipIf(skip)('switches both sources to Binary File and back, and the storage switch brings its credential', async () => {
		await story(session, `n8n-${target.label}-sources-storage`, async () => {
			await choose(page, 'provider', 'Akool');
			await choose(page, 'operation', 'Create and Wait');
			// The storage switch is there with URL sources too: it also stores the finished video (Options > Save Result).
			expect(await shownParameters(page)).toContain('useStorage');
			await choose(page, 'videoSource', 'Binary File');
			await expect.poll(() => shownParameters(page)).toEqual(expect.arrayContaining(['videoBinaryProperty', 'useStorage']));
			expect(await shownParameters(page)).not.toContain('videoUrl');
			await choose(page, 'audioSource', 'Binary File');
			await expect.poll(() => shownParameters(page)).toEqual(expect.arrayContaining(['videoBinaryProperty', 'audioBinaryProperty', 'useStorage']));
			// Storage on: its credential selector appears next to the provider's.
			await page.getByTestId('parameter-input-useStorage').click();
			// (a credential list on n8n 2.8; on 2.41 a "Connect to Lip Sync Media Storage" button while none exists)
			await expect.poll(() => page.getByTestId('credentials-label').count()).toBe(2);
			expect(await page.getByTestId('credentials-label').first().innerText()).toContain('Akool Lip Sync API');
			// Back to URLs: the binary fields go away; the switch stays (for results); switched off, its credential goes.
			await choose(page, 'videoSource', 'URL');
			await expect.poll(() => shownParameters(page)).toContain('videoUrl');
			await choose(page, 'audioSource', 'URL');
			await expect.poll(() => shownParameters(page)).toContain('audioUrl');
			const shown = await shownParameters(page);
			expect(shown).toEqual(expect.arrayContaining(['videoUrl', 'audioUrl', 'useStorage']));
			expect(shown).not.toContain('videoBinaryProperty');
			expect(shown).not.toContain('audioBinaryProperty');
			await page.getByTestId('parameter-input-useStorage').click();
			await expect.poll(() => page.getByTestId('credentials-label').count()).toBe(1);
		});
	}, STORY_TIMEOUT);

	it.skipIf(skip)('picks a credential from the list, tests it, and runs the node against the sandbox', async () => {
		await story(session, `n8n-${target.label}-credential-run`, async () => {
			await choose(page, 'provider', 'JoggAI');
			await choose(page, 'operation', 'Create and Wait');
			await pickCredential(page, 'JoggAI sandbox');
			// Open it (the pencil next to it) and test it again.
			await page.getByTestId('credential-edit-button').click();
			const modal = page.getByTestId('credential-edit-dialog');
			await modal.waitFor();
			await expect.poll(() => modal.innerText(), { timeout: 30_000 }).toMatch(/Connection tested successfully/i);
			await modal.getByText('Retry', { exact: true }).click().catch(() => undefined);
			await expect.poll(() => modal.innerText(), { timeout: 30_000 }).toMatch(/Connection tested successfully/i);
			await page.keyboard.press('Escape');
			await modal.waitFor({ state: 'hidden' });
			await openPanel(page, 'Create a lip-sync job and wait for the video');

			await type(page, 'videoUrl', `${sandbox.url}/media/sample.mp4`);
			await type(page, 'audioUrl', `${sandbox.url}/media/sample.wav`);
			await page.getByTestId('node-execute-button').first().click();
			const output = page.getByTestId('output-panel');
			await expect.poll(() => output.innerText(), { timeout: 60_000 }).toMatch(/completed/);
			const text = await output.innerText();
			expect(text).toContain('resultUrl');
			expect(text).toContain(`${sandbox.url}/results/joggai/`);
		});
	}, STORY_TIMEOUT);

	it.skipIf(skip)('keeps the created job ID with the execution of a run stopped with the Stop button', async () => {
		await story(session, `n8n-${target.label}-stop`, async () => {
			// A job the sandbox keeps running for two minutes, so the run is still waiting when it is stopped.
			await type(page, 'videoUrl', `${sandbox.url}/media/sample.mp4?sandbox_duration=120000`);
			await closePanel(page);
			// The canvas names what the node does, with the panel's words.
			expect(await page.getByTestId('canvas-node').filter({ hasText: 'lip-sync' }).first().innerText()).toContain('Create and Wait · JoggAI');
			const before = sandbox.jobCount('joggai');
			await page.getByTestId('execute-workflow-button').click();
			const job = await until(() => (sandbox.jobCount('joggai') > before ? sandbox.listJobs('joggai').find((j) => j.videoUrl?.includes('sandbox_duration=120000')) : undefined), 'the sandbox to receive the create', 60_000);
			await page.getByTestId('stop-execution-button').first().click();
			await page.getByTestId('radio-button-executions').click();
			await expect.poll(() => page.getByTestId('current-executions-list').innerText(), { timeout: 60_000 }).toMatch(/Canceled/i);
			// The stored execution, as the executions view loads it, keeps the job ID (n8n saves a stopped run
			// without the node's own output or error; the node records the IDs in the execution's custom data).
			const list = (await (await session.context.request.get(`${server!.base}/rest/executions?filter=%7B%7D`)).json()) as { data: { results: { id: string; status: string }[] } };
			const stopped = list.data.results.find((e) => e.status === 'canceled')!;
			const stored = (await (await session.context.request.get(`${server!.base}/rest/executions/${stopped.id}`)).json()) as { data: { customData?: Record<string, string> } };
			expect(stored.data.customData?.lipsync_jobs).toContain(job.id);
		});
	}, STORY_TIMEOUT);
});
