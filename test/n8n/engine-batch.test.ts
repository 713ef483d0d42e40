// Batches in n8n's real engine: every item of a waiting operation is in flight at once (creates paced only by the
// provider's rate limit), and the output keeps order, pairing and each item's own job id, also on errors, Continue
// On Fail and Stop. Nothing here is timed: the checks read which requests the sandbox received, and in what order.
import { describe, expect, it, vi } from 'vitest';
import type { ProviderId, Sandbox, SandboxJob } from '../../src/sandbox/types';
import { runNode, startNode } from './support/engine';
import { credentialsFor, media, params } from './support/fixtures';
import { useSandbox } from './support/sandbox';

// 100 jobs through n8n's engine on a shared 2-core machine: generous, never a measure of speed.
vi.setConfig({ testTimeout: 180_000 });

let sandbox: Sandbox;
useSandbox({ jobDurationMs: 150 }, (s) => (sandbox = s));

const FROM_JSON = { videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}' };
const creates = (provider: ProviderId) => sandbox.requests.filter((r) => r.provider === provider && r.method === 'POST');
const until = async (check: () => boolean, what: string) => {
	for (let i = 0; i < 2400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
	if (!check()) throw new Error(`never happened: ${what}`);
};
/** The jobs of one run, by the item tag their video URL carries ("<run>-<item index>"). */
function jobsByItem(provider: ProviderId, run: string): Map<number, SandboxJob> {
	const out = new Map<number, SandboxJob>();
	for (const job of sandbox.listJobs(provider)) {
		const tag = new URL(job.videoUrl ?? 'http://x/').searchParams.get('tag') ?? '';
		if (tag.startsWith(`${run}-`)) out.set(Number(tag.slice(run.length + 1)), job);
	}
	return out;
}

describe('a 100-item Create and Wait batch', () => {
	it('outputs every item in input order, paired with its input and carrying the job created from it', async () => {
		const provider = 'fishaudio-open';
		// Later items finish first (durations fall from 3 s to 1 s), so the order is the node's doing, not the provider's.
		const input = Array.from({ length: 100 }, (_, i) => ({ json: media(sandbox, { tag: `order-${i}`, durationMs: 1_000 + (99 - i) * 20 }) }));
		const before = creates(provider).length;
		const { status, items, error } = await runNode({
			parameters: params(provider, 'createAndWait', { ...FROM_JSON, options: { pollIntervalSeconds: 0.5 } }),
			credentials: credentialsFor(sandbox, provider),
			input,
		});
		expect(error).toBeUndefined();
		expect(status).toBe('success');
		expect(items).toHaveLength(100);
		const jobs = jobsByItem(provider, 'order');
		expect(jobs.size).toBe(100);
		expect(creates(provider).length - before).toBe(100);
		items.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			expect(item.json).toMatchObject({ id: jobs.get(i)!.id, status: 'completed' });
		});
	});

	it('with Continue On Fail, keeps order and pairing, and each failed item names its own job', async () => {
		const provider = 'fishaudio-v1';
		const input = Array.from({ length: 100 }, (_, i) => ({
			json: i === 5 ? { videoUrl: 'not a url', audioUrl: media(sandbox).audioUrl } : media(sandbox, { tag: `cof-${i}`, fail: i % 10 === 3, durationMs: 300 }),
		}));
		const { status, items } = await runNode({
			parameters: params(provider, 'createAndWait', { ...FROM_JSON, options: { pollIntervalSeconds: 0.25 } }),
			credentials: credentialsFor(sandbox, provider),
			input,
			continueOnFail: true,
		});
		expect(status).toBe('success');
		expect(items).toHaveLength(100);
		const jobs = jobsByItem(provider, 'cof');
		expect(jobs.size).toBe(99);
		items.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			if (i === 5) expect(item.json.error).toMatchObject({ code: 'INVALID_INPUT', field: 'videoUrl' });
			else if (i % 10 === 3) expect(item.json.error).toMatchObject({ code: 'JOB_FAILED', jobId: jobs.get(i)!.id });
			else expect(item.json).toMatchObject({ id: jobs.get(i)!.id, status: 'completed' });
		});
	});

	it('with Continue On Fail, a timeout gives each item its own job id and last status', async () => {
		const provider = 'joggai';
		const input = Array.from({ length: 15 }, (_, i) => ({ json: media(sandbox, { tag: `timeout-${i}`, durationMs: 600_000 }) }));
		const { status, items } = await runNode({
			parameters: params(provider, 'createAndWait', { ...FROM_JSON, timeoutMinutes: 0.01 }),
			credentials: credentialsFor(sandbox, provider),
			input,
			continueOnFail: true,
		});
		expect(status).toBe('success');
		const jobs = jobsByItem(provider, 'timeout');
		expect(jobs.size).toBe(15);
		items.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			expect(item.json.error).toMatchObject({ code: 'TIMEOUT', jobId: jobs.get(i)!.id });
			expect(['queued', 'processing']).toContain((item.json.error as { lastStatus?: string }).lastStatus);
		});
	});

	it('without Continue On Fail, stops at the first failure and its error names every job the batch created', async () => {
		const provider = 'fishaudio-open';
		const input = Array.from({ length: 60 }, (_, i) => ({ json: media(sandbox, { tag: `stop-on-error-${i}`, fail: i === 7, durationMs: i === 7 ? 200 : 600_000 }) }));
		const before = creates(provider).length;
		const { status, error } = await runNode({
			parameters: params(provider, 'createAndWait', { ...FROM_JSON, options: { pollIntervalSeconds: 0.25 } }),
			credentials: credentialsFor(sandbox, provider),
			input,
		});
		expect(status).toBe('error');
		expect(error?.description).toContain('Error code: JOB_FAILED');
		const jobs = jobsByItem(provider, 'stop-on-error');
		// Every create that was sent made a job (none sent twice), and every one of those jobs is named.
		expect(creates(provider).length - before).toBe(jobs.size);
		expect(jobs.size).toBeGreaterThan(1);
		const text = `${error?.message}\n${error?.description}`;
		for (const [i, job] of jobs) expect(text, `item ${i}`).toContain(job.id);
	});

	it('has every job in flight at once, and a Stop names all 100 created jobs (none re-created, polling ends)', async () => {
		const provider = 'akool';
		const input = Array.from({ length: 100 }, (_, i) => ({ json: media(sandbox, { tag: `cancel-${i}`, durationMs: 600_000 }) }));
		const before = creates(provider).length;
		const execution = await startNode({
			parameters: params(provider, 'createAndWait', { ...FROM_JSON, options: { pollIntervalSeconds: 5 } }),
			credentials: credentialsFor(sandbox, provider),
			input,
		});
		// With a slot count (the old "Parallel Jobs" of 4), only 4 of these 10-minute jobs would ever be created here.
		await until(() => jobsByItem(provider, 'cancel').size === 100, 'all 100 creates while no job has finished');
		execution.cancel();
		const settled = await execution.settled;
		expect(settled.status).toBe('canceled');
		for (const [i, job] of jobsByItem(provider, 'cancel')) expect(settled.error?.description, `item ${i}`).toContain(`${job.id} (item ${i})`);
		expect(creates(provider).length - before).toBe(100);
	});
});

describe('a Stop while creates are on the wire', () => {
	it('lets those creates answer, so the error names the jobs they made', async () => {
		const provider = 'chamelaion';
		// The creates make their jobs at once but answer 1 s late, so the Stop lands while they are on the wire.
		sandbox.injectFault({ kind: 'slow', provider, method: 'POST', count: 3 });
		const input = Array.from({ length: 3 }, (_, i) => ({ json: media(sandbox, { tag: `wire-${i}`, durationMs: 600_000 }) }));
		const execution = await startNode({ parameters: params(provider, 'createAndWait', FROM_JSON), credentials: credentialsFor(sandbox, provider), input });
		await until(() => jobsByItem(provider, 'wire').size === 3, 'the three jobs at the provider');
		execution.cancel();
		const settled = await execution.settled;
		expect(settled.status).toBe('canceled');
		for (const [i, job] of jobsByItem(provider, 'wire')) expect(settled.error?.description, `item ${i}`).toContain(`${job.id} (item ${i})`);
	});
});

describe('a Wait for Job batch', () => {
	it('polls every job at once, and a Stop ends it without creating anything', async () => {
		const provider = 'fishaudio-open';
		const made = await runNode({
			parameters: params(provider, 'create', FROM_JSON),
			credentials: credentialsFor(sandbox, provider),
			input: Array.from({ length: 30 }, (_, i) => ({ json: media(sandbox, { tag: `wait-${i}`, durationMs: 600_000 }) })),
		});
		expect(made.status).toBe('success');
		const ids = made.items.map((item) => String(item.json.id));
		expect(ids).toEqual([...jobsByItem(provider, 'wait')].sort(([a], [b]) => a - b).map(([, job]) => job.id));
		const createsBefore = creates(provider).length;
		const polled = () => ids.filter((id) => sandbox.requests.some((r) => r.provider === provider && r.method === 'GET' && r.url.includes(id))).length;
		const execution = await startNode({
			parameters: params(provider, 'wait', { jobId: '={{ $json.id }}', options: { pollIntervalSeconds: 5 } }),
			credentials: credentialsFor(sandbox, provider),
			input: made.items.map((item) => ({ json: item.json })),
		});
		await until(() => polled() === 30, 'a status request for each of the 30 ten-minute jobs');
		execution.cancel();
		const settled = await execution.settled;
		expect(settled.status).toBe('canceled');
		expect(creates(provider).length).toBe(createsBefore);
	});
});

describe('Parallel Jobs', () => {
	it('caps the jobs rendering at once: a create goes out only when an earlier job of the run has ended', async () => {
		const provider = 'joggai';
		const input = Array.from({ length: 9 }, (_, i) => ({ json: media(sandbox, { tag: `cap-${i}`, durationMs: 300 }) }));
		const { status, items } = await runNode({
			parameters: params(provider, 'createAndWait', { ...FROM_JSON, options: { parallel: 3 } }),
			credentials: credentialsFor(sandbox, provider),
			input,
		});
		expect(status).toBe('success');
		expect(items.map((i) => i.pairedItem)).toEqual(input.map((_, i) => ({ item: i })));
		const jobs = [...jobsByItem(provider, 'cap').values()];
		expect(jobs).toHaveLength(9);
		// A job is in flight from its create until the poll that saw it end (the sandbox's request log).
		const lastPoll = (id: string) => Math.max(...sandbox.requests.filter((r) => r.provider === provider && r.method === 'GET' && r.url.includes(id)).map((r) => r.at));
		const spans = jobs.map((j) => ({ from: j.createdAt, to: lastPoll(j.id) }));
		for (const s of spans) expect(spans.filter((o) => o.from <= s.from && o.to > s.from).length).toBeLessThanOrEqual(3);
	});
});
