// The core's HTTP through n8n's request helpers (nodes/LipSync/transport): network failures reach the core as
// TransportFailures with the right "may the request have arrived" answer, so a create is never sent twice blindly.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ProviderId, Sandbox } from '../../src/sandbox/types';
import { runNode } from './support/engine';
import { CREDENTIAL_TYPE, credentialsFor, media, params } from './support/fixtures';
import { useSandbox } from './support/sandbox';

let sandbox: Sandbox;
useSandbox({ jobDurationMs: 150 }, (s) => (sandbox = s));

const posts = (provider: ProviderId) => sandbox.requests.filter((r) => r.provider === provider && r.method === 'POST').length;

describe('a connection reset after the provider received the create', () => {
	it('akool (no way to look a create up): fails, says the job may exist, and does not send the create again', async () => {
		const before = { posts: posts('akool'), jobs: sandbox.jobCount('akool') };
		sandbox.injectFault({ kind: 'reset', provider: 'akool', method: 'POST', after: true });
		const { status, error } = await runNode({ parameters: params('akool', 'createAndWait', media(sandbox)), credentials: credentialsFor(sandbox, 'akool') });
		expect(status).toBe('error');
		expect(error?.message).toMatch(/may have reached Akool, so it was not sent again/);
		expect(error?.description).toContain('Error code: NETWORK_ERROR');
		expect(posts('akool') - before.posts).toBe(1);
		expect(sandbox.jobCount('akool') - before.jobs).toBe(1);
	});

	it('chamelaion: finds the job by its reference id instead of creating a second one', async () => {
		const before = { posts: posts('chamelaion'), jobs: sandbox.jobCount('chamelaion') };
		sandbox.injectFault({ kind: 'reset', provider: 'chamelaion', method: 'POST', after: true });
		const { status, items, error } = await runNode({ parameters: params('chamelaion', 'createAndWait', media(sandbox)), credentials: credentialsFor(sandbox, 'chamelaion') });
		expect(error?.message, error?.description).toBeUndefined();
		expect(status).toBe('success');
		expect(items[0]!.json).toMatchObject({ status: 'completed', id: sandbox.listJobs('chamelaion')[0]!.id });
		expect(posts('chamelaion') - before.posts).toBe(1);
		expect(sandbox.jobCount('chamelaion') - before.jobs).toBe(1);
	});
});

describe('refusals that made no job', () => {
	it('a 429 with Retry-After on the create is waited out and sent again: one job', async () => {
		const before = { posts: posts('joggai'), jobs: sandbox.jobCount('joggai') };
		sandbox.injectFault({ kind: '429-retry-after', provider: 'joggai', method: 'POST' });
		const { status, items } = await runNode({ parameters: params('joggai', 'createAndWait', media(sandbox)), credentials: credentialsFor(sandbox, 'joggai') });
		expect(status).toBe('success');
		expect(items[0]!.json.status).toBe('completed');
		expect(posts('joggai') - before.posts).toBe(2);
		expect(sandbox.jobCount('joggai') - before.jobs).toBe(1);
	});

	it('a refused connection (nothing listening) is reported as such, not as a create that may have arrived', async () => {
		const port = await new Promise<number>((resolve) => {
			const server = createServer().listen(0, '127.0.0.1', () => {
				const { port } = server.address() as { port: number };
				server.close(() => resolve(port));
			});
		});
		const { status, error } = await runNode({
			parameters: params('fishaudio-open', 'create', media(sandbox)),
			credentials: { [CREDENTIAL_TYPE['fishaudio-open']]: { apiKey: 'sandbox-key', baseUrl: `http://127.0.0.1:${port}` } },
		});
		expect(status).toBe('error');
		expect(error?.message).toMatch(/Could not connect to 127\.0\.0\.1/);
		expect(error?.message).not.toMatch(/may have reached/);
		expect(error?.description).toContain('Error code: NETWORK_ERROR');
	}, 60_000);
});
