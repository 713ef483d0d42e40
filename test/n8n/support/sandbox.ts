import { afterAll, beforeAll } from 'vitest';
import type { Sandbox } from '../../../src/sandbox/types';
import { sandboxFixture } from '../../support/sandbox';
import { loadPackage, removeUserFolder } from './engine';

/** Loads the package into n8n's loader and starts a sandbox for one test file; `set` receives it. */
export function useSandbox(options: { jobDurationMs: number; resultBytes?: number }, set: (sandbox: Sandbox) => void): void {
	beforeAll(async () => {
		await loadPackage();
	});
	const fixture = sandboxFixture(options, { clearRequests: false });
	beforeAll(() => set(fixture.sandbox));
	afterAll(removeUserFolder);
}
