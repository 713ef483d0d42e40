// The Lip Sync Trigger (n8n's poll() model) run in n8n's own PollContext against the sandbox: each finished job once,
// across polls and across a restart (the static data carried as n8n stores it), with its filters and downloads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLipSyncClient } from '../../src';
import type { ProviderId, Sandbox } from '../../src/sandbox/types';
import { PKG_ROOT, pollTrigger, runNode } from './support/engine';
import { GOOD_KEY, credentialsFor, media, until } from './support/fixtures';
import { useSandbox } from './support/sandbox';

let sandbox: Sandbox;
useSandbox({ jobDurationMs: 100 }, (s) => (sandbox = s));

const LISTING: ProviderId[] = ['chamelaion', 'fishaudio-open', 'fishaudio-v1'];


function creator(provider: ProviderId) {
	const client = createLipSyncClient({ provider, apiKey: GOOD_KEY, baseUrl: sandbox.baseUrl(provider) });
	return async (hints: { durationMs?: number; fail?: boolean } = {}, referenceId?: string) =>
		(await client.createJob({ ...media(sandbox, hints), ...(referenceId ? { referenceId } : {}) })).id;
}
const finished = (provider: ProviderId, id: string) => ['completed', 'failed'].includes(sandbox.getJob(provider, id)?.status ?? '');

describe.each(LISTING)('%s', (provider) => {
	const poll = (parameters: Record<string, unknown>, staticData?: Record<string, unknown>, mode?: 'trigger' | 'manual') =>
		pollTrigger({ parameters: { provider, ...parameters }, credentials: credentialsFor(sandbox, provider), staticData, mode });

	it('emits each job that finished since the last poll exactly once, across polls and a restart; never one that finished before', async () => {
		const create = creator(provider);
		const before = await create({ durationMs: 0 });
		await until(() => finished(provider, before), 'the old job');

		const first = await poll({ triggerOn: 'finished' });
		expect(first.items).toEqual([]);

		const quick = await create({ durationMs: 50 });
		const failing = await create({ durationMs: 50, fail: true });
		const slow = await create({ durationMs: 2_500 });
		await until(() => finished(provider, quick) && finished(provider, failing), 'the quick jobs');
		const emitted: string[] = [];
		const second = await poll({ triggerOn: 'finished' }, first.staticData);
		emitted.push(...second.items.map((i) => i.json.id as string));
		expect(emitted).toEqual(expect.arrayContaining([quick, failing]));
		const third = await poll({ triggerOn: 'finished' }, second.staticData);
		emitted.push(...third.items.map((i) => i.json.id as string));
		// A restart: n8n reads the static data back from its database.
		const stored = JSON.parse(JSON.stringify(third.staticData));
		await until(() => finished(provider, slow), 'the slow job');
		const afterRestart = await poll({ triggerOn: 'finished' }, stored);
		emitted.push(...afterRestart.items.map((i) => i.json.id as string));
		const last = await poll({ triggerOn: 'finished' }, afterRestart.staticData);
		emitted.push(...last.items.map((i) => i.json.id as string));

		expect(emitted.sort()).toEqual([quick, failing, slow].sort());
		const job = [...second.items, ...third.items, ...afterRestart.items].find((i) => i.json.id === failing)!.json;
		expect(job).toMatchObject({ provider, status: 'failed', error: expect.any(Object) });
	});

	it('Trigger On: completed jobs only, or failed jobs only', async () => {
		const create = creator(provider);
		const base = await poll({ triggerOn: 'completed' });
		const baseFailed = await poll({ triggerOn: 'failed' });
		const ok = await create({ durationMs: 0 });
		const bad = await create({ durationMs: 0, fail: true });
		await until(() => finished(provider, ok) && finished(provider, bad), 'both jobs');
		const completed = await poll({ triggerOn: 'completed' }, base.staticData);
		expect(completed.items.map((i) => i.json.id)).toEqual([ok]);
		expect(completed.items[0]!.json.resultUrl).toMatch(/^https?:\/\//);
		const failed = await poll({ triggerOn: 'failed' }, baseFailed.staticData);
		expect(failed.items.map((i) => i.json.id)).toEqual([bad]);
	});

	it('Download Result puts the video in a binary field; Fetch Test Event shows the newest finished job', async () => {
		const create = creator(provider);
		const base = await poll({ triggerOn: 'completed' });
		const id = await create({ durationMs: 0 });
		await until(() => finished(provider, id), 'the job');
		const { items } = await poll({ triggerOn: 'completed', options: { download: true, binaryPropertyName: 'video' } }, base.staticData);
		expect(items.map((i) => i.json.id)).toEqual([id]);
		expect(items[0]!.binary?.video).toMatchObject({ mimeType: 'video/mp4', fileName: `lipsync-${id}.mp4` });
		const sample = await poll({ triggerOn: 'completed' }, undefined, 'manual');
		expect(sample.items.map((i) => i.json.id)).toEqual([id]);
	});
});

it('Chamelaion: only jobs whose reference id starts with the prefix', async () => {
	const create = creator('chamelaion');
	const params = { triggerOn: 'completed', referenceIdPrefix: 'batch-7-' };
	const base = await pollTrigger({ parameters: { provider: 'chamelaion', ...params }, credentials: credentialsFor(sandbox, 'chamelaion') });
	const mine = await create({ durationMs: 0 }, 'batch-7-001');
	const other = await create({ durationMs: 0 }, 'batch-8-001');
	await until(() => finished('chamelaion', mine) && finished('chamelaion', other), 'both jobs');
	const { items } = await pollTrigger({ parameters: { provider: 'chamelaion', ...params }, credentials: credentialsFor(sandbox, 'chamelaion'), staticData: base.staticData });
	expect(items.map((i) => i.json.id)).toEqual([mine]);
	expect(items[0]!.json.referenceId).toBe('batch-7-001');
});

it('the example pair: part 1 creates reference-tagged jobs and returns, part 2 emits each of them once when finished, with the video', async () => {
	const read = (name: string) =>
		JSON.parse(readFileSync(join(PKG_ROOT, 'examples-n8n', name), 'utf8').replaceAll('http://127.0.0.1:4010', sandbox.url)) as { nodes: { type: string; parameters: Record<string, unknown> }[] };
	const createNode = read('06 - Scheduled batch, part 1 - create the jobs and return.json').nodes.find((n) => n.type.endsWith('.lipSync'))!;
	const triggerNode = read('07 - Scheduled batch, part 2 - each finished video.json').nodes.find((n) => n.type.endsWith('.lipSyncTrigger'))!;
	const credentials = credentialsFor(sandbox, 'chamelaion');
	const base = await pollTrigger({ parameters: triggerNode.parameters, credentials });
	// What part 1's Code node hands the Lip Sync node.
	const input = [1, 2, 3].map((n) => ({ json: { ...media(sandbox, { durationMs: 100 }), referenceId: `batch-20261201-${n}` } }));
	const created = await runNode({ parameters: createNode.parameters, credentials, input });
	expect(created.status).toBe('success');
	const ids = created.items.map((i) => i.json.id as string);
	expect(created.items.every((i) => i.json.status !== 'completed')).toBe(true); // returned at once
	const unrelated = await creator('chamelaion')({ durationMs: 0 }, 'other-1');
	await until(() => [...ids, unrelated].every((id) => finished('chamelaion', id)), 'the batch');
	const { items } = await pollTrigger({ parameters: triggerNode.parameters, credentials, staticData: base.staticData });
	expect(items.map((i) => i.json.id).sort()).toEqual([...ids].sort());
	expect(items.every((i) => i.binary?.data?.mimeType === 'video/mp4')).toBe(true);
});
