// Every created job id outlives the execution: the execution's custom data and one info line per job in n8n's log.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../src/sandbox/types';
import { runNode, startNode } from './support/engine';
import { credentialsFor, media, params, until } from './support/fixtures';
import { useSandbox } from './support/sandbox';

let sandbox: Sandbox;
useSandbox({ jobDurationMs: 150 }, (s) => (sandbox = s));

const require = createRequire(import.meta.url);
// The logger n8n gives nodes (this.logger): its info lines go to n8n's console/file log.
const { Container } = require('@n8n/di') as { Container: { get(c: unknown): Record<string, (...a: unknown[]) => void> } };
const { Logger } = require('@n8n/backend-common') as { Logger: unknown };


function captureInfo() {
	const logger = Container.get(Logger);
	return vi.spyOn(logger, 'info');
}
afterEach(() => vi.restoreAllMocks());

const createdIds = (provider: string, since: number) => sandbox.listJobs(provider as never).slice(0, Math.max(0, sandbox.listJobs(provider as never).length - since)).map((j) => j.id);

describe('job ids outlive the execution', () => {
	it('Create Job records each id in the custom data and in one info log line per job', async () => {
		const info = captureInfo();
		const input = [1, 2, 3].map(() => ({ json: media(sandbox, { durationMs: 60_000 }) }));
		const { status, items, run } = await runNode({
			parameters: params('joggai', 'create', { videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}' }),
			credentials: credentialsFor(sandbox, 'joggai'),
			input,
		});
		expect(status).toBe('success');
		const ids = items.map((i) => i.json.id as string);
		expect(ids).toHaveLength(3);
		expect(run.data.resultData.metadata).toEqual({ lipsync_jobs: ids.join(',') });
		for (const [item, id] of ids.entries()) {
			const lines = info.mock.calls.filter(([text]) => String(text).includes(id));
			expect(lines).toHaveLength(1);
			expect(lines[0]![0]).toBe(`Lip Sync: created JoggAI job ${id} (workflow test, execution 1, node "Lip Sync", item ${item})`);
			expect(lines[0]![1]).toMatchObject({ jobId: id, provider: 'joggai', itemIndex: item });
		}
	});

	it('a Stop while Create and Wait is polling keeps the id in the run data and the log', async () => {
		const info = captureInfo();
		const before = sandbox.listJobs('chamelaion').length;
		const execution = await startNode({ parameters: params('chamelaion', 'createAndWait', media(sandbox, { durationMs: 600_000 })), credentials: credentialsFor(sandbox, 'chamelaion') });
		const [jobId] = await until(() => (sandbox.listJobs('chamelaion').length > before ? createdIds('chamelaion', before) : undefined), 'the create');
		await until(() => info.mock.calls.some(([t]) => String(t).includes(jobId!)), 'the log line');
		execution.cancel();
		const settled = await execution.settled;
		expect(settled.status).toBe('canceled');
		expect(settled.run.data.resultData.metadata?.lipsync_jobs).toBe(jobId);
	});

	it('stays inside n8n custom data limits with many jobs: 4 keys of at most 255 characters, then a count', async () => {
		const input = Array.from({ length: 50 }, () => ({ json: media(sandbox, { durationMs: 60_000 }) }));
		const { status, items, run } = await runNode({
			parameters: params('fishaudio-v1', 'create', { videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}' }),
			credentials: credentialsFor(sandbox, 'fishaudio-v1'),
			input,
		});
		expect(status).toBe('success');
		const metadata = run.data.resultData.metadata ?? {};
		const keys = Object.keys(metadata);
		expect(keys.length).toBeLessThanOrEqual(5);
		for (const key of keys) expect(metadata[key]!.length).toBeLessThanOrEqual(255);
		const recorded = ['lipsync_jobs', 'lipsync_jobs_2', 'lipsync_jobs_3', 'lipsync_jobs_4'].flatMap((k) => (metadata[k] ? metadata[k]!.split(',') : []));
		const ids = items.map((i) => i.json.id as string);
		expect(recorded).toEqual(ids.slice(0, recorded.length));
		expect(Number(metadata.lipsync_jobs_more ?? 0)).toBe(ids.length - recorded.length);
	});
});
