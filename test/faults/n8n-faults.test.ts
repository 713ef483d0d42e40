// Fault injection through n8n's real execution engine: a few hundred items through the Lip Sync node's
// "Create and Wait" (Continue On Fail, Parallel Jobs) on three providers, while the sandbox answers a share of
// requests with 429s (with and without Retry-After), 500/502/503, connection resets, malformed JSON, HTML error
// pages and truncated bodies, and a few requests stall past the request timeout (40 s in the node, which has no
// setting for it, so the stalls are a counted handful rather than a random share).
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type ProviderId, type Sandbox } from '../../src/sandbox';
import { loadPackage, removeUserFolder, runNode, type NodeRun } from '../n8n/support/engine';
import { credentialsFor, params } from '../n8n/support/fixtures';

const require = createRequire(import.meta.url);
const API_KEY = 'sk-live-N8NFAULTS-77aa88bb99cc00dd';
// No documented create limit on these three, so the limiter does not stretch the test to minutes.
const PROVIDERS: ProviderId[] = ['fishaudio-open', 'fishaudio-v1', 'akool'];
const PER_PROVIDER = 100;
const JOBS = PROVIDERS.length * PER_PROVIDER;
const RANDOM_KINDS = ['429', '429-retry-after', '500', '502', '503', 'reset', 'malformed-json', 'html', 'truncated'] as const;

let sandbox: Sandbox;
/** Every line n8n's logger was given while the node ran (the node logs progress at debug level). */
const logLines: unknown[] = [];

beforeAll(async () => {
	await loadPackage();
	const { Container } = require('@n8n/di');
	const { Logger } = require('@n8n/backend-common');
	const capture: Record<string, unknown> = new Proxy({}, { get: (_t, level) => (level === 'scoped' ? () => capture : (...args: unknown[]) => logLines.push([level, ...args])) });
	Container.set(Logger, capture);
	sandbox = await startSandbox({ apiKey: API_KEY, jobDurationMs: 150 });
});
afterAll(async () => {
	await sandbox?.close();
	removeUserFolder();
});

const tagOf = (url: string | undefined) => (url ? new URL(url).searchParams.get('n') : null);

describe('fault injection through the n8n engine', () => {
	it(`${JOBS} items: each ends once (completed or an error item with its job id), none created twice, no key anywhere`, async () => {
		sandbox.setFaults({ rate: 0.12, seed: 11, kinds: [...RANDOM_KINDS] });
		// Queued faults are taken first: one create and two polls hang until the request timeout.
		sandbox.injectFault({ kind: 'stall', method: 'POST', count: 1 });
		sandbox.injectFault({ kind: 'stall', method: 'GET', count: 2 });

		const runs: { provider: ProviderId; tags: number[]; run: NodeRun }[] = await Promise.all(
			PROVIDERS.map(async (provider, p) => {
				const tags = Array.from({ length: PER_PROVIDER }, (_, i) => i * PROVIDERS.length + p);
				const run = await runNode({
					parameters: params(provider, 'createAndWait', {
						videoUrl: '={{ $json.videoUrl }}',
						audioUrl: `${sandbox.url}/media/sample.wav`,
						timeoutMinutes: 2,
						options: { parallel: 20 },
					}),
					credentials: credentialsFor(sandbox, provider, API_KEY),
					input: tags.map((n) => ({ json: { n, videoUrl: `${sandbox.url}/media/sample.mp4?n=${n}` } })),
					continueOnFail: true,
				});
				return { provider, tags, run };
			}),
		);
		sandbox.setFaults(undefined);

		const jobs = sandbox.listJobs();
		const perTag = new Map<string, string[]>();
		for (const j of jobs) perTag.set(tagOf(j.videoUrl)!, [...(perTag.get(tagOf(j.videoUrl)!) ?? []), j.id]);
		expect([...perTag.values()].filter((ids) => ids.length > 1), 'an item created two jobs').toEqual([]);

		let completed = 0;
		let errors = 0;
		for (const { provider, tags, run } of runs) {
			expect(run.error?.message, run.error?.description).toBeUndefined();
			expect(run.status).toBe('success');
			// One output item per input item, in order: none lost.
			expect(run.items, provider).toHaveLength(tags.length);
			run.items.forEach((item, i) => {
				const tag = String(tags[i]);
				const [jobId] = perTag.get(tag) ?? [];
				const json = item.json as { id?: string; status?: string; error?: { message?: string; code?: string; jobId?: string } };
				if (json.status === 'completed') {
					completed++;
					expect(json.id, `item ${tag}`).toBe(jobId);
					return;
				}
				errors++;
				expect(json.error?.message, JSON.stringify(json)).toMatch(/\w{8,}/);
				expect(json.error?.code).toMatch(/^[A-Z_]+$/);
				// Once the job exists, the error names it (also in the message the user reads).
				if (jobId) {
					expect(json.error?.jobId, json.error?.message).toBe(jobId);
					expect(json.error?.message).toContain(jobId);
				}
			});
		}
		console.log(`[fault suite, n8n] ${JOBS} items: ${completed} completed, ${errors} error items; ${sandbox.requests.filter((r) => r.fault).length} faults injected`);
		expect(completed + errors).toBe(JOBS);
		expect(completed).toBeGreaterThan(JOBS * 0.8);
		expect(sandbox.requests.filter((r) => r.fault === 'stall')).toHaveLength(3);

		// The key appears nowhere the user can see: output items, run errors, n8n's log.
		const visible = JSON.stringify([runs.map((r) => [r.run.items, r.run.run.data.resultData]), logLines]);
		expect(logLines.length).toBeGreaterThan(0);
		expect(visible).not.toContain(API_KEY);
	}, 120_000);
});
