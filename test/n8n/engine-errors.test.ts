// Failure paths in n8n's real engine: continueOnFail, job failure, timeout, Stop (cancel), bad credentials, bad
// input, credential tests. No timing is asserted; jobs are made long or short with the sandbox's URL hints.
import { describe, expect, it } from 'vitest';
import type { ProviderId, Sandbox } from '../../src/sandbox/types';
import { runNode, startNode, testCredential } from './support/engine';
import { BAD_KEY, CREDENTIAL_TYPE, PROVIDERS, credentialsFor, media, params } from './support/fixtures';
import { useSandbox } from './support/sandbox';

let sandbox: Sandbox;
useSandbox({ jobDurationMs: 150 }, (s) => (sandbox = s));

// The sandbox lists jobs newest first.
const requestsFor = (provider: ProviderId, method?: string) => sandbox.requests.filter((r) => r.provider === provider && (!method || r.method === method));
const until = async (check: () => boolean, what: string) => {
	for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
	if (!check()) throw new Error(`never happened: ${what}`);
};

describe('a job that fails at the provider', () => {
	it('stops the node with a NodeApiError naming provider, code and job id', async () => {
		const { status, error } = await runNode({ parameters: params('joggai', 'createAndWait', media(sandbox, { fail: true })), credentials: credentialsFor(sandbox, 'joggai') });
		expect(status).toBe('error');
		expect(error?.name).toBe('NodeApiError');
		const jobId = sandbox.listJobs('joggai')[0]!.id;
		expect(error?.message).toContain('JoggAI');
		expect(error?.message).toContain(jobId);
		expect(error?.description).toContain(`Job ID: ${jobId}`);
		expect(error?.description).toContain('Error code: JOB_FAILED');
	});

	it('with On Failure = Output the Job, outputs the job with its error for an IF node', async () => {
		const { status, items } = await runNode({
			parameters: params('fishaudio-open', 'createAndWait', { ...media(sandbox, { fail: true }), options: { onFailure: 'output' } }),
			credentials: credentialsFor(sandbox, 'fishaudio-open'),
		});
		expect(status).toBe('success');
		expect(items[0]!.json).toMatchObject({ id: expect.any(String), status: 'failed', error: { code: 'JOB_FAILED', jobId: items[0]!.json.id } });
		expect(items[0]!.pairedItem).toEqual({ item: 0 });
	});

	it('with Continue On Fail, gives the failing item an error object with code and job id; the others succeed', async () => {
		const input = [media(sandbox), media(sandbox, { fail: true }), { videoUrl: 'not a url', audioUrl: media(sandbox).audioUrl }].map((json) => ({ json }));
		const { status, items } = await runNode({
			parameters: params('chamelaion', 'createAndWait', { videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}' }),
			credentials: credentialsFor(sandbox, 'chamelaion'),
			input,
			continueOnFail: true,
		});
		expect(status).toBe('success');
		expect(items).toHaveLength(3);
		expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(items[0]!.json.status).toBe('completed');
		expect(items[1]!.json.error).toMatchObject({ code: 'JOB_FAILED', provider: 'chamelaion', jobId: expect.any(String) });
		expect(items[2]!.json.error).toMatchObject({ code: 'INVALID_INPUT', field: 'videoUrl' });
		expect(String((items[2]!.json.error as { message: string }).message)).toMatch(/videoUrl/);
	});

	it('gives the same item shape with Continue On Fail and with On Failure = Output the Job: job id on top, error as n8n puts it', async () => {
		const run = (extra: Record<string, unknown>, continueOnFail: boolean) =>
			runNode({ parameters: params('chamelaion', 'createAndWait', { ...media(sandbox, { fail: true }), ...extra }), credentials: credentialsFor(sandbox, 'chamelaion'), continueOnFail });
		const onFail = (await run({}, true)).items[0]!;
		const onFailJobId = sandbox.listJobs('chamelaion')[0]!.id;
		const output = (await run({ options: { onFailure: 'output' } }, false)).items[0]!;
		const outputJobId = sandbox.listJobs('chamelaion')[0]!.id;
		for (const [item, jobId] of [[onFail, onFailJobId], [output, outputJobId]] as const) {
			expect(item.json).toMatchObject({ id: jobId, provider: 'chamelaion', status: 'failed' });
			// n8n's HTTP Request node puts an object with `message` in json.error; ours adds description and codes.
			expect(item.json.error).toMatchObject({ message: expect.stringContaining('failed'), description: expect.stringContaining(`Job ID: ${jobId}`), code: 'JOB_FAILED', provider: 'chamelaion', jobId });
			expect(item.pairedItem).toEqual({ item: 0 });
		}
		expect(Object.keys(onFail.json).sort()).toEqual(Object.keys(output.json).sort());
		expect(Object.keys(onFail.json.error as object).sort()).toEqual(Object.keys(output.json.error as object).sort());
	});

	it('with Continue On Fail, an error before any job exists still names the provider, and the error object its field', async () => {
		const { items } = await runNode({ parameters: params('akool', 'create', { ...media(sandbox), videoUrl: 'not a url' }), credentials: credentialsFor(sandbox, 'akool'), continueOnFail: true });
		expect(items[0]!.json).toMatchObject({ provider: 'akool', error: { code: 'INVALID_INPUT', field: 'videoUrl', message: expect.stringMatching(/videoUrl/) } });
		expect(items[0]!.json).not.toHaveProperty('id');
	});

	it('with On Error = Continue (using error output), the failed job goes to the error output, its id in error.jobId', async () => {
		const input = [media(sandbox), media(sandbox, { fail: true })].map((json, i) => ({ json: { ...json, row: i } }));
		const { status, items, errorItems } = await runNode({
			parameters: params('joggai', 'createAndWait', { videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}' }),
			credentials: credentialsFor(sandbox, 'joggai'),
			input,
			onError: 'continueErrorOutput',
		});
		expect(status).toBe('success');
		expect(items.map((i) => i.json.status)).toEqual(['completed']);
		expect(errorItems).toHaveLength(1);
		// n8n routes only `{ error }` items there and adds the input item's fields.
		const failedId = sandbox.listJobs('joggai').find((j) => j.id !== items[0]!.json.id)!.id;
		expect(errorItems[0]!.json).toMatchObject({ row: 1, error: { code: 'JOB_FAILED', provider: 'joggai', jobId: failedId, message: expect.any(String), description: expect.stringContaining(failedId) } });
	});

	it('without Continue On Fail, the error still names the jobs the batch created, so none is lost', async () => {
		const input = [media(sandbox, { durationMs: 100 }), media(sandbox, { fail: true, durationMs: 100 }), media(sandbox, { durationMs: 60_000 })].map((json) => ({ json }));
		const before = requestsFor('akool', 'POST').length;
		const { status, error } = await runNode({
			parameters: params('akool', 'createAndWait', { videoUrl: '={{ $json.videoUrl }}', audioUrl: '={{ $json.audioUrl }}', options: { parallel: 3 } }),
			credentials: credentialsFor(sandbox, 'akool'),
			input,
		});
		expect(status).toBe('error');
		expect(error?.description).toContain('Error code: JOB_FAILED');
		const made = sandbox.listJobs('akool').slice(0, 3).map((j) => j.id);
		expect(requestsFor('akool', 'POST').length - before).toBe(3);
		for (const id of made) expect(`${error?.message}\n${error?.description}`).toContain(id);
	});
});

describe('timeout', () => {
	it('throws TIMEOUT carrying the job id, and does not cancel or re-create the job', async () => {
		const before = requestsFor('fishaudio-v1', 'POST').length;
		const { status, error } = await runNode({
			parameters: params('fishaudio-v1', 'createAndWait', { ...media(sandbox, { durationMs: 600_000 }), timeoutMinutes: 0.003 }),
			credentials: credentialsFor(sandbox, 'fishaudio-v1'),
		});
		expect(status).toBe('error');
		const job = sandbox.listJobs('fishaudio-v1')[0]!;
		expect(error?.message).toContain(job.id);
		expect(error?.description).toContain('Error code: TIMEOUT');
		expect(error?.description).toMatch(/Wait for Job|Get Job/);
		expect(requestsFor('fishaudio-v1', 'POST').length - before).toBe(1);
		expect(requestsFor('fishaudio-v1', 'DELETE')).toHaveLength(0);
		expect(sandbox.getJob('fishaudio-v1', job.id)?.status).not.toBe('failed');
	});

	it('with On Failure = Output the Job, outputs the id and last status to pick it up later', async () => {
		const { status, items } = await runNode({
			parameters: params('akool', 'createAndWait', { ...media(sandbox, { durationMs: 600_000 }), timeoutMinutes: 0.003, options: { onFailure: 'output' } }),
			credentials: credentialsFor(sandbox, 'akool'),
		});
		expect(status).toBe('success');
		expect(items[0]!.json).toMatchObject({ id: expect.any(String), error: { code: 'TIMEOUT', jobId: items[0]!.json.id } });
		expect(['queued', 'processing']).toContain(items[0]!.json.status);
	});
});

describe('Stop (the execution cancel signal)', () => {
	it('ends a wait: the engine finishes, polling stops, and the job was created once', async () => {
		const provider = 'chamelaion';
		const createsBefore = requestsFor(provider, 'POST').length;
		const execution = await startNode({ parameters: params(provider, 'createAndWait', media(sandbox, { durationMs: 600_000 })), credentials: credentialsFor(sandbox, provider) });
		await until(() => requestsFor(provider, 'POST').length > createsBefore, 'the create');
		const jobId = sandbox.listJobs(provider)[0]!.id;
		const polls = () => sandbox.requests.filter((r) => r.provider === provider && r.method === 'GET' && r.path.includes(jobId)).length;
		await until(() => polls() >= 2, 'two status polls');
		execution.cancel();
		expect((await execution.finished).status).toBe('canceled');
		// The node itself returned (its wait did not run on for the job's 10 minutes)...
		const settled = await execution.settled;
		expect(settled.status).toBe('canceled');
		// ...and no poll is sent after that.
		const after = polls();
		await new Promise((r) => setTimeout(r, 300));
		expect(polls()).toBe(after);
		expect(requestsFor(provider, 'POST').length - createsBefore).toBe(1);
	});
	it('ends the sleep between two polls at once (a 10-minute poll interval does not hold the node)', async () => {
		const provider = 'akool';
		const createsBefore = requestsFor(provider, 'POST').length;
		const execution = await startNode({
			parameters: params(provider, 'createAndWait', { ...media(sandbox, { durationMs: 600_000 }), options: { pollIntervalSeconds: 600 } }),
			credentials: credentialsFor(sandbox, provider),
		});
		await until(() => requestsFor(provider, 'POST').length > createsBefore, 'the create');
		execution.cancel();
		const settled = await execution.settled;
		expect(settled.status).toBe('canceled');
		expect(settled.error?.description).toContain(sandbox.listJobs(provider)[0]!.id);
	});
});

describe('bad credentials', () => {
	it.each(PROVIDERS)('%s: AUTH_FAILED as a NodeApiError that never shows the key', async (provider) => {
		const { status, error } = await runNode({ parameters: params(provider, 'createAndWait', media(sandbox)), credentials: credentialsFor(sandbox, provider, BAD_KEY) });
		expect(status).toBe('error');
		expect(error?.name).toBe('NodeApiError');
		expect(error?.description).toContain('Error code: AUTH_FAILED');
		expect(error?.description).toMatch(/credential/);
		expect(JSON.stringify({ message: error?.message, description: error?.description, context: error?.context })).not.toContain(BAD_KEY);
	});

	it('with Continue On Fail, the error item carries the code and no key', async () => {
		const { status, items } = await runNode({ parameters: params('akool', 'get', { jobId: 'abc' }), credentials: credentialsFor(sandbox, 'akool', BAD_KEY), continueOnFail: true });
		expect(status).toBe('success');
		expect(items[0]!.json.error).toMatchObject({ code: 'AUTH_FAILED', provider: 'akool', providerCode: expect.anything() });
		expect(JSON.stringify(items)).not.toContain(BAD_KEY);
	});

	it('an account without credits gets INSUFFICIENT_CREDITS', async () => {
		const { error } = await runNode({ parameters: params('joggai', 'create', media(sandbox)), credentials: credentialsFor(sandbox, 'joggai', 'sandbox-no-credits') });
		expect(error?.description).toContain('Error code: INSUFFICIENT_CREDITS');
	});
});

describe('bad input', () => {
	it('an empty video URL is a NodeOperationError with the item index, naming the field, and sends nothing', async () => {
		const before = sandbox.requests.length;
		const { status, error } = await runNode({
			parameters: params('fishaudio-open', 'createAndWait', { videoUrl: '={{ $json.v }}', audioUrl: media(sandbox).audioUrl }),
			credentials: credentialsFor(sandbox, 'fishaudio-open'),
			input: [{ json: { v: media(sandbox).videoUrl } }, { json: { v: '' } }],
		});
		expect(status).toBe('error');
		expect(error?.name).toBe('NodeOperationError');
		expect(error?.message).toMatch(/videoUrl/);
		expect(error?.context?.itemIndex).toBe(1);
		expect(sandbox.requests.slice(before).filter((r) => r.method === 'POST')).toHaveLength(1);
	});

	it('an unknown job id is NOT_FOUND with the id in the message', async () => {
		const { error } = await runNode({ parameters: params('fishaudio-v1', 'get', { jobId: 'does-not-exist' }), credentials: credentialsFor(sandbox, 'fishaudio-v1') });
		expect(error?.name).toBe('NodeApiError');
		expect(error?.message).toContain('does-not-exist');
		expect(error?.description).toContain('Error code: NOT_FOUND');
		expect(error?.httpCode).toBe('404');
	});

	it('a base URL that is not a URL is named as such', async () => {
		const { error } = await runNode({ parameters: params('akool', 'get', { jobId: 'x' }), credentials: { [CREDENTIAL_TYPE.akool]: { apiKey: 'k-123456', baseUrl: 'openapi akool' } } });
		expect(error?.name).toBe('NodeOperationError');
		expect(error?.message).toMatch(/baseUrl/);
	});
});

describe('credential tests (the Test button)', () => {
	it.each(PROVIDERS)('%s: a good key passes, a wrong key fails', async (provider) => {
		const type = CREDENTIAL_TYPE[provider];
		const good = await testCredential(type, { apiKey: 'sandbox-key', baseUrl: sandbox.baseUrl(provider) });
		expect(good).toEqual({ status: 'OK', message: 'Connection successful!' });
		const bad = await testCredential(type, { apiKey: BAD_KEY, baseUrl: sandbox.baseUrl(provider) });
		expect(bad.status).toBe('Error');
		expect(bad.message).not.toContain(BAD_KEY);
	});

	it('sends the same request the core uses to check a key', async () => {
		sandbox.clearRequests();
		await testCredential(CREDENTIAL_TYPE.akool, { apiKey: 'sandbox-key', baseUrl: `${sandbox.baseUrl('akool')}/` });
		const [request] = sandbox.requests;
		expect(request).toMatchObject({ method: 'GET', path: '/api/open/v3/content/video/infobymodelid', headers: { 'x-api-key': 'sandbox-key' } });
	});
});
